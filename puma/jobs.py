"""The config's `jobs`, run by `puma run` before any service starts: each command to completion,
in order, its output in a log file, one line per job on the terminal.

    job migrate (1/2): chatbot db upgrade ...
    job migrate: done in 1.3 s

A job that fails stops the start with its exit code and the end of its log (the log is kept).
Jobs marked `local: false` are for container targets only and are skipped here. Jobs must be
safe to run again (a migration to the newest revision, a load that skips what is loaded), as on
Kubernetes, where a Job's pod may be retried. Example::

    run_jobs(config.jobs, env=os.environ.copy(), log_dir=Path("/tmp/puma-x/logs"))
"""

from __future__ import annotations

import logging
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import IO

from .config import Job
from .errors import PumaStartError
from .logs import log_tail

log = logging.getLogger(__name__)


def local_jobs(jobs: Sequence[Job]) -> list[Job]:
    """The jobs `puma run` runs: those not marked `local: false`."""
    skipped = [job.name for job in jobs if not job.local]
    if skipped:
        log.debug("jobs for container targets only (local: false), not run here: %s", ", ".join(skipped))
    return [job for job in jobs if job.local]


def run_jobs(jobs: Sequence[Job], *, env: Mapping[str, str], log_dir: Path, out: IO[str] | None = None) -> None:
    """Run `jobs` in order; `PumaStartError` naming the job, its exit code and log if one fails."""
    out = out or sys.stdout
    log_dir.mkdir(parents=True, exist_ok=True)
    for number, job in enumerate(jobs, 1):
        path = log_dir / f"job-{job.name}.log"
        out.write(f"job {job.name} ({number}/{len(jobs)}): {' '.join(job.command)} ...\n")
        out.flush()
        started = time.monotonic()
        code = _run(job, env, path)
        if code != 0:
            raise PumaStartError(f"job {job.name!r} ({' '.join(job.command)}) exited with code {code}; "
                                 "nothing was started\n" + log_tail(path))
        out.write(f"job {job.name}: done in {time.monotonic() - started:.1f} s\n")
        out.flush()


def _run(job: Job, env: Mapping[str, str], path: Path) -> int:
    with path.open("w") as output:
        try:
            return subprocess.run(job.command, env=dict(env), stdout=output, stderr=subprocess.STDOUT,  # noqa: S603 - the app's own argv, no shell
                                  stdin=subprocess.DEVNULL, check=False).returncode
        except OSError as exc:  # not found, not executable
            output.write(f"could not run {job.command[0]!r}: {exc}\n")
            return 127
