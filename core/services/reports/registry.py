"""The reports the console offers, declared once: their kind (the report's one name), whether they need a date range,
and their columns.

A report's rows are typed dataclasses (core.services.reports.rows); a column names the row attribute it shows, the
catalogue key of its header and, for a coded value, the catalogue prefix of its label (`usage_kind` →
`usage_kind.invoice_sent`). People's files show labels; where a machine needs the code it has its own column.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class ReportKind(StrEnum):
    usage = "usage"  # client × package month × operation kind
    usage_events = "usage_events"  # every counted operation
    links = "links"  # link and credential of every client
    certificates = "certificates"  # the certificate calendar


@dataclass(frozen=True)
class Column:
    key: str  # the row attribute
    label: str = ""  # catalogue prefix for a coded value; "" shows the value itself
    code: bool = False  # the bare code beside its label, for machines: in files, never on a page

    @property
    def header(self) -> str:
        return f"report.column.{self.key}" + (".label" if self.label else ".code" if self.code else "")


@dataclass(frozen=True)
class ReportSpec:
    kind: ReportKind
    columns: tuple[Column, ...]
    needs_dates: bool = False

    @property
    def title(self) -> str:
        return f"report.title.{self.kind}"

    @property
    def file_stem(self) -> str:
        return f"report.file.{self.kind}"

    @property
    def on_page(self) -> ReportSpec:
        """The report as a page shows it: without the code columns."""
        return ReportSpec(self.kind, tuple(c for c in self.columns if not c.code), self.needs_dates)


REPORTS: dict[ReportKind, ReportSpec] = {
    ReportKind.usage: ReportSpec(
        ReportKind.usage,
        (Column("nip"), Column("name"), Column("month"), Column("kind", "usage_kind"), Column("kind", code=True),
         Column("count")),
        needs_dates=True,
    ),
    ReportKind.usage_events: ReportSpec(
        ReportKind.usage_events,
        (Column("at"), Column("nip"), Column("name"), Column("kind", "usage_kind"), Column("kind", code=True),
         Column("ksef_number"), Column("invoice_number")),
        needs_dates=True,
    ),
    ReportKind.links: ReportSpec(
        ReportKind.links,
        (Column("nip"), Column("name"), Column("environment", "environment"), Column("link_status", "link_status"),
         Column("link_status", code=True), Column("auth_method", "auth_method"), Column("credential"),
         Column("credential_status", "credential_status"), Column("valid_to"), Column("days_left"),
         Column("last_success_at"), Column("open_problems")),
    ),
    ReportKind.certificates: ReportSpec(
        ReportKind.certificates,
        (Column("valid_to"), Column("days_left"), Column("nip"), Column("client"), Column("label"),
         Column("certificate_type", "certificate_type"), Column("serial_number"),
         Column("status", "credential_status")),
    ),
}  # fmt: skip


def spec_of(kind: str) -> ReportSpec | None:
    return REPORTS.get(ReportKind(kind)) if kind in set(ReportKind) else None
