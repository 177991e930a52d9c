"""'Was this article helpful?': recorded by POST, one answer per person and article, counts for agents."""

from __future__ import annotations

import pytest
from django.test import Client

from comptoir.helpcenter.models import ArticleVote
from tests.helpcenter.test_pages import article_url, demo, open_ticket_article  # noqa: F401

pytestmark = pytest.mark.django_db


def vote_url(article, language: str = "en") -> str:
    return f"/{language}/articles/{article.article_id}/vote/"


def test_a_visitor_votes_once_and_may_change_their_mind(client, demo):  # noqa: F811
    article = open_ticket_article()

    response = client.post(vote_url(article), {"helpful": "no"})

    assert response.status_code == 302
    assert response["Location"] == article_url(article) + "#feedback"
    page = client.get(article_url(article)).content.decode()
    assert "we will improve this article" in page
    client.post(vote_url(article), {"helpful": "yes"})
    vote = ArticleVote.objects.get()
    assert (vote.helpful, vote.language, vote.voter.startswith("session:")) == (True, "en", True)
    assert client.session.session_key not in vote.voter  # only its hash is kept
    assert 'value="yes" class="button" aria-pressed="true"' in client.get(article_url(article)).content.decode()


def test_each_person_counts_once(demo, requester):  # noqa: F811
    article = open_ticket_article()
    for _ in range(3):
        Client().post(vote_url(article), {"helpful": "yes"})
    member = Client()
    member.force_login(requester)
    member.post(vote_url(article), {"helpful": "no"})
    member.post(vote_url(article), {"helpful": "no"})

    assert ArticleVote.objects.filter(helpful=True).count() == 3
    assert list(ArticleVote.objects.filter(helpful=False).values_list("voter", flat=True)) == [f"user:{requester.pk}"]


def test_following_a_link_or_a_bad_answer_records_nothing(client, demo):  # noqa: F811
    article = open_ticket_article()

    assert client.get(vote_url(article) + "?helpful=yes").status_code == 405
    assert client.post(vote_url(article), {"helpful": "maybe"}).status_code == 400
    assert client.post("/en/articles/999999/vote/", {"helpful": "yes"}).status_code == 404
    assert not ArticleVote.objects.exists()


def test_the_vote_needs_the_csrf_token(demo):  # noqa: F811
    article = open_ticket_article()
    browser = Client(enforce_csrf_checks=True)

    assert browser.post(vote_url(article), {"helpful": "yes"}).status_code == 403
    assert not ArticleVote.objects.exists()


def test_agents_see_the_counts_and_visitors_do_not(client, demo, agent):  # noqa: F811
    article = open_ticket_article()
    Client().post(vote_url(article), {"helpful": "yes"})
    Client().post(vote_url(article), {"helpful": "yes"})
    Client().post(vote_url(article), {"helpful": "no"})

    assert "For agents" not in client.get(article_url(article)).content.decode()
    client.force_login(agent)
    assert "For agents: 2 found it helpful, 1 did not." in client.get(article_url(article)).content.decode()


def test_a_visitor_who_has_voted_costs_one_query_more(client, demo, django_assert_num_queries):  # noqa: F811
    article = open_ticket_article()
    client.post(vote_url(article), {"helpful": "yes"})

    # The four of the page, the session, and this visitor's vote.
    with django_assert_num_queries(6):
        assert client.get(article_url(article)).status_code == 200
