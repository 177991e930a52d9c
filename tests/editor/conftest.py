"""People and content for the editor tests: an editor (an agent in "Editors"), an admin, a section."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, Permission
from django.urls import reverse
from django.utils import translation

from comptoir.accounts.models import Role, User
from comptoir.helpcenter.models import Article, Section, SectionTranslation
from comptoir.helpcenter.services import article_translation_save


@pytest.fixture
def editor(db) -> User:
    user = User.objects.create_user("dominique@example.com", password="pw-editor", name="Dominique", role=Role.AGENT)
    user.groups.add(editors_group())
    return user


def editors_group() -> Group:
    """The group the data migration creates; a flush by an earlier transactional test removes it, so re-create it."""
    group, _ = Group.objects.get_or_create(name="Editors")
    group.permissions.add(Permission.objects.get(codename="edit_articles", content_type__app_label="editor"))
    return group


@pytest.fixture
def admin_user(db) -> User:
    return User.objects.create_user("sam@example.com", password="pw-admin", name="Sam", role=Role.ADMIN)


@pytest.fixture
def section(db) -> Section:
    section = Section.objects.create(key="accounts", position=1)
    SectionTranslation.objects.create(section=section, language="fr", title="Votre compte", slug="votre-compte")
    SectionTranslation.objects.create(section=section, language="en", title="Your account", slug="your-account")
    return section


@pytest.fixture
def live_article(section) -> Article:
    """Published in French only, as the Help Center had it before the editor existed."""
    article = Article.objects.create(key="password", section=section, is_published=True)
    article_translation_save(
        article=article,
        language="fr",
        title="Changer de mot de passe",
        slug="changer-de-mot-de-passe",
        summary="En deux minutes.",
        body_markdown="Ouvrez **Mon compte**, puis choisissez un nouveau mot de passe.",
    )
    return article


def url(name: str, *args: object, language: str = "en") -> str:
    with translation.override(language):
        return reverse(name, args=args)


def form_data(title: str = "Reset a password", summary: str = "Two minutes.", body: str = "Open **Account**.") -> dict:
    return {"title": title, "summary": summary, "body_markdown": body}
