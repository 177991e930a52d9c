"""Who may open the editor: a matrix over every editor page."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user
from django.contrib.auth.models import Permission
from django.db import connection
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext

from comptoir.accounts.models import Role, User
from comptoir.editor.access import can_edit_articles
from tests.editor.conftest import form_data, url

PAGES = [
    ("get", "editor_articles", False),
    ("get", "editor_article_new", False),
    ("get", "editor_article", True),
    ("post", "editor_article_preview", True),
    ("post", "editor_article_draft", True),
    ("post", "editor_article_publish", True),
    ("post", "editor_article_unpublish", True),
]


def address(name: str, live_article, with_article: bool) -> str:
    return url(name, live_article.pk, "fr") if with_article else url(name)


@pytest.mark.parametrize(("method", "name", "with_article"), PAGES)
def test_it_sends_a_visitor_to_log_in(client, live_article, method, name, with_article):
    response = getattr(client, method)(address(name, live_article, with_article), form_data())
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize(("method", "name", "with_article"), PAGES)
def test_it_refuses_a_requester(client, requester, live_article, method, name, with_article):
    client.force_login(requester)
    response = getattr(client, method)(address(name, live_article, with_article), form_data())
    assert response.status_code == 403


@pytest.mark.parametrize(("method", "name", "with_article"), PAGES)
def test_it_refuses_an_agent_who_is_not_an_editor(client, agent, live_article, method, name, with_article):
    client.force_login(agent)
    response = getattr(client, method)(address(name, live_article, with_article), form_data())
    assert response.status_code == 403
    assert live_article.revisions.count() == 0


@pytest.mark.parametrize("person", ["editor", "admin_user"])
@pytest.mark.parametrize(("name", "with_article"), [("editor_articles", False), ("editor_article", True)])
def test_it_opens_the_pages_to_editors_and_admins(client, request, live_article, person, name, with_article):
    client.force_login(request.getfixturevalue(person))
    assert client.get(address(name, live_article, with_article)).status_code == 200


def test_it_lets_an_agent_edit_with_the_permission_given_directly(db):
    agent = User.objects.create_user("lee@example.com", role=Role.AGENT)
    agent.user_permissions.add(Permission.objects.get(codename="edit_articles", content_type__app_label="editor"))
    assert can_edit_articles(User.objects.get(pk=agent.pk))


def test_it_refuses_a_requester_even_with_the_permission(requester):
    requester.user_permissions.add(Permission.objects.get(codename="edit_articles"))
    assert not can_edit_articles(User.objects.get(pk=requester.pk))


def test_it_refuses_a_deactivated_admin(admin_user):
    admin_user.is_active = False
    assert not can_edit_articles(admin_user)


def test_it_answers_for_a_requester_without_a_query(requester, django_assert_num_queries):
    with django_assert_num_queries(0):
        assert not can_edit_articles(requester)


def test_it_shows_the_articles_link_to_editors_only(client, agent, editor):
    client.force_login(agent)
    assert url("editor_articles") not in client.get(url("agent_tickets")).content.decode()
    client.force_login(editor)
    assert f'href="{url("editor_articles")}"' in client.get(url("agent_tickets")).content.decode()


@pytest.mark.parametrize("name", ["editor_article_draft", "editor_article_publish", "editor_article_unpublish"])
def test_it_changes_nothing_on_get(client, editor, live_article, name):
    client.force_login(editor)
    response = client.get(url(name, live_article.pk, "fr"))
    assert response.status_code == 405
    live_article.refresh_from_db()
    assert live_article.is_published
    assert live_article.revisions.count() == 0


def test_it_requires_the_csrf_token(editor, live_article):
    client = Client(enforce_csrf_checks=True)
    client.force_login(editor)
    response = client.post(url("editor_article_unpublish", live_article.pk, "fr"))
    assert response.status_code == 403
    live_article.refresh_from_db()
    assert live_article.is_published


def test_the_signed_in_agent_comes_with_the_answer_in_the_query_that_loads_them(client, agent, editor):
    for person, expected in ((agent, False), (editor, True)):
        client.force_login(person)
        request = RequestFactory().get("/")
        request.session = client.session
        assert request.session.keys()  # the session read before counting
        with CaptureQueriesContext(connection) as captured:
            user = get_user(request)
            answer = can_edit_articles(user)
        assert (user.pk, answer) == (person.pk, expected)
        assert len(captured) == 1  # the user and the answer together
