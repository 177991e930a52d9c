"""The Django admin looks like Comptoir: its name, translated app and model names, two kinds of groups told apart."""

from __future__ import annotations

import re

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils import translation
from django.utils.functional import Promise

from comptoir.accounts.models import PermissionGroup, User
from comptoir.tickets.models import SupportGroup

pytestmark = pytest.mark.django_db


@pytest.fixture
def superuser_client(client):
    client.force_login(User.objects.create_superuser("root@example.com", name="Root"))
    return client


def index(client, language: str) -> str:
    response = client.get(reverse("admin:index"), HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200
    return response.content.decode()


def test_the_admin_is_titled_with_the_product_s_name(superuser_client):
    html = index(superuser_client, "en")

    assert "<title>Settings and records | Comptoir administration</title>" in html
    assert '<a href="/admin/">Comptoir administration</a>' in html
    assert "Django administration" not in html and "Django site admin" not in html


def test_the_title_follows_the_site_name(superuser_client, settings):
    settings.COMPTOIR_SITE_NAME = "Acme Support"

    assert '<a href="/admin/">Acme Support administration</a>' in index(superuser_client, "en")


def test_the_two_kinds_of_groups_are_told_apart(superuser_client):
    html = index(superuser_client, "en")

    assert '<a href="/admin/accounts/permissiongroup/">Permission groups</a>' in html
    assert '<a href="/admin/tickets/supportgroup/">Support groups</a>' in html
    # Nothing is called just "Groups" any more, and Django's own section is gone.
    assert not re.search(r">Groups<", html)
    assert "Authentication and Authorization" not in html


def test_permission_groups_are_django_s_groups_under_another_name(superuser_client):
    editors = Group.objects.get(name="Editors")

    page = superuser_client.get(
        reverse("admin:accounts_permissiongroup_change", args=[editors.pk]), HTTP_ACCEPT_LANGUAGE="en"
    )

    assert page.status_code == 200
    assert "Change permission group" in page.content.decode()
    assert PermissionGroup.objects.get(pk=editors.pk).name == "Editors"
    assert not admin.site.is_registered(Group)


def test_the_person_form_names_permission_groups(superuser_client):
    person = User.objects.create_user("lee@example.com", name="Lee")
    page = superuser_client.get(reverse("admin:accounts_user_change", args=[person.pk]), HTTP_ACCEPT_LANGUAGE="en")

    html = page.content.decode()

    assert '<label for="id_groups">Permission groups:</label>' in html
    assert "support groups" in html


def test_the_support_group_pages_say_support_group(superuser_client):
    group = SupportGroup.objects.create(name="Billing")
    page = superuser_client.get(
        reverse("admin:tickets_supportgroup_change", args=[group.pk]), HTTP_ACCEPT_LANGUAGE="en"
    )

    html = page.content.decode()

    assert "Change support group" in html


def test_people_and_their_sign_in_are_one_section(superuser_client):
    html = index(superuser_client, "en")

    section = html.split('class="app-accounts', 1)[1].split("</table>", 1)[0]
    for name in ("Users", "Permission groups", "Sign-in addresses", "Two-factor methods", "Organisations"):
        assert f">{name}</a>" in section, name
    # allauth's own sections, "Accounts" and "MFA", are gone.
    assert 'class="app-account ' not in html and 'class="app-mfa ' not in html


def test_every_name_the_admin_shows_is_ours_and_translatable():
    """App and model names written for people: never Django's default ("Helpcenter", "supportgroup")."""
    for model in admin.site._registry:
        app = model._meta.app_config
        assert isinstance(app.verbose_name, Promise), f"{app.label} has no translated verbose_name"
        assert isinstance(model._meta.verbose_name, Promise), f"{model._meta.label} has no verbose_name"
        assert isinstance(model._meta.verbose_name_plural, Promise), f"{model._meta.label} has no plural"


def test_every_name_the_admin_shows_reads_in_french():
    untranslated = []
    for model in admin.site._registry:
        names = (model._meta.app_config.verbose_name, model._meta.verbose_name_plural)
        for name in names:
            with translation.override("en"):
                english = str(name)
            with translation.override("fr"):
                french = str(name)
            # A few words are the same in both languages.
            if english == french and english not in {"Tickets", "Notifications", "E-mail", "organisations"}:
                untranslated.append(english)
    assert untranslated == []
