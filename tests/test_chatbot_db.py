"""The chatbot database: settings, migrations, the loader and the `chatbot db` commands."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, func, inspect, select, text
from sqlalchemy.exc import IntegrityError

from chatbot import settings
from chatbot.catalog import normalise_mpaa
from chatbot.cli import main
from chatbot.db import (
    Base,
    ChatSession,
    MlRating,
    Movie,
    Person,
    SurveyAnswer,
    Transcript,
    make_engine,
    make_session_factory,
    upgrade,
)
from chatbot.loader import load, match_movie, split_names


@pytest.fixture
def empty_db_url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'fresh.sqlite3'}"
    upgrade(url)
    return url


@pytest.fixture
def engine_for() -> Iterator[Callable[[str], Engine]]:
    """Engines for URLs, disposed after the test (no leaked connections)."""
    engines: list[Engine] = []

    def make(url: str) -> Engine:
        engines.append(make_engine(url))
        return engines[-1]

    yield make
    for engine in engines:
        engine.dispose()


def test_settings_database_url_defaults_to_sqlite_under_var(tmp_path, monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.chdir(tmp_path)
    assert settings.database_url() == f"sqlite:///{tmp_path / 'var' / 'chatbot.sqlite3'}"
    assert not (tmp_path / "var").exists()  # naming the database creates nothing
    assert main(["db", "upgrade"]) == 0
    assert (tmp_path / "var" / "chatbot.sqlite3").is_file()


def test_settings_database_url_comes_from_env(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg2://u:p@db:5432/chatbot")
    assert settings.database_url() == "postgresql+psycopg2://u:p@db:5432/chatbot"


def test_db_migration_matches_models(chatbot_db_url, engine_for):
    with engine_for(chatbot_db_url).connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []


def test_db_upgrade_creates_session_store_tables(empty_db_url, engine_for):
    tables = set(inspect(engine_for(empty_db_url)).get_table_names())
    assert {"chat_sessions", "transcripts", "survey_answers", "movies", "ml_ratings"} <= tables


def test_db_chat_session_version_defaults_to_zero(empty_db_url, engine_for):
    with engine_for(empty_db_url).begin() as conn:
        conn.execute(text("INSERT INTO chat_sessions (id, state) VALUES (:id, :state)"),
                     {"id": "abc", "state": "{}"})
        assert conn.execute(select(ChatSession.version)).scalar_one() == 0


def test_db_transcript_and_survey_round_trip(empty_db_url, engine_for):
    history = [{"c": ["Hi, I'm Chatbot."], "u": ["hello"]}]
    sessions = make_session_factory(engine_for(empty_db_url))
    with sessions.begin() as session:
        session.add(Transcript(userid="u1", history=json.dumps(history)))
        session.add(SurveyAnswer(userid="u1", liked=5, engagement=4, chatbot_before=False,
                                 comments="It's good"))
    with sessions() as session:
        assert json.loads(session.get(Transcript, "u1").history) == history
        answer = session.scalars(select(SurveyAnswer)).one()
        assert (answer.id, answer.liked, answer.comments) == (1, 5, "It's good")


def test_db_survey_rejects_scores_outside_1_to_5(empty_db_url, engine_for):
    sessions = make_session_factory(engine_for(empty_db_url))
    with pytest.raises(IntegrityError), sessions.begin() as session:
        session.add(SurveyAnswer(userid="u1", liked=6, engagement=3))


def test_loader_second_run_does_nothing(chatbot_db_url, engine_for):
    report = load(chatbot_db_url, progress=False)
    assert not report.loaded
    with engine_for(chatbot_db_url).connect() as conn:
        assert conn.execute(select(func.count()).select_from(Movie)).scalar_one() > 17000
        assert conn.execute(select(func.count()).select_from(MlRating)).scalar_one() == 100_004


def test_loader_force_replaces_cleanly_and_joins_most_ratings(chatbot_db_url, engine_for):
    report = load(chatbot_db_url, force=True, progress=False)
    assert report.loaded and report.ratings == 100_004
    assert report.match_rate >= 0.9
    with engine_for(chatbot_db_url).connect() as conn:
        assert conn.execute(select(func.count()).select_from(Movie)).scalar_one() == report.movies


def test_loader_name_with_apostrophe_round_trips(chatbot_db_url, engine_for):
    sessions = make_session_factory(engine_for(chatbot_db_url))
    with sessions() as session:
        person = session.scalars(select(Person).where(Person.name == "Carroll O'Connor")).one()
    assert person.name == "Carroll O'Connor"


def test_loader_split_names_keeps_suffixes_together():
    assert split_names("Robert Downey, Jr., Ed Harris, Ed Harris") == [
        "Robert Downey Jr.", "Ed Harris"
    ]
    assert split_names(None) == []


@pytest.mark.parametrize(
    ("given", "expected"),
    [("PG-13", "PG-13"), ("pg 13", "PG-13"), ("NC17", "NC-17"), ("GP", "PG"), ("X", "NC-17"),
     ("R", "R"), ("N/A", None), ("Unrated", None), ("Not Rated", None), (None, None)],
)
def test_loader_normalises_mpaa_ratings(given, expected):
    assert normalise_mpaa(given) == expected


def test_loader_matches_movielens_titles_with_articles_and_alternatives():
    lookup = {("deer hunter", 1978): 1, ("cinema paradiso", 1988): 2}
    assert match_movie(lookup, "Deer Hunter, The", 1978) == 1
    assert match_movie(lookup, "Cinema Paradiso (Nuovo cinema Paradiso)", 1989) == 2
    assert match_movie(lookup, "Deer Hunter, The", 1990) is None


def test_cli_db_upgrade_uses_database_url(tmp_path, monkeypatch, engine_for):
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'cli.sqlite3'}")
    monkeypatch.chdir(tmp_path)  # the migrations must not depend on the cwd
    assert main(["db", "upgrade"]) == 0
    assert "chat_sessions" in inspect(engine_for(settings.database_url())).get_table_names()


def test_cli_reports_unmigrated_database_without_traceback(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'empty.sqlite3'}")
    assert main(["db", "load", "--no-progress"]) == 1
    err = capsys.readouterr().err
    assert "chatbot db upgrade" in err and "Traceback" not in err
    assert not (tmp_path / "empty.sqlite3").exists()  # no empty database left behind
