"""The agents' deflection report: totals, the articles to write next, the articles that answered."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from comptoir.deflection.models import DeflectionEvent, EventKind
from tests.deflection.conftest import url

pytestmark = pytest.mark.django_db


def event(kind: EventKind, *, query: str = "", article=None, language: str = "en", days_ago: int = 0, visit: str = ""):
    row = DeflectionEvent.objects.create(kind=kind, query=query, article=article, language=language, visit=visit)
    if days_ago:
        DeflectionEvent.objects.filter(pk=row.pk).update(created_at=timezone.now() - timedelta(days=days_ago))
    return row


def fill(write, n: int) -> None:
    for i in range(n):
        article = write(f"article-{i}", "en", f"Article {i}", "Text.").article
        event(EventKind.SEARCH, query=f"missing {i}")
        event(EventKind.NO_SUGGESTION, query=f"subject {i}", visit=f"{i:032x}")
        event(EventKind.SUGGESTIONS_SHOWN, query=f"shown {i}", visit=f"{i:032x}")
        event(EventKind.OPENED, article=article, visit=f"{i:032x}")
        event(EventKind.ABANDONED, article=article, visit=f"{i:032x}")


def test_it_sends_visitors_to_log_in_and_refuses_requesters(client, requester):
    response = client.get(url("agent_deflection"))
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")

    client.force_login(requester)
    assert client.get(url("agent_deflection")).status_code == 403


def test_it_is_linked_from_the_workspace_views(client, agent):
    client.force_login(agent)
    html = client.get(url("agent_tickets")).content.decode()
    assert f'href="{url("agent_deflection")}"' in html


def test_it_shows_totals_missing_articles_and_answering_articles(client, agent, write):
    answered = write("export", "en", "Exporting your invoices", "Text.").article
    write("export", "fr", "Exporter vos factures", "Texte.")
    not_enough = write("refunds", "fr", "Remboursements", "Texte.").article
    for _ in range(3):
        event(EventKind.SEARCH, query="refund <policy>")
    event(EventKind.NO_SUGGESTION, query="refund <policy>", visit="a" * 32)
    event(EventKind.NO_SUGGESTION, query="mot de passe", language="fr", visit="b" * 32)
    event(EventKind.SUGGESTIONS_SHOWN, query="export", visit="c" * 32)
    event(EventKind.SUGGESTIONS_SHOWN, query="export csv", visit="d" * 32)
    event(EventKind.OPENED, article=answered, visit="c" * 32)
    event(EventKind.ABANDONED, article=answered, visit="c" * 32)
    event(EventKind.OPENED, article=not_enough, visit="d" * 32)
    event(EventKind.TICKET_AFTER_OPEN, article=not_enough, visit="d" * 32)
    event(EventKind.SEARCH, query="too old", days_ago=40)
    client.force_login(agent)

    html = client.get(url("agent_deflection")).content.decode()

    assert "<dt>Subjects with suggestions</dt><dd>2</dd>" in html
    assert "<dt>Suggestions opened</dt><dd>2</dd>" in html
    assert "<dt>Requests deflected</dt><dd>1</dd>" in html
    assert "<dt>Tickets sent anyway</dt><dd>1</dd>" in html
    # Most frequent first, escaped, counted by where it came from; older than the period left out.
    assert html.index("refund &lt;policy&gt;") < html.index("mot de passe")
    assert '<td class="numeric">3</td>\n        <td class="numeric">1</td>\n        <td class="numeric">4</td>' in html
    assert "too old" not in html
    # The article that ended a request first, in the page's language, else in the one it has.
    assert html.index(f'href="/en/articles/{answered.pk}-export/">Exporting your invoices<') < html.index(
        f'href="/en/articles/{not_enough.pk}-refunds/">Remboursements<'
    )

    longer = client.get(url("agent_deflection"), {"days": "90"}).content.decode()
    assert "too old" in longer
    assert 'href="?days=90" aria-current="page"' in longer


def test_it_falls_back_to_thirty_days_for_an_unknown_period(client, agent):
    client.force_login(agent)
    for days in ("", "8", "abc", "-7", "99999999999999999999"):
        html = client.get(url("agent_deflection"), {"days": days}).content.decode()
        assert 'href="?days=30" aria-current="page"' in html


def test_it_says_when_there_is_nothing_to_show(client, agent):
    client.force_login(agent)
    html = client.get(url("agent_deflection", "fr")).content.decode()
    assert 'class="empty-state"' in html
    assert "<dd>0</dd>" in html


def test_it_runs_the_same_queries_whatever_the_data(client, agent, write, django_assert_num_queries):
    client.force_login(agent)
    # 1 the session, 2 the agent with their permission, given to them or a group (the page header's
    # "Articles" link: comptoir/editor/backends.py), 3 the totals, 4 the articles to write next,
    # 5 the articles that answered.
    with django_assert_num_queries(5):
        client.get(url("agent_deflection"))

    fill(write, 25)
    with django_assert_num_queries(5):
        html = client.get(url("agent_deflection")).content.decode()
    assert html.count("missing ") == 20
    assert html.count('href="/en/articles/') == 20
