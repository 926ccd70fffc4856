"""Fixtures for the chatbot database: one migrated and loaded SQLite file per test session."""

from __future__ import annotations

import pytest

from chatbot.catalog import Catalog


@pytest.fixture(scope="session")
def chatbot_db_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """URL of a SQLite database migrated to head and loaded with the packaged data (~5 s)."""
    from chatbot.db import upgrade
    from chatbot.loader import load

    url = f"sqlite:///{tmp_path_factory.mktemp('chatbot-db') / 'chatbot.sqlite3'}"
    upgrade(url)
    load(url, progress=False)
    return url


@pytest.fixture(scope="session")
def catalog(chatbot_db_url: str) -> Catalog:
    """The whole catalogue in memory, loaded once per test session."""
    return Catalog.load(chatbot_db_url)
