"""How a link status, an auth method and a problem class look: a label in the session's language, a colour, an icon.

Tables cannot draw badges, so they get a coloured dot before the label; markdown gets a coloured badge.
"""

from __future__ import annotations

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


def status_label(status: str) -> str:
    return t(f"link_status.{status}")


def status_text(status: str) -> str:
    """For table cells: a coloured dot and the label."""
    return f"{STYLE.get(status, STYLE[LinkStatus.not_linked])[2]} {status_label(status)}"


def status_badge(status: str) -> str:
    """For markdown: a coloured badge with an icon."""
    colour, icon, _ = STYLE.get(status, STYLE[LinkStatus.not_linked])
    return f":{colour}-badge[{icon} {status_label(status)}]"


def method_label(method: str) -> str:
    return t(f"auth_method.{method}") if method else ""


def problem_title(problem_class: str) -> str:
    explanation = explain(problem_class)
    return localised(explanation.title) if explanation else problem_class
