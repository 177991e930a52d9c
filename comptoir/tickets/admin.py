from __future__ import annotations

from django import forms
from django.contrib import admin
from django.http import HttpRequest

from comptoir.tickets.models import Assignment, DeletedTicket, Macro, SenderBlock, SupportGroup, Tag


class SupportGroupForm(forms.ModelForm[SupportGroup]):
    class Meta:
        model = SupportGroup
        fields = ("name", "lead", "assignment", "members")

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        # A group saved without saying (a form from before assignment existed) assigns nobody, as before.
        self.fields["assignment"].required = False

    def clean_assignment(self) -> str:
        return self.cleaned_data.get("assignment") or Assignment.NONE


@admin.register(SupportGroup)
class SupportGroupAdmin(admin.ModelAdmin[SupportGroup]):
    form = SupportGroupForm
    list_display = ("name", "lead", "assignment")
    list_select_related = ("lead",)
    search_fields = ("name",)
    fields = ("name", "lead", "assignment", "members")
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
