"""Service level settings, for administrators: business hours and SLA policies, listed, created, changed, ordered.

Each page reads its form and calls one action of comptoir.sla.settings.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count, Prefetch
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.dates import WEEKDAYS_ABBR
from django.utils.translation import gettext, ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from comptoir.sla import settings as service_levels
from comptoir.sla.models import BusinessSchedule, Metric, OpeningRange, SlaPolicy, SlaTarget, TicketSla
from comptoir.sla.policies import FieldCondition
from comptoir.ticketforms import predicates, validation
from comptoir.ticketforms.models import TicketField
from comptoir.workspace.access import admin_required
from comptoir.workspace.sla_settings_forms import PRIORITIES, PolicyForm, ScheduleForms, country_name

# --- What the list shows --------------------------------------------------------------------------


def duration_shown(minutes: int) -> str:
    """4 h, 45 min, 1 h 30 min: the way a target is read at a glance."""
    hours, rest = divmod(minutes, 60)
    if not hours:
        return gettext("%(minutes)s min") % {"minutes": rest}
    if not rest:
        return gettext("%(hours)s h") % {"hours": hours}
    return gettext("%(hours)s h %(minutes)s min") % {"hours": hours, "minutes": rest}


def week_shown(ranges: list[OpeningRange]) -> list[str]:
    """One line per run of weekdays open at the same hours: "Mon-Fri 09:00-12:00, 13:00-18:00"."""
    hours_of: dict[int, tuple[str, ...]] = {}
    for row in ranges:
        hours_of[row.weekday] = (*hours_of.get(row.weekday, ()), f"{row.start:%H:%M}\N{EN DASH}{row.end:%H:%M}")
    lines: list[str] = []
    weekday = 0
    while weekday < 7:
        hours = hours_of.get(weekday)
        last = weekday
        while last + 1 < 7 and hours_of.get(last + 1) == hours:
            last += 1
        if hours:
            days = str(WEEKDAYS_ABBR[weekday])
            if last > weekday:
                days += "\N{EN DASH}" + str(WEEKDAYS_ABBR[last])
            lines.append(f"{days} {', '.join(hours)}")
        weekday = last + 1
    return lines


def conditions_shown(policy: SlaPolicy, fields: Mapping[str, TicketField] | None = None) -> list[str]:
    """The policy's conditions in words; ``fields``: the ticket fields its conditions name, by key."""
    shown = [
        policy.get_priority_display() if policy.priority else "",
        policy.get_ticket_type_display() if policy.ticket_type else "",
        gettext("group %(name)s") % {"name": policy.group} if policy.group_id else "",
        str(policy.organisation) if policy.organisation_id else "",
        policy.get_channel_display() if policy.channel else "",
        f"#{policy.tag}" if policy.tag else "",
        *[
            _field_condition_shown(condition, (fields or {}).get(condition.key))
            for condition in policy.conditions.fields
        ],
    ]
    return [str(text) for text in shown if text]


def _field_condition_shown(condition: FieldCondition, field: TicketField | None) -> str:
    """ "“Plan” is Professional", "“Seats” is greater than 50", "“VIP” is checked"."""
    label = field.label if field is not None else gettext("%(key)s (deleted)") % {"key": condition.key}
    said = {"field": gettext("“%(text)s”") % {"text": label}, "operator": predicates.operator_label(condition.operator)}
    if condition.operator in predicates.NO_VALUE:
        return gettext("%(field)s %(operator)s") % said
    values = condition.value if isinstance(condition.value, list) else [condition.value]
    shown = ", ".join(validation.shown(field, value) if field is not None else str(value) for value in values)
    return gettext("%(field)s %(operator)s %(value)s") % {**said, "value": shown}


@dataclass
class TargetLine:
    priority: str
    targets: list[str]


def targets_shown(policy: SlaPolicy) -> list[TargetLine]:
    """Per priority, urgent first: "first reply 1 h, resolution 8 h (calendar time)"."""
    metrics = dict(Metric.choices)
    by_priority: dict[str, list[SlaTarget]] = {}
    for target in policy.targets.all():
        by_priority.setdefault(target.priority, []).append(target)
    order = list(Metric.values)
    lines = []
    for priority, label in PRIORITIES:
        targets = sorted(by_priority.get(priority, []), key=lambda target: order.index(target.metric))
        if not targets:
            continue
        texts = []
        for target in targets:
            text = f"{str(metrics[target.metric]).lower()} {duration_shown(target.minutes)}"
            if not target.business_hours and policy.schedule_id is not None:
                text += " " + gettext("(calendar time)")
            texts.append(text)
        lines.append(TargetLine(str(label), texts))
    return lines


@require_GET
@admin_required
def sla_settings(request: HttpRequest) -> HttpResponse:
    """Business hours and policies, in the order policies are tried."""
    schedules = list(
        BusinessSchedule.objects.annotate(policy_count=Count("policies", distinct=True))
        .prefetch_related("ranges")
        .order_by("name")
    )
    policies = list(
        SlaPolicy.objects.select_related("schedule", "group", "organisation")
        .prefetch_related(Prefetch("targets", queryset=SlaTarget.objects.order_by("metric", "priority")))
        .order_by("position", "id")
    )
    fields = predicates.fields_by_key(
        {condition.key for policy in policies for condition in policy.conditions.fields}
    )  # one query, none when no policy names a ticket field
    context = {
        "schedules": [
            {
                "schedule": schedule,
                "week": week_shown(list(schedule.ranges.all())),
                "country": country_name(schedule.country) if schedule.country else "",
            }
            for schedule in schedules
        ],
        "policies": [
            {"policy": policy, "conditions": conditions_shown(policy, fields), "targets": targets_shown(policy)}
            for policy in policies
        ],
    }
    return render(request, "workspace/settings/sla.html", context)


# --- Business hours ------------------------------------------------------------------------------


def _schedule_or_404(schedule_id: int) -> BusinessSchedule:
    return get_object_or_404(BusinessSchedule.objects.prefetch_related("ranges", "closed_days"), pk=schedule_id)


def _schedule_page(request: HttpRequest, schedule: BusinessSchedule | None) -> HttpResponse:
    forms = ScheduleForms(request.POST if request.method == "POST" else None, schedule=schedule)
    if request.method == "POST" and forms.is_valid():
        data = forms.form.cleaned_data
        try:
            saved = service_levels.schedule_save(
                schedule,
                name=data["name"],
                time_zone=data["time_zone"],
                country=data["country"],
                subdivision=data["subdivision"],
                openings=forms.week.openings(),
                days_off=forms.closed_days(),
                teams=[group.pk for group in data["teams"]],
            )
        except ValidationError as error:
            forms.form.add_error(None, error)
        else:
            messages.success(request, gettext("The business hours “%(name)s” are saved.") % {"name": saved.name})
            return redirect("agent_sla_settings")
    context = {"schedule": schedule, "forms": forms, "summary": forms.summary() if forms.form.is_bound else []}
    return render(request, "workspace/settings/sla_schedule.html", context, status=400 if context["summary"] else 200)


@require_http_methods(["GET", "POST"])
@admin_required
def sla_schedule_new(request: HttpRequest) -> HttpResponse:
    return _schedule_page(request, None)


@require_http_methods(["GET", "POST"])
@admin_required
def sla_schedule_edit(request: HttpRequest, schedule_id: int) -> HttpResponse:
    return _schedule_page(request, _schedule_or_404(schedule_id))


@require_http_methods(["GET", "POST"])
@admin_required
def sla_schedule_delete(request: HttpRequest, schedule_id: int) -> HttpResponse:
    """GET asks to confirm (or says which policies keep them); POST deletes the business hours."""
    schedule = get_object_or_404(BusinessSchedule, pk=schedule_id)
    using = list(SlaPolicy.objects.filter(schedule=schedule).order_by("position", "id"))
    if request.method == "POST":
        try:
            service_levels.schedule_delete(schedule)
        except service_levels.ScheduleInUse as in_use:
            messages.error(request, _in_use_message(schedule, in_use.policies))
            return redirect("agent_sla_schedule", schedule.pk)
        messages.success(request, gettext("The business hours “%(name)s” are deleted.") % {"name": schedule.name})
        return redirect("agent_sla_settings")
    context = {"schedule": schedule, "using": using, "in_use": _in_use_message(schedule, [p.name for p in using])}
    return render(request, "workspace/settings/sla_schedule_delete.html", context)


def _in_use_message(schedule: BusinessSchedule, policies: list[str]) -> str:
    return ngettext(
        "“%(name)s” cannot be deleted: the policy %(policies)s counts on them. Give it other business hours first.",
        "“%(name)s” cannot be deleted: the policies %(policies)s count on them. Give them other business hours first.",
        len(policies),
    ) % {"name": schedule.name, "policies": ", ".join(f"“{name}”" for name in policies)}


# --- Policies ------------------------------------------------------------------------------------


def _policy_page(request: HttpRequest, policy: SlaPolicy | None) -> HttpResponse:
    targets = list(policy.targets.all()) if policy is not None else []
    instance = policy if policy is not None else SlaPolicy()
    form = PolicyForm(request.POST if request.method == "POST" else None, instance=instance, targets=targets)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            saved = service_levels.policy_save(
                policy,
                name=data["name"],
                is_active=data["is_active"],
                priority=data["priority"],
                ticket_type=data["ticket_type"],
                group=data["group"],
                organisation=data["organisation"],
                channel=data["channel"],
                tag=data["tag"],
                field_conditions=form.field_conditions,
                pause_on_hold=data["pause_on_hold"],
                schedule=data["schedule"],
                warn_minutes=data["warn_minutes"],
                targets=form.targets(),
            )
        except ValidationError as error:
            form.add_error(None, error.messages)  # a field deleted meanwhile says so too (field_conditions)
        else:
            messages.success(request, gettext("The policy “%(name)s” is saved.") % {"name": saved.name})
            return redirect("agent_sla_settings")
    context = {"policy": policy, "form": form, "summary": form.summary() if form.is_bound else []}
    return render(request, "workspace/settings/sla_policy.html", context, status=400 if form.errors else 200)


def _policy_or_404(policy_id: int) -> SlaPolicy:
    return get_object_or_404(SlaPolicy.objects.select_related("organisation"), pk=policy_id)


@require_http_methods(["GET", "POST"])
@admin_required
def sla_policy_new(request: HttpRequest) -> HttpResponse:
    return _policy_page(request, None)


@require_http_methods(["GET", "POST"])
@admin_required
def sla_policy_edit(request: HttpRequest, policy_id: int) -> HttpResponse:
    return _policy_page(request, _policy_or_404(policy_id))


@require_POST
@admin_required
def sla_policy_move(request: HttpRequest, policy_id: int) -> HttpResponse:
    """One place up or down the order in which policies are tried."""
    policy = get_object_or_404(SlaPolicy, pk=policy_id)
    direction = request.POST.get("direction")
    if direction not in ("up", "down"):
        return HttpResponseBadRequest(gettext("Move up or down."))
    service_levels.policy_move(policy, up=direction == "up")
    return redirect(f"{reverse('agent_sla_settings')}#policy-{policy.pk}")


@require_http_methods(["GET", "POST"])
@admin_required
def sla_policy_delete(request: HttpRequest, policy_id: int) -> HttpResponse:
    """GET asks to confirm; POST deletes a policy no ticket was measured against."""
    policy = get_object_or_404(SlaPolicy, pk=policy_id)
    if request.method == "POST":
        try:
            service_levels.policy_delete(policy)
        except service_levels.PolicyInUse:
            messages.error(request, _measured_message(policy))
            return redirect("agent_sla_policy", policy.pk)
        messages.success(request, gettext("The policy “%(name)s” is deleted.") % {"name": policy.name})
        return redirect("agent_sla_settings")
    measured = TicketSla.objects.filter(policy=policy).values("ticket").distinct().count()
    context = {"policy": policy, "measured": measured, "measured_message": _measured_message(policy, measured)}
    return render(request, "workspace/settings/sla_policy_delete.html", context)


def _measured_message(policy: SlaPolicy, tickets: int | None = None) -> str:
    if tickets is None:
        tickets = TicketSla.objects.filter(policy=policy).values("ticket").distinct().count()
    return ngettext(
        "“%(name)s” measured %(count)s ticket: it stays, for that ticket's history and the reports. "
        "Turn it off instead, and no new ticket gets it.",
        "“%(name)s” measured %(count)s tickets: it stays, for their history and the reports. "
        "Turn it off instead, and no new ticket gets it.",
        tickets,
    ) % {"name": policy.name, "count": tickets}
