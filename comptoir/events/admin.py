"""Admins see what the subscribers still owe, what failed and why, and can try again."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from comptoir.events.dispatch import deliveries_retry
from comptoir.events.models import EventDelivery


@admin.register(EventDelivery)
class EventDeliveryAdmin(admin.ModelAdmin[EventDelivery]):
    list_display = (
        "id",
        "subscriber",
        "ticket_id",
        "state",
        "attempts",
        "next_attempt_at",
        "short_error",
        "created_at",
    )
    list_filter = ("state", "subscriber")
    search_fields = ("=ticket_id", "=change")
    ordering = ("-id",)
    actions = ("retry",)
    readonly_fields = [field.name for field in EventDelivery._meta.fields]

    @admin.display(description=_("last error"))
    def short_error(self, delivery: EventDelivery) -> str:
        return delivery.last_error[:120]

    @admin.action(description=_("Try the selected deliveries again now"))
    def retry(self, request: HttpRequest, queryset: QuerySet[EventDelivery]) -> None:
        count = deliveries_retry(list(queryset.values_list("pk", flat=True)))
        self.message_user(
            request,
            ngettext("%(count)d delivery will be tried again.", "%(count)d deliveries will be tried again.", count)
            % {"count": count},
            messages.SUCCESS,
        )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: EventDelivery | None = None) -> bool:
        return False
