"""Who may write Help Center articles: the one place that decides."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import Permission
from django.db.models import Q

from comptoir.accounts.models import Role

PERMISSION = "editor.edit_articles"


def can_edit_articles(user: Any) -> bool:
    """Admins always; agents holding the permission (usually through the "Editors" group).

    Anonymous visitors and requesters are answered without a query, so the
    header link costs nothing on public pages.
    """
    if not getattr(user, "is_authenticated", False) or not getattr(user, "is_agent", False):
        return False
    if user.is_superuser or user.role == Role.ADMIN:
        return True
    if not hasattr(user, "_can_edit_articles"):
        user._can_edit_articles = _holds_permission(user)
    return bool(user._can_edit_articles)


def _holds_permission(user: Any) -> bool:
    """The permission given to the agent or to one of their groups, in one query.

    ``user.has_perm`` would load every permission of the user, then every one of
    their groups: two queries on every workspace page, for one header link.
    """
    if not user.is_active:
        return False
    app_label, codename = PERMISSION.split(".")
    given = Permission.objects.filter(content_type__app_label=app_label, codename=codename)
    return given.filter(Q(user=user) | Q(group__user=user)).exists()
