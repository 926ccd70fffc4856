"""A database that is not prepared yet: prepared once on start, never left half-made or empty;
and the fitted recommender's on-disk cache, keyed by what it was fitted from."""

from __future__ import annotations

import dataclasses
import os
import re
import shutil
from pathlib import Path

import pytest
from sqlalchemy import text, update
from sqlalchemy.exc import OperationalError

from chatbot import artefacts
from chatbot.catalog import Catalog
from chatbot.db import upgrade
from chatbot.db.engine import make_engine, sqlite_file
from chatbot.db.migrate import HEAD_REVISION, MIGRATIONS_DIR
from chatbot.db.models import DatasetLoad
from chatbot.db.prepare import ensure_prepared, is_prepared
from chatbot.recommender import Params, Recommender
from chatbot.sessions import SqlSessionStore


@pytest.fixture
def db_copy(chatbot_db_url: str, tmp_path: Path) -> str:
    """A private copy of the prepared session database (tests here change it)."""
    source = sqlite_file(chatbot_db_url)
    assert source is not None
    with make_engine(chatbot_db_url).connect() as conn:  # fold the WAL into the file first
        conn.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
    copy = tmp_path / "db" / "chatbot.sqlite3"
    copy.parent.mkdir()
    shutil.copy(source, copy)
    return f"sqlite:///{copy}"


def test_prepare_head_revision_is_alembics_newest_migration() -> None:
    from alembic.script import ScriptDirectory

    assert ScriptDirectory(str(MIGRATIONS_DIR)).get_heads() == [HEAD_REVISION], \
        "a migration was added: set chatbot.db.migrate.HEAD_REVISION to it"


@pytest.mark.parametrize("use", ["is_prepared", "engine", "catalogue", "session store"])
def test_prepare_reading_a_missing_sqlite_file_creates_nothing(tmp_path: Path, use: str) -> None:
    path = tmp_path / "var" / "chatbot.sqlite3"
    url = f"sqlite:///{path}"
    if use == "is_prepared":
        assert is_prepared(url) is False
    else:
        with pytest.raises(OperationalError, match="unable to open database file"):
            if use == "engine":
                make_engine(url).connect()
            elif use == "catalogue":
                Catalog.load(url)
            else:
                SqlSessionStore(url).get("abc")
    assert not path.exists() and not path.parent.exists()


def test_prepare_is_quick_and_does_nothing_when_prepared(chatbot_db_url: str) -> None:
    assert is_prepared(chatbot_db_url)
    assert ensure_prepared(chatbot_db_url) is False


def test_prepare_sees_data_of_an_older_loader_as_unprepared(db_copy: str) -> None:
    engine = make_engine(db_copy)
    with engine.begin() as conn:
        conn.execute(update(DatasetLoad).values(version="bokeh-sampledata 2025.1; loader 1"))
    engine.dispose()
    assert is_prepared(db_copy) is False


def test_prepare_failing_removes_the_database_it_created(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken_load(*_args: object, **_kwargs: object) -> None:
        raise OSError("No space left on device")

    monkeypatch.setattr("chatbot.loader.load", broken_load)
    path = tmp_path / "fresh.sqlite3"
    with pytest.raises(OSError, match="No space left"):
        ensure_prepared(f"sqlite:///{path}")
    assert not path.exists()
    assert not list(tmp_path.glob("fresh.sqlite3*"))  # nor its -wal and -shm files


def test_prepare_failing_keeps_a_database_it_did_not_create(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "migrated.sqlite3"
    upgrade(f"sqlite:///{path}")  # the user's own file, schema only

    def broken_load(*_args: object, **_kwargs: object) -> None:
        raise OSError("No space left on device")

    monkeypatch.setattr("chatbot.loader.load", broken_load)
    with pytest.raises(OSError):
        ensure_prepared(f"sqlite:///{path}")
    assert path.exists()


def test_prepare_reports_what_it_does_before_the_slow_part(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("chatbot.loader.load", lambda *_a, **_k: None)
    said: list[str] = []
    assert ensure_prepared(f"sqlite:///{tmp_path / 'new.sqlite3'}", report=said.append) is True
    assert said[0].startswith("preparing the database (first run") and said[-1].startswith("database prepared in")


# --- the recommender's cache --------------------------------------------------------------


def test_cache_second_load_reads_the_fitted_model_without_fitting(db_copy: str, monkeypatch: pytest.MonkeyPatch) -> None:
    first = Recommender.load(db_copy)
    path = artefacts.cache_path(db_copy, Params())
    db_file = sqlite_file(db_copy)
    assert path is not None and db_file is not None and path.exists() and path.parent == Path(db_file).parent / "cache"

    def no_fit(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("fitted again despite the cache")

    monkeypatch.setattr(Recommender, "fit", no_fit)
    again = Recommender.load(db_copy)
    candidates = list(range(1, 4000))
    assert again.rank(candidates, like=[42], limit=20) == first.rank(candidates, like=[42], limit=20)
    assert again.similar(42) == first.similar(42)


def test_cache_key_follows_the_data_load_and_the_parameters(db_copy: str) -> None:
    before = artefacts.cache_path(db_copy, Params())
    assert artefacts.cache_path(db_copy, dataclasses.replace(Params(), n_factors=16)) != before
    engine = make_engine(db_copy)
    with engine.begin() as conn:  # what `chatbot db load --force` leaves: a new load record
        conn.execute(update(DatasetLoad).values(rows=DatasetLoad.rows + 1))
    engine.dispose()
    assert artefacts.cache_path(db_copy, Params()) != before


def test_cache_unreadable_file_is_fitted_again_and_replaced(db_copy: str) -> None:
    path = artefacts.cache_path(db_copy, Params())
    assert path is not None
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"not an npz file")
    model = Recommender.load(db_copy)
    assert model.rank(list(range(1, 500)), limit=5)
    assert path.read_bytes()[:2] == b"PK"  # a real .npz (a zip) again


def test_cache_that_cannot_be_written_still_gives_a_model(db_copy: str) -> None:
    db_file = sqlite_file(db_copy)
    assert db_file is not None
    blocker = Path(db_file).parent / "cache"
    blocker.write_text("a file where the cache directory would go")
    assert Recommender.load(db_copy).rank(list(range(1, 500)), limit=5)


def test_cache_not_used_for_an_unprepared_database(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'schema-only.sqlite3'}"
    upgrade(url)
    assert artefacts.cache_path(url, Params()) is None  # no load record: nothing to key on


def test_prepare_in_a_directory_that_cannot_be_made_names_it_and_the_fix(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file")
    with pytest.raises(OSError, match=r"cannot create the database's directory .*not-a-dir/var.*DATABASE_URL"):
        ensure_prepared(f"sqlite:///{blocker / 'var' / 'chatbot.sqlite3'}")


def test_prepare_waiting_for_another_process_says_what_it_does_and_how_far(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Two programs started together (`make run`: the legacy server and PUMA's db service): the one
    # that waits for the other's lock says for whom and how far that one got, not nothing for 40 s.
    import threading

    from chatbot.db import prepare

    release, started = threading.Event(), threading.Event()

    def slow_load(*_args: object, report: object = None, **_kwargs: object) -> None:
        assert callable(report)
        report("writing films and ratings: 40% (4 of 10 rows)")
        started.set()
        release.wait(10)

    monkeypatch.setattr("chatbot.loader.load", slow_load)
    monkeypatch.setattr(prepare, "WAIT_POLL_S", 0.05)
    monkeypatch.setattr(prepare, "is_prepared", lambda url=None: False)
    url = f"sqlite:///{tmp_path / 'shared.sqlite3'}"
    first = threading.Thread(target=ensure_prepared, args=(url,), kwargs={"report": lambda _line: None})
    first.start()
    assert started.wait(10)
    said: list[str] = []
    second = threading.Thread(target=ensure_prepared, args=(url,), kwargs={"report": said.append})
    second.start()
    try:
        from tests.helpers import wait_for
        wait_for(lambda: any("40%" in line for line in said), timeout_s=10, message="the waiter's progress line")
    finally:
        release.set()
        first.join(10)
        second.join(10)
    waiting = [line for line in said if line.startswith("waiting for")]
    assert waiting and "uses it): writing films and ratings: 40%" in waiting[-1], said
    # why it waits (a database shared with another program), then who holds it
    assert re.match(rf"waiting for the shared database: \w+ \(pid {os.getpid()}\) is preparing it", waiting[-1]), \
        waiting[-1]
    assert len(waiting) == len(set(waiting)), f"a line repeated each second: {said}"
    assert not list(tmp_path.glob(".shared.sqlite3.preparing*")), "the status file outlives the preparation"


@pytest.mark.parametrize("holder", ["legacy_socket_server", "puma", "chatbot"])
@pytest.mark.parametrize("width", [72, 80, 100])
def test_prepare_waiting_line_says_the_database_is_shared_even_on_a_narrow_terminal(
        tmp_path: Path, holder: str, width: int) -> None:
    """PUMA's db "waiting for legacy_socket_server (pid N) preparing the database" left a newcomer
    asking why PUMA waits for the monolith: the line says first that they share the database, which
    is prepared once, and that reason survives the start-up line's cut in 60-100 columns."""
    from chatbot.db import prepare
    from puma.waiting import describe

    db = tmp_path / "chatbot.sqlite3"
    prepare._status_file(db).write_text(f"4242 {holder}: writing films and ratings: 40% (4 of 10 rows)")
    said: list[str] = []
    prepare._waiting(said.append, db, [])
    assert said[0].startswith(f"waiting for the shared database: {holder} (pid 4242) is preparing it"), said
    assert "once" in said[0] and said[0].endswith("writing films and ratings: 40% (4 of 10 rows)"), said
    line = describe({"db": said[0], "agent": "waiting for the db service", "web": "importing"}, 9.0,
                    ready=(5, 8), width=width)
    assert len(line) <= width and "db: waiting for the shared database" in line, line
