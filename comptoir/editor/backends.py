"""Signing in (allauth's backend), with the signed-in user loaded in one query that answers the header too."""

from __future__ import annotations

from typing import Any

from allauth.account.auth_backends import AuthenticationBackend as AllauthBackend

from comptoir.accounts.models import User
from comptoir.editor.access import with_edit_articles_answer


class AuthenticationBackend(AllauthBackend):  # type: ignore[misc]  # allauth ships no type hints
    """allauth's sign-in; every request's user comes with whether they may edit articles.

    Every agent page's header asks it (the "Articles" link): asked in the query
    that loads the user, it is not one more query on every page.
    """

    def get_user(self, user_id: Any) -> User | None:
        user: User | None = with_edit_articles_answer(User.objects.filter(pk=user_id)).first()
        if user is None or not self.user_can_authenticate(user):
            return None
        return user
