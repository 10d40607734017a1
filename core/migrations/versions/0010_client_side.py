"""the client side: client users bound to a company, invitations, what the office allows, client programs and the
documents they exchange through the intake API

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-30 04:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("app_user") as batch:
        batch.add_column(sa.Column("client_id", sa.Integer(), nullable=True))
        batch.create_index("ix_app_user_client_id", ["client_id"], unique=False)
        batch.create_foreign_key("fk_app_user_client_id_client", "client", ["client_id"], ["id"])
    op.create_table(
        "client_invitation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("office_id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("full_name", sa.String(length=200), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("invited_by", sa.String(length=64), nullable=False),
        sa.Column("sent_count", sa.Integer(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("accepted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["client_id"], ["client.id"], name="fk_client_invitation_client_id_client"),
        sa.ForeignKeyConstraint(["office_id"], ["office.id"], name="fk_client_invitation_office_id_office"),
        sa.ForeignKeyConstraint(["user_id"], ["app_user.id"], name="fk_client_invitation_user_id_app_user"),
        sa.PrimaryKeyConstraint("id", name="pk_client_invitation"),
        sa.UniqueConstraint("token_hash", name="uq_client_invitation_token_hash"),
    )
    op.create_index("ix_client_invitation_client_id", "client_invitation", ["client_id"])
    op.create_index("ix_client_invitation_office_id", "client_invitation", ["office_id"])
    op.create_table(
        "client_access",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("view_documents", sa.Boolean(), nullable=False),
        sa.Column("authenticate_link", sa.Boolean(), nullable=False),
        sa.Column("send_invoices", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["client_id"], ["client.id"], name="fk_client_access_client_id_client"),
        sa.PrimaryKeyConstraint("id", name="pk_client_access"),
        sa.UniqueConstraint("client_id", name="uq_client_access_client_id"),
    )
    op.create_table(
        "client_program",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("office_id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("failed_logins", sa.Integer(), nullable=False),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_contact_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.String(length=1000), nullable=False),
        sa.Column("removed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["client_id"], ["client.id"], name="fk_client_program_client_id_client"),
        sa.ForeignKeyConstraint(["office_id"], ["office.id"], name="fk_client_program_office_id_office"),
        sa.PrimaryKeyConstraint("id", name="pk_client_program"),
        sa.UniqueConstraint("client_id", "name", name="uq_client_program_client_id_name"),
    )
    op.create_index("ix_client_program_client_id", "client_program", ["client_id"])
    op.create_index("ix_client_program_office_id", "client_program", ["office_id"])
    op.create_table(
        "intake_token",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("program_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["program_id"], ["client_program.id"], name="fk_intake_token_program_id_client_program"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_intake_token"),
        sa.UniqueConstraint("token_hash", name="uq_intake_token_token_hash"),
    )
    op.create_index("ix_intake_token_program_id", "intake_token", ["program_id"])
    op.create_table(
        "intake_document",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("program_id", sa.Integer(), nullable=False),
        sa.Column("invoice_id", sa.Integer(), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("idempotency_key", sa.String(length=128), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["client_id"], ["client.id"], name="fk_intake_document_client_id_client"),
        sa.ForeignKeyConstraint(["invoice_id"], ["invoice.id"], name="fk_intake_document_invoice_id_invoice"),
        sa.ForeignKeyConstraint(
            ["program_id"], ["client_program.id"], name="fk_intake_document_program_id_client_program"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_intake_document"),
        sa.UniqueConstraint("client_id", "content_hash", name="uq_intake_document_client_id_content_hash"),
        sa.UniqueConstraint("invoice_id", name="uq_intake_document_invoice_id"),
    )
    op.create_index("ix_intake_document_client_id", "intake_document", ["client_id"])
    op.create_index("ix_intake_document_program_id", "intake_document", ["program_id"])
    op.create_table(
        "intake_ack",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("program_id", sa.Integer(), nullable=False),
        sa.Column("invoice_id", sa.Integer(), nullable=False),
        sa.Column("acknowledged_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["invoice_id"], ["invoice.id"], name="fk_intake_ack_invoice_id_invoice"),
        sa.ForeignKeyConstraint(["program_id"], ["client_program.id"], name="fk_intake_ack_program_id_client_program"),
        sa.PrimaryKeyConstraint("id", name="pk_intake_ack"),
        sa.UniqueConstraint("program_id", "invoice_id", name="uq_intake_ack_program_id_invoice_id"),
    )
    op.create_index("ix_intake_ack_program_id", "intake_ack", ["program_id"])


def downgrade() -> None:
    for table in ("intake_ack", "intake_document", "intake_token", "client_program", "client_access"):
        op.drop_table(table)
    op.drop_table("client_invitation")
    with op.batch_alter_table("app_user") as batch:
        batch.drop_constraint("fk_app_user_client_id_client", type_="foreignkey")
        batch.drop_index("ix_app_user_client_id")
        batch.drop_column("client_id")
