"""Who may write Help Center articles: the one place that decides."""

from __future__ import annotations

from typing import Any

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
    return bool(user.has_perm(PERMISSION))
