"""Classified failures: the support inbox."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from core.models.base import created, enum_column, when
from core.types import ProblemClass, ProblemStatus


class Problem(SQLModel, table=True):
    """A classified failure (DESIGN.md §3 G.17) with KSeF's raw answer and a masked transcript."""

    __table_args__ = (sa.Index("ix_problem_status_class", "status", "problem_class"),)

    id: int | None = Field(default=None, primary_key=True)
    office_id: int = Field(foreign_key="office.id")
    client_id: int | None = Field(default=None, foreign_key="client.id", index=True)
    problem_class: ProblemClass = enum_column(ProblemClass, 24)
    status: ProblemStatus = enum_column(ProblemStatus, 8, ProblemStatus.open)
    operation: str = Field(default="", max_length=40)
    message: str = Field(default="", max_length=2000)  # the Polish sentence (e-mails, bundles, older rows)
    message_text: str | None = Field(default=None, sa_type=sa.JSON, nullable=True)  # the same as a catalogue Text
    http_status: int | None = None
    ksef_code: int | None = None
    ksef_description: str = Field(default="", max_length=2000)
    service_code: str = Field(default="", max_length=200)
    reference_number: str = Field(default="", max_length=40)
    details: dict[str, Any] = Field(default_factory=dict, sa_type=sa.JSON)
    transcript: list[dict[str, Any]] = Field(default_factory=list, sa_type=sa.JSON)
    occurrences: int = 1
    first_seen_at: datetime = created()
    last_seen_at: datetime = created()
    closed_at: datetime | None = when()
    closed_reason: str = Field(default="", max_length=200)
