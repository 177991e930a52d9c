"""What became of a service-level clock at a moment, in one word: the list's badge, the ticket's card and the API's.

ok, warning (due soon), breached, paused while it runs; met, missed or stopped once it ended.
"""

from __future__ import annotations

from datetime import datetime

from comptoir.sla.models import TicketSla


def running_state(
    *, due_at: datetime, warn_at: datetime | None, breached_at: datetime | None, paused: bool, now: datetime
) -> str:
    """A clock still counting: a breach recorded wins; a pause pushes the due time, so a paused clock is not late."""
    if breached_at is not None:
        return "breached"
    if paused:
        return "paused"
    if due_at <= now:
        return "breached"
    return "warning" if warn_at is not None and warn_at <= now else "ok"


def clock_state(target: TicketSla, now: datetime) -> str:
    if target.achieved_at is not None:
        return "met" if target.achieved_at <= target.due_at else "missed"
    if target.stopped_at is not None:
        return "stopped"
    return running_state(
        due_at=target.due_at,
        warn_at=target.warn_at,
        breached_at=target.breached_at,
        paused=target.paused_since is not None,
        now=now,
    )
