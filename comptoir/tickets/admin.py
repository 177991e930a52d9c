from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from comptoir.tickets.models import DeletedTicket, Macro, SenderBlock, SupportGroup, Tag


@admin.register(SupportGroup)
class SupportGroupAdmin(admin.ModelAdmin[SupportGroup]):
    list_display = ("name", "lead")
    list_select_related = ("lead",)
    search_fields = ("name",)
    fields = ("name", "lead", "members")
    filter_horizontal = ("members",)


@admin.register(Macro)
class MacroAdmin(admin.ModelAdmin[Macro]):
    list_display = ("title", "status", "priority", "type", "add_tags", "is_active")
    list_filter = ("is_active", "status")
    search_fields = ("title", "body")


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin[Tag]):
    list_display = ("name",)
    search_fields = ("name",)


@admin.register(SenderBlock)
class SenderBlockAdmin(admin.ModelAdmin[SenderBlock]):
    """Blocks agents made when marking tickets as spam; deleting one lifts it."""

    list_display = ("pattern", "reason", "created_by", "created_at")
    search_fields = ("pattern",)
    readonly_fields = ("created_by", "created_at")


@admin.register(DeletedTicket)
class DeletedTicketAdmin(admin.ModelAdmin[DeletedTicket]):
    """The record of deleted tickets: read, never changed."""

    list_display = ("reference", "subject", "requester_email", "message_count", "deleted_by", "deleted_at")
    search_fields = ("=reference", "subject", "requester_email")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: DeletedTicket | None = None) -> bool:
        return False
