"""What a bulk action tells the agent: how many tickets changed, and which were left out and why."""

from __future__ import annotations

from django.contrib import messages
from django.utils.translation import gettext, ngettext

from comptoir.tickets.models import REFERENCE_OFFSET
from comptoir.tickets.services import BulkOutcome, Refusal

# At most this many tickets are named one by one in the report; the rest are counted.
NAMED = 10


def _references(ticket_ids: list[int]) -> str:
    named = ", ".join(f"#{ticket_id + REFERENCE_OFFSET}" for ticket_id in ticket_ids[:NAMED])
    rest = len(ticket_ids) - NAMED
    if rest > 0:
        named += " " + ngettext("and %(count)s more", "and %(count)s more", rest) % {"count": rest}
    return named


def bulk_report(outcome: BulkOutcome) -> list[tuple[int, str]]:
    """(message level, sentence) pairs for the flash messages of the list."""
    report: list[tuple[int, str]] = []
    if outcome.changed:
        count = len(outcome.changed)
        report.append(
            (
                messages.SUCCESS,
                ngettext("%(count)s ticket updated.", "%(count)s tickets updated.", count) % {"count": count},
            )
        )
    if outcome.unchanged:
        count = len(outcome.unchanged)
        report.append(
            (
                messages.INFO,
                ngettext(
                    "%(count)s ticket already had these values.", "%(count)s tickets already had these values.", count
                )
                % {"count": count},
            )
        )
    closed = [ticket_id for ticket_id, reason in outcome.refused if reason == Refusal.CLOSED]
    missing = [ticket_id for ticket_id, reason in outcome.refused if reason == Refusal.MISSING]
    if closed:
        report.append(
            (
                messages.WARNING,
                gettext("Left as they were, being closed: %(tickets)s.") % {"tickets": _references(closed)},
            )
        )
    if missing:
        report.append((messages.WARNING, gettext("No longer there: %(tickets)s.") % {"tickets": _references(missing)}))
    return report
