"""A part a service needs failing every request (a full disk, a read-only database) shows where the
operator looks: `/_puma/status` (the dashboard's source), `puma status` and `/_puma/ready` say the
service is degraded, with the service's own words, once as an event; readiness does not flap when
only some requests fail, and it all clears when the part works again. Real Envoy and instances."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

import puma
from puma import running
from puma.supervisor import Deployment
from tests.apps import failing_store
from tests.helpers import wait_for


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Deployment, Path]]:
    fault = tmp_path / "fault"
    monkeypatch.setenv(failing_store.FAULT_ENV, str(fault))
    app = puma.App()
    app.configure({"puma_services": {"notes": {"prefix": "/notes", "instances": 2},
                                     "chat": {"prefix": "/chat", "instances": 1}}})
    app.add_services({"notes": failing_store.save, "chat": failing_store.note})
    with Deployment(app.resolved_config(listener={"port": 0}), run_dir=tmp_path / "run",
                    import_paths=app.import_paths).start() as mesh:
        yield mesh, fault


def _events(mesh: Deployment, kind: str) -> list[dict]:
    return [e for e in mesh.status()["events"] if e.get("kind") == kind]


def _degraded(mesh: Deployment, service: str = "notes") -> str | None:
    return httpx.get(mesh.url + "/_puma/status", timeout=10).json()["services"][service]["degraded"]


@pytest.mark.parametrize(("fault", "status", "said"), [
    ("full", 507, "the database is full"),
    ("enospc", 507, "the filesystem holding /srv/notes/notes.log is full"),
    ("readonly", 503, "attempt to write a readonly database"),
])
def test_degraded_a_store_failing_every_request_is_shown_said_once_and_cleared(
        store: tuple[Deployment, Path], fault: str, status: int, said: str) -> None:
    mesh, fault_file = store
    with httpx.Client(base_url=mesh.url, timeout=10) as http:
        assert http.post("/notes", json={"text": "a"}).status_code == 200
        fault_file.write_text(fault)
        assert {http.post("/notes", json={"text": f"t{n}"}).status_code for n in range(8)} == {status}
        why = wait_for(lambda: _degraded(mesh), timeout_s=5, message="status says notes is degraded")
        assert said in why and str(status) in why, why
        text = running.format_status(mesh.status())
        assert "degraded" in text and said in text, text
        ready = http.get("/_puma/ready")
        assert ready.status_code == 200 and said in ready.json()["degraded"]["notes"], ready.json()
        events = wait_for(lambda: _events(mesh, "degraded"), timeout_s=5, message="an event says it")
        assert said in events[0]["message"], events
        for n in range(4):  # more failures, more looks (the supervisor's loop looks every second): one event
            http.post("/notes", json={"text": f"u{n}"})
            time.sleep(0.5)  # a window, not a wait: no second event may come within it
        assert len(_events(mesh, "degraded")) == 1, _events(mesh, "degraded")
        fault_file.write_text("")
        for n in range(4):  # Envoy spreads them: each instance serves one again
            assert http.post("/notes", json={"text": f"v{n}"}).status_code == 200
        wait_for(lambda: _degraded(mesh) is None, timeout_s=5, message="degraded clears once writes succeed")
        assert "degraded" not in http.get("/_puma/ready").json()
        wait_for(lambda: _events(mesh, "recovered"), timeout_s=5, message="an event says it is over")


def test_degraded_some_failing_requests_among_successes_are_not_degraded(store: tuple[Deployment, Path]) -> None:
    mesh, fault_file = store
    with httpx.Client(base_url=mesh.url, timeout=10) as http:
        for n in range(12):  # every other request fails: a flaky store, not one that is down
            fault_file.write_text("full" if n % 2 else "")
            http.post("/notes", json={"text": f"t{n}"})
        assert _degraded(mesh) is None
        assert http.get("/_puma/ready").json()["ready"] is True


@pytest.mark.parametrize("refused", [
    [{}, {"text": "hi", "turn_no": "2"}, {"text": "hi", "id": "nosuch"}],  # 400, 409, 404
    [{"text": "hi", "turn_no": "3"}] * 3,  # clients re-sending a stale turn: 409s only
])
def test_degraded_is_not_cleared_by_requests_the_service_refused(store: tuple[Deployment, Path],
                                                                  refused: list[dict]) -> None:
    """A 4xx the service answers says the request was wrong, not that the full store works again:
    `degraded` stays, with no "no longer degraded" event, until a request succeeds."""
    mesh, fault_file = store
    with httpx.Client(base_url=mesh.url, timeout=10) as http:
        fault_file.write_text("full")
        assert {http.post("/chat", data={"text": f"t{n}"}).status_code for n in range(4)} == {507}
        wait_for(lambda: _degraded(mesh, "chat"), timeout_s=5, message="status says chat is degraded")
        assert {http.post("/chat", data=body).status_code for body in refused} <= {400, 404, 409}
        time.sleep(2.5)  # a window, not a wait: the supervisor looks every second; nothing may clear
        assert _degraded(mesh, "chat") is not None
        assert not [e for e in _events(mesh, "recovered") if e.get("service") == "chat"], _events(mesh, "recovered")
        fault_file.write_text("")
        assert http.post("/chat", data={"text": "ok"}).status_code == 200
        wait_for(lambda: _degraded(mesh, "chat") is None, timeout_s=5, message="a success clears it")


def test_degraded_a_run_of_507s_is_in_the_services_log_once_not_per_request(store: tuple[Deployment, Path]) -> None:
    mesh, fault_file = store
    with httpx.Client(base_url=mesh.url, timeout=10) as http:
        fault_file.write_text("enospc")
        assert {http.post("/chat", data={"text": f"t{n}"}).status_code for n in range(12)} == {507}
    log = mesh.run_dir / "logs" / "chat.log"
    lines = wait_for(lambda: [line for line in log.read_text().splitlines() if "answered 507" in line],
                     timeout_s=5, message="the 507s in chat.log")
    assert len(lines) == 1 and "/srv/notes/notes.log is full" in lines[0], lines


@pytest.mark.parametrize("fault", ["full", "readonly"])
def test_degraded_counts_failures_in_a_row_per_service_whichever_instance_answered(
        store: tuple[Deployment, Path], fault: str) -> None:
    """An SRE's 13 failures in a row over 3 instances were needed before "degraded", and the count
    said stayed at 5: the service's clients had a run of failures, whichever instance answered each.
    The 3rd failed request in a row makes it degraded, and the count said grows with each one."""
    mesh, fault_file = store
    with httpx.Client(base_url=mesh.url, timeout=10) as http:
        assert http.post("/notes", json={"text": "a"}).status_code == 200
        fault_file.write_text(fault)
        assert {http.post("/notes", json={"text": f"t{n}"}).status_code for n in range(3)} <= {503, 507}
        why = wait_for(lambda: _degraded(mesh), timeout_s=5, message="degraded after 3 failures in a row")
        assert "3 requests in a row" in why, why
        for n in range(4):
            http.post("/notes", json={"text": f"u{n}"})
        grown = _degraded(mesh)
        assert grown is not None and "7 requests in a row" in grown, grown
        fault_file.write_text("")
        wait_for(lambda: http.post("/notes", json={"text": "ok"}).status_code == 200 and _degraded(mesh) is None,
                 timeout_s=10, message="a success ends the run")
