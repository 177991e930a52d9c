"""What admins change in the workspace's service level settings: one function per action, and the rules they keep.

The pages (comptoir.workspace.sla_settings_views) check their forms with the
same rules (`opening_problems`, `days_off_problems`, `policy_problems`) and
then call one of these; each checks again, so that no caller can store a
schedule the arithmetic would misread.

A change of hours or policies reaches the clocks running on waiting tickets
by a background job (tasks.sla_clocks_rebuild, queued once the change is
committed), which replays each one's history under the terms now in force,
as the subscriber (comptoir.sla.subscriber) does at a ticket's next change; a
clock already met keeps the terms it was measured against.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, time
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import ProtectedError
from django.utils.dates import WEEKDAYS
from django.utils.formats import date_format
from django.utils.translation import gettext

from comptoir.accounts.models import Organisation
from comptoir.sla.models import BusinessSchedule, ClosedDay, OpeningRange, SlaPolicy, SlaTarget, TeamHours, TicketSla
from comptoir.tickets.models import SupportGroup

_DAY = 24 * 60
_WEEK = 7 * _DAY
_MIDNIGHT = time(0)


@dataclass(frozen=True)
class Opening:
    """One opening range of a weekday (0 is Monday); an end at or before the start is on the next day."""

    weekday: int
    start: time
    end: time

    @property
    def whole_day(self) -> bool:
        return self.start == self.end == _MIDNIGHT

    def minutes(self) -> tuple[int, int]:
        """Where it lies in the week, in minutes from Monday 00:00: a night runs past its own day."""
        start = self.weekday * _DAY + self.start.hour * 60 + self.start.minute
        length = (self.end.hour * 60 + self.end.minute - self.start.hour * 60 - self.start.minute) % _DAY
        return start, start + (length or _DAY)

    def __str__(self) -> str:
        return f"{WEEKDAYS[self.weekday]} {self.start:%H:%M}\N{EN DASH}{self.end:%H:%M}"


@dataclass(frozen=True)
class DayOff:
    """A day the team closes besides the public holidays, and why."""

    day: date
    name: str = ""


@dataclass(frozen=True)
class TargetTerms:
    """How long a ticket may wait for one metric, at one priority."""

    minutes: int
    business_hours: bool = True


class ScheduleInUse(Exception):
    """A schedule policies count on is not deleted: they would lose their business hours."""

    def __init__(self, policies: Sequence[str]) -> None:
        super().__init__(f"business hours used by {len(policies)} policies")
        self.policies = list(policies)


class PolicyInUse(Exception):
    """A policy that measured tickets is kept (their clocks and reports point to it): it can be turned off instead."""

    def __init__(self, clocks: int) -> None:
        super().__init__(f"policy measured {clocks} clocks")
        self.clocks = clocks


# --- The rules ----------------------------------------------------------------------------------


def opening_problems(openings: Iterable[Opening]) -> list[tuple[int, str]]:
    """What is wrong with a week of opening ranges, each with the weekday it is told on; empty when nothing is.

    A range must last: an end equal to its start is refused, except 00:00 to
    00:00, the whole day (the arithmetic reads an end at or before the start as
    the next day, so 09:00 to 09:00 would be 24 hours, surely not what was
    meant). Ranges may not overlap, a night's end over the next morning
    included. A week without any range is refused: such a schedule never opens,
    and has no due time to give.
    """
    openings = list(openings)
    problems: list[tuple[int, str]] = []
    if not openings:
        return [(0, gettext("Give at least one opening range: business hours that never open give no due time."))]
    lasting = []
    for opening in openings:
        if opening.start == opening.end and not opening.whole_day:
            message = gettext(
                "%(range)s closes when it opens. A night runs from a later time to an earlier one "
                "(22:00 to 06:00); the whole day is 00:00 to 00:00."
            ) % {"range": opening}
            problems.append((opening.weekday, message))
        else:
            lasting.append(opening)
    lasting.sort(key=Opening.minutes)
    for index, first in enumerate(lasting):
        first_start, first_end = first.minutes()
        for second in lasting[index + 1 :]:
            second_start, second_end = second.minutes()
            # A Sunday night runs into Monday morning: the week wraps round.
            if any(first_start < second_end + shift and second_start + shift < first_end for shift in (-_WEEK, 0)):
                message = gettext("%(first)s overlaps %(second)s.") % {"first": first, "second": second}
                problems.append((second.weekday, message))
    return problems


def days_off_problems(days_off: Iterable[DayOff]) -> list[str]:
    seen: set[date] = set()
    problems = []
    for day_off in days_off:
        if day_off.day in seen:
            shown = date_format(day_off.day, "DATE_FORMAT")
            problems.append(gettext("%(day)s is listed twice as a closed day.") % {"day": shown})
        seen.add(day_off.day)
    return problems


def policy_problems(schedule: BusinessSchedule | None, targets: Mapping[tuple[str, str], TargetTerms]) -> list[str]:
    problems = []
    if any(terms.minutes < 1 for terms in targets.values()):
        problems.append(gettext("A target needs at least one minute; leave it empty for no target."))
    if schedule is None and any(terms.business_hours for terms in targets.values()):
        problems.append(
            gettext(
                "Targets in business hours need business hours: choose them, or count the targets in calendar time."
            )
        )
    return problems


def holiday_countries() -> list[str]:
    """The country codes (ISO 3166-1 alpha-2) whose public holidays are known, for the schedules' choice."""
    import holidays  # on first use, as in comptoir.sla.closed_days: megabytes few requests need

    return sorted(code for code in holidays.list_supported_countries() if len(code) == 2)


# --- Business hours ------------------------------------------------------------------------------


@transaction.atomic
def schedule_save(
    schedule: BusinessSchedule | None = None,
    *,
    name: str,
    time_zone: str,
    country: str,
    subdivision: str = "",
    openings: Sequence[Opening],
    days_off: Sequence[DayOff] = (),
    teams: Iterable[int] | None = None,
) -> BusinessSchedule:
    """Create business hours (``schedule`` None) or replace what they are: fields, opening ranges and closed days.

    ``teams``: the groups that work these hours (None: unchanged). A group works one schedule's hours: naming
    it here moves it from another; a group these hours had and ``teams`` leaves out works round the clock.

    Raises ValidationError, with nothing saved, when a rule is broken.
    """
    problems = [message for _weekday, message in opening_problems(openings)] + days_off_problems(days_off)
    if problems:
        raise ValidationError(problems)
    if schedule is None:
        schedule = BusinessSchedule()
    else:
        schedule = BusinessSchedule.objects.select_for_update().get(pk=schedule.pk)
    schedule.name, schedule.time_zone = name.strip(), time_zone
    schedule.country, schedule.subdivision = country, subdivision
    schedule.full_clean()  # the name is the team's own, the zone and the country are known
    schedule.save()
    OpeningRange.objects.filter(schedule=schedule).delete()
    OpeningRange.objects.bulk_create(
        OpeningRange(schedule=schedule, weekday=opening.weekday, start=opening.start, end=opening.end)
        for opening in openings
    )
    ClosedDay.objects.filter(schedule=schedule).delete()
    ClosedDay.objects.bulk_create(
        ClosedDay(schedule=schedule, day=day_off.day, name=day_off.name.strip()) for day_off in days_off
    )
    if teams is not None:
        groups = set(teams)
        TeamHours.objects.filter(schedule=schedule).exclude(group_id__in=groups).delete()
        TeamHours.objects.bulk_create(
            [TeamHours(group_id=group, schedule=schedule) for group in sorted(groups)],
            update_conflicts=True,
            unique_fields=["group"],
            update_fields=["schedule"],
        )
    _clocks_rebuild_after_commit()
    return schedule


@transaction.atomic
def schedule_delete(schedule: BusinessSchedule) -> None:
    """Delete business hours no policy counts on; raises ScheduleInUse, deleting nothing, when one does."""
    using = list(SlaPolicy.objects.filter(schedule=schedule).order_by("position", "id").values_list("name", flat=True))
    if using:
        raise ScheduleInUse(using)
    try:
        schedule.delete()
    except ProtectedError as error:  # a policy took them up meanwhile
        raise ScheduleInUse([str(policy) for policy in error.protected_objects]) from error


# --- Policies ------------------------------------------------------------------------------------


@transaction.atomic
def policy_save(
    policy: SlaPolicy | None = None,
    *,
    name: str,
    is_active: bool,
    priority: str = "",
    ticket_type: str = "",
    group: SupportGroup | None = None,
    organisation: Organisation | None = None,
    channel: str = "",
    tag: str = "",
    field_conditions: Sequence[Mapping[str, Any]] = (),
    pause_on_hold: bool = True,
    schedule: BusinessSchedule | None = None,
    warn_minutes: int = 60,
    targets: Mapping[tuple[str, str], TargetTerms],
) -> SlaPolicy:
    """Create a policy (``policy`` None: it comes last) or replace what it is, its targets included.

    ``field_conditions``: conditions on ticket fields, as a rule's (``{"field": "field:<key>", "operator": ...,
    "value": ...}``, comptoir.ticketforms.predicates), checked by ``SlaPolicy.clean``.
    ``targets`` maps (metric, priority) to its terms; a pair left out has no
    target. Raises ValidationError, with nothing saved, when a rule is broken.
    Tickets take the change at their next event (the module's docstring).
    """
    problems = policy_problems(schedule, targets)
    if problems:
        raise ValidationError(problems)
    if policy is None:
        # The rows locked, not an aggregate (PostgreSQL refuses FOR UPDATE with one): two new policies never tie.
        positions = SlaPolicy.objects.select_for_update().values_list("position", flat=True)
        policy = SlaPolicy(position=max(positions, default=0) + 1)
    else:
        policy = SlaPolicy.objects.select_for_update().get(pk=policy.pk)
    policy.name, policy.is_active = name.strip(), is_active
    policy.priority, policy.ticket_type, policy.channel, policy.tag = priority, ticket_type, channel, tag
    policy.field_conditions = [dict(condition) for condition in field_conditions]
    policy.group, policy.organisation, policy.schedule = group, organisation, schedule
    policy.pause_on_hold, policy.warn_minutes = pause_on_hold, warn_minutes
    policy.full_clean()
    policy.save()
    # Nothing points to a target (a ticket's clock keeps its own due time): replaced, not merged.
    SlaTarget.objects.filter(policy=policy).delete()
    SlaTarget.objects.bulk_create(
        SlaTarget(
            policy=policy, metric=metric, priority=priority, minutes=terms.minutes, business_hours=terms.business_hours
        )
        for (metric, priority), terms in sorted(targets.items())
    )
    _clocks_rebuild_after_commit()
    return policy


@transaction.atomic
def policy_move(policy: SlaPolicy, *, up: bool) -> bool:
    """Swap the policy with the one before it (``up``) or after it; False when it is already first or last.

    The positions are numbered again 1, 2, 3… on the way, so that equal ones
    (the admin lets them be typed) order the same way they are shown.
    """
    ordered = list(SlaPolicy.objects.select_for_update().order_by("position", "id"))
    index = next((i for i, row in enumerate(ordered) if row.pk == policy.pk), None)
    if index is None:
        raise SlaPolicy.DoesNotExist
    other = index - 1 if up else index + 1
    if not 0 <= other < len(ordered):
        return False
    ordered[index], ordered[other] = ordered[other], ordered[index]
    changed = []
    for position, row in enumerate(ordered, start=1):
        if row.position != position:
            row.position = position
            changed.append(row)
    SlaPolicy.objects.bulk_update(changed, ["position"])
    _clocks_rebuild_after_commit()
    return True


@transaction.atomic
def policy_delete(policy: SlaPolicy) -> None:
    """Delete a policy that never measured a ticket, with its targets; raises PolicyInUse when one did."""
    clocks = TicketSla.objects.filter(policy=policy).count()
    if clocks:
        raise PolicyInUse(clocks)
    try:
        policy.delete()
    except ProtectedError as error:  # a ticket took it up meanwhile
        raise PolicyInUse(len(error.protected_objects)) from error
    _clocks_rebuild_after_commit()


def _clocks_rebuild_after_commit() -> None:
    # Imported here: the task module imports the services, which the settings need not load.
    from comptoir.sla.tasks import sla_clocks_rebuild

    transaction.on_commit(lambda: sla_clocks_rebuild.delay())
