"""Who may read the reports: the one place that decides."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import Permission
from django.db.models import Q

from comptoir.accounts.models import Role

PERMISSION = "reports.view_reports"


def can_see_reports(user: Any) -> bool:
    """Admins always; agents holding the permission, themselves or through a permission group.

    One query for an agent (``has_perm`` would load all their permissions, then all their groups'),
    none for anyone else.
    """
    if not getattr(user, "is_authenticated", False) or not getattr(user, "is_agent", False):
        return False
    if user.is_superuser or user.role == Role.ADMIN:
        return True
    app_label, codename = PERMISSION.split(".")
    given = Permission.objects.filter(content_type__app_label=app_label, codename=codename)
    return given.filter(Q(user=user) | Q(group__user=user)).exists()
