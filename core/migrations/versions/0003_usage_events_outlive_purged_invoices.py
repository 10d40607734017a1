"""usage events outlive purged invoices

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22 21:54:02.985962
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes  # noqa: F401  (autogenerate renders AutoString through it)
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("usage_event", schema=None) as batch_op:
        batch_op.alter_column("invoice_id", existing_type=sa.INTEGER(), nullable=True)
        batch_op.drop_constraint(batch_op.f("fk_usage_event_invoice_id_invoice"), type_="foreignkey")
        batch_op.create_foreign_key(
            batch_op.f("fk_usage_event_invoice_id_invoice"), "invoice", ["invoice_id"], ["id"], ondelete="SET NULL"
        )


def downgrade() -> None:
    with op.batch_alter_table("usage_event", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_usage_event_invoice_id_invoice"), type_="foreignkey")
        batch_op.create_foreign_key(batch_op.f("fk_usage_event_invoice_id_invoice"), "invoice", ["invoice_id"], ["id"])
        batch_op.alter_column("invoice_id", existing_type=sa.INTEGER(), nullable=False)
