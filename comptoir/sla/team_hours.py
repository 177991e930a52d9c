"""Whether a team is at work: the business hours its group works (``TeamHours``), at a given time.

A group without hours works round the clock, as does a ticket without a group. Read by the automatic
assignment (a closed team gets no ticket) and by rules' "business hours" conditions.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from comptoir.sla.business_time import Schedule, is_open
from comptoir.sla.models import BusinessSchedule, TeamHours


@dataclass(frozen=True)
class TeamHoursBook:
    """The hours of the groups that have some, read once (three queries, or one when none has hours)."""

    schedules: dict[int, BusinessSchedule]  # by group id
    _built: dict[tuple[int, int], Schedule]

    @classmethod
    def load(cls, *, groups: Iterable[int | None] | None = None) -> TeamHoursBook:
        hours = TeamHours.objects.all()
        if groups is not None:
            hours = hours.filter(group_id__in=[group for group in groups if group is not None])
        by_group = dict(hours.values_list("group_id", "schedule_id"))
        schedules: dict[int, BusinessSchedule] = {}
        if by_group:
            found = BusinessSchedule.objects.filter(pk__in=set(by_group.values())).prefetch_related(
                "ranges", "closed_days"
            )
            schedules = {schedule.pk: schedule for schedule in found}
        return cls({group: schedules[schedule] for group, schedule in by_group.items()}, {})

    def open(self, group_id: int | None, at: datetime) -> bool:
        schedule = self.schedules.get(group_id) if group_id is not None else None
        if schedule is None:
            return True
        key = (schedule.pk, at.year)
        if key not in self._built:
            # A local date near New Year may fall in the year before or after.
            self._built[key] = schedule.business_schedule((at.year - 1, at.year, at.year + 1))
        return is_open(self._built[key], at)

    def closed_groups(self, at: datetime) -> set[int]:
        return {group for group in self.schedules if not self.open(group, at)}


def team_open(group_id: int | None, now: datetime) -> bool:
    """Whether the group's team is at work at ``now`` (no group, or no hours: always)."""
    return group_id is None or TeamHoursBook.load(groups=[group_id]).open(group_id, now)
