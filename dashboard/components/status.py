"""How a link status, an auth method and a problem class look: a label in the session's language, a colour, an icon.

Tables get a chip: the label in a cell coloured by the status (`chip_css`, through a pandas Styler); markdown gets a
coloured badge. Never a colour alone and never an emoji alone (without an emoji font it is an empty box).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from core.formatting import format_date
from core.services.problems import explain
from core.types import LinkStatus
from dashboard.i18n import localised, t

# status -> (badge colour, material icon, dot for tables)
STYLE: dict[str, tuple[str, str, str]] = {
    LinkStatus.not_linked: ("gray", ":material/link_off:", "⚪"),
    LinkStatus.linked: ("green", ":material/check_circle:", "🟢"),
    LinkStatus.degraded: ("orange", ":material/warning:", "🟡"),
    LinkStatus.action_required: ("red", ":material/front_hand:", "🔴"),
    LinkStatus.error: ("red", ":material/error:", "🔴"),
    LinkStatus.unlinked: ("gray", ":material/block:", "⚫"),
}


# status -> (background, text) of its chip in tables; light backgrounds keep the text readable.
CHIP: dict[str, tuple[str, str]] = {
    LinkStatus.not_linked: ("#eceff1", "#37474f"),
    LinkStatus.linked: ("#d7f5df", "#0d5524"),
    LinkStatus.degraded: ("#fff0c2", "#6b4b00"),
    LinkStatus.action_required: ("#fde1e1", "#8b1a1a"),
    LinkStatus.error: ("#fde1e1", "#8b1a1a"),
    LinkStatus.unlinked: ("#e0e0e0", "#424242"),
}
RED = "background-color: #fde1e1; color: #8b1a1a; font-weight: 600"
AMBER = "background-color: #fff0c2; color: #6b4b00; font-weight: 600"
SOON = timedelta(days=30)  # a date closer than this is amber (the certificate calendar's warning window)


GREEN = "background-color: #d7f5df; color: #0d5524; font-weight: 600"


def outcome_css(ok: bool) -> str:
    """A chip for a yes/no outcome (a self-test step, a rights need, a wizard result): green or red, never alone."""
    return GREEN if ok else RED


def chip_css(status: str) -> str:
    background, text = CHIP.get(status, CHIP[LinkStatus.not_linked])
    return f"background-color: {background}; color: {text}; font-weight: 600"


def expiry_css(valid_to: datetime | None, now: datetime | None = None) -> str:
    """An expired date red, one expiring within SOON amber, others plain."""
    if valid_to is None:
        return ""
    now = now or datetime.now(UTC)
    if valid_to <= now:
        return RED
    return AMBER if valid_to - now <= SOON else ""


def status_label(status: str) -> str:
    return t(f"link_status.{status}")


def status_text(status: str) -> str:
    """For table cells and option lists: the label (tables colour the cell with `chip_css`)."""
    return status_label(status)


def status_badge(status: str) -> str:
    """For markdown: a coloured badge with an icon."""
    colour, icon, _ = STYLE.get(status, STYLE[LinkStatus.not_linked])
    return f":{colour}-badge[{icon} {status_label(status)}]"


def method_label(method: str) -> str:
    return t(f"auth_method.{method}") if method else ""


def problem_title(problem_class: str) -> str:
    explanation = explain(problem_class)
    return localised(explanation.title) if explanation else problem_class


# Problems that usually heal by themselves (KSeF or the network) are amber; the rest need a person: red.
TRANSIENT_PROBLEMS = frozenset({"network", "ksef_unavailable", "rate_limited"})


def problem_badge(problem_class: str) -> str:
    """For markdown: a chip saying whether the problem needs a person (red) or usually heals by itself (amber)."""
    if problem_class in TRANSIENT_PROBLEMS:
        return f":orange-badge[{t('chip.transient')}]"
    return f":red-badge[{t('chip.needs_person')}]"


def expiry_badge(valid_to: datetime | None, now: datetime | None = None) -> str:
    """For markdown: the date, on a red badge with "wygasł" when past, amber with "wygasa wkrótce" when near."""
    if valid_to is None:
        return "—"
    shown = format_date(valid_to)
    now = now or datetime.now(UTC)
    if valid_to <= now:
        return f":red-badge[{shown} · {t('chip.expired')}]"
    if valid_to - now <= SOON:
        return f":orange-badge[{shown} · {t('chip.expiring')}]"
    return shown
