"""The SLA clock rules, pure: a ticket's history in, the state of each target's clock out. No database.

A ticket's history is read as `Happening`s (created, a status change, a public
agent reply, a requester reply, merged into another ticket). `replay` runs
them through the rules under one policy's `Terms` and returns one `Clock` per
target; docs/sla.md gives the rules. In short:

- First reply and resolution start when the ticket is created. First reply is
  met by the first public agent reply (none is started for a ticket an agent
  wrote for the customer: the agent spoke first).
- Next reply starts at each requester reply that follows an agent's reply
  (one clock per such reply: a `cycle`) and is met by the next public agent reply.
- Clocks run while the ticket is new or open, and on hold unless the policy
  pauses it; they pause while pending, on hold (by default) and solved.
- Solved meets resolution; reopened, resolution runs again, the time solved
  counted as paused. Closed and merged stop every clock not met.
- A pause pushes the due time by the pause's length on the target's clock
  (business time for a business-hours target). A pause that begins after the
  due time does not move it: the target was already late.
- Each pause is kept (`Clock.pauses`, when it began and ended) for the ticket page.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from comptoir.sla.business_time import Schedule, add_business_time, business_time_between
from comptoir.sla.models import Metric
from comptoir.tickets.models import Status


class Moment(enum.Enum):
    CREATED = "created"
    STATUS = "status"
    AGENT_REPLY = "agent_reply"
    REQUESTER_REPLY = "requester_reply"
    MERGED = "merged"


@dataclass(frozen=True)
class Happening:
    """One thing in a ticket's life the clocks react to; ``status`` is the status reached (STATUS only).

    ``by_agent`` on CREATED: an agent wrote the first message for the customer.
    """

    moment: Moment
    at: datetime
    status: str = ""
    by_agent: bool = False


@dataclass(frozen=True)
class Target:
    minutes: int
    # Business hours, or calendar time (business_time.always_open).
    schedule: Schedule


@dataclass(frozen=True)
class Terms:
    """What one policy promises a ticket of one priority."""

    targets: Mapping[str, Target]
    pause_on_hold: bool = True
    warn_minutes: int = 60


def clocks_run_in(status: str, *, pause_on_hold: bool) -> bool:
    """Whether the clocks not yet met count down while the ticket has this status."""
    if status in (Status.NEW, Status.OPEN):
        return True
    return status == Status.ON_HOLD and not pause_on_hold


@dataclass(frozen=True)
class StatusEffect:
    """What a status change does to a ticket's clocks."""

    # Met by the change (resolution, when solved).
    achieves: frozenset[str] = frozenset()
    # Met before, now waiting again (resolution, when a solved ticket reopens).
    reopens: frozenset[str] = frozenset()
    # Every clock not met stops for good.
    stops: bool = False
    # Whether the clocks not met run after the change (else they pause).
    runs: bool = False


def status_effect(old: str, new: str, *, pause_on_hold: bool) -> StatusEffect:
    if new == Status.CLOSED:
        return StatusEffect(stops=True)
    if new == Status.SOLVED:
        return StatusEffect(achieves=frozenset({Metric.RESOLUTION}))
    return StatusEffect(
        reopens=frozenset({Metric.RESOLUTION}) if old == Status.SOLVED else frozenset(),
        runs=clocks_run_in(new, pause_on_hold=pause_on_hold),
    )


@dataclass
class Clock:
    """One target's clock on one ticket."""

    metric: str
    cycle: int
    target: Target
    warn_minutes: int
    started_at: datetime
    due_at: datetime = field(init=False)
    warn_at: datetime = field(init=False)
    paused_since: datetime | None = None
    paused_total: timedelta = timedelta(0)
    achieved_at: datetime | None = None
    stopped_at: datetime | None = None
    # The pauses over, in order: (paused at, resumed at); the one going on is paused_since.
    pauses: list[tuple[datetime, datetime]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._schedule_due()

    @property
    def periods(self) -> tuple[tuple[datetime, datetime | None], ...]:
        """Every pause in order, (paused at, resumed at), the one going on ending with None."""
        going_on = ((self.paused_since, None),) if self.paused_since is not None else ()
        return (*self.pauses, *going_on)

    @property
    def waiting(self) -> bool:
        """Neither met nor stopped."""
        return self.achieved_at is None and self.stopped_at is None

    def _schedule_due(self) -> None:
        minutes = timedelta(minutes=self.target.minutes)
        warning = max(minutes - timedelta(minutes=self.warn_minutes), timedelta(0))
        self.due_at = add_business_time(self.target.schedule, self.started_at, minutes + self.paused_total)
        self.warn_at = add_business_time(self.target.schedule, self.started_at, warning + self.paused_total)

    def pause(self, at: datetime) -> None:
        if self.waiting and self.paused_since is None:
            self.paused_since = at

    def resume(self, at: datetime) -> None:
        if self.paused_since is None:
            return
        # Paused after its due time, the target was late already: the pause does not make it less so.
        if self.paused_since < self.due_at:
            self.paused_total += business_time_between(self.target.schedule, self.paused_since, at)
            self._schedule_due()
        if at > self.paused_since:
            self.pauses.append((self.paused_since, at))
        self.paused_since = None

    def achieve(self, at: datetime) -> None:
        if self.waiting:
            self.resume(at)
            self.achieved_at = at

    def reopen(self) -> None:
        """Met before, waiting again: paused since it was met, until the status says it runs."""
        if self.achieved_at is not None:
            self.paused_since, self.achieved_at = self.achieved_at, None

    def stop(self, at: datetime) -> None:
        if self.waiting:
            self.resume(at)
            self.stopped_at = at


def replay(history: Iterable[Happening], terms: Terms) -> list[Clock]:
    """The clocks of a ticket whose life was ``history`` (in order), under ``terms``.

    Next reply's cycles are counted whether or not the terms target it, so a
    cycle keeps its number when a later policy does.
    """
    clocks: list[Clock] = []
    latest: dict[str, Clock] = {}
    status: str = Status.NEW
    agent_spoke_last = False
    cycles = 0

    def start(metric: str, cycle: int, at: datetime) -> None:
        target = terms.targets.get(metric)
        if target is None:
            return
        clock = Clock(metric=metric, cycle=cycle, target=target, warn_minutes=terms.warn_minutes, started_at=at)
        if not clocks_run_in(status, pause_on_hold=terms.pause_on_hold):
            clock.pause(at)
        clocks.append(clock)
        latest[metric] = clock

    for happening in history:
        at = happening.at
        if happening.moment is Moment.CREATED:
            status = Status.NEW
            if happening.by_agent:
                agent_spoke_last = True
            else:
                start(Metric.FIRST_REPLY, 0, at)
            start(Metric.RESOLUTION, 0, at)
        elif happening.moment is Moment.AGENT_REPLY:
            for metric in (Metric.FIRST_REPLY, Metric.NEXT_REPLY):
                if metric in latest:
                    latest[metric].achieve(at)
            agent_spoke_last = True
        elif happening.moment is Moment.REQUESTER_REPLY:
            if agent_spoke_last:
                cycles += 1
                start(Metric.NEXT_REPLY, cycles, at)
                agent_spoke_last = False
        elif happening.moment is Moment.STATUS:
            _status_apply(clocks, status_effect(status, happening.status, pause_on_hold=terms.pause_on_hold), at)
            status = happening.status
        elif happening.moment is Moment.MERGED:
            for clock in clocks:
                clock.stop(at)
    return clocks


def _status_apply(clocks: list[Clock], effect: StatusEffect, at: datetime) -> None:
    for clock in clocks:
        if clock.metric in effect.reopens:
            clock.reopen()
        if effect.stops:
            clock.stop(at)
        elif clock.metric in effect.achieves:
            clock.achieve(at)
        elif effect.runs:
            clock.resume(at)
        else:
            clock.pause(at)
