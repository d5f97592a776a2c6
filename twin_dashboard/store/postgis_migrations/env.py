"""Alembic's environment for the PostGIS store: run in the caller's connection and transaction.

``store/_pg_migrations.py`` opens the transaction and hands its connection over in
``config.attributes["connection"]``, so every pending revision, the advisory lock that keeps
workers starting together from racing, and the ``alembic_version`` row commit together or not
at all. There are no ORM models: revisions are SQL (``store/postgis_schema/``).
"""

from __future__ import annotations

from alembic import context

from twin_dashboard.store._pg_migrations import MIGRATION_LOCK

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=None)
with context.begin_transaction():
    connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({MIGRATION_LOCK})")
    context.run_migrations()
