"""Preparing the chatbot database on start: migrated to the newest schema, data loaded, once.

Every program that serves conversations calls ``ensure_prepared`` first (the PUMA port's db
service, the legacy server, ``chatbot chat``, ``chatbot eval``), so ``make run`` or
``puma run chatbot/puma_app.py`` on a fresh checkout works without a separate step. It returns
at once when the database is at the newest migration and holds the current data (two small
queries); otherwise it does what ``chatbot db upgrade`` and ``chatbot db load`` do, under an
inter-process lock (SQLite: ``flock`` on the file's directory; PostgreSQL: an advisory lock),
so processes starting together prepare it once and the others wait. A SQLite file it created
is removed again if preparing fails, so no empty database is left behind. Example::

    ensure_prepared()              # DATABASE_URL or ./var/chatbot.sqlite3; True if it did work
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from sqlalchemy import Engine, select, text
from sqlalchemy.exc import SQLAlchemyError

from chatbot.db.engine import make_engine, sqlite_file
from chatbot.settings import database_url

log = logging.getLogger(__name__)

FIRST_PREPARE_HINT = "first run: migrating and loading films and ratings, about 25 s"
_PG_LOCK_KEY = 0x63686174626F74  # "chatbot": one advisory lock for every preparing process


def ensure_prepared(url: str | None = None, *, report: Callable[[str], None] | None = None) -> bool:
    """Migrate and load the database at ``url`` unless done; True if it did either.

    ``report`` receives one line before slow work (default: log at INFO). Raises what the
    migration or the load raises (e.g. ``OperationalError`` when PostgreSQL is unreachable).
    """
    url = url or database_url()
    if is_prepared(url):
        return False
    say = report or log.info
    with _exclusive(url, say):
        if is_prepared(url):  # another process prepared it while this one waited
            say("database prepared by another process")
            return False
        path = sqlite_file(url)
        created = path if path is not None and not path.exists() else None
        started = time.monotonic()
        tell = _shared(say, path)  # a process waiting for the lock shows these lines too
        tell(f"preparing the database ({FIRST_PREPARE_HINT})")
        try:
            _prepare(url, tell)
        except BaseException:
            if created is not None:
                _remove_sqlite(created)
            raise
        finally:
            if path is not None:
                _status_file(path).unlink(missing_ok=True)
        say(f"database prepared in {time.monotonic() - started:.1f} s")
    return True


WAIT_POLL_S = 1.0


def _status_file(db: Path) -> Path:
    return db.with_name(f".{db.name}.preparing")


def _shared(say: Callable[[str], None], db: Path | None) -> Callable[[str], None]:
    """`say`, also writing the line where a process waiting for the lock reads it (SQLite only)."""
    if db is None:
        return say

    def tell(line: str) -> None:
        say(line)
        with contextlib.suppress(OSError):
            temp = _status_file(db).with_suffix(".tmp")
            temp.write_text(f"{os.getpid()} {_program()}: {line}")
            os.replace(temp, _status_file(db))

    return tell


def is_prepared(url: str | None = None) -> bool:
    """Whether the database is at the newest migration and holds the current data."""
    url = url or database_url()
    path = sqlite_file(url)
    if path is not None and not path.exists():
        return False
    engine = make_engine(url)
    try:
        return _schema_current(engine) and _data_current(engine)
    except SQLAlchemyError:
        return False
    finally:
        engine.dispose()


def _prepare(url: str, say: Callable[[str], None]) -> None:
    from chatbot.db.migrate import upgrade
    from chatbot.loader import load

    say("migrating the database to the newest schema")
    upgrade(url)
    say("loading films and MovieLens ratings into the database")
    load(url, progress=False, report=say)


def _schema_current(engine: Engine) -> bool:
    # Alembic's own table; read directly, so the common case does not import Alembic.
    from chatbot.db.migrate import HEAD_REVISION

    with engine.connect() as conn:
        versions = conn.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
    return versions == [HEAD_REVISION]


def _data_current(engine: Engine) -> bool:
    from chatbot.db.models import DatasetLoad
    from chatbot.loader import DATASET_NAME, source_version

    with engine.connect() as conn:
        found = conn.execute(select(DatasetLoad.version).where(DatasetLoad.name == DATASET_NAME)).scalar()
    return found == source_version()


@contextlib.contextmanager
def _exclusive(url: str, say: Callable[[str], None]) -> Iterator[None]:
    path = sqlite_file(url)
    if path is not None:
        said: list[str] = []
        with _directory_lock(path.parent, lambda: _waiting(say, path, said)):
            yield
    elif url.startswith("postgresql"):
        with _advisory_lock(url):
            yield
    else:
        yield  # no lock for other databases: run the preparation from one process


def _program() -> str:
    """What this process is, in a word a user knows: its main module's package (e.g.
    legacy_socket_server), else its script's name."""
    import sys

    spec = getattr(sys.modules.get("__main__"), "__spec__", None)
    name = spec.name.split(".")[0] if spec is not None else Path(sys.argv[0] if sys.argv else "").stem
    # `python -c ...` has "-c" for a script: no name a user knows, so the interpreter's
    return name if name and not name.startswith("-") else "python"


def _waiting(say: Callable[[str], None], db: Path, said: list[str]) -> None:
    """A line while another process holds the lock: what it is doing, as far as it got (when that
    changed: `said` holds the last line)."""
    try:
        pid, _, rest = _status_file(db).read_text().partition(" ")
    except OSError:
        pid, rest = "", ""
    program, _, doing = rest.partition(": ")
    holder = f"{program or 'another process'} (pid {pid})" if pid.isdigit() else "another process"
    # Why a program waits for another (PUMA's db for the legacy server, say) is the database they
    # share, prepared once under a lock: said first, as a cut line on a narrow terminal keeps it.
    line = (f"waiting for the shared database: {holder} is preparing it (once, for every program that uses it)"
            + (f": {doing}" if doing else ""))
    if said[-1:] != [line]:
        said.append(line)
        say(line)


@contextlib.contextmanager
def _directory_lock(directory: Path, waiting: Callable[[], None] = lambda: None) -> Iterator[None]:
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise OSError(f"cannot create the database's directory {directory} ({error.strerror}); "
                      "set DATABASE_URL to a SQLite file in a writable directory") from None
    fd = os.open(directory, os.O_RDONLY)
    try:
        while True:  # held by another process: say what it is doing each second, until it is done
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                waiting()
                time.sleep(WAIT_POLL_S)
        yield
    finally:
        os.close(fd)  # closing releases the lock


@contextlib.contextmanager
def _advisory_lock(url: str) -> Iterator[None]:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT pg_advisory_lock(:key)"), {"key": _PG_LOCK_KEY})
            try:
                yield
            finally:
                conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": _PG_LOCK_KEY})
    finally:
        engine.dispose()


def _remove_sqlite(path: Path) -> None:
    for leftover in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        leftover.unlink(missing_ok=True)
    log.info("removed %s: preparing it failed", path)
