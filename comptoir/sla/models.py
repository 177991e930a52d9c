"""Service levels in the database: schedules, policies and their targets, and one clock per ticket and target.

Admins keep the schedules and policies (the Django admin, comptoir.sla.admin).
The `TicketSla` rows are written by one subscriber of the event backbone
(comptoir.sla.subscriber) and by the breach job (comptoir.sla.breaches), never
by a page; docs/sla.md gives the rules.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from datetime import date, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.dates import WEEKDAYS
from django.utils.translation import gettext_lazy as _

from comptoir.accounts.models import Organisation
from comptoir.sla.business_time import Schedule
from comptoir.sla.closed_days import closed_days_for
from comptoir.sla.policies import Conditions, FieldCondition
from comptoir.ticketforms.predicates import conditions_problems, key_of
from comptoir.tickets.dimensions import DIMENSIONS, TicketDimensions
from comptoir.tickets.models import Channel, Priority, SupportGroup, Ticket, TicketType
from comptoir.tickets.tags import TAG_MAX_LENGTH, tag_name


class Metric(models.TextChoices):
    FIRST_REPLY = "first_reply", _("First reply")
    NEXT_REPLY = "next_reply", _("Next reply")
    RESOLUTION = "resolution", _("Resolution")


def time_zone_validate(value: str) -> None:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise ValidationError(
            _("“%(value)s” is not a time zone name, such as Europe/Paris."), params={"value": value}
        ) from error


@functools.lru_cache(maxsize=64)
def _public_holidays(country: str, subdivision: str, years: tuple[int, ...]) -> frozenset[date]:
    # The `holidays` package computes its lists each time: the cost of building a schedule.
    return closed_days_for(country, years, subdivision=subdivision or None)


class BusinessSchedule(models.Model):
    """When a team is open: a time zone, opening ranges per weekday, public holidays and the team's own days off."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    time_zone = models.CharField(_("time zone"), max_length=64, default="Europe/Paris", validators=[time_zone_validate])
    country = models.CharField(
        _("public holidays of"),
        max_length=2,
        default="FR",
        blank=True,
        help_text=_("A country code (FR, BE, CH, CA…); empty: no public holidays."),
    )
    subdivision = models.CharField(
        _("region"),
        max_length=10,
        blank=True,
        help_text=_("Adds a region's own holidays, e.g. 57 for Moselle (Good Friday, 26 December)."),
    )

    class Meta:
        ordering = ("name",)
        verbose_name = _("business hours")
        verbose_name_plural = _("business hours")

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        self.country = self.country.strip().upper()
        self.subdivision = self.subdivision.strip().upper()
        if self.subdivision and not self.country:
            raise ValidationError({"subdivision": _("A region needs its country.")})
        if self.country:
            try:
                _public_holidays(self.country, self.subdivision, (timezone.now().year,))
            except ValueError as error:
                raise ValidationError(
                    {"country": _("No public holidays are known for this country or region.")}
                ) from error

    def business_schedule(self, years: Iterable[int]) -> Schedule:
        """The pure schedule (comptoir.sla.business_time) with the public holidays of ``years``.

        Reads ``ranges`` and ``closed_days`` (prefetch them for many schedules).
        Equal rows give equal schedules, so the arithmetic's own cache serves them
        again; the holidays of a country are computed once per process.
        """
        hours: dict[int, list[tuple[time, time]]] = {}
        for opening in self.ranges.all():
            hours.setdefault(opening.weekday, []).append((opening.start, opening.end))
        closed = {day.day for day in self.closed_days.all()}
        if self.country:
            closed |= _public_holidays(self.country, self.subdivision, tuple(sorted(set(years))))
        return Schedule.from_hours(self.time_zone, hours, closed)


class TeamHours(models.Model):
    """The business hours a group works: outside them its automatic assignment passes (comptoir.rules.assignment),
    and rules can ask whether the ticket's team is open ("business hours" conditions, comptoir.rules.conditions).

    A group without hours works round the clock.
    """

    group = models.OneToOneField(
        SupportGroup, on_delete=models.CASCADE, primary_key=True, related_name="team_hours", verbose_name=_("group")
    )
    schedule = models.ForeignKey(
        BusinessSchedule, on_delete=models.CASCADE, related_name="teams", verbose_name=_("business hours")
    )

    class Meta:
        verbose_name = _("team's business hours")
        verbose_name_plural = _("teams' business hours")

    def __str__(self) -> str:
        return f"{self.group_id}: {self.schedule_id}"


class OpeningRange(models.Model):
    schedule = models.ForeignKey(BusinessSchedule, on_delete=models.CASCADE, related_name="ranges")
    weekday = models.PositiveSmallIntegerField(_("day"), choices=sorted(WEEKDAYS.items()))
    start = models.TimeField(_("opens"))
    end = models.TimeField(
        _("closes"), help_text=_("At or before the opening time: the next day (22:00 to 06:00 is a night).")
    )

    class Meta:
        ordering = ("weekday", "start")
        verbose_name = _("opening hours")
        verbose_name_plural = _("opening hours")

    def __str__(self) -> str:
        return f"{WEEKDAYS[self.weekday]} {self.start:%H:%M}-{self.end:%H:%M}"


class ClosedDay(models.Model):
    """A day the team is closed besides public holidays (a bridge day, the office party)."""

    schedule = models.ForeignKey(BusinessSchedule, on_delete=models.CASCADE, related_name="closed_days")
    day = models.DateField(_("date"))
    name = models.CharField(_("reason"), max_length=100, blank=True)

    class Meta:
        ordering = ("day",)
        verbose_name = _("closed day")
        verbose_name_plural = _("closed days")
        constraints = [models.UniqueConstraint(fields=("schedule", "day"), name="one_closed_day_per_date")]

    def __str__(self) -> str:
        return f"{self.day:%Y-%m-%d} {self.name}".strip()


class SlaPolicy(models.Model):
    """Targets for the tickets its conditions describe; the first active policy in order that matches applies."""

    name = models.CharField(_("name"), max_length=100)
    position = models.PositiveIntegerField(_("position"), default=0, help_text=_("Lower first."))
    is_active = models.BooleanField(_("active"), default=True)
    # The conditions: each left empty matches any ticket.
    priority = models.CharField(_("priority"), max_length=10, choices=Priority.choices, blank=True)
    ticket_type = models.CharField(_("type"), max_length=20, choices=TicketType.choices, blank=True)
    group = models.ForeignKey(
        SupportGroup, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("group")
    )
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("requester's organisation"),
    )
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices, blank=True)
    tag = models.CharField(_("tag"), max_length=TAG_MAX_LENGTH, blank=True)
    # Conditions on ticket fields' values, as a rule's: [{"field": "field:<key>", "operator": ..., "value": ...}]
    # (comptoir.ticketforms.predicates; checked by comptoir.sla.settings.field_condition_problems).
    field_conditions = models.JSONField(_("conditions on ticket fields"), default=list, blank=True)
    pause_on_hold = models.BooleanField(
        _("pause while on hold"), default=True, help_text=_("The clocks always pause while the ticket is pending.")
    )
    schedule = models.ForeignKey(
        BusinessSchedule,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="policies",
        verbose_name=_("business hours"),
        help_text=_("Empty: every target counts calendar time, round the clock."),
    )
    warn_minutes = models.PositiveIntegerField(
        _("warning (minutes)"),
        default=60,
        help_text=_("Agents are warned when this much time is left before a target is due."),
    )

    class Meta:
        ordering = ("position", "id")
        verbose_name = _("service level policy")
        verbose_name_plural = _("service level policies")

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        self.tag = tag_name(self.tag)
        problems = conditions_problems(self.field_conditions)
        if problems:
            raise ValidationError({"field_conditions": problems})

    @property
    def conditions(self) -> Conditions:
        return Conditions(
            priority=self.priority,
            ticket_type=self.ticket_type,
            group_id=self.group_id,
            organisation_id=self.organisation_id,
            channel=self.channel,
            tag=self.tag,
            fields=tuple(
                FieldCondition(key, str(data.get("operator", "")), data.get("value"))
                for data in self.field_conditions or []
                if isinstance(data, dict) and (key := key_of(data.get("field")))
            ),
        )


class SlaTarget(models.Model):
    """How long a ticket of one priority may wait for one metric under a policy."""

    policy = models.ForeignKey(SlaPolicy, on_delete=models.CASCADE, related_name="targets")
    metric = models.CharField(_("target"), max_length=20, choices=Metric.choices)
    priority = models.CharField(_("priority"), max_length=10, choices=Priority.choices)
    minutes = models.PositiveIntegerField(_("minutes"), validators=[MinValueValidator(1)])
    business_hours = models.BooleanField(
        _("in business hours"), default=True, help_text=_("Off: calendar time, round the clock.")
    )

    class Meta:
        ordering = ("policy", "metric", "priority")
        verbose_name = _("target")
        verbose_name_plural = _("targets")
        constraints = [
            models.UniqueConstraint(fields=("policy", "metric", "priority"), name="one_target_per_metric_and_priority")
        ]

    def __str__(self) -> str:
        return f"{self.get_metric_display()} {self.get_priority_display()}: {self.minutes} min"


# A clock that still counts down: not achieved, not stopped, not paused, not breached.
RUNNING = Q(achieved_at__isnull=True, stopped_at__isnull=True, paused_since__isnull=True, breached_at__isnull=True)
# Not achieved and not stopped: the target still waits, running, paused or late.
OPEN = Q(achieved_at__isnull=True, stopped_at__isnull=True)


class TicketSla(models.Model):
    """One target's clock on one ticket: when it started, is due, was met, breached, paused.

    One row per ticket and metric; next reply has one per requester reply that
    waits for an answer (``cycle`` 1, 2, ...), so that each is measured.
    A row achieved keeps the policy and due time it was measured against.
    """

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="sla_targets")
    policy = models.ForeignKey(SlaPolicy, on_delete=models.PROTECT, related_name="+")
    metric = models.CharField(max_length=20, choices=Metric.choices)
    cycle = models.PositiveSmallIntegerField(default=0)
    started_at = models.DateTimeField()
    due_at = models.DateTimeField()
    # When the warning window opens: `warn_minutes` of the target's clock before due_at.
    warn_at = models.DateTimeField()
    achieved_at = models.DateTimeField(null=True, blank=True)
    # Set once each by the breach job (comptoir.sla.breaches), never by the subscriber.
    warned_at = models.DateTimeField(null=True, blank=True)
    breached_at = models.DateTimeField(null=True, blank=True)
    # Null while the clock runs. While paused, due_at and warn_at are those before the pause.
    paused_since = models.DateTimeField(null=True, blank=True)
    # Time paused, on the target's clock (business time for a business-hours target).
    paused_total = models.DurationField(default=timedelta(0))
    # Stopped for good without being met: the ticket closed or merged, or no policy applies any more.
    stopped_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("started_at", "id")
        verbose_name = _("service level target of a ticket")
        verbose_name_plural = _("service level targets of tickets")
        constraints = [
            models.UniqueConstraint(fields=("ticket", "metric", "cycle"), name="one_clock_per_ticket_metric_cycle")
        ]
        indexes = [
            # The breach job's question, "running clocks due before now": a range of this small index.
            models.Index(fields=("due_at",), condition=RUNNING, name="sla_running_by_due"),
            models.Index(
                fields=("warn_at",), condition=RUNNING & Q(warned_at__isnull=True), name="sla_unwarned_by_warn"
            ),
            # The reports' attainment (comptoir.reports.sla): targets met in a range, by when they were met,
            # and targets missed in a range, by when they were due; the two halves of one OR, each a range
            # of its own small index (a BitmapOr on PostgreSQL), instead of a scan of every clock.
            models.Index(
                fields=("achieved_at", "due_at"), condition=Q(achieved_at__isnull=False), name="sla_achieved_by_time"
            ),
            models.Index(
                fields=("due_at", "id"),
                condition=Q(breached_at__isnull=False) | Q(achieved_at__gt=F("due_at")),
                name="sla_missed_by_due",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.metric} #{self.cycle} on ticket {self.ticket_id}"

    @property
    def met(self) -> bool | None:
        """Whether the target was met; None while it waits or once stopped."""
        if self.achieved_at is None:
            return None
        return self.achieved_at <= self.due_at


class SlaPause(models.Model):
    """One pause of a ticket's clock, for the ticket page's history: written with the clock by its one writer.

    ``ended_at`` is null while the pause goes on (the clock's ``paused_since``).
    """

    target = models.ForeignKey(TicketSla, on_delete=models.CASCADE, related_name="pauses")
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("started_at", "id")
        verbose_name = _("pause of a service level target")
        verbose_name_plural = _("pauses of service level targets")

    def __str__(self) -> str:
        return f"pause of {self.target_id} from {self.started_at:%Y-%m-%d %H:%M}"


class TargetCounts(models.Model):
    """A day's targets met and breached, of one policy and metric, under one tag (0: every ticket)."""

    day = models.DateField()
    tag = models.PositiveIntegerField(default=0)
    # No database constraint: a policy is deleted only once no clock names it, its rows all at 0 by then.
    policy = models.ForeignKey(SlaPolicy, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+")
    metric = models.CharField(max_length=20, choices=Metric.choices)
    met = models.IntegerField(default=0)
    breached = models.IntegerField(default=0)

    class Meta:
        abstract = True


class DailyAttainment(TicketDimensions, TargetCounts):
    """Per day in the team's time zone, dimensions, tag, policy and metric: the targets met and breached.

    The reports' service level attainment adds these up (comptoir.reports.sla) instead of reading a
    range's clocks. A clock counts on the day its outcome fell (met: when achieved; breached: when it
    was due), under its ticket's dimensions as they are now, once under tag 0 and once under each of its
    tags, as the reports' other rollups. Written by the clocks' own writer (comptoir.sla.attainment),
    in the transaction that moves a clock or its ticket.
    """

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=(
                    "day",
                    *DIMENSIONS,
                    "tag",
                    "policy",
                    "metric",
                ),
                name="attainment_one_row_per_day_dimensions_tag_target",
            )
        ]
        indexes = [
            # A range of one tag's days, the counts and every filterable column carried in the index
            # (PostgreSQL's INCLUDE): filtered or not, a quarter is an index-only scan.
            models.Index(
                fields=("tag", "day"),
                include=("met", "breached", "policy", "metric", *DIMENSIONS),
                name="attainment_by_tag_and_day",
            )
        ]

    def __str__(self) -> str:
        return f"attainment of {self.day}"


class TeamAttainment(TargetCounts):
    """DailyAttainment added up over channel, type, priority, language and organisation: per day, group,
    agent, tag, policy and metric. Written with it from the same differences (comptoir.sla.attainment),
    so each row is the sum of its DailyAttainment rows; the reports read it when they are filtered by
    no more than a group, an agent and a tag (a quarter: thousands of rows, not a hundred and fifty thousand).
    """

    group = models.PositiveIntegerField(default=0)
    assignee = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            # Tag and day first: the key's own index serves a range of days of one tag (0: every ticket).
            models.UniqueConstraint(
                fields=("tag", "day", "group", "assignee", "policy", "metric"), name="team_attainment_one_row_per_key"
            )
        ]

    def __str__(self) -> str:
        return f"team attainment of {self.day}"


class AttainmentCounted(TicketDimensions):
    """What a ticket's clocks add to DailyAttainment, and the dimensions and tags they are counted under.

    The difference between this and what the clocks and the ticket say now is what a change adds to the
    rollups; deleting the ticket takes it away (comptoir.sla.attainment.attainment_forget).
    """

    ticket = models.OneToOneField(Ticket, on_delete=models.CASCADE, primary_key=True, related_name="+")
    tags = models.JSONField(default=list)
    # {"<day> <policy id> <metric>": [met, breached]}
    counts = models.JSONField(default=dict)

    def __str__(self) -> str:
        return f"attainment counted of ticket {self.ticket_id}"
