"""The 403 page says why, and what the person can do: who to ask for a role, or where their own things are."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from comptoir.accounts.models import Role, User

pytestmark = pytest.mark.django_db

TEAM_ONLY = "This page is for the Customer Care team"
ADMINS_ONLY = "This page is for administrators"
EDITORS_ONLY = "Writing articles takes the editor role"


def url(name: str, *args: object, language: str = "en") -> str:
    with translation.override(language):
        return reverse(name, args=args)


def refused(client, address: str, method: str = "get") -> str:
    response = getattr(client, method)(address)
    assert response.status_code == 403
    return response.content.decode()


def test_an_agent_without_the_editor_role_is_told_who_gives_it(client, agent, administrator):
    client.force_login(agent)

    html = refused(client, url("editor_articles"))

    assert f"<h1>{EDITORS_ONLY}</h1>" in html
    assert "An administrator gives the editor role. Ask one of them:" in html
    assert '<li><a href="mailto:ada@example.com">Ada</a></li>' in html
    assert f'href="{url("agent_tickets")}">Back to your tickets</a>' in html
    # Not the customer's words: an agent is on the team.
    assert TEAM_ONLY not in html and "customer account" not in html


def test_an_agent_on_the_settings_is_told_an_administrator_changes_them(client, agent, administrator):
    client.force_login(agent)

    html = refused(client, url("agent_rules_settings"))

    assert f"<h1>{ADMINS_ONLY}</h1>" in html
    assert "administrators change them" in html
    assert "If something needs changing, ask an administrator:" in html
    assert '<a href="mailto:ada@example.com">Ada</a>' in html


def test_an_agent_deleting_a_ticket_is_told_it_is_for_administrators(client, agent, administrator, make_ticket):
    client.force_login(agent)
    ticket = make_ticket()

    html = refused(client, url("agent_ticket_delete", ticket.reference), "post")

    assert f"<h1>{ADMINS_ONLY}</h1>" in html


@pytest.mark.parametrize("page", ["agent_tickets", "editor_articles", "agent_rules_settings"])
def test_a_customer_on_a_team_page_is_sent_to_their_own_tickets_and_told_no_names(
    client, requester, administrator, page
):
    client.force_login(requester)

    html = refused(client, url(page))

    assert f"<h1>{TEAM_ONLY}</h1>" in html
    assert "You are signed in as alice@example.org, a customer account." in html
    assert f'href="{url("my_tickets")}">My tickets</a>' in html
    assert "ada@example.com" not in html
    assert "editor role" not in html


def test_only_active_administrators_are_named_and_a_few_of_them(client, agent):
    for name in ("Zoé", "Bruno", "Chloé", "Anne"):
        User.objects.create_user(f"{name.lower()}@example.com", name=name, role=Role.ADMIN)
    User.objects.create_user("gone@example.com", name="Aaron Gone", role=Role.ADMIN, is_active=False)
    client.force_login(agent)

    html = refused(client, url("editor_articles"))

    assert [name for name in ("Aaron Gone", "Anne", "Bruno", "Chloé", "Zoé") if f">{name}</a>" in html] == [
        "Anne",
        "Bruno",
        "Chloé",
    ]


def test_without_an_administrator_the_page_still_says_who_gives_the_role(client, agent):
    client.force_login(agent)

    html = refused(client, url("editor_articles"))

    assert "An administrator of your help desk gives the editor role: ask them." in html
    assert "mailto:" not in html


def test_a_refusal_without_a_reason_keeps_the_general_words(client, requester):
    """A customer exporting their data before proving their address: no team words, no names."""
    client.force_login(requester)

    html = refused(client, url("profile_export"), "post")

    assert "<h1>Access refused</h1>" in html
    assert "Your account cannot open this page." in html


@pytest.mark.parametrize("language", ["fr", "en"])
def test_the_page_speaks_the_reader_s_language(client, agent, administrator, language):
    client.force_login(agent)

    html = refused(client, url("editor_articles", language=language))

    with translation.override(language):
        title = gettext(EDITORS_ONLY)
    assert f'<html lang="{language}">' in html
    assert f"<h1>{title}</h1>" in html


def test_the_page_costs_the_same_queries_whatever_the_number_of_administrators(
    client, agent, administrator, django_assert_num_queries
):
    client.force_login(agent)
    address = url("editor_articles")
    # 1 the session, 2 the agent with the editor answer, 3 the administrators named.
    with django_assert_num_queries(3):
        refused(client, address)
    for index in range(5):
        User.objects.create_user(f"admin{index}@example.com", role=Role.ADMIN)
    with django_assert_num_queries(3):
        refused(client, address)
