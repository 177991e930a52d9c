from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import translation

from comptoir.tickets.models import Status
from comptoir.tickets.statuses import REQUESTER_HELP, status_anchor

pytestmark = pytest.mark.django_db


def url(language: str = "en") -> str:
    with translation.override(language):
        return reverse("statuses_help")


def test_it_explains_every_status_to_anyone_with_an_anchor_each(client, django_assert_num_queries):
    # No query: a first visit has no session to read, and the texts live in the code.
    with django_assert_num_queries(0):
        response = client.get(url())
    page = response.content.decode()
    assert response.status_code == 200
    assert url() == "/en/statuses/"
    for status in Status:
        assert f'id="{status_anchor(status)}"' in page
        assert str(REQUESTER_HELP[status].meaning) in page
        assert str(REQUESTER_HELP[status].next_step) in page
    assert 'id="status-on-hold"' in page and 'id="status-pending"' in page
    assert 'class="breadcrumb"' in page


def test_it_follows_the_language_of_the_address(client):
    assert client.get(url("fr")).status_code == 200
