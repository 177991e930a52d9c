from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from comptoir.workspace.models import SavedView, built_in_views_restore


@admin.register(SavedView)
class SavedViewAdmin(admin.ModelAdmin[SavedView]):
    """Every saved view, the team's built-in ones among them: admins rename, reorder, share or change them here too."""

    list_display = ("__str__", "key", "visibility", "group", "owner", "position", "params")
    list_filter = ("visibility", "group")
    list_editable = ("position",)
    search_fields = ("name", "key", "params", "owner__email")
    actions = ("restore_built_in_views",)

    @admin.action(description=_("Put back the built-in views that were deleted"), permissions=["add"])
    def restore_built_in_views(self, request: HttpRequest, queryset: QuerySet[SavedView]) -> None:
        restored = built_in_views_restore()
        text = ngettext("%(count)s built-in view put back.", "%(count)s built-in views put back.", restored)
        messages.success(request, text % {"count": restored})
