"""A run's logs: the last lines of one, shown in an error; and what makes a run's logs worth
keeping (a traceback or an ERROR line in one, one too large to read)."""

from __future__ import annotations

import contextlib
import logging
import re
from pathlib import Path

TRACEBACK_MARK = b"Traceback (most recent call last)"
# An instance's log line at ERROR or worse ("<time> svc[pid] ERROR ..."): a 500 is logged so, with or
# without a traceback (a reply that is no reply, a call that cannot succeed).
ERROR_LINE = re.compile(rb"\] (?:ERROR|CRITICAL) ")
MAX_SCANNED_LOG_BYTES = 64 << 20  # a log larger than this is kept unread: worth reading anyway


def log_tail(path: Path, lines: int = 12) -> str:
    """The last `lines` lines of the log at `path`, indented under its path (one block of text).

    >>> log_tail(Path("/tmp/puma-x/logs/db.log"))       # doctest: +SKIP
    '  last lines of /tmp/puma-x/logs/db.log (kept):\\n    Traceback ...\\n'
    """
    try:
        tail = path.read_text(errors="replace").splitlines()[-lines:]
    except OSError:
        tail = []
    body = "".join(f"    {line}\n" for line in tail) or "    (empty)\n"
    return f"  last lines of {path} (kept):\n{body}"


def problems(logs_dir: Path) -> list[str]:
    """One line per log under `logs_dir` worth a look: with a traceback or an ERROR line
    ("errors in db.log"), or too large to read ("db.log is over 64 MiB"); [] for clean logs."""
    found = []
    for path in sorted(logs_dir.glob("*.log")):
        with contextlib.suppress(OSError):
            if path.stat().st_size > MAX_SCANNED_LOG_BYTES:
                found.append(f"{path.name} is over {MAX_SCANNED_LOG_BYTES >> 20} MiB")
                continue
            text = path.read_bytes()
            if TRACEBACK_MARK in text or ERROR_LINE.search(text):
                found.append(f"errors in {path.name}")
    return found


def any_written(run_dir: Path) -> bool:
    """Whether anything ran that wrote a log (a refused start, e.g. a missing image, wrote none)."""
    return any(p.is_file() and p.stat().st_size for p in run_dir.rglob("*.log"))


SERVICE_LOG_FORMAT = "%(asctime)s {service}[%(process)d] %(levelname)s %(source)s%(message)s"


class NamedSource(logging.Filter):
    """Gives each record of a service's log its `source`: the app's (or a library's) logger name,
    as it wrote it (`sensorhub.calibration: loading tables`), and nothing for PUMA's own lines."""

    def filter(self, record: logging.LogRecord) -> bool:
        own = record.name == "root" or record.name.split(".", 1)[0] == "puma"
        record.source = "" if own else f"{record.name}: "
        return True


def configure_service_log(service: str, level: str) -> None:
    """The log of a service's processes (its zygote, its instances): one line per record, naming
    the service, the pid, the level and, for a line the app wrote, its logger."""
    logging.basicConfig(level=level, format=SERVICE_LOG_FORMAT.format(service=service))
    for handler in logging.getLogger().handlers:
        handler.addFilter(NamedSource())
