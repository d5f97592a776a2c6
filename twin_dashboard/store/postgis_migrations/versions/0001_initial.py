"""The tables of the SQLite store in PostgreSQL's dialect, with PostGIS geometry.

Revision ID: 0001
Revises:
Create Date: 2026-11-30
"""

from twin_dashboard.store import _pg_migrations

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    _pg_migrations.run_sql("0001")  # postgis_schema/0001_initial.sql


def downgrade() -> None:
    raise NotImplementedError("the store's schema only moves forward")
