"""Readiness apart from liveness (a store that is down makes instances unready, never restarted),
request deadlines (a timed-out request commits nothing; its retry applies once), and a full disk
(507 naming what is full; nothing accepted is lost). Real Envoy, real instances, a real SQLite file."""

from __future__ import annotations

import logging
import os
import re
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

import puma
from puma.readiness import Probe
from puma.running import format_status
from tests.apps import ledger
from tests.helpers import wait_for

# --- the probe alone: bounded, cached, a reason for every way a check fails ------------------------


def test_probe_reports_why_a_check_fails_and_recovers() -> None:
    outcome: list[object] = [RuntimeError("ledger host refused the connection")]

    def check() -> object:
        if isinstance(outcome[0], BaseException):
            raise outcome[0]
        return outcome[0]

    probe = Probe(check, period_s=1.0, timeout_s=0.5)
    probe.refresh()
    assert probe.state() == (False, "RuntimeError: ledger host refused the connection")
    outcome[0] = False
    probe.refresh()
    assert probe.state() == (False, "its readiness check returned False")
    outcome[0] = None
    probe.refresh()
    assert probe.state() == (True, "")


STOPPING = ("the archive on 127.0.0.1:40111 is stopping (pid 4242, sent SIGTERM): it accepts no more connections "
            "and exits once its work in progress is done")


@pytest.mark.parametrize("prefix", [STOPPING, f"{STOPPING}, {STOPPING}", ", ".join([STOPPING] * 5)])
def test_probe_reason_never_ends_inside_the_command_it_names(prefix: str, caplog) -> None:
    """A reason ending in a command to paste is shown whole or without the command: a command cut
    mid-path (at "--pid-file var/") starts a wrong server when pasted. A long reason is logged once."""
    command = "/srv/venv/bin/python -m archive_server --port 40111 --pid-file var/archive-40111.pid >> var/a.log 2>&1 &"

    def check() -> None:
        raise RuntimeError(f"{prefix}; once it has exited, start it again: {command}")

    probe = Probe(check, period_s=1.0, timeout_s=0.5)
    with caplog.at_level(logging.INFO, logger="puma.readiness"):
        for _ in range(3):
            probe.refresh()
    ready, reason = probe.state()
    assert not ready and reason.startswith("RuntimeError: ")
    assert command in reason or "--pid-file" not in reason, reason
    assert len([r for r in caplog.records if "archive" in r.getMessage()]) == 1, caplog.records


def test_probe_that_hangs_is_not_ready_within_its_timeout_and_runs_once() -> None:
    release = threading.Event()
    calls: list[float] = []

    def hangs() -> None:
        calls.append(time.monotonic())
        release.wait(10)

    probe = Probe(hangs, period_s=1.0, timeout_s=0.1, first_timeout_s=0.3)
    started = time.monotonic()
    probe.refresh()
    assert time.monotonic() - started < 1.0
    # The first run may build what it checks: as before it ends, the instance counts as ready, up
    # to first_timeout_s; then it "did not answer".
    assert probe.state() == (True, "")
    time.sleep(0.35)  # past first_timeout_s of a fake check: the clock is the subject here
    probe.refresh()  # the first run is still stuck: no second thread piles up
    assert probe.state() == (False, "the readiness check did not answer within 0.3 s")
    assert len(calls) == 1
    release.set()
    running = probe._running
    assert running is not None
    wait_for(lambda: not running.is_alive(), timeout_s=5, message="the stuck run to end")
    probe.refresh()  # it answers now; a later run that hangs is judged by timeout_s
    assert probe.state() == (True, "")
    release.clear()
    probe.refresh()
    assert probe.state() == (False, "the readiness check did not answer within 0.1 s")
    release.set()


def test_probe_first_run_that_builds_slowly_is_no_outage(caplog) -> None:
    """A first run longer than timeout_s (a store's engine built on a busy machine: the survey at
    every start) never reads "did not answer": nothing is logged, and it is ready throughout."""
    built = threading.Event()

    def slow_first() -> None:
        if not built.is_set():
            time.sleep(0.3)  # the slow first run under test: 3 times timeout_s
            built.set()

    caplog.set_level(logging.INFO, logger="puma.readiness")
    probe = Probe(slow_first, period_s=1.0, timeout_s=0.1)
    seen = []

    def refreshed() -> bool:
        probe.refresh()
        seen.append(probe.state())
        return built.is_set() and probe.state() == (True, "")

    wait_for(refreshed, timeout_s=5, message="ready once built")
    assert set(seen) == {(True, "")} and caplog.records == [], (seen, caplog.records)


def test_readiness_config_names_a_bad_check_and_period() -> None:
    with pytest.raises(puma.PumaConfigError) as caught:
        puma.parse_config({"puma_services": {"a": {"prefix": "/a", "readiness": "no_colon"}}})
    assert "puma_services.a.readiness" in str(caught.value) and "'module:function'" in str(caught.value)
    with pytest.raises(puma.PumaConfigError, match="period_s"):
        puma.parse_config({"puma_services": {"a": {"prefix": "/a", "readiness": {"check": "m:f", "period_s": 0}}}})
    parsed = puma.parse_config({"puma_services": {"a": {"prefix": "/a", "readiness": "m:f"}}})
    assert parsed.puma_services["a"].readiness is not None
    assert parsed.puma_services["a"].readiness.check == "m:f"


@pytest.mark.parametrize(("envoy_ms", "caller_ms", "left_s"), [
    ("1000", None, 1.0), ("1000", "250", 0.25), ("250", "1000", 0.25), ("0", None, None), (None, None, None),
    ("abc", "nan", None), ("inf", None, None), ("-5", "300", 0.3), ("1e3", "", 1.0),
])
def test_request_deadline_is_the_earlier_of_envoys_and_the_callers(envoy_ms: str | None, caller_ms: str | None,
                                                                     left_s: float | None) -> None:
    from puma import deadlines

    token = deadlines.start(envoy_ms, caller_ms)
    try:
        left = deadlines.remaining_s()
        if left_s is None:
            assert left is None
            deadlines.check_deadline()  # no deadline: never refused
        else:
            assert left is not None and left_s - 0.05 < left <= left_s
    finally:
        deadlines.finish(token)
    assert deadlines.remaining_s() is None  # the next request on this thread starts clean


# --- a deployment whose ledger lives in a SQLite file ----------------------------------------------


@pytest.fixture(scope="module")
def store_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("ledger")


@pytest.fixture(scope="module")
def mesh(store_dir: Path) -> Iterator[puma.Deployment]:
    data = store_dir / "data"
    data.mkdir()
    db = data / "ledger.sqlite3"
    ledger.create(str(db))
    old = os.environ.get("LEDGER_DB")
    os.environ["LEDGER_DB"] = str(db)
    app = puma.App()
    app.configure({"puma_services": {"ledger": {
        "prefix": "/ledger", "instances": 2, "timeout_s": 1,
        "readiness": {"check": "tests.apps.ledger:ping", "period_s": 0.2, "timeout_s": 0.5},
        "health_check": {"interval_s": 0.5}},
        "relay": {"prefix": "/relay", "timeout_s": 1}}})
    app.add_services({"ledger": "tests.apps.ledger:ledger", "relay": "tests.apps.ledger:relay"})
    try:
        with app.start(listener={"port": 0}) as deployment:
            yield deployment
    finally:
        if old is None:
            os.environ.pop("LEDGER_DB", None)
        else:
            os.environ["LEDGER_DB"] = old


def _pids(mesh: puma.Deployment) -> set[int]:
    return {i["pid"] for i in mesh.status()["services"]["ledger"]["instances"]}


def _post(mesh: puma.Deployment, body: dict[str, object]) -> httpx.Response:
    return httpx.post(mesh.url + "/ledger", json=body, timeout=10)


def _post_until(mesh: puma.Deployment, body: dict[str, object], ok: Callable[[httpx.Response], bool], message: str,
                timeout_s: float = 10.0, interval_s: float = 0.02) -> httpx.Response:
    last: list[httpx.Response] = []

    def check() -> bool:
        last[:] = [_post(mesh, body)]
        return ok(last[0])

    wait_for(check, timeout_s=timeout_s, interval_s=interval_s, message=message)
    return last[0]


def _ready(mesh: puma.Deployment) -> bool:
    return bool(httpx.get(mesh.url + "/_puma/ready", timeout=5).json()["ready"])


def test_store_unreachable_makes_the_service_unready_with_a_503_naming_it_and_no_restart(
        mesh: puma.Deployment, store_dir: Path) -> None:
    data, away = store_dir / "data", store_dir / "away"
    assert _post(mesh, {"key": "r", "amount": 1}).status_code == 200
    pids = _pids(mesh)
    for _flap in range(3):  # a store that flaps: unready and back, three times, never a restart
        data.rename(away)
        try:
            _post_until(mesh, {"key": "r", "amount": 1},
                        lambda r: r.status_code == 503 and "not ready" in r.json()["error"],
                        message="requests refused as not ready")
            started = time.monotonic()
            resp = _post(mesh, {"key": "r", "amount": 1})
            assert time.monotonic() - started < 1.0, "a not-ready service answers at once, never hangs"
            body = resp.json()
            assert resp.status_code == 503 and int(resp.headers["retry-after"]) >= 1, body
            assert body["service"] == "ledger" and "unable to open database file" in body["reason"], body
            assert "the SQLite database " in body["error"] and " is unreachable" in body["error"], body  # named by its file
            wait_for(lambda: not _ready(mesh), timeout_s=10, message="/_puma/ready to say not ready")
            wait_for(lambda: "ledger" in httpx.get(mesh.url + "/_puma/ready", timeout=5).json()["not_ready"],
                     timeout_s=10, message="/_puma/ready to name the service not ready (not starting)")
            ready = httpx.get(mesh.url + "/_puma/ready", timeout=5).json()
            assert ready["waiting_for"] == [] and "unable to open database file" in ready["not_ready"]["ledger"], ready
            ledger = mesh.status()["services"]["ledger"]
            assert ledger["ready"] == 0 and "unable to open database file" in ledger["not_ready"][0], ledger
        finally:
            away.rename(data)
        wait_for(lambda: _post(mesh, {"key": "r", "amount": 1}).status_code == 200, timeout_s=10,
                 message="served again once the store is back")
        wait_for(lambda: _ready(mesh), timeout_s=10, message="/_puma/ready ready again")
        wait_for(lambda: mesh.status()["services"]["ledger"]["not_ready"] == [], timeout_s=10,
                 message="the status to count the instance ready again")
    assert _pids(mesh) == pids, "instances were restarted for a store outage (readiness is not liveness)"
    events = [e for e in mesh.status().get("events", []) if e.get("service") == "ledger"]
    assert not any("unhealthy" in e["message"] or "replaced" in e["message"] for e in events), events
    # Each change is said once per instance: three outages, three "not ready" and three "ready again".
    # (Waiting for a first check at start, if it was slow, is said apart: "waiting to be ready".)
    for number in {e["message"].split()[1] for e in events if e["kind"] == "not-ready"}:
        said = [e["message"].split()[2] + " " + e["message"].split()[3] for e in events
                if e["message"].startswith(f"instance {number} ") and (" not ready: " in e["message"]
                                                                        or " ready again " in e["message"])]
        assert said == ["not ready:", "ready again"] * 3, (number, events)


def test_a_readiness_check_that_hangs_is_bounded_and_named(mesh: puma.Deployment, store_dir: Path) -> None:
    hang = Path(str(store_dir / "data" / "ledger.sqlite3") + ".hang")
    pids = _pids(mesh)
    hang.touch()
    try:
        resp = _post_until(mesh, {"key": "h", "amount": 1}, lambda r: r.status_code == 503,
                           message="refused as not ready")
        assert "did not answer within 0.5 s" in resp.json()["reason"], resp.json()
    finally:
        hang.unlink()
    wait_for(lambda: _post(mesh, {"key": "h", "amount": 1}).status_code == 200, timeout_s=10,
             message="served again once the check answers")
    assert _pids(mesh) == pids


# --- a request whose client timed out commits nothing; its retry is applied once ------------------


@pytest.mark.parametrize("delay_s", [1.3, 2.0])
def test_a_request_past_its_timeout_commits_nothing_and_its_retry_applies_once(mesh: puma.Deployment,
                                                                               delay_s: float) -> None:
    key = f"slow-{delay_s}"
    first = _post(mesh, {"key": key, "amount": 5, "delay_s": delay_s})
    assert first.status_code == 504, first.text  # Envoy gave up after timeout_s (1 s)
    # The client retries as told: a 503 (the store still held by the first attempt) after Retry-After.
    retry = _post_until(mesh, {"key": key, "amount": 5}, lambda r: r.status_code != 503, interval_s=0.2,
                        message="the retry to be answered")
    assert retry.status_code == 200, retry.text
    # Wait until the first attempt has ended on its instance (it ran on after the 504).
    wait_for(lambda: all(i["in_flight"] == 0 for i in _instance_health(mesh)), timeout_s=10,
             message="the timed-out request to end on its instance")
    assert _post(mesh, {"key": key}).json()["total"] == 5, "the timed-out request was applied too"


def test_a_call_made_for_a_timed_out_request_commits_nothing_downstream(mesh: puma.Deployment) -> None:
    """The caller's deadline goes with its calls: the callee stops where the caller's client gave up,
    not at its own (later) timeout."""
    first = httpx.post(mesh.url + "/relay", json={"key": "chain", "amount": 7, "spend_s": 0.5, "delay_s": 0.8},
                       timeout=10)
    assert first.status_code == 504, first.text  # Envoy's, or relay's own when its call ran out of time
    wait_for(lambda: all(i["in_flight"] == 0 for i in _instance_health(mesh)), timeout_s=10,
             message="the relayed request to end on the ledger")
    assert _post(mesh, {"key": "chain"}).json()["total"] == 0, "applied after its client was told it failed"
    retry: list[httpx.Response] = []

    def answered() -> bool:
        retry.append(httpx.post(mesh.url + "/relay", json={"key": "chain", "amount": 7}, timeout=10))
        return retry[-1].status_code != 503

    wait_for(answered, timeout_s=10, interval_s=0.2, message="the retry answered")
    assert retry[-1].status_code == 200, retry[-1].text
    assert _post(mesh, {"key": "chain"}).json()["total"] == 7


def _instance_health(mesh: puma.Deployment) -> list[dict[str, int]]:
    out = []
    for inst in mesh.status()["services"]["ledger"]["instances"]:
        resp = httpx.get(f"http://{inst['host']}:{inst['port']}/healthz", timeout=5).json()
        out.append({"in_flight": resp["in_flight"]})
    return out


# --- a full disk: 507 naming what is full, nothing accepted lost, the instance still serving -----


@pytest.fixture
def small_fs(tmp_path: Path) -> Iterator[Path]:
    """A 1 MiB tmpfs mounted for this test (root only; skipped naming why otherwise)."""
    mount = tmp_path / "small"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mount)],
                          capture_output=True, text=True, check=False)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs to fill ({done.stderr.strip() or done.returncode}); "
                    "run as root to test a real full disk")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def _journal(db: Path) -> str:
    import sqlite3

    with sqlite3.connect(db) as conn:
        return str(conn.execute("PRAGMA journal_mode").fetchone()[0])


def _fill(path: Path) -> Path:
    filler = path / "filler"
    with open(filler, "wb") as f:
        try:
            while True:
                f.write(b"\0" * 65536)
                f.flush()
        except OSError:
            pass
    return filler


@pytest.fixture(params=["rollback-journal", "wal"])
def full_mesh(small_fs: Path, request: pytest.FixtureRequest) -> Iterator[tuple[puma.Deployment, Path]]:
    db = small_fs / "ledger.sqlite3"
    ledger.create(str(db), wal=request.param == "wal")  # WAL reports a full disk as "disk I/O error"
    old = os.environ.get("LEDGER_DB")
    os.environ["LEDGER_DB"] = str(db)
    app = puma.App()
    app.configure({"puma_services": {"ledger": {"prefix": "/ledger", "instances": 1, "timeout_s": 5}}})
    app.add_services({"ledger": "tests.apps.ledger:ledger"})
    try:
        with app.start(listener={"port": 0}) as deployment:
            yield deployment, small_fs
    finally:
        os.environ.pop("LEDGER_DB", None) if old is None else os.environ.__setitem__("LEDGER_DB", old)


def test_a_full_disk_is_a_507_naming_what_is_full_and_loses_nothing(full_mesh: tuple[puma.Deployment, Path]) -> None:
    mesh, fs = full_mesh
    wal = (fs / "ledger.sqlite3-wal").exists() or _journal(fs / "ledger.sqlite3") == "wal"
    for i in range(5):
        assert _post(mesh, {"key": "d", "amount": 1}).status_code == 200, i
    pids = _pids(mesh)
    filler = _fill(fs)
    try:
        statuses = []
        for _ in range(40):  # the database's free pages run out within a few writes
            resp = _post(mesh, {"key": "d", "amount": 1})
            statuses.append(resp.status_code)
            if resp.status_code == 507:
                break
        body = resp.json()
        assert resp.status_code == 507, (statuses, body)
        assert body["service"] == "ledger" and body["full"].startswith("the SQLite database") and "free space" in body["error"]
        assert str(fs) not in resp.text, "a public client was told where the database lives"
        accepted = 5 + statuses.count(200)
        log_write = _post(mesh, {"key": "d", "note_bytes": 200_000})
        assert log_write.status_code == 507, log_write.text
        # Where it is full: for the operator (the internal listener), not a public client.
        assert str(fs) not in log_write.text and "the filesystem" in log_write.json()["full"], log_write.json()
        inside = httpx.post(mesh.internal_url + "/ledger", json={"key": "d", "note_bytes": 200_000}, timeout=10)
        assert inside.status_code == 507 and str(fs) in inside.json()["full"], inside.json()
        read = _post(mesh, {"key": "d"})
        # Reads are served while full, but SQLite in WAL mode needs space to open a reader.
        assert read.status_code == 200 or (wal and read.status_code == 507), read.text
    finally:
        filler.unlink()
    total = _post(mesh, {"key": "d"}).json()["total"]
    after = _post(mesh, {"key": "d", "amount": 1})
    assert after.status_code == 200, after.text
    assert _post(mesh, {"key": "d"}).json()["total"] == total + 1
    assert total == accepted, "rows accepted before the disk filled were lost (or a refused one kept)"
    assert _pids(mesh) == pids, "the instance crashed or was replaced"


# --- found by trying it as a newcomer: start-up with the store down, odd checks -----------------


@pytest.mark.parametrize("raised", [SystemExit(3), KeyboardInterrupt(), MemoryError("no room")])
def test_probe_reads_any_exception_of_a_check_as_not_ready(raised: BaseException) -> None:
    def check() -> None:
        raise raised

    probe = Probe(check, period_s=1.0, timeout_s=1.0)
    probe.refresh()
    ready, reason = probe.state()
    assert not ready and reason.startswith(type(raised).__name__), reason  # not "did not answer"


def test_probe_reason_is_short_whatever_the_exception_says() -> None:
    def check() -> None:
        raise RuntimeError("x" * 5000 + "\nsecond line")

    probe = Probe(check, period_s=1.0, timeout_s=1.0)
    probe.refresh()
    assert len(probe.state()[1]) <= 300


def test_a_deployment_whose_store_is_down_at_start_starts_and_says_why(tmp_path: Path, caplog) -> None:
    """Start-up does not wait for readiness (it would hang for the start-up timeout): the service
    is up, unready, and its requests and /_puma/ready say why."""
    caplog.set_level(logging.INFO, logger="puma")
    old = os.environ.get("LEDGER_DB")
    os.environ["LEDGER_DB"] = str(tmp_path / "never-created" / "ledger.sqlite3")
    app = puma.App()
    app.configure({"puma_services": {"ledger": {"prefix": "/ledger", "readiness": {
        "check": "tests.apps.ledger:ping", "period_s": 0.3}}}})
    app.add_services({"ledger": "tests.apps.ledger:ledger"})
    started = time.monotonic()
    try:
        with app.start(listener={"port": 0}) as mesh:
            assert time.monotonic() - started < 20
            resp = _post_until(mesh, {"key": "a", "amount": 1}, lambda r: r.status_code == 503,
                               message="a 503 naming the store")
            assert "unable to open database file" in resp.json()["reason"], resp.json()
            wait_for(lambda: "unable to open database file" in httpx.get(mesh.url + "/_puma/ready", timeout=5)
                     .json()["not_ready"].get("ledger", ""), timeout_s=10, message="/_puma/ready to name the unready service")
            # Running is not ready: the status counts no ready instance and says why, as `puma status` prints it.
            wait_for(lambda: mesh.status()["services"]["ledger"]["not_ready"], timeout_s=10, message="status to say why")
            ledger = mesh.status()["services"]["ledger"]
            assert ledger["ready"] == 0 and "unable to open database file" in ledger["not_ready"][0], ledger
            assert "ledger: not ready: instance 1: " in format_status(mesh.status())
            metrics = httpx.get(mesh.url + "/_puma/metrics", timeout=5).text  # Prometheus counts it apart too
            assert re.search(r'puma_instances\{service="ledger",state="not_ready"\} 1\.0', metrics), metrics
            assert re.search(r'puma_instances\{service="ledger",state="ready"\} 0\.0', metrics), metrics
            # One meaning of "ready" in the log and the events: its readiness check passes. Up (it
            # started and answers its health check) is said as "up", never as "ready".
            said = [e["message"] for e in mesh.status()["events"] if e["service"] == "ledger"]
            said += [r.getMessage() for r in caplog.records if "ledger" in r.getMessage()]
            assert any(re.match(r"(service ledger: )?instance 1 up at 127\.0\.0\.1:\d+ ", m) for m in said), said
            assert not [m for m in said if re.search(r"(?<!not )(?<!to be )\bready\b", m)], said
    finally:
        os.environ.pop("LEDGER_DB", None) if old is None else os.environ.__setitem__("LEDGER_DB", old)


def test_a_readiness_check_that_cannot_be_imported_fails_the_start_naming_it() -> None:
    app = puma.App()
    app.configure({"puma_services": {"echo": {"prefix": "/echo", "readiness": "tests.apps.nosuch:ping"}}})
    app.add_services({"echo": "tests.apps.basic:echo"})
    # Refused before anything starts, with every other problem (tests/test_run_checks.py).
    with pytest.raises(puma.PumaConfigError, match=r"puma_services.echo.readiness.check: cannot import 'tests.apps.nosuch:ping': "
                                                   r"no module named 'tests.apps.nosuch'"):
        with app.start(listener={"port": 0}):
            pass


@pytest.mark.parametrize("api", ["orm", "core"])
def test_a_refused_late_commit_leaves_nothing_for_the_next_commit_on_its_pooled_connection(tmp_path: Path,
                                                                                           api: str) -> None:
    """The late request's rows must not ride along with the next request's commit on the same
    pooled connection (the ORM handed the connection back still inside the refused transaction)."""
    import sqlite3

    import sqlalchemy as sa
    from sqlalchemy.orm import Session

    from puma import deadlines

    path = tmp_path / "pool.sqlite3"
    engine = puma.guard_commits(sa.create_engine(f"sqlite:///{path}", pool_size=1, max_overflow=0))
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE t (v TEXT)"))

    def write(value: str) -> None:
        if api == "orm":
            with Session(engine) as session:
                session.execute(sa.text("INSERT INTO t VALUES (:v)"), {"v": value})
                session.flush()
                session.commit()
        else:
            with engine.begin() as conn:
                conn.execute(sa.text("INSERT INTO t VALUES (:v)"), {"v": value})

    token = deadlines.start("1", now=time.monotonic() - 1)  # its client gave up a second ago
    try:
        with pytest.raises(deadlines.DeadlineExceeded):
            write("late")
    finally:
        deadlines.finish(token)
    write("next")  # the next request, on the same pooled connection
    with sqlite3.connect(path) as fresh:
        assert fresh.execute("SELECT v FROM t").fetchall() == [("next",)]
    engine.dispose()
