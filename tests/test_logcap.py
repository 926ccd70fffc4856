"""Each service's log is capped (`log_max_bytes`): its newest lines move to `<service>.log.1`,
the log starts again, and a service that writes faster than its cap holds is warned about once.
Unit tests of `puma.logcap.rotate`/`LogCap.check` on real files, then a real deployment whose
services log and print far past their caps."""

from __future__ import annotations

import logging
import os
import subprocess
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import httpx
import pytest

import puma
from puma import logcap
from puma.errors import PumaConfigError
from puma.logcap import LogCap, rotate
from tests.apps import chatty
from tests.helpers import wait_for


def _lines(n0: int, n1: int) -> bytes:
    return b"".join(b"line %06d %s\n" % (n, b"x" * 87) for n in range(n0, n1))  # 100 bytes each


def test_logcap_rotate_keeps_the_newest_whole_lines_and_empties_the_log(tmp_path):
    path = tmp_path / "svc.log"
    path.write_bytes(_lines(0, 1000))  # 100 KB
    (tmp_path / "svc.log.1").write_bytes(b"an older rotation\n")
    assert rotate(path, 10_000) == 100_000
    kept = (tmp_path / "svc.log.1").read_bytes()
    assert kept.endswith(_lines(999, 1000)) and kept.startswith(b"line ") and len(kept) <= 10_000
    assert kept == _lines(1000 - len(kept) // 100, 1000)  # whole lines, the newest, none cut
    assert path.stat().st_size == 0 and not list(tmp_path.glob(".*tmp"))


def test_logcap_an_appending_writer_carries_on_at_the_start_of_the_emptied_log(tmp_path):
    path = tmp_path / "svc.log"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)  # as an instance's stderr
    try:
        os.write(fd, _lines(0, 500))
        rotate(path, 1_000)
        os.write(fd, _lines(500, 501))
    finally:
        os.close(fd)
    assert path.read_bytes() == _lines(500, 501)  # no hole of zeros where the old end was


def test_logcap_a_log_shorter_than_its_cap_moves_whole(tmp_path):
    path = tmp_path / "svc.log"
    path.write_bytes(_lines(0, 3))
    rotate(path, 1 << 20)
    assert (tmp_path / "svc.log.1").read_bytes() == _lines(0, 3) and path.read_bytes() == b""


class _Owner:
    def __init__(self, run_dir: Path, caps: dict[str, int]) -> None:
        self.run_dir, self.stopping = run_dir, False
        self.pools = {name: SimpleNamespace(log_path=run_dir / "logs" / f"{name}.log",
                                            service=SimpleNamespace(log_max_bytes=cap)) for name, cap in caps.items()}
        self.events: list[dict[str, Any]] = []

    def record(self, service: str, message: str, **data: Any) -> None:
        self.events.append({"service": service, "message": message, **data})


def test_logcap_check_rotates_each_log_past_its_own_cap_and_warns_once_when_written_fast(tmp_path, caplog):
    owner = _Owner(tmp_path, {"chatty": 50_000, "quiet": 1 << 20})
    (tmp_path / "logs").mkdir()
    cap = LogCap(owner)
    assert cap.check(0.0) == []  # nothing yet
    for round_ in range(3):
        (tmp_path / "logs" / "chatty.log").write_bytes(_lines(0, 600))  # 60 KB: past 50 KB
        (tmp_path / "logs" / "quiet.log").write_bytes(_lines(0, 600))  # under 1 MiB
        assert cap.check(5.0 * (round_ + 1)) == [tmp_path / "logs" / "chatty.log"]
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and len(owner.events) == 1, warnings  # once, not per rotation
    assert "puma_services.chatty.log_max_bytes" in warnings[0] and "chatty.log.1" in warnings[0]
    assert owner.events[0]["kind"] == "log_capped" and owner.events[0]["service"] == "chatty"


def test_logcap_a_log_filled_slowly_is_rotated_without_a_warning(tmp_path, caplog):
    owner = _Owner(tmp_path, {"slow": 50_000})
    (tmp_path / "logs").mkdir()
    cap = LogCap(owner)
    cap.check(0.0)
    (tmp_path / "logs" / "slow.log").write_bytes(_lines(0, 600))
    assert cap.check(3600.0) == [tmp_path / "logs" / "slow.log"]  # an hour to fill it: no warning
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING] and not owner.events


def test_logcap_on_a_full_disk_the_log_is_still_emptied(tmp_path):
    where = tmp_path / "small"
    where.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(where)], check=False,
                      capture_output=True).returncode:
        pytest.skip("cannot mount a tmpfs (needs root)")
    try:
        path = where / "svc.log"
        with open(path, "wb", buffering=0) as out, pytest.raises(OSError, match="No space left"):
            for n in range(100_000):
                out.write(_lines(n, n + 1))
        rotate(path, 512 << 10)  # no room for the .1 copy: dropped, the log emptied all the same
        assert path.stat().st_size == 0 and not list(where.glob(".*tmp"))
        path.write_bytes(_lines(0, 10))  # room again
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False)


@pytest.mark.parametrize("bad", [0, 1000, -5, "big"])
def test_logcap_a_cap_too_small_or_not_a_size_is_a_config_error_naming_the_key(bad):
    with pytest.raises(PumaConfigError, match=r"puma_services\.s\.log_max_bytes"):
        puma.puma_config({"puma_services": {"s": {"prefix": "/s", "target": "m:f", "log_max_bytes": bad}}})


def test_logcap_chatty_services_logs_stay_under_their_caps_and_the_supervisor_warns(caplog):
    caplog.set_level(logging.WARNING, logger="puma.logcap")
    cap = 256 << 10
    app = puma.App()
    app.configure({"puma_services": {"noisy": {"prefix": "/noisy", "log_max_bytes": cap},
                                     "printer": {"prefix": "/printer", "log_max_bytes": cap}}})
    app.add_services({"noisy": chatty.noisy, "printer": chatty.printer})
    with app.start(listener={"port": 0}) as mesh, httpx.Client(base_url=mesh.url, timeout=30) as http:
        logs = mesh.run_dir / "logs"
        for n in range(40):  # 40 x 100 KiB = 4 MiB each, 16 times the cap
            assert http.post("/noisy", json={"kb": 100, "start": n * 100}).status_code == 200
            assert http.post("/printer", json={"kb": 100}).status_code == 200
        wait_for(lambda: len([e for e in mesh.status()["events"] if e.get("kind") == "log_capped"]) == 2,
                 timeout_s=10, message="a warning for each chatty service")
        def on_disk(name: str) -> int:
            return sum(p.stat().st_size for p in logs.glob(f"{name}.log*"))

        # Bounded once a check has run after the writes (while they run, by twice the cap plus what
        # is written between two checks: on a loaded machine the checker's 0.5 s can stretch).
        wait_for(lambda: all(on_disk(name) <= 2 * cap for name in ("noisy", "printer")), timeout_s=10,
                 message="each chatty service's logs within twice its cap")
        for name in ("noisy", "printer"):
            assert (logs / f"{name}.log.1").stat().st_size > 0
        newest = (logs / "noisy.log").read_text() + (logs / "noisy.log.1").read_text()
        assert "line 00003999" in newest and "line 00000000" not in newest  # the newest lines kept
        said = [r.getMessage() for r in caplog.records if r.name == "puma.logcap"]
        assert len(said) == 2 and all("faster than its cap" in m for m in said), said


def test_logcap_a_nearly_full_disk_rotates_every_log_at_one_mib_whatever_its_cap(tmp_path, caplog):
    where = tmp_path / "small"
    where.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", str(where)], check=False,
                      capture_output=True).returncode:
        pytest.skip("cannot mount a tmpfs (needs root)")
    try:
        owner = _Owner(where, {"chatty": 32 << 20})  # a cap four times the disk
        (where / "logs").mkdir()
        cap = LogCap(owner)
        log_path = where / "logs" / "chatty.log"
        log_path.write_bytes(_lines(0, 30_000))  # 3 MB
        assert cap.check(0.0) == []  # plenty of room: under its cap, left alone
        with open(where / "filler", "wb", buffering=0) as out, pytest.raises(OSError, match="No space left"):
            while True:
                out.write(b"f" * 65536)
        assert cap.check(1.0) == [log_path]
        assert log_path.stat().st_size == 0
        said = [r.getMessage() for r in caplog.records if "nearly full" in r.getMessage()]
        assert len(said) == 1, said
        log_path.write_bytes(_lines(0, 100))  # small logs are left alone even then
        assert cap.check(2.0) == [] and len([r for r in caplog.records if "nearly full" in r.getMessage()]) == 1
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False)


@pytest.mark.parametrize(("bytes_per_s", "said"), [(16 << 20, "16.0 MiB/s"), (27 * 1024, "27 KiB/s"),
                                                   (512 * 1024, "512 KiB/s"), (1 << 20, "1.0 MiB/s")])
def test_logcap_a_small_caps_rate_is_told_in_kib_never_as_zero(bytes_per_s, said):
    # "grew to 0.5 MiB in 19 s (0.0 MiB/s), faster than its cap": a newcomer read the 0.0 as a bug.
    assert logcap._rate(bytes_per_s) == said


def test_logcap_a_worker_hosts_service_log_stays_under_its_cap(tmp_path):
    """`puma worker` hosts (other machines) write their instances' logs in their own run dir: capped too."""
    import signal
    import sys

    cap, secret = 256 << 10, "logcap-worker-secret"
    app = puma.App()
    # No instance on the core: every request is served on the worker host.
    app.configure({"secret": secret, "puma_services": {"noisy": {
        "prefix": "/noisy", "log_max_bytes": cap, "instances": {"min": 0, "max": 2}, "autoscale": {"enabled": False}}}})
    app.add_services({"noisy": chatty.noisy})
    with app.start(listener={"port": 0}) as mesh, httpx.Client(base_url=mesh.url, timeout=30) as http:
        worker = subprocess.Popen([sys.executable, "-m", "puma.cli", "worker", "--join", mesh.url, "--service", "noisy",
                                   "--token", secret], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                  start_new_session=True, env={**os.environ, "TMPDIR": str(tmp_path)})
        try:
            wait_for(lambda: any(i.remote for i in mesh.instances("noisy")), timeout_s=60,
                     message="the worker host's instance")
            # Listed, then routed once Envoy has read its endpoints file (a few ms later).
            wait_for(lambda: http.post("/noisy", json={"kb": 0, "start": 0}).status_code == 200, timeout_s=30,
                     message="the worker host's instance routed")
            for n in range(30):  # 30 x 100 KiB = 3 MiB, 12 times the cap
                reply = http.post("/noisy", json={"kb": 100, "start": n * 100})
                assert reply.status_code == 200, reply.text
            logs = next(tmp_path.glob("puma-worker-*/logs"))

            def on_disk() -> int:
                return sum(p.stat().st_size for p in logs.glob("noisy.log*"))

            wait_for(lambda: on_disk() <= 2 * cap, timeout_s=10, message="the worker's log within twice its cap")
            newest = (logs / "noisy.log").read_text() + (logs / "noisy.log.1").read_text()
            assert "line 00002999" in newest and "line 00000000" not in newest  # the newest lines kept
        finally:
            os.killpg(worker.pid, signal.SIGTERM)
            try:
                worker.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(worker.pid, signal.SIGKILL)
                worker.wait()
