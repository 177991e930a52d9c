"""Admins keep the business hours and the SLA policies here; the clocks on tickets follow on the next change."""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from comptoir.sla.models import BusinessSchedule, ClosedDay, OpeningRange, SlaPolicy, SlaTarget


class OpeningRangeInline(admin.TabularInline[OpeningRange, BusinessSchedule]):
    model = OpeningRange
    extra = 0
    # A schedule that never opens would have no due time to give.
    min_num = 1
    validate_min = True


class ClosedDayInline(admin.TabularInline[ClosedDay, BusinessSchedule]):
    model = ClosedDay
    extra = 0


@admin.register(BusinessSchedule)
class BusinessScheduleAdmin(admin.ModelAdmin[BusinessSchedule]):
    list_display = ("name", "time_zone", "country", "subdivision")
    search_fields = ("name",)
    inlines = (OpeningRangeInline, ClosedDayInline)


class SlaTargetInline(admin.TabularInline[SlaTarget, SlaPolicy]):
    model = SlaTarget
    extra = 0


@admin.register(SlaPolicy)
class SlaPolicyAdmin(admin.ModelAdmin[SlaPolicy]):
    list_display = ("name", "position", "is_active", "conditions_shown", "schedule", "pause_on_hold")
    list_editable = ("position", "is_active")
    list_filter = ("is_active",)
    search_fields = ("name",)
    list_select_related = ("schedule", "group", "organisation")
    autocomplete_fields = ("group", "organisation")
    inlines = (SlaTargetInline,)
    fieldsets = (
        (None, {"fields": ("name", "position", "is_active")}),
        (
            _("Applies to tickets with (empty: any)"),
            {"fields": ("priority", "ticket_type", "group", "organisation", "channel", "tag", "field_conditions")},
        ),
        (None, {"fields": ("schedule", "pause_on_hold", "warn_minutes")}),
    )

    @admin.display(description=_("conditions"))
    def conditions_shown(self, policy: SlaPolicy) -> str:
        shown = [
            policy.get_priority_display() if policy.priority else "",
            policy.get_ticket_type_display() if policy.ticket_type else "",
            str(policy.group) if policy.group_id else "",
            str(policy.organisation) if policy.organisation_id else "",
            policy.get_channel_display() if policy.channel else "",
            f"#{policy.tag}" if policy.tag else "",
        ]
        return ", ".join(text for text in shown if text) or str(_("every ticket"))
