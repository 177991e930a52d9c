"""The forms of the service level settings: business hours (with their week and closed days) and policies.

They check what a person typed and say what is wrong next to it; the rules
themselves live in comptoir.sla.settings, whose services check them again.
"""

from __future__ import annotations

import functools
import unicodedata
import zoneinfo
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import time
from typing import TYPE_CHECKING, Any

from django import forms
from django.core.exceptions import ValidationError
from django.urls import reverse_lazy
from django.utils.dates import WEEKDAYS
from django.utils.functional import Promise
from django.utils.text import format_lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from comptoir.accounts.models import Organisation
from comptoir.core.widgets import PlainSelect
from comptoir.sla.models import BusinessSchedule, Metric, SlaPolicy, SlaTarget
from comptoir.sla.settings import (
    DayOff,
    Opening,
    TargetTerms,
    days_off_problems,
    holiday_countries,
    opening_problems,
    policy_problems,
)
from comptoir.ticketforms import predicates
from comptoir.ticketforms.models import TicketField
from comptoir.tickets.models import Channel, Priority, SupportGroup, TicketType
from comptoir.workspace.country_names import COUNTRY_NAMES

if TYPE_CHECKING:
    from django.utils.functional import _StrOrPromise as StrOrPromise

# What a new schedule proposes: Monday to Friday, 09:00 to 12:00 and 13:00 to 18:00.
OFFICE_WEEK = [
    Opening(weekday, start, end) for weekday in range(5) for start, end in ((time(9), time(12)), (time(13), time(18)))
]

_REGIONS: dict[str, Promise] = {
    "Africa": _("Africa"),
    "America": _("America"),
    "Antarctica": _("Antarctica"),
    "Arctic": _("Arctic"),
    "Asia": _("Asia"),
    "Atlantic": _("Atlantic"),
    "Australia": _("Australia"),
    "Europe": _("Europe"),
    "Indian": _("Indian Ocean"),
    "Pacific": _("Pacific"),
}


@functools.cache
def _zone_names() -> tuple[str, ...]:
    # The zones of a region (Europe/Paris), not the old aliases (US/Eastern, EST5EDT): a shorter, clearer list.
    return tuple(sorted(name for name in zoneinfo.available_timezones() if name.split("/")[0] in _REGIONS))


def time_zone_choices(current: str = "") -> list[tuple[Any, Any]]:
    """UTC, then the zones grouped by region; a zone a schedule already has is kept, even an alias."""
    groups: dict[str, list[tuple[str, str]]] = {}
    for name in _zone_names():
        region, place = name.split("/", 1)
        groups.setdefault(region, []).append((name, place.replace("_", " ").replace("/", " / ")))
    choices: list[tuple[Any, Any]] = [("UTC", "UTC")]
    if current and current != "UTC" and current not in _zone_names():
        choices.append((current, current))
    choices += [(_REGIONS[region], zones) for region, zones in groups.items()]
    return choices


def _sort_key(text: str) -> str:
    # "Égypte" between "Équateur" and "Érythrée", not after "Zimbabwe".
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().casefold()


def country_choices() -> list[tuple[str, str]]:
    """Every country whose public holidays are known, by its name in the page's language."""
    named = [(code, str(COUNTRY_NAMES.get(code, code))) for code in holiday_countries()]
    return [("", gettext("None")), *sorted(named, key=lambda choice: _sort_key(choice[1]))]


def country_name(code: str) -> str:
    return str(COUNTRY_NAMES.get(code, code))


# --- Business hours ----------------------------------------------------------------------------


class ScheduleForm(forms.ModelForm[BusinessSchedule]):
    time_zone = forms.ChoiceField(
        label=_("Time zone"),
        widget=PlainSelect,
        error_messages={"invalid_choice": _("“%(value)s” is not a time zone name, such as Europe/Paris.")},
    )
    country = forms.ChoiceField(
        label=_("Public holidays of"),
        required=False,
        widget=PlainSelect,
        help_text=_("The team closes on this country's public holidays."),
    )

    teams = forms.ModelMultipleChoiceField(
        label=_("Teams working these hours"),
        queryset=SupportGroup.objects.order_by("name"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_(
            "Outside these hours, the group's automatic assignment waits for the team to open, and rules can ask "
            "whether a ticket comes within or outside them. A group works one schedule's hours: choosing it here "
            "moves it from another; a group with none works round the clock."
        ),
    )

    class Meta:
        model = BusinessSchedule
        fields = ("name", "time_zone", "country", "subdivision")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        time_zone = self.fields["time_zone"]
        country = self.fields["country"]
        assert isinstance(time_zone, forms.ChoiceField) and isinstance(country, forms.ChoiceField)
        time_zone.choices = time_zone_choices(self.instance.time_zone)
        country.choices = country_choices()
        # New business hours start from the model's defaults (Paris, France's holidays), as existing ones from theirs.
        self.initial.setdefault("time_zone", self.instance.time_zone)
        self.initial.setdefault("country", self.instance.country)
        if self.instance.pk is not None:
            self.initial.setdefault("teams", [hours.group_id for hours in self.instance.teams.all()])
        self.fields["subdivision"].help_text = _(
            "Optional: a region's own holidays too, e.g. 57 for Moselle (Good Friday, 26 December)."
        )


_TIME = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
_DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class OpeningForm(forms.Form):
    """One opening range; both times empty: no range (how a range is taken away)."""

    start = forms.TimeField(label=_("Opens"), required=False, widget=_TIME)
    end = forms.TimeField(label=_("Closes"), required=False, widget=_TIME)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        start, end = cleaned.get("start"), cleaned.get("end")
        if not self.errors and (start is None) != (end is None):
            missing = "end" if end is None else "start"
            self.add_error(missing, gettext("Give both the opening and the closing time, or neither."))
        return cleaned


OpeningFormSet = forms.formset_factory(OpeningForm, extra=0)


@dataclass
class Day:
    weekday: int
    name: str
    formset: forms.BaseFormSet[OpeningForm]
    problems: list[str]


class WeekHours:
    """Seven formsets of opening ranges, one a weekday, each with a row or two to spare for a new range."""

    def __init__(self, data: Any = None, openings: Iterable[Opening] = ()) -> None:
        openings = list(openings)
        self.days: list[Day] = []
        for weekday, name in sorted(WEEKDAYS.items()):
            initial = [{"start": o.start, "end": o.end} for o in openings if o.weekday == weekday]
            # Bound, the rows are what was posted: a row equal to its initial value would be skipped as unchanged.
            formset = OpeningFormSet(data, prefix=f"day{weekday}", initial=None if data is not None else initial)
            formset.extra = max(2 - len(initial), 1)
            self.days.append(Day(weekday, str(name), formset, []))

    def is_valid(self) -> bool:
        valid = [day.formset.is_valid() for day in self.days]  # each, so that each shows its errors
        if not all(valid):
            return False
        for weekday, message in opening_problems(self.openings()):
            self.days[weekday].problems.append(message)
        return not any(day.problems for day in self.days)

    def openings(self) -> list[Opening]:
        return [
            Opening(day.weekday, form.cleaned_data["start"], form.cleaned_data["end"])
            for day in self.days
            for form in day.formset.forms
            if form.cleaned_data.get("start") is not None and form.cleaned_data.get("end") is not None
        ]


class DayOffForm(forms.Form):
    day = forms.DateField(label=_("Date"), required=False, widget=_DATE)
    name = forms.CharField(label=_("Reason"), required=False, max_length=100)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if not self.errors and cleaned.get("day") is None and cleaned.get("name"):
            self.add_error("day", gettext("Give the date of this closed day, or clear its reason."))
        return cleaned


DayOffFormSet = forms.formset_factory(DayOffForm, extra=0)


def _told(label: object, error: object) -> str:
    """An error as the box at the top of a page lists it: "Name: This field is required." """
    return gettext("%(field)s: %(error)s") % {"field": label, "error": error}


class ScheduleForms:
    """Everything the business hours page asks: the schedule's fields, its week, its closed days."""

    def __init__(self, data: Any = None, *, schedule: BusinessSchedule | None = None) -> None:
        self.schedule = schedule
        self.form = ScheduleForm(data, instance=schedule)
        if schedule is None:
            openings: Sequence[Opening] = OFFICE_WEEK
            days_off: list[dict[str, Any]] = []
        else:
            openings = [Opening(row.weekday, row.start, row.end) for row in schedule.ranges.all()]
            days_off = [{"day": row.day, "name": row.name} for row in schedule.closed_days.all()]
        self.week = WeekHours(data, openings)
        self.days_off = DayOffFormSet(data, prefix="closed", initial=None if data is not None else days_off)
        self.days_off.extra = 2
        self.days_off_problems: list[str] = []

    def is_valid(self) -> bool:
        valid = [self.form.is_valid(), self.week.is_valid(), self.days_off.is_valid()]
        if valid[2]:
            self.days_off_problems = days_off_problems(self.closed_days())
        return all(valid) and not self.days_off_problems

    def closed_days(self) -> list[DayOff]:
        return [
            DayOff(form.cleaned_data["day"], form.cleaned_data.get("name", ""))
            for form in self.days_off.forms
            if form.cleaned_data.get("day") is not None
        ]

    def summary(self) -> list[tuple[str, str]]:
        """Each error, with the element to go to for it, for the box at the top of the page."""
        found: list[tuple[str, str]] = [
            (field.auto_id, _told(field.label, error)) for field in self.form for error in field.errors
        ]
        found += [("schedule-fields", str(error)) for error in self.form.non_field_errors()]
        for day in self.week.days:
            found += [
                (field.auto_id, _told(f"{day.name}, {field.label}", error))
                for form in day.formset.forms
                for field in form
                for error in field.errors
            ]
            found += [(f"day-{day.weekday}", str(error)) for error in day.formset.non_form_errors()]
            found += [(f"day-{day.weekday}", problem) for problem in day.problems]
        found += [
            (field.auto_id, _told(field.label, error))
            for form in self.days_off.forms
            for field in form
            for error in field.errors
        ]
        found += [("closed-days", str(error)) for error in self.days_off.non_form_errors()]
        found += [("closed-days", problem) for problem in self.days_off_problems]
        return found


# --- Policies ----------------------------------------------------------------------------------

MINUTES, HOURS = "minutes", "hours"
BUSINESS, CALENDAR = "business", "calendar"
# Urgent first: the row read first is the one that matters most.
PRIORITIES = list(reversed(Priority.choices))
# Two years in minutes, more than any help desk promises; even counted in hours it fits the database (2**31).
MOST = 1_000_000
# Empty rows of conditions on ticket fields offered under those filled in; and the most a page reads back.
FIELD_ROWS_SPARE = 2
FIELD_ROWS_MOST = 20


@dataclass
class FieldConditionRow:
    """One condition on a ticket field: which field, how it compares, with what."""

    field: forms.BoundField
    operator: forms.BoundField
    value: forms.BoundField

    def __iter__(self) -> Iterator[forms.BoundField]:
        return iter((self.field, self.operator, self.value))


def _split(minutes: int) -> tuple[int, str]:
    return (minutes // 60, HOURS) if minutes % 60 == 0 else (minutes, MINUTES)


@dataclass
class TargetCell:
    """One (priority, metric) cell of the targets table: how long, in minutes or hours, on which clock."""

    amount: forms.BoundField
    unit: forms.BoundField
    clock: forms.BoundField


class PolicyForm(forms.ModelForm[SlaPolicy]):
    # Named as typed, with names suggested as the admin types: a help desk may know thousands of organisations.
    organisation = forms.CharField(
        label=_("Requester's organisation"),
        required=False,
        max_length=200,
        help_text=_("Its name as the admin wrote it; empty for any."),
        widget=forms.TextInput(
            attrs={
                "list": "organisation-suggestions",
                "autocomplete": "off",
                "hx-get": reverse_lazy("agent_organisation_suggestions"),
                "hx-trigger": "input changed delay:200ms",
                "hx-target": "#organisation-suggestions",
                "hx-swap": "innerHTML",
            }
        ),
    )

    class Meta:
        model = SlaPolicy
        fields = (
            "name",
            "is_active",
            "priority",
            "ticket_type",
            "group",
            "channel",
            "tag",
            "schedule",
            "pause_on_hold",
            "warn_minutes",
        )
        widgets = {"warn_minutes": forms.NumberInput(attrs={"min": 0, "class": "number-input"})}

    def __init__(self, *args: Any, targets: Iterable[SlaTarget] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        any_value = gettext("Any")
        for name, choices in (("priority", Priority.choices), ("ticket_type", TicketType.choices)):
            field = self.fields[name]
            assert isinstance(field, forms.ChoiceField)
            field.choices = [("", any_value), *choices]
        channel = self.fields["channel"]
        assert isinstance(channel, forms.ChoiceField)
        channel.choices = [("", any_value), *Channel.choices]
        group, schedule = self.fields["group"], self.fields["schedule"]
        assert isinstance(group, forms.ModelChoiceField) and isinstance(schedule, forms.ModelChoiceField)
        group.empty_label = any_value
        schedule.empty_label = gettext("None: calendar time, round the clock")
        self.fields["tag"].help_text = _("Tickets with this tag; empty for any.")
        self.fields["schedule"].help_text = _("What “business hours” means for the targets below.")
        if self.instance.organisation_id is not None and not self.is_bound:
            self.initial["organisation"] = self.instance.organisation.name if self.instance.organisation else ""
        self._field_rows_add()
        existing = {(target.metric, target.priority): target for target in targets}
        for priority, priority_label in PRIORITIES:
            for metric, metric_label in Metric.choices:
                target = existing.get((metric, priority))
                amount, unit = _split(target.minutes) if target else (None, HOURS)
                clock = CALENDAR if target and not target.business_hours else BUSINESS
                label = format_lazy("{} · {}", priority_label, metric_label)
                self._target_fields(f"{metric}-{priority}", label, amount, unit, clock)

    def _field_rows_add(self) -> None:
        """The rows of conditions on ticket fields: those saved (or posted), and FIELD_ROWS_SPARE empty ones."""
        self.ticket_fields = {field.key: field for field in TicketField.objects.order_by("key")}
        saved = [data for data in self.instance.field_conditions or [] if isinstance(data, dict)]
        if self.is_bound:
            posted = [i for i in range(FIELD_ROWS_MOST) if self.data.get(f"fieldcond-{i}-field")]
            count = max(posted, default=-1) + 1
        else:
            count = len(saved)
        field_choices = [("", gettext("Choose…"))] + [
            (f"{predicates.PREFIX}{key}", field.label + (gettext(" (archived)") if field.archived else ""))
            for key, field in self.ticket_fields.items()
        ]
        operator_choices = [("", gettext("Choose…"))] + [
            (str(op), predicates.operator_label(op)) for op in predicates.FieldOp
        ]
        self.field_row_count = min(count + FIELD_ROWS_SPARE, FIELD_ROWS_MOST)
        for i in range(self.field_row_count):
            data = saved[i] if not self.is_bound and i < len(saved) else {}
            value = data.get("value")
            shown = ", ".join(map(str, value)) if isinstance(value, list) else "" if value is None else str(value)
            self.fields[f"fieldcond-{i}-field"] = forms.ChoiceField(
                label=format_lazy("{} {}", _("Ticket field"), i + 1),
                choices=field_choices,
                required=False,
                initial=data.get("field", ""),
            )
            self.fields[f"fieldcond-{i}-operator"] = forms.ChoiceField(
                label=format_lazy("{} {}", _("Comparison"), i + 1),
                choices=operator_choices,
                required=False,
                initial=data.get("operator", ""),
            )
            self.fields[f"fieldcond-{i}-value"] = forms.CharField(
                label=format_lazy("{} {}", _("Value"), i + 1), required=False, max_length=500, initial=shown
            )

    def field_rows(self) -> list[FieldConditionRow]:
        return [
            FieldConditionRow(
                self[f"fieldcond-{i}-field"], self[f"fieldcond-{i}-operator"], self[f"fieldcond-{i}-value"]
            )
            for i in range(self.field_row_count)
        ]

    def _field_conditions_clean(self) -> None:
        """The rows as the policy keeps them (``field_conditions``), each checked against its field."""
        self.field_conditions: list[dict[str, Any]] = []
        for i in range(self.field_row_count):
            name, operator = (
                self.cleaned_data.get(f"fieldcond-{i}-field"),
                self.cleaned_data.get(f"fieldcond-{i}-operator"),
            )
            typed = str(self.cleaned_data.get(f"fieldcond-{i}-value") or "").strip()
            if not name:
                if operator or typed:
                    self.add_error(f"fieldcond-{i}-field", gettext("Choose the ticket field, or clear the row."))
                continue
            field = self.ticket_fields.get(predicates.key_of(name) or "")
            if field is None:
                self.add_error(f"fieldcond-{i}-field", gettext("This ticket field no longer exists."))
                continue
            if not operator:
                self.add_error(f"fieldcond-{i}-operator", gettext("Choose how the field compares."))
                continue
            value: Any = typed or None
            if operator == predicates.FieldOp.IN:
                value = [part.strip() for part in typed.split(",") if part.strip()]
            problem, kept = predicates.condition_problem(field, operator, value)
            if problem:
                self.add_error(f"fieldcond-{i}-value", problem)
                continue
            self.field_conditions.append({"field": name, "operator": operator, "value": kept})

    def metric_labels(self) -> list[str]:
        return [str(label) for _metric, label in Metric.choices]

    def target_rows(self) -> list[tuple[str, list[TargetCell]]]:
        """The targets table: a row per priority, urgent first, a cell per metric."""
        return [
            (
                str(priority_label),
                [
                    TargetCell(
                        self[f"{metric}-{priority}-amount"],
                        self[f"{metric}-{priority}-unit"],
                        self[f"{metric}-{priority}-clock"],
                    )
                    for metric in Metric.values
                ],
            )
            for priority, priority_label in PRIORITIES
        ]

    def _target_fields(self, key: str, label: StrOrPromise, amount: int | None, unit: str, clock: str) -> None:
        at_least_a_minute = _("A target needs at least one minute; leave it empty for no target.")
        self.fields[f"{key}-amount"] = forms.IntegerField(
            label=label,
            required=False,
            min_value=1,
            max_value=MOST,
            initial=amount,
            widget=forms.NumberInput(attrs={"class": "number-input", "min": 1}),
            error_messages={"min_value": at_least_a_minute},
        )
        self.fields[f"{key}-unit"] = forms.ChoiceField(
            label=format_lazy("{} ({})", label, _("unit")),
            choices=[(MINUTES, _("minutes")), (HOURS, _("hours"))],
            initial=unit,
        )
        self.fields[f"{key}-clock"] = forms.ChoiceField(
            label=format_lazy("{} ({})", label, _("counted in")),
            choices=[(BUSINESS, _("in business hours")), (CALENDAR, _("in calendar time"))],
            initial=clock,
        )

    def summary(self) -> list[tuple[str, str]]:
        """Each error, with the field to go to for it, for the box at the top of the page."""
        found = [(field.auto_id, _told(field.label, error)) for field in self for error in field.errors]
        return found + [("policy-form", str(error)) for error in self.non_field_errors()]

    def clean_organisation(self) -> Organisation | None:
        name = self.cleaned_data["organisation"].strip()
        if not name:
            return None
        organisation = Organisation.objects.filter(name__iexact=name).first()
        if organisation is None:
            raise ValidationError(gettext("No organisation is named “%(name)s”.") % {"name": name})
        return organisation

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if "schedule" in cleaned:
            for problem in policy_problems(cleaned["schedule"], self.targets()):
                self.add_error("schedule", problem)
        self._field_conditions_clean()
        return cleaned

    def targets(self) -> dict[tuple[str, str], TargetTerms]:
        """The targets typed, by (metric, priority); a cell left empty has none. Read after is_valid."""
        terms = {}
        for priority, _label in PRIORITIES:
            for metric, _metric_label in Metric.choices:
                key = f"{metric}-{priority}"
                amount = self.cleaned_data.get(f"{key}-amount")
                if amount is None:
                    continue
                minutes = amount * 60 if self.cleaned_data.get(f"{key}-unit") == HOURS else amount
                clock = self.cleaned_data.get(f"{key}-clock", BUSINESS)
                terms[(metric, priority)] = TargetTerms(minutes=minutes, business_hours=clock == BUSINESS)
        return terms
