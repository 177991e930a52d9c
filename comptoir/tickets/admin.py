from __future__ import annotations

from django.contrib import admin

from comptoir.tickets.models import Macro, SupportGroup, Tag


@admin.register(SupportGroup)
class SupportGroupAdmin(admin.ModelAdmin[SupportGroup]):
    list_display = ("name",)
    search_fields = ("name",)
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
