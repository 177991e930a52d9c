"""The reports page: volume, speed, service levels, satisfaction and agents for a range, beside the range before it.

The view reads the range and the filters, asks comptoir.reports.selectors for each
section (a fixed number of small queries, whatever the number of tickets), and lays
the figures out: an SVG chart, its numbers in a table, a CSV per section, and links
from counts to the workspace search that lists the tickets behind them.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext, pgettext
from django.views.decorators.http import require_GET

from comptoir.accounts.models import Organisation, Role, User
from comptoir.reports import charts
from comptoir.reports.access import can_see_reports
from comptoir.reports.buckets import DEFAULT_GROUPING, GROUPINGS, Bucket, buckets
from comptoir.reports.facts import team_zone
from comptoir.reports.periods import DEFAULT_PRESET, PRESETS, Period, custom_period, preset_period
from comptoir.reports.selectors import (
    Filters,
    agents,
    latest_comments,
    satisfaction_by_group,
    share,
    speed,
    volume,
)
from comptoir.reports.sla import sla_attainment, sla_breaches
from comptoir.ticketforms.models import FieldKind, TicketField
from comptoir.ticketforms.validation import CHECKED, UNCHECKED
from comptoir.tickets.models import Channel, Priority, SupportGroup, Tag, TicketType
from comptoir.tickets.tags import tag_name
from comptoir.workspace.access import agent_required

SECTIONS = ("volume", "speed", "sla", "satisfaction", "agents")


def reports_permission_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """After agent_required: an agent without the reporting permission is refused ("Access refused")."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not can_see_reports(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


# --- What the address asks for ------------------------------------------------------------------


def preset_labels() -> dict[str, str]:
    return {
        "this_week": gettext("This week"),
        "last_week": gettext("Last week"),
        "last_30_days": gettext("Last 30 days"),
        "this_quarter": gettext("This quarter"),
        "last_quarter": gettext("Last quarter"),
    }


def _date(value: str) -> date | None:
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def period_asked(params: QueryDict, today: date) -> tuple[str, Period]:
    """The preset named, or the custom range typed; anything unreadable falls back to the default."""
    first, last = _date(params.get("from", "")), _date(params.get("to", ""))
    if params.get("period") == "custom" and first and last:
        typed = custom_period(first, last)
        if typed is not None:
            return "custom", typed
    name = params.get("period", "")
    name = name if name in PRESETS else DEFAULT_PRESET
    return name, preset_period(name, today)


@dataclass(frozen=True)
class Names:
    """What the filters offer, by id: for the form, and for the searches the numbers link to."""

    groups: dict[int, str]
    agents: dict[int, tuple[str, str]]  # name, e-mail address
    organisations: dict[int, str]
    # The drop-down and checkbox fields a lead can narrow to, by id.
    fields: dict[int, TicketField]

    @classmethod
    def read(cls) -> Names:
        """4 queries. Agents who left stay: their past figures are still there; so do archived fields."""
        people = User.objects.filter(role__in=(Role.AGENT, Role.ADMIN)).order_by("name", "email")
        fields = TicketField.objects.filter(kind__in=(FieldKind.DROPDOWN, FieldKind.CHECKBOX)).order_by("key")
        return cls(
            groups=dict(SupportGroup.objects.values_list("pk", "name")),
            agents={
                person.pk: (person.get_full_name(), person.email)
                for person in people.only("name", "email", "is_active")
            },
            organisations=dict(Organisation.objects.values_list("pk", "name")),
            fields={field.pk: field for field in fields},
        )

    def field_choices(self) -> list[tuple[str, list[tuple[str, str]]]]:
        """For the form: per field, its values as "<id>:<value>" and their labels (the page's language)."""
        offered = []
        for field in self.fields.values():
            if field.kind == FieldKind.CHECKBOX:
                pairs = [(CHECKED, gettext("Ticked")), (UNCHECKED, gettext("Not ticked"))]
            else:
                pairs = [(value.lower(), label) for value, label in field.choice_pairs()]
            offered.append((field.label, [(f"{field.pk}:{value}", label) for value, label in pairs]))
        return offered


def _id(value: str, known: Iterable[int]) -> int | None:
    return int(value) if value.isdigit() and int(value) in set(known) else None


def filters_asked(params: QueryDict, names: Names) -> tuple[Filters, str]:
    """The filters, and the tag's name as typed then normalised ("" when none or unknown: no tag filter)."""
    tag = tag_name(params.get("tag", ""))
    # A tag nobody ever used has no rollups: its figures would all be zero, so it is read as no filter.
    tag_id = Tag.objects.filter(name=tag).values_list("pk", flat=True).first() if tag else None
    field_id, _colon, field_value = params.get("field", "").partition(":")
    field = names.fields.get(int(field_id)) if field_id.isdigit() else None
    if field is None or f"{field.pk}:{field_value}" not in {
        value for _label, pairs in names.field_choices() for value, _ in pairs
    }:
        field, field_value = None, ""
    filters = Filters(
        field=field.pk if field is not None else None,
        field_value=field_value,
        group=_id(params.get("group", ""), names.groups),
        assignee=_id(params.get("agent", ""), names.agents),
        organisation=_id(params.get("organisation", ""), names.organisations),
        tag=tag_id,
        channel=_choice(params.get("channel", ""), Channel.values),
        type=_choice(params.get("type", ""), TicketType.values),
        priority=_choice(params.get("priority", ""), Priority.values),
        language=_choice(params.get("language", ""), [code for code, _name in _languages()]),
    )
    return filters, tag if tag_id is not None else ""


def _choice(value: str, allowed: Sequence[str]) -> str:
    return value if value in allowed else ""


def _languages() -> list[tuple[str, str]]:
    return [(code, str(name)) for code, name in settings.LANGUAGES]


# --- How figures read --------------------------------------------------------------------------


def duration_text(seconds: float | None) -> str:
    """2 h 30 min, 3 d 4 h, 45 min, 30 s: a wait read at a glance; an en dash when there is none."""
    if seconds is None:
        return "\N{EN DASH}"
    whole = round(seconds)
    if whole < 60:
        return gettext("%(seconds)s s") % {"seconds": whole}
    minutes = whole // 60
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        return gettext("%(days)s d %(hours)s h") % {"days": days, "hours": hours}
    if hours:
        return gettext("%(hours)s h %(minutes)s min") % {"hours": hours, "minutes": minutes}
    return gettext("%(minutes)s min") % {"minutes": minutes}


def percent_text(value: float | None) -> str:
    if value is None:
        return "\N{EN DASH}"
    return gettext("%(percent)s%%") % {"percent": round(100 * value)}


def number_text(value: float | None) -> str:
    if value is None:
        return "\N{EN DASH}"
    return formats.number_format(round(value, 1), decimal_pos=1)


@dataclass(frozen=True)
class Figure:
    """One number of the page, the previous range's beside it, and the tickets behind it when a search finds them."""

    label: str
    value: str
    previous: str
    link: str = ""


def _quoted(value: str) -> str:
    return '"{}"'.format(value.replace('"', ""))


def search_link(filters: Filters, names: Names, *terms: str, tag: str = "") -> str:
    """The workspace search listing the tickets behind a number; "" when the search cannot say the filters.

    ``group:`` and ``org:`` find names holding the text, ``assignee:`` a name or address
    holding it: the search may find a few more tickets than counted when one name holds another.
    """
    if filters.channel or filters.language:
        return ""  # the search box has no channel or language filter yet
    words = list(terms)
    if filters.group is not None:
        words.append("group:" + _quoted(names.groups[filters.group]))
    if filters.assignee is not None:
        words.append("assignee:" + names.agents[filters.assignee][1])
    if filters.organisation is not None:
        words.append("org:" + _quoted(names.organisations[filters.organisation]))
    if tag:
        words.append(f"tag:{tag}")
    if filters.by_field and filters.field is not None:
        words.append(f"field:{names.fields[filters.field].key}={filters.field_value}")
    if filters.type:
        words.append(f"type:{filters.type}")
    if filters.priority:
        words.append(f"priority:{filters.priority}")
    return reverse("agent_tickets") + "?" + urlencode({"q": " ".join(words)})


# --- The page ---------------------------------------------------------------------------------


@require_GET
@agent_required
@reports_permission_required
def reports(request: HttpRequest) -> HttpResponse:
    today = timezone.now().astimezone(team_zone()).date()
    names = Names.read()
    preset, period = period_asked(request.GET, today)
    filters, tag = filters_asked(request.GET, names)
    grouping = _choice(request.GET.get("by", ""), GROUPINGS) or DEFAULT_GROUPING
    section = request.GET.get("csv", "")
    if section in SECTIONS:
        return _csv(section, period, filters, grouping, names)
    previous = period.previous()
    counted = volume(period, filters)
    grouped = buckets(counted.days, grouping)
    current_speed, previous_speed = speed(period, filters)
    labels = [_bucket_name(bucket) for bucket in grouped]
    totals, before = counted.totals, counted.previous

    def link(*terms: str) -> str:
        return search_link(filters, names, *terms, tag=tag)

    lines = agents(period, filters)
    attainment = sla_attainment(period, filters)
    context = {
        "preset": preset,
        "presets": preset_labels(),
        "period": period,
        "previous": previous,
        "filters": filters,
        "tag": tag,
        "tag_typed": request.GET.get("tag", "")[:100],
        "grouping": grouping,
        "groupings": {"day": gettext("Per day"), "week": gettext("Per week")},
        "groups": sorted(names.groups.items(), key=lambda item: item[1].lower()),
        "agent_choices": [(pk, name or email) for pk, (name, email) in names.agents.items()],
        "organisations": sorted(names.organisations.items(), key=lambda item: item[1].lower()),
        "channels": Channel.choices,
        "types": TicketType.choices,
        "priorities": Priority.choices,
        "languages": _languages(),
        "field_choices": names.field_choices(),
        "field_chosen": f"{filters.field}:{filters.field_value}" if filters.by_field else "",
        "address": _address(request.GET),
        "volume_figures": [
            Figure(
                pgettext("report figure", "Created"),
                str(totals["created"]),
                str(before["created"]),
                link(*_created_between(period.first, period.last)),
            ),
            Figure(pgettext("report figure", "Solved"), str(totals["solved"]), str(before["solved"])),
            Figure(pgettext("report figure", "Reopened"), str(totals["reopened"]), str(before["reopened"])),
            Figure(
                gettext("Open at the end"),
                str(counted.backlog_end),
                str(counted.backlog_before),
                # The search lists the tickets open now: the same ones only when the range ends today.
                link("status:active") if period.last == today else "",
            ),
        ],
        "volume_rows": [
            # Flat values: a quarter per day is ninety rows in two tables, each lookup a template's work.
            {
                **bucket.counts,
                "backlog": bucket.backlog,
                "name": _bucket_long_name(bucket, grouping),
                "link": link(*_created_between(bucket.first, bucket.last)) if bucket.counts["created"] else "",
                "score": percent_text(bucket.score),
            }
            for bucket in grouped
        ],
        "volume_chart": charts.bar_chart(
            labels,
            [
                (pgettext("report figure", "Created"), [bucket.counts["created"] for bucket in grouped]),
                (pgettext("report figure", "Solved"), [bucket.counts["solved"] for bucket in grouped]),
            ],
        ),
        "backlog_chart": charts.line_chart(labels, [bucket.backlog for bucket in grouped]),
        "score_chart": charts.share_chart(labels, [bucket.score for bucket in grouped]),
        "colours": charts.SERIES_COLOURS,
        "speed_figures": _speed_figures(current_speed, previous_speed),
        "sla_lines": [
            {"line": line, "share": percent_text(line.share), "total": line.met + line.breached} for line in attainment
        ],
        "sla_breached": sum(line.breached for line in attainment),
        "breaches": sla_breaches(period, filters),
        "satisfaction_figures": [
            Figure(
                gettext("Satisfaction score"),
                percent_text(share(totals["good"], totals["rated"])),
                percent_text(share(before["good"], before["rated"])),
            ),
            Figure(gettext("Ratings"), str(totals["rated"]), str(before["rated"])),
            Figure(
                gettext("Response rate"),
                percent_text(share(totals["answered"], totals["offered"])),
                percent_text(share(before["answered"], before["offered"])),
            ),
            Figure(gettext("Surveys sent"), str(totals["offered"]), str(before["offered"])),
        ],
        "group_satisfaction": [
            {
                "name": names.groups.get(line.group_id, gettext("No group")) if line.group_id else gettext("No group"),
                "line": line,
                "score": percent_text(line.score),
                "response_rate": percent_text(line.response_rate),
            }
            for line in satisfaction_by_group(period, filters)
        ],
        "comments": latest_comments(period, filters),
        "agents": [
            {
                "line": line,
                "first_reply": duration_text(line.first_reply_median),
                "satisfaction": percent_text(line.satisfaction),
                # With an agent filter the link names them already.
                "open_link": link("status:active")
                if filters.assignee
                else link(f"assignee:{line.email}", "status:active"),
            }
            for line in lines
        ],
    }
    return render(request, "workspace/reports/page.html", context)


def _created_between(first: date, last: date) -> tuple[str, ...]:
    if first == last:
        return (f"created:{first.isoformat()}",)
    return (f"created>={first.isoformat()}", f"created<={last.isoformat()}")


def _bucket_name(bucket: Bucket) -> str:
    """Under the chart's axis: the day, or the week's first day."""
    return formats.date_format(bucket.first, "SHORT_DATE_FORMAT")


def _bucket_long_name(bucket: Bucket, grouping: str) -> str:
    if grouping == "week":
        return gettext("Week of %(day)s") % {"day": formats.date_format(bucket.first, "j M")}
    return formats.date_format(bucket.first, "D j M")


def _speed_figures(now: Any, before: Any) -> list[Figure]:
    return [
        Figure(gettext("First reply, median"), duration_text(now.first_reply[0]), duration_text(before.first_reply[0])),
        Figure(
            gettext("First reply, 90th percentile"),
            duration_text(now.first_reply[1]),
            duration_text(before.first_reply[1]),
        ),
        Figure(
            gettext("First reply in business hours, median"),
            duration_text(now.first_reply_business[0]),
            duration_text(before.first_reply_business[0]),
        ),
        Figure(
            gettext("First reply in business hours, 90th percentile"),
            duration_text(now.first_reply_business[1]),
            duration_text(before.first_reply_business[1]),
        ),
        Figure(gettext("Resolution, median"), duration_text(now.resolution[0]), duration_text(before.resolution[0])),
        Figure(
            gettext("Resolution, 90th percentile"),
            duration_text(now.resolution[1]),
            duration_text(before.resolution[1]),
        ),
        Figure(
            gettext("One-touch resolutions"), percent_text(now.one_touch_share), percent_text(before.one_touch_share)
        ),
        Figure(
            gettext("Replies per solved ticket"),
            number_text(now.replies_per_ticket),
            number_text(before.replies_per_ticket),
        ),
    ]


def _address(params: QueryDict) -> str:
    """The page's range and filters, for the CSV links (without a previous ``csv``)."""
    kept = params.copy()
    kept.pop("csv", None)
    return kept.urlencode()


# --- CSV ----------------------------------------------------------------------------------------


def _cell(value: object) -> str:
    # A cell a spreadsheet would run as a formula (a comment starting with "=") is written as text.
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _csv(section: str, period: Period, filters: Filters, grouping: str, names: Names) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="comptoir-{section}-{period.first.isoformat()}-{period.last.isoformat()}.csv"'
    )
    writer = csv.writer(response)
    for row in _csv_rows(section, period, filters, grouping, names):
        writer.writerow([_cell(value) for value in row])
    return response


def _whole(seconds: Iterable[float | None]) -> list[int | None]:
    return [None if value is None else round(value) for value in seconds]


def _csv_rows(section: str, period: Period, filters: Filters, grouping: str, names: Names) -> list[list[object]]:
    if section == "volume":
        grouped = buckets(volume(period, filters).days, grouping)
        header: list[object] = [grouping, "created", "solved", "reopened", "open_at_end"]
        return [header] + [
            [
                bucket.first.isoformat(),
                bucket.counts["created"],
                bucket.counts["solved"],
                bucket.counts["reopened"],
                bucket.backlog,
            ]
            for bucket in grouped
        ]
    if section == "sla":
        rows: list[list[object]] = [["policy", "metric", "met", "breached", "met_share"]]
        rows += [
            [line.policy, line.metric, line.met, line.breached, line.share] for line in sla_attainment(period, filters)
        ]
        rows.append([])
        rows.append(["ticket", "policy", "metric", "due_at", "breached_at", "achieved_at"])
        rows += [
            [
                f"#{breach.reference}",
                breach.policy,
                breach.metric,
                breach.due_at.isoformat(),
                breach.decided_at.isoformat(),
                breach.achieved_at.isoformat() if breach.achieved_at else "",
            ]
            for breach in sla_breaches(period, filters)
        ]
        return rows
    if section == "speed":
        rows = [["metric", "period", "median_seconds", "p90_seconds"]]
        for name, figures in zip(("current", "previous"), speed(period, filters), strict=True):
            rows.append(["first_reply", name, *_whole(figures.first_reply)])
            rows.append(["first_reply_business_hours", name, *_whole(figures.first_reply_business)])
            rows.append(["resolution", name, *_whole(figures.resolution)])
            rows.append(["one_touch_share", name, figures.one_touch_share, ""])
            rows.append(["replies_per_solved_ticket", name, figures.replies_per_ticket, ""])
        return rows
    if section == "satisfaction":
        grouped = buckets(volume(period, filters).days, grouping)
        rows = [[grouping, "surveys_sent", "answered", "ratings", "good_ratings"]]
        rows += [
            [
                bucket.first.isoformat(),
                bucket.counts["offered"],
                bucket.counts["answered"],
                bucket.counts["rated"],
                bucket.counts["good"],
            ]
            for bucket in grouped
        ]
        rows.append([])
        rows.append(["group", "surveys_sent", "answered", "ratings", "good_ratings"])
        rows += [
            [names.groups.get(line.group_id, ""), line.offered, line.answered, line.rated, line.good]
            for line in satisfaction_by_group(period, filters)
        ]
        rows.append([])
        rows.append(["ticket", "rating", "rated_at", "comment"])
        rows += [
            [f"#{comment.reference}", comment.rating, comment.rated_at.isoformat(), comment.comment]
            for comment in latest_comments(period, filters)
        ]
        return rows
    rows = [["agent", "email", "solved", "first_reply_median_seconds", "ratings", "good_ratings", "open_now"]]
    rows += [
        [line.name, line.email, line.solved, *_whole((line.first_reply_median,)), line.rated, line.good, line.open_now]
        for line in agents(period, filters)
    ]
    return rows
