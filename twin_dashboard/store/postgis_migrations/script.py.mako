"""${message}

Revision ID: ${up_revision}
Revises: ${down_revision | comma,n}
Create Date: ${create_date}
"""

from twin_dashboard.store import _pg_migrations

revision = ${repr(up_revision)}
down_revision = ${repr(down_revision)}
branch_labels = None
depends_on = None


def upgrade() -> None:
    _pg_migrations.run_sql("${up_revision}")  # postgis_schema/<revision>_*.sql


def downgrade() -> None:
    raise NotImplementedError("the store's schema only moves forward")
