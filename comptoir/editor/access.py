"""Who may write Help Center articles: the one place that decides."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import Permission
from django.db.models import Exists, OuterRef, Q, QuerySet

from comptoir.accounts.models import Role

PERMISSION = "editor.edit_articles"
# Where the answer is kept on the user object: set by the query that loads the
# signed-in user (comptoir.editor.backends), else by the first question.
_ANSWER = "_can_edit_articles"


def can_edit_articles(user: Any) -> bool:
    """Admins always; agents holding the permission (usually through the "Editors" group).

    Anonymous visitors and requesters are answered without a query, so the
    header link costs nothing on public pages; the signed-in agent comes with
    the answer already (comptoir.editor.backends), so it costs nothing on
    theirs either.
    """
    if not getattr(user, "is_authenticated", False) or not getattr(user, "is_agent", False):
        return False
    if not user.is_active:
        return False
    if user.is_superuser or user.role == Role.ADMIN:
        return True
    if not hasattr(user, _ANSWER):
        setattr(user, _ANSWER, _given_to(user).exists())
    return bool(getattr(user, _ANSWER))


def with_edit_articles_answer(users: QuerySet[Any]) -> QuerySet[Any]:
    """The users, each loaded with whether the permission is given to them or to one of their groups."""
    answered: QuerySet[Any] = users.annotate(**{_ANSWER: Exists(_given_to(OuterRef("pk")))})
    return answered


def _given_to(user: Any) -> QuerySet[Permission]:
    """The permission, when given to the user or to one of their groups: one query, not ``has_perm``'s two.

    ``user.has_perm`` would load every permission of the user, then every one of
    their groups, for one header link.
    """
    app_label, codename = PERMISSION.split(".")
    given = Permission.objects.filter(content_type__app_label=app_label, codename=codename)
    return given.filter(Q(user=user) | Q(group__user=user))
