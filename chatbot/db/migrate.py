"""Run the Alembic migrations in ``db/migrations`` from code, independent of the cwd."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

from chatbot.settings import database_url

if TYPE_CHECKING:  # Alembic is imported when migrating, not to read HEAD_REVISION
    from alembic.config import Config

log = logging.getLogger(__name__)

REPO_ROOT = Path(__file__).resolve().parents[2]
MIGRATIONS_DIR = REPO_ROOT / "db" / "migrations"
# The newest migration, so a start can check the schema without importing Alembic (~0.2 s);
# a test fails when a migration is added without updating it.
HEAD_REVISION = "0003"


def alembic_config(url: str | None = None) -> Config:
    """An Alembic ``Config`` for ``url`` built in code (no ``alembic.ini`` lookup).

    The URL travels in ``config.attributes`` rather than the ini option, so ``%`` in a
    password needs no escaping. Example: ``command.current(alembic_config())``.
    """
    from alembic.config import Config

    if not MIGRATIONS_DIR.is_dir():
        raise FileNotFoundError(
            f"migrations not found at {MIGRATIONS_DIR}: run from a source checkout "
            "(pip install -e .) so db/migrations is present"
        )
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["database_url"] = url or database_url()
    return config


def upgrade(url: str | None = None, revision: str = "head") -> None:
    """Migrate the database at ``url`` (default: settings) to ``revision``.

    Example: ``upgrade("sqlite:///tmp/chatbot.sqlite3")``.
    """
    from alembic import command

    from chatbot.db.engine import sqlite_file

    config = alembic_config(url)
    path = sqlite_file(config.attributes["database_url"])
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
    log.info("migrating %s to %s", _redacted(config.attributes["database_url"]), revision)
    command.upgrade(config, revision)


def _redacted(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)
