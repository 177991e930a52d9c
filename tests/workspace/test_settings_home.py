"""The settings page: what an administrator changes weekly, one link each, and only for administrators."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import translation

from comptoir.accounts.models import Role, User
from comptoir.workspace.settings_views import AREAS

pytestmark = pytest.mark.django_db


def url(name: str) -> str:
    with translation.override("en"):
        return reverse(name)


def test_every_entry_leads_to_a_page_that_opens_for_an_administrator(client):
    admin = User.objects.create_user(
        "admin@example.com", name="Ada", role=Role.ADMIN, language="en", is_staff=True, is_superuser=True
    )
    client.force_login(admin)

    page = client.get(url("agent_settings"))

    assert page.status_code == 200
    html = page.content.decode()
    addresses = [url(entry.url_name) for area in AREAS for entry in area.entries]
    for address in addresses:
        assert f'href="{address}"' in html
        assert client.get(address).status_code == 200, address
    assert html.count("In the administration") == sum(entry.in_admin for area in AREAS for entry in area.entries)


def test_an_administrator_without_the_administration_sees_only_the_workspace_pages(client):
    admin = User.objects.create_user("admin@example.com", name="Ada", role=Role.ADMIN, language="en")
    client.force_login(admin)

    html = client.get(url("agent_settings")).content.decode()

    assert url("agent_rules_settings") in html
    assert "/admin/" not in html and "In the administration" not in html


def test_an_agent_who_is_not_an_administrator_is_refused(client, agent):
    client.force_login(agent)
    assert client.get(url("agent_settings")).status_code == 403
