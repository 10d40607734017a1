"""usage summaries per office day and per package month

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22 22:20:59.808764
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes  # noqa: F401  (autogenerate renders AutoString through it)
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "usage_office_daily",
        sa.Column("office_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["office_id"], ["office.id"], name=op.f("fk_usage_office_daily_office_id_office")),
        sa.PrimaryKeyConstraint("office_id", "day", "kind", name=op.f("pk_usage_office_daily")),
    )
    op.create_table(
        "usage_period",
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("office_id", sa.Integer(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["client_id"], ["client.id"], name=op.f("fk_usage_period_client_id_client")),
        sa.ForeignKeyConstraint(["office_id"], ["office.id"], name=op.f("fk_usage_period_office_id_office")),
        sa.PrimaryKeyConstraint("client_id", "period_start", "kind", name=op.f("pk_usage_period")),
    )
    with op.batch_alter_table("usage_period", schema=None) as batch_op:
        batch_op.create_index("ix_usage_period_office_period", ["office_id", "period_start"], unique=False)

    # Existing usage carries over: the office's daily totals are derived from the per-client rollup at once
    # (the current package month's per-client totals are rebuilt by the worker's next rollup, every minute).
    op.execute(
        "INSERT INTO usage_office_daily (office_id, day, kind, count) "
        "SELECT office_id, day, kind, SUM(count) FROM usage_daily GROUP BY office_id, day, kind"
    )


def downgrade() -> None:
    with op.batch_alter_table("usage_period", schema=None) as batch_op:
        batch_op.drop_index("ix_usage_period_office_period")

    op.drop_table("usage_period")
    op.drop_table("usage_office_daily")
