"""What the form's script reports: a suggestion opened, the form left after opening one."""

from __future__ import annotations

import pytest
from django.test import Client

from comptoir.deflection.models import DeflectionEvent, EventKind
from comptoir.deflection.services import MAX_EVENTS_PER_VISIT
from tests.deflection.conftest import OTHER_VISIT, VISIT, url

pytestmark = pytest.mark.django_db


@pytest.fixture
def article(write):
    return write("export", "en", "Export", "Exporting data.").article


def post(client, kind: str, article_id: object, visit: str = VISIT, language: str = "en"):
    return client.post(
        url("ticket_suggestion_event", language), {"kind": kind, "article": str(article_id), "visit": visit}
    )


def test_it_records_an_opened_suggestion_then_the_form_left(client, article):
    assert post(client, "opened", article.pk).status_code == 204
    assert post(client, "abandoned", article.pk, language="fr").status_code == 204

    rows = list(DeflectionEvent.objects.order_by("pk").values_list("kind", "article", "visit", "language"))
    assert rows == [(EventKind.OPENED, article.pk, VISIT, "en"), (EventKind.ABANDONED, article.pk, VISIT, "fr")]


def test_it_counts_an_article_opened_twice_and_a_form_left_twice_once(client, article):
    for kind in ("opened", "opened", "abandoned", "abandoned"):
        assert post(client, kind, article.pk).status_code == 204

    assert sorted(DeflectionEvent.objects.values_list("kind", flat=True)) == [EventKind.ABANDONED, EventKind.OPENED]


def test_it_refuses_a_form_left_without_any_suggestion_opened(client, article):
    assert post(client, "abandoned", article.pk).status_code == 400
    post(client, "opened", article.pk, visit=OTHER_VISIT)
    assert post(client, "abandoned", article.pk).status_code == 400
    assert list(DeflectionEvent.objects.values_list("visit", flat=True)) == [OTHER_VISIT]


def test_it_refuses_bad_input(client, article, write):
    draft = write("draft", "en", "Draft", "Not yet.", published=False).article
    bad = [
        ("shown", article.pk, VISIT),
        ("suggestions_shown", article.pk, VISIT),
        ("ticket_after_open", article.pk, VISIT),
        ("", article.pk, VISIT),
        ("opened", "", VISIT),
        ("opened", "abc", VISIT),
        ("opened", "-1", VISIT),
        ("opened", "9" * 30, VISIT),
        ("opened", article.pk + 1000, VISIT),
        ("opened", draft.pk, VISIT),
        ("opened", article.pk, ""),
        ("opened", article.pk, "not-a-visit"),
    ]
    for kind, article_id, visit in bad:
        assert post(client, kind, article_id, visit=visit).status_code == 400, (kind, article_id, visit)
    assert not DeflectionEvent.objects.exists()


def test_it_accepts_post_only(client, article):
    response = client.get(url("ticket_suggestion_event"), {"kind": "opened", "article": article.pk, "visit": VISIT})
    assert response.status_code == 405


def test_it_enforces_csrf(article):
    browser = Client(enforce_csrf_checks=True)
    assert post(browser, "opened", article.pk).status_code == 403

    # As the script does it: the token of the ticket form's hidden input, with the cookie set by that page.
    page = browser.get(url("ticket_new")).content.decode()
    token = page.split('name="csrfmiddlewaretoken" value="', 1)[1].split('"', 1)[0]
    response = browser.post(
        url("ticket_suggestion_event"),
        {"kind": "opened", "article": str(article.pk), "visit": VISIT, "csrfmiddlewaretoken": token},
    )
    assert response.status_code == 204
    assert DeflectionEvent.objects.get().kind == EventKind.OPENED


def test_it_refuses_more_events_than_a_visit_can_make(client, write):
    articles = [write(f"a-{n}", "en", f"Article {n}", "Text.").article for n in range(MAX_EVENTS_PER_VISIT + 1)]

    for article in articles[:MAX_EVENTS_PER_VISIT]:
        assert post(client, "opened", article.pk).status_code == 204
    assert post(client, "opened", articles[-1].pk).status_code == 429
    assert DeflectionEvent.objects.count() == MAX_EVENTS_PER_VISIT


def test_it_refuses_events_past_the_limit_of_one_address(client, write, monkeypatch):
    monkeypatch.setattr("comptoir.deflection.views.MAX_EVENTS_PER_IP", 2)
    article = write("export", "en", "Export", "Exporting data.").article

    for visit in (VISIT, OTHER_VISIT):
        assert post(client, "opened", article.pk, visit=visit).status_code == 204
    assert post(client, "opened", article.pk, visit="1" * 32).status_code == 429
    assert DeflectionEvent.objects.count() == 2
