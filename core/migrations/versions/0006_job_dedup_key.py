"""job dedup key: at most one pending or running job per key; the period slot is unique only when set

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23 10:00:00.000000
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ACTIVE = "status IN ('pending', 'running')"
OFFICE_KINDS = ("token_refresh", "certificate_scan", "link_health", "notifications")
SINGLE_KINDS = ("housekeeping", "usage_rollup", "availability_probe")

job_run = sa.table(
    "job_run",
    sa.column("id", sa.Integer),
    sa.column("kind", sa.String),
    sa.column("status", sa.String),
    sa.column("office_id", sa.Integer),
    sa.column("payload", sa.JSON),
    sa.column("dedup_key", sa.String),
)


def _key(kind: str, office_id: int | None, payload: dict[str, Any]) -> str | None:
    """The dedup keys of core.jobs.kinds as of this revision (a migration never imports the application)."""
    if kind in OFFICE_KINDS and office_id is not None:
        return f"{kind}:office:{office_id}"
    if kind in SINGLE_KINDS:
        return f"{kind}:"
    if kind == "sync" and "client_id" in payload:
        return f"sync:client:{payload['client_id']}"
    return None


def _backfill() -> None:
    """Queued office upkeep now names its office in the payload; the oldest active job of each key takes it."""
    connection = op.get_bind()
    rows = connection.execute(
        sa.select(job_run.c.id, job_run.c.kind, job_run.c.office_id, job_run.c.payload)
        .where(job_run.c.status.in_(["pending", "running"]))
        .order_by(job_run.c.id)
    ).all()
    taken: set[str] = set()
    for row in rows:
        payload = dict(row.payload or {})
        values: dict[str, Any] = {}
        if row.kind in OFFICE_KINDS and row.office_id is not None and "office_id" not in payload:
            values["payload"] = {**payload, "office_id": row.office_id}
        key = _key(row.kind, row.office_id, payload)
        if key is not None and key not in taken:
            taken.add(key)
            values["dedup_key"] = key
        if values:
            connection.execute(sa.update(job_run).where(job_run.c.id == row.id).values(**values))


def upgrade() -> None:
    with op.batch_alter_table("job_run", schema=None) as batch_op:
        batch_op.add_column(sa.Column("dedup_key", sa.String(length=120), nullable=True))
        batch_op.drop_constraint("uq_job_run_kind_subject_period", type_="unique")
    _backfill()
    with op.batch_alter_table("job_run", schema=None) as batch_op:
        batch_op.create_index(
            "ux_job_run_period",
            ["kind", "subject", "period"],
            unique=True,
            sqlite_where=sa.text("period <> ''"),
            postgresql_where=sa.text("period <> ''"),
        )
        batch_op.create_index(
            "ux_job_run_dedup_key",
            ["dedup_key"],
            unique=True,
            sqlite_where=sa.text(ACTIVE),
            postgresql_where=sa.text(ACTIVE),
        )


def downgrade() -> None:
    with op.batch_alter_table("job_run", schema=None) as batch_op:
        batch_op.drop_index("ux_job_run_dedup_key")
        batch_op.drop_index("ux_job_run_period")
    # Jobs without a period were unique by their id; the old constraint needs that spelled out.
    op.execute("UPDATE job_run SET period = 'job:' || CAST(id AS VARCHAR(20)) WHERE period = ''")
    with op.batch_alter_table("job_run", schema=None) as batch_op:
        batch_op.create_unique_constraint("uq_job_run_kind_subject_period", ["kind", "subject", "period"])
        batch_op.drop_column("dedup_key")
