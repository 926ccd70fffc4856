"""A served module whose functions change module-level state, with more than one instance, gets
one WARNING at start naming the function, the global and the fix; found by reading the source
only (the app's code is never imported or run for it)."""

from __future__ import annotations

import logging
import sys
import textwrap
from pathlib import Path

import pytest

import puma
from puma.sharedglobals import warn, warnings_for, writes

COUNTERS = textwrap.dedent("""\
    import collections
    VISITS = 0
    SEEN: list[str] = []
    TOTALS = {"orders": 0, "by_city": {}}
    HITS = collections.Counter()
    LIMIT = 10

    def visit():
        global VISITS
        VISITS += 1
        return VISITS

    def remember(name):
        SEEN.append(name)

    def order(city):
        TOTALS["by_city"][city] = TOTALS["by_city"].get(city, 0) + 1

    def _count(word):
        HITS[word] += 1

    def tally(words):
        for w in words:
            _count(w)

    def reads_only():
        return LIMIT + len(SEEN) + TOTALS["orders"]

    def shadows(SEEN):
        SEEN.append(1)
        TOTALS = {}
        TOTALS["x"] = 1
        return SEEN

    _engines = {}
    SEEN_IDS = {}
    MODEL = {}

    def engine(url):
        if url not in _engines:
            _engines[url] = make_engine(url)
        return _engines[url]

    def once(request_id):
        if request_id in SEEN_IDS:
            return "duplicate"
        SEEN_IDS[request_id] = True

    def load_model():
        MODEL["weights"] = read_weights()

    def predict(x):
        return MODEL["weights"] * x

    class Basket:
        def add(self, item):
            self.items = [item]
            SEEN.extend([item])
""")


def test_writes_finds_each_kind_of_change_and_only_those() -> None:
    found = writes(COUNTERS)
    # engine() fills a cache once per key (each instance its own copy is harmless): not state;
    # once() keeps what it has seen, which another instance does not know: state.
    assert found == {"visit": ["VISITS"], "remember": ["SEEN"], "order": ["TOTALS"], "tally": ["HITS"],
                     "once": ["SEEN_IDS"], "load_model": ["MODEL"]}
    assert writes(COUNTERS, ["Basket.add"]) == {"Basket.add": ["SEEN"]}
    assert writes(COUNTERS, ["reads_only", "shadows"]) == {}


def _module(tmp_path: Path, name: str, source: str) -> None:
    (tmp_path / f"{name}.py").write_text(source)


def _config(services: dict, targets: dict) -> puma.PumaConfig:
    app = puma.App()
    app.configure({"puma_services": services})
    app.add_services(targets)
    return app.resolved_config()


@pytest.mark.parametrize(("settings", "warned"), [
    ({"instances": 2}, "(2 instances)"),
    ({"instances": {"min": 1, "max": 3}}, "(autoscaled to 3 instances)"),
    ({"instances": 1}, None),
    ({"instances": 1, "stateful": True}, None),
])
def test_warning_names_function_global_and_fix_when_instances_can_differ(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, settings: dict, warned: str | None) -> None:
    _module(tmp_path, "pt7_counters", COUNTERS)
    monkeypatch.syspath_prepend(str(tmp_path))
    config = _config({"counters": {"prefix": "/counters", "warmup": "pt7_counters:load_model", **settings}},
                     {"counters": "pt7_counters:*"})
    lines = warnings_for(config, [str(tmp_path)])
    if warned is None:
        assert lines == []
        return
    assert len(lines) == 1, lines  # one warning for the service, naming every function
    line = lines[0]
    assert line.startswith(f"puma_services.counters {warned}: ")
    for function, name in (("visit", "VISITS"), ("remember", "SEEN"), ("order", "TOTALS"), ("tally", "HITS"),
                           ("once", "SEEN_IDS")):
        assert f"pt7_counters.{function} changes the module-level global {name}" in line
    assert "reads_only" not in line and "shadows" not in line and "engine" not in line
    assert "load_model" not in line  # the service's warm-up: run once in the zygote, before the fork
    assert "store" in line and '"stateful": true' in line and '"instances": 1' in line


def test_warning_reads_the_source_without_importing_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                        caplog: pytest.LogCaptureFixture) -> None:
    """A module that would leave a file behind (and fail) if run: it is read, never imported."""
    ran = tmp_path / "ran"
    _module(tmp_path, "pt7_sideeffect", f"open({str(ran)!r}, 'w').close()\nREGISTRY = {{}}\n"
                                        "def put(key, value):\n    REGISTRY[key] = value\nraise SystemExit(3)\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    config = puma.parse_config({"puma_services": {"cache": {"prefix": "/cache", "instances": 3,
                                                            "target": "pt7_sideeffect:put"}}})
    with caplog.at_level(logging.WARNING, logger="puma.sharedglobals"):
        warn(config, [str(tmp_path)])
    assert not ran.exists() and "pt7_sideeffect" not in sys.modules
    assert [r.levelname for r in caplog.records] == ["WARNING"]
    assert "pt7_sideeffect.put changes the module-level global REGISTRY" in caplog.records[0].getMessage()


def test_function_served_apart_is_warned_under_its_own_service_only(tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    _module(tmp_path, "pt7_lab", "STATS = {'n': 0}\ndef register(x):\n    STATS['n'] += 1\n"
                                 "def analyse(x):\n    STATS['n'] += 1\ndef ping():\n    return 'ok'\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    config = puma.parse_config({"puma_services": {
        "lab": {"prefix": "/lab", "instances": 2, "target": "pt7_lab:*"},
        "analyse": {"prefix": "/analyse", "instances": {"min": 1, "max": 4}, "target": "pt7_lab:analyse"}}})
    lines = warnings_for(config, [str(tmp_path)])
    assert len(lines) == 2
    assert "pt7_lab.register" in lines[0] and "pt7_lab.analyse" not in lines[0]
    assert lines[1].startswith("puma_services.analyse (autoscaled to 4 instances): pt7_lab.analyse changes")
