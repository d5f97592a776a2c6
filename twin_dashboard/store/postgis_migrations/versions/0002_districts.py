"""Layer rows carry their district; the district its English name (several districts).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-30
"""

from twin_dashboard.store import _pg_migrations

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    _pg_migrations.run_sql("0002")  # postgis_schema/0002_districts.sql


def downgrade() -> None:
    raise NotImplementedError("the store's schema only moves forward")
