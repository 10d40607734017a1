"""invoice original KSeF number and file name

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 21:24:48.187302
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("invoice", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("original_ksef_number", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=True)
        )
        # Existing rows get an empty file name: an upgrade never loses or refuses data.
        batch_op.add_column(
            sa.Column("file_name", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False, server_default="")
        )


def downgrade() -> None:
    with op.batch_alter_table("invoice", schema=None) as batch_op:
        batch_op.drop_column("file_name")
        batch_op.drop_column("original_ksef_number")
