"""The PostGIS store's schema, migrated with Alembic: all pending revisions in one transaction.

Revisions live in ``store/postgis_migrations/versions/`` (``alembic revision`` makes a new one
from ``script.py.mako``); each runs the SQL of ``store/postgis_schema/<revision>_*.sql``, as
there are no ORM models to autogenerate from. Opening a store upgrades to the head in one
transaction holding an advisory lock (``env.py``), so workers starting together do not race and
a failure leaves the database at its old revision. Nothing is written when the database is at
the head already, so a read-only one opens fine (as a read-only SQLite file does).
"""

from __future__ import annotations

import logging
from importlib import resources

import psycopg

log = logging.getLogger(__name__)
PACKAGE = "twin_dashboard.store"
# Any fixed number: the key of the advisory lock that serialises migrations across processes.
MIGRATION_LOCK = 0x7477696E  # "twin"


def _config(connection: object = None):  # -> alembic.config.Config (imported when needed)
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location",
                           str(resources.files(PACKAGE).joinpath("postgis_migrations")))
    config.attributes["connection"] = connection
    return config


def head() -> str:
    """The newest revision shipped."""
    from alembic.script import ScriptDirectory

    found = ScriptDirectory.from_config(_config()).get_current_head()
    assert found is not None, "store/postgis_migrations has no revision"
    return found


def current(conn: psycopg.Connection) -> str | None:
    """The revision a database is at (``None``: a new database)."""
    if conn.execute("SELECT to_regclass('alembic_version')").fetchone()[0] is None:
        return None
    row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
    return row[0] if row else None


def sqlalchemy_url(url: str) -> str:
    """``postgresql://…`` as SQLAlchemy names the psycopg 3 driver."""
    return "postgresql+psycopg://" + url.split("://", 1)[1]


def migrate(conn: psycopg.Connection, url: str) -> list[str]:
    """Upgrade the database of ``url`` to the head; returns ``[old → new]`` or ``[]``."""
    before, target = current(conn), head()
    if before == target:
        return []
    import sqlalchemy
    from alembic import command
    from sqlalchemy.pool import NullPool

    engine = sqlalchemy.create_engine(sqlalchemy_url(url), poolclass=NullPool)
    try:
        with engine.begin() as connection:
            command.upgrade(_config(connection), "head")
    except sqlalchemy.exc.DBAPIError as err:
        raise err.orig from err  # psycopg's own error, as the rest of the store raises
    finally:
        engine.dispose()
    done = f"{before or 'empty'} → {target}"
    log.info("store migrated: %s", done)
    return [done]


def run_sql(revision: str) -> None:
    """Run ``postgis_schema/<revision>_*.sql`` in the migration's connection (a revision's
    ``upgrade``): one script, several statements, PostgreSQL's dialect as written."""
    from alembic import op

    folder = resources.files(PACKAGE).joinpath("postgis_schema")
    (script,) = [f for f in folder.iterdir() if f.name.startswith(f"{revision}_")]
    driver = op.get_bind().connection.driver_connection
    driver.execute(script.read_text(encoding="utf-8"))
