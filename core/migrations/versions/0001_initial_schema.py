"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-22 21:06:04.571807
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "environment_status",
        sa.Column("environment", sa.String(length=8), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("messages", sa.JSON(), nullable=False),
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("environment", name=op.f("pk_environment_status")),
    )
    op.create_table(
        "office",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("nip", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("account_id", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("default_environment", sa.String(length=8), nullable=False),
        sa.Column("sync_interval_minutes", sa.Integer(), nullable=False),
        sa.Column("schedule", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_office")),
        sa.UniqueConstraint("account_id", name=op.f("uq_office_account_id")),
    )
    op.create_table(
        "rate_limit",
        sa.Column("environment", sa.String(length=8), nullable=False),
        sa.Column("context_nip", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("group", sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
        sa.Column("per_second", sa.Integer(), nullable=False),
        sa.Column("per_minute", sa.Integer(), nullable=False),
        sa.Column("per_hour", sa.Integer(), nullable=False),
        sa.Column("blocked_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("environment", "context_nip", "group", name=op.f("pk_rate_limit")),
    )
    op.create_table(
        "rate_slot",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("environment", sa.String(length=8), nullable=False),
        sa.Column("context_nip", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("group", sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rate_slot")),
    )
    with op.batch_alter_table("rate_slot", schema=None) as batch_op:
        batch_op.create_index("ix_rate_slot_key_at", ["environment", "context_nip", "group", "at"], unique=False)

    op.create_table(
        "scheduler_lease",
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("owner", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_scheduler_lease")),
    )
    op.create_table(
        "app_user",
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("full_name", sa.String(length=200), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("language", sa.String(length=2), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("office_id", sa.Integer(), nullable=False),
        sa.Column("password_hash", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column("failed_logins", sa.Integer(), nullable=False),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_login_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("disabled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["office_id"], ["office.id"], name=op.f("fk_app_user_office_id_office")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_app_user")),
        sa.UniqueConstraint("username", name=op.f("uq_app_user_username")),
    )
    with op.batch_alter_table("app_user", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_app_user_office_id"), ["office_id"], unique=False)

    op.create_table(
        "client",
        sa.Column("nip", sa.String(length=10), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("erp_id", sa.String(length=100), nullable=False),
        sa.Column("environment", sa.String(length=8), nullable=False),
        sa.Column("notes", sa.String(length=2000), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("office_id", sa.Integer(), nullable=False),
        sa.Column("link_status", sa.String(length=16), nullable=False),
        sa.Column("archived_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["office_id"], ["office.id"], name=op.f("fk_client_office_id_office")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_client")),
        sa.UniqueConstraint("office_id", "nip", name=op.f("uq_client_office_id_nip")),
    )
    with op.batch_alter_table("client", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_client_archived_at"), ["archived_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_client_link_status"), ["link_status"], unique=False)
        batch_op.create_index(batch_op.f("ix_client_office_id"), ["office_id"], unique=False)

    op.create_table(
        "notification_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("office_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("dedup_key", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("recipients", sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
        sa.Column("subject", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("error", sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["office_id"], ["office.id"], name=op.f("fk_notification_log_office_id_office")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification_log")),
        sa.UniqueConstraint("dedup_key", name=op.f("uq_notification_log_dedup_key")),
    )
    with op.batch_alter_table("notification_log", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_notification_log_office_id"), ["office_id"], unique=False)

    op.create_table(
        "notification_setting",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("office_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("recipients", sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
        sa.ForeignKeyConstraint(["office_id"], ["office.id"], name=op.f("fk_notification_setting_office_id_office")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification_setting")),
        sa.UniqueConstraint("office_id", "kind", name=op.f("uq_notification_setting_office_id_kind")),
    )
    op.create_table(
        "package",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("office_id", sa.Integer(), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("monthly_limit", sa.Integer(), nullable=False),
        sa.Column("billing_day", sa.Integer(), nullable=False),
        sa.Column("exhausted_policy", sa.String(length=8), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["office_id"], ["office.id"], name=op.f("fk_package_office_id_office")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_package")),
        sa.UniqueConstraint("office_id", name=op.f("uq_package_office_id")),
    )
    op.create_table(
        "smtp_settings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("office_id", sa.Integer(), nullable=False),
        sa.Column("host", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column("port", sa.Integer(), nullable=False),
        sa.Column("security", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("sender", sqlmodel.sql.sqltypes.AutoString(length=254), nullable=False),
        sa.Column("username", sqlmodel.sql.sqltypes.AutoString(length=254), nullable=False),
        sa.Column("password_ciphertext", sa.LargeBinary(), nullable=True),
        sa.ForeignKeyConstraint(["office_id"], ["office.id"], name=op.f("fk_smtp_settings_office_id_office")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_smtp_settings")),
        sa.UniqueConstraint("office_id", name=op.f("uq_smtp_settings_office_id")),
    )
    op.create_table(
        "audit_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("office_id", sa.Integer(), nullable=True),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("actor", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("action", sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
        sa.Column("target", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["office_id"], ["office.id"], name=op.f("fk_audit_event_office_id_office")),
        sa.ForeignKeyConstraint(["user_id"], ["app_user.id"], name=op.f("fk_audit_event_user_id_app_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_event")),
    )
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_event_action"), ["action"], unique=False)
        batch_op.create_index(batch_op.f("ix_audit_event_at"), ["at"], unique=False)
        batch_op.create_index(batch_op.f("ix_audit_event_user_id"), ["user_id"], unique=False)

    op.create_table(
        "company_key",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("office_id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("company_id", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["client_id"], ["client.id"], name=op.f("fk_company_key_client_id_client")),
        sa.ForeignKeyConstraint(["office_id"], ["office.id"], name=op.f("fk_company_key_office_id_office")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_company_key")),
        sa.UniqueConstraint("office_id", "company_id", name=op.f("uq_company_key_office_id_company_id")),
    )
    with op.batch_alter_table("company_key", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_company_key_client_id"), ["client_id"], unique=False)

    op.create_table(
        "credential",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("office_id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("source", sa.String(length=8), nullable=False),
        sa.Column("label", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("secret_ciphertext", sa.LargeBinary(), nullable=True),
        sa.Column("certificate_pem", sa.Text(), nullable=True),
        sa.Column("certificate_type", sa.String(length=16), nullable=True),
        sa.Column("subject", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("subject_identifier", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("serial_number", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("fingerprint", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("context_nip", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("valid_from", sa.DateTime(timezone=True), nullable=True),
        sa.Column("valid_to", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["client_id"], ["client.id"], name=op.f("fk_credential_client_id_client")),
        sa.ForeignKeyConstraint(["office_id"], ["office.id"], name=op.f("fk_credential_office_id_office")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_credential")),
    )
    with op.batch_alter_table("credential", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_credential_client_id"), ["client_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_credential_fingerprint"), ["fingerprint"], unique=False)
        batch_op.create_index(batch_op.f("ix_credential_office_id"), ["office_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_credential_valid_to"), ["valid_to"], unique=False)

    op.create_table(
        "invoice",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("subject_type", sa.String(length=10), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("ksef_number", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=True),
        sa.Column("invoice_number", sqlmodel.sql.sqltypes.AutoString(length=256), nullable=False),
        sa.Column("issue_date", sa.Date(), nullable=True),
        sa.Column("invoicing_date", sa.DateTime(timezone=True), nullable=True),
        sa.Column("acquisition_date", sa.DateTime(timezone=True), nullable=True),
        sa.Column("permanent_storage_date", sa.DateTime(timezone=True), nullable=True),
        sa.Column("seller_nip", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("seller_name", sqlmodel.sql.sqltypes.AutoString(length=512), nullable=False),
        sa.Column("buyer_identifier", sqlmodel.sql.sqltypes.AutoString(length=50), nullable=False),
        sa.Column("buyer_name", sqlmodel.sql.sqltypes.AutoString(length=512), nullable=False),
        sa.Column("net_amount", sa.Integer(), nullable=True),
        sa.Column("vat_amount", sa.Integer(), nullable=True),
        sa.Column("gross_amount", sa.Integer(), nullable=True),
        sa.Column("currency", sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
        sa.Column("invoice_type", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("invoice_hash", sqlmodel.sql.sqltypes.AutoString(length=44), nullable=False),
        sa.Column("session_reference", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("invoice_reference", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("error_code", sa.Integer(), nullable=True),
        sa.Column("error_details", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["client_id"], ["client.id"], name=op.f("fk_invoice_client_id_client")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invoice")),
        sa.UniqueConstraint("client_id", "ksef_number", name=op.f("uq_invoice_client_id_ksef_number")),
    )
    with op.batch_alter_table("invoice", schema=None) as batch_op:
        batch_op.create_index(
            "ix_invoice_client_subject_storage", ["client_id", "subject_type", "permanent_storage_date"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_invoice_issue_date"), ["issue_date"], unique=False)
        batch_op.create_index(batch_op.f("ix_invoice_status"), ["status"], unique=False)

    op.create_table(
        "job_run",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("office_id", sa.Integer(), nullable=True),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("subject", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column("period", sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("urgent", sa.Boolean(), nullable=False),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("max_attempts", sa.Integer(), nullable=False),
        sa.Column("run_after", sa.DateTime(timezone=True), nullable=False),
        sa.Column("lease_owner", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column("lease_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("progress_done", sa.Integer(), nullable=False),
        sa.Column("progress_total", sa.Integer(), nullable=False),
        sa.Column("result", sa.JSON(), nullable=False),
        sa.Column("error", sqlmodel.sql.sqltypes.AutoString(length=4000), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["created_by"], ["app_user.id"], name=op.f("fk_job_run_created_by_app_user")),
        sa.ForeignKeyConstraint(["office_id"], ["office.id"], name=op.f("fk_job_run_office_id_office")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_job_run")),
        sa.UniqueConstraint("kind", "subject", "period", name=op.f("uq_job_run_kind_subject_period")),
    )
    with op.batch_alter_table("job_run", schema=None) as batch_op:
        batch_op.create_index("ix_job_run_claim", ["status", "run_after"], unique=False)

    op.create_table(
        "problem",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("office_id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=True),
        sa.Column("problem_class", sa.String(length=24), nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("operation", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("message", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
        sa.Column("http_status", sa.Integer(), nullable=True),
        sa.Column("ksef_code", sa.Integer(), nullable=True),
        sa.Column("ksef_description", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
        sa.Column("service_code", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("reference_number", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("transcript", sa.JSON(), nullable=False),
        sa.Column("occurrences", sa.Integer(), nullable=False),
        sa.Column("first_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_reason", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.ForeignKeyConstraint(["client_id"], ["client.id"], name=op.f("fk_problem_client_id_client")),
        sa.ForeignKeyConstraint(["office_id"], ["office.id"], name=op.f("fk_problem_office_id_office")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_problem")),
    )
    with op.batch_alter_table("problem", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_problem_client_id"), ["client_id"], unique=False)
        batch_op.create_index("ix_problem_status_class", ["status", "problem_class"], unique=False)

    op.create_table(
        "sync_state",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("subject_type", sa.String(length=10), nullable=False),
        sa.Column("hwm", sa.DateTime(timezone=True), nullable=True),
        sa.Column("backfill_from", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_run_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_success_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("next_due_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("consecutive_failures", sa.Integer(), nullable=False),
        sa.Column("last_error", sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
        sa.ForeignKeyConstraint(["client_id"], ["client.id"], name=op.f("fk_sync_state_client_id_client")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sync_state")),
        sa.UniqueConstraint("client_id", "subject_type", name=op.f("uq_sync_state_client_id_subject_type")),
    )
    with op.batch_alter_table("sync_state", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sync_state_next_due_at"), ["next_due_at"], unique=False)

    op.create_table(
        "usage_daily",
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("office_id", sa.Integer(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["client_id"], ["client.id"], name=op.f("fk_usage_daily_client_id_client")),
        sa.ForeignKeyConstraint(["office_id"], ["office.id"], name=op.f("fk_usage_daily_office_id_office")),
        sa.PrimaryKeyConstraint("client_id", "day", "kind", name=op.f("pk_usage_daily")),
    )
    with op.batch_alter_table("usage_daily", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_usage_daily_day"), ["day"], unique=False)
        batch_op.create_index(batch_op.f("ix_usage_daily_office_id"), ["office_id"], unique=False)

    op.create_table(
        "invoice_document",
        sa.Column("invoice_id", sa.Integer(), nullable=False),
        sa.Column("xml", sa.LargeBinary(), nullable=True),
        sa.Column("upo_xml", sa.LargeBinary(), nullable=True),
        sa.ForeignKeyConstraint(["invoice_id"], ["invoice.id"], name=op.f("fk_invoice_document_invoice_id_invoice")),
        sa.PrimaryKeyConstraint("invoice_id", name=op.f("pk_invoice_document")),
    )
    op.create_table(
        "ksef_session",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("credential_id", sa.Integer(), nullable=False),
        sa.Column("access_ciphertext", sa.LargeBinary(), nullable=True),
        sa.Column("access_valid_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("refresh_ciphertext", sa.LargeBinary(), nullable=True),
        sa.Column("refresh_valid_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("auth_reference", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["client_id"], ["client.id"], name=op.f("fk_ksef_session_client_id_client")),
        sa.ForeignKeyConstraint(
            ["credential_id"], ["credential.id"], name=op.f("fk_ksef_session_credential_id_credential")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ksef_session")),
        sa.UniqueConstraint("client_id", "credential_id", name=op.f("uq_ksef_session_client_id_credential_id")),
    )
    with op.batch_alter_table("ksef_session", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ksef_session_credential_id"), ["credential_id"], unique=False)

    op.create_table(
        "link",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("credential_id", sa.Integer(), nullable=True),
        sa.Column("environment", sa.String(length=8), nullable=False),
        sa.Column("auth_method", sa.String(length=24), nullable=False),
        sa.Column("company_key", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column("send_enabled", sa.Boolean(), nullable=False),
        sa.Column("key_verified_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_success_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("permissions", sa.JSON(), nullable=False),
        sa.Column("permissions_checked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reauth_due_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("unlinked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["client_id"], ["client.id"], name=op.f("fk_link_client_id_client")),
        sa.ForeignKeyConstraint(["credential_id"], ["credential.id"], name=op.f("fk_link_credential_id_credential")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_link")),
    )
    with op.batch_alter_table("link", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_link_client_id"), ["client_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_link_credential_id"), ["credential_id"], unique=False)

    op.create_table(
        "usage_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("office_id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("invoice_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["client_id"], ["client.id"], name=op.f("fk_usage_event_client_id_client")),
        sa.ForeignKeyConstraint(["invoice_id"], ["invoice.id"], name=op.f("fk_usage_event_invoice_id_invoice")),
        sa.ForeignKeyConstraint(["office_id"], ["office.id"], name=op.f("fk_usage_event_office_id_office")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_usage_event")),
        sa.UniqueConstraint("invoice_id", "kind", name=op.f("uq_usage_event_invoice_id_kind")),
    )
    with op.batch_alter_table("usage_event", schema=None) as batch_op:
        batch_op.create_index("ix_usage_event_client_occurred", ["client_id", "occurred_at"], unique=False)
        batch_op.create_index("ix_usage_event_office_occurred", ["office_id", "occurred_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("usage_event", schema=None) as batch_op:
        batch_op.drop_index("ix_usage_event_office_occurred")
        batch_op.drop_index("ix_usage_event_client_occurred")

    op.drop_table("usage_event")
    with op.batch_alter_table("link", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_link_credential_id"))
        batch_op.drop_index(batch_op.f("ix_link_client_id"))

    op.drop_table("link")
    with op.batch_alter_table("ksef_session", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ksef_session_credential_id"))

    op.drop_table("ksef_session")
    op.drop_table("invoice_document")
    with op.batch_alter_table("usage_daily", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_usage_daily_office_id"))
        batch_op.drop_index(batch_op.f("ix_usage_daily_day"))

    op.drop_table("usage_daily")
    with op.batch_alter_table("sync_state", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sync_state_next_due_at"))

    op.drop_table("sync_state")
    with op.batch_alter_table("problem", schema=None) as batch_op:
        batch_op.drop_index("ix_problem_status_class")
        batch_op.drop_index(batch_op.f("ix_problem_client_id"))

    op.drop_table("problem")
    with op.batch_alter_table("job_run", schema=None) as batch_op:
        batch_op.drop_index("ix_job_run_claim")

    op.drop_table("job_run")
    with op.batch_alter_table("invoice", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_invoice_status"))
        batch_op.drop_index(batch_op.f("ix_invoice_issue_date"))
        batch_op.drop_index("ix_invoice_client_subject_storage")

    op.drop_table("invoice")
    with op.batch_alter_table("credential", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_credential_valid_to"))
        batch_op.drop_index(batch_op.f("ix_credential_office_id"))
        batch_op.drop_index(batch_op.f("ix_credential_fingerprint"))
        batch_op.drop_index(batch_op.f("ix_credential_client_id"))

    op.drop_table("credential")
    with op.batch_alter_table("company_key", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_company_key_client_id"))

    op.drop_table("company_key")
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_event_user_id"))
        batch_op.drop_index(batch_op.f("ix_audit_event_at"))
        batch_op.drop_index(batch_op.f("ix_audit_event_action"))

    op.drop_table("audit_event")
    op.drop_table("smtp_settings")
    op.drop_table("package")
    op.drop_table("notification_setting")
    with op.batch_alter_table("notification_log", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_notification_log_office_id"))

    op.drop_table("notification_log")
    with op.batch_alter_table("client", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_client_office_id"))
        batch_op.drop_index(batch_op.f("ix_client_link_status"))
        batch_op.drop_index(batch_op.f("ix_client_archived_at"))

    op.drop_table("client")
    with op.batch_alter_table("app_user", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_app_user_office_id"))

    op.drop_table("app_user")
    op.drop_table("scheduler_lease")
    with op.batch_alter_table("rate_slot", schema=None) as batch_op:
        batch_op.drop_index("ix_rate_slot_key_at")

    op.drop_table("rate_slot")
    op.drop_table("rate_limit")
    op.drop_table("office")
    op.drop_table("environment_status")
