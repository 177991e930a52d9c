"""The ticket page's "Service level" card: each clock of the ticket, its due time, what became of it, its pauses."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.utils import formats, timezone
from django.utils.translation import gettext

from comptoir.sla.models import Metric, TicketSla
from comptoir.sla.states import clock_state
from comptoir.workspace.rows import sla_badge


@dataclass(frozen=True)
class TargetRow:
    label: str
    policy: str
    due_at: datetime
    due_label: str
    # ok, warning, breached, paused (as the list's badge), met, missed or stopped.
    state: str
    text: str
    # Its pauses, oldest first, in words: "paused from … to …", "paused since …".
    pauses: tuple[str, ...] = ()


def _when(moment: datetime) -> str:
    return formats.date_format(timezone.localtime(moment), "SHORT_DATETIME_FORMAT")


def _pause_lines(target: TicketSla, text: str) -> tuple[str, ...]:
    lines = []
    for pause in target.pauses.all():  # prefetched by ticket_targets
        if pause.ended_at is not None:
            line = gettext("paused from %(start)s to %(end)s") % {
                "start": _when(pause.started_at),
                "end": _when(pause.ended_at),
            }
        else:
            line = gettext("paused since %(when)s") % {"when": _when(pause.started_at)}
        if line != text:  # the state says it already
            lines.append(line)
    return tuple(lines)


def target_rows(targets: Iterable[TicketSla], now: datetime) -> list[TargetRow]:
    """A row per clock of ``comptoir.sla.selectors.ticket_targets`` (pauses prefetched), oldest first."""
    metrics = {value: str(label) for value, label in Metric.choices}
    rows = []
    for target in targets:
        label = metrics.get(target.metric, target.metric)
        if target.metric == Metric.NEXT_REPLY:
            label = gettext("%(metric)s #%(cycle)s") % {"metric": label, "cycle": target.cycle}
        state = clock_state(target, now)
        if state in ("met", "missed"):
            assert target.achieved_at is not None
            text = (gettext("met at %(when)s") if state == "met" else gettext("missed, met at %(when)s")) % {
                "when": _when(target.achieved_at)
            }
        elif state == "stopped":
            assert target.stopped_at is not None
            text = gettext("stopped at %(when)s") % {"when": _when(target.stopped_at)}
        else:
            badge = sla_badge(
                due_at=target.due_at,
                warn_at=target.warn_at,
                breached_at=target.breached_at,
                paused=target.paused_since is not None,
                now=now,
            )
            state, text = badge.state, badge.text
            if target.paused_since is not None and badge.state == "paused":
                text = gettext("paused since %(when)s") % {"when": _when(target.paused_since)}
        rows.append(
            TargetRow(
                label=label,
                policy=target.policy.name,
                due_at=target.due_at,
                due_label=_when(target.due_at),
                state=state,
                text=text,
                pauses=_pause_lines(target, text),
            )
        )
    return rows
