"""`puma status`'s table keeps its columns apart whatever the length of a service's name, prefix or
ready count: each is as wide as its longest entry, and the numbers line up under their headers."""

from __future__ import annotations

import pytest

from puma.running import format_status


def _service(prefix: str, ready: int = 1, high: int = 1, **more: object) -> dict:
    return {"prefix": prefix, "ready": ready, "max_instances": high, "in_flight": 0, "requests_per_s": 2.5,
            "p50_ms": 1.0, "p99_ms": None, "instances": [{"id": 1, "pid": 4242, "port": 40001, "state": "ready",
                                                          "healthy": True}], **more}


def _table(services: dict) -> list[str]:
    text = format_status({"envoy": {"pid": 1, "admin": 9901}, "events": [], "services": services})
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("service"))
    return lines[start:start + 1 + len(services)]


@pytest.mark.parametrize("names", [
    ["classify_agent", "render_thumbnail"],                # 14 and 16 characters
    ["a", "a_service_name_of_forty_characters_long__"],
    ["s" * 13, "t" * 14, "u" * 15],
], ids=["fourteen-and-sixteen", "one-and-forty", "around-the-old-width"])
def test_status_long_service_names_keep_a_gap_before_the_prefix(names):
    rows = _table({n: _service("/" + n) for n in names})
    for name, row in zip(names, rows[1:], strict=True):
        assert row.split()[:3] == [name, "/" + name, "1/1"], row
        assert row.index("/" + name) >= len(name) + 2, row
    # every row's prefix starts in the same column as the header's "prefix"
    assert {row.index("/") for row in rows[1:]} == {rows[0].index("prefix")}


def test_status_a_long_prefix_and_an_autoscaled_ready_range_keep_their_columns():
    rows = _table({"db": _service("/api/v2/catalogue/search", ready=12, high=128, autoscaled=True,
                                  min_instances=2), "x": _service("/x")})
    assert rows[1].split()[:4] == ["db", "/api/v2/catalogue/search", "12", "(2-128)"]
    assert rows[2].split()[:3] == ["x", "/x", "1/1"]
    assert rows[0].index("in-flight") + len("in-flight") == rows[1].index("0") + 1 == rows[2].index("0") + 1


def test_status_on_a_terminal_fits_its_width_instances_in_their_column_events_indented():
    """`puma status` in a terminal of 100 columns (README's second step): a service of three
    instances and events with long reasons no longer make lines the terminal breaks."""
    instances = [{"id": n, "pid": 19110 + n, "port": 40025 + n, "state": "ready", "healthy": True, "rss_mib": 242}
                 for n in range(3)]
    message = "instance 1 up at 127.0.0.1:40025 in 410 ms, forked from its zygote (import and warm-up 33.0 s)"
    status = {"envoy": {"pid": 1, "admin": "unix:/tmp/puma-x/envoy-admin.sock"}, "services": {
        "agent": _service("/agent", ready=3, high=3, instances=instances), "web": _service("/")},
        "events": [{"time": 0, "service": "agent", "message": message}] * 2}
    for width in (100, 99):
        lines = format_status(status, width=width).splitlines()
        assert all(len(line) <= width for line in lines), "\n".join(lines)
        text = "\n".join(lines)
        assert all(f"{19110 + n}:{40025 + n} (242 MiB)" in text for n in range(3)), text
        header = next(line for line in lines if line.startswith("service"))
        rows = [line for line in lines[lines.index(header) + 1:] if line.strip()][:4]
        assert rows[0].startswith("agent") and rows[-1].startswith("web"), rows
        column = header.index("instances")
        assert all(row[:column].strip() == "" and row[column] != " " for row in rows[1:-1]), rows
        assert " ".join(text.split()).count("(import and warm-up 33.0 s)") == 2, text
    # piped (no width): one line per fact, as before, for grep
    assert format_status(status).count("\n") < format_status(status, width=100).count("\n")
