"""Admins write rules here until the workspace settings page exists; what rules did is read-only."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from comptoir.rules.models import Rule, RuleRun


@admin.register(Rule)
class RuleAdmin(admin.ModelAdmin[Rule]):
    list_display = ("name", "position", "active", "kind", "match", "updated_at")
    list_editable = ("position", "active")
    list_filter = ("active", "kind")
    search_fields = ("name",)


@admin.register(RuleRun)
class RuleRunAdmin(admin.ModelAdmin[RuleRun]):
    list_display = ("created_at", "rule", "ticket", "outcome", "warning", "depth")
    list_filter = ("outcome", "warning")
    list_select_related = ("rule", "ticket")
    search_fields = ("rule__name",)
    raw_id_fields = ("ticket", "event")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
