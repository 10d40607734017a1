"""rate lease: one process at a time owns a context's rate-limit budget in memory

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30 04:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "rate_lease",
        sa.Column("environment", sa.String(length=8), nullable=False),
        sa.Column("context_nip", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("owner", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column("until", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("environment", "context_nip", name=op.f("pk_rate_lease")),
    )


def downgrade() -> None:
    op.drop_table("rate_lease")
