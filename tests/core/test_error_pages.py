"""The product's own error pages, which DEBUG hides behind Django's: shown on demand under /dev/errors/.

`make screenshots` photographs them there; with DEBUG off the addresses do not exist, and the
pages are what every visitor gets.
"""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

pytestmark = pytest.mark.django_db


def error_page(client: Client, status: int, language: str = "en", query: str = ""):
    return client.get(reverse("dev_error_page", args=[status]) + query, HTTP_ACCEPT_LANGUAGE=language)


@pytest.fixture
def debug(settings):
    settings.DEBUG = True


@pytest.mark.parametrize("language", ["fr", "en"])
def test_the_404_page_is_the_product_s_even_with_debug_on(client, debug, language):
    response = error_page(client, 404, language)

    html = response.content.decode()
    assert response.status_code == 404
    assert f'<html lang="{language}">' in html
    assert 'class="site-header"' in html
    with translation.override(language):
        assert f'href="{reverse("link_request")}"' in html
    # Not Django's technical page.
    assert "Django tried these URL patterns" not in html
    assert "DEBUG = True" not in html


def test_the_404_page_says_what_to_do(client, debug):
    html = error_page(client, 404).content.decode()

    assert "<h1>Page not found</h1>" in html
    assert "Get a new link to your tickets" in html
    assert "Back to the Help Center" in html


@pytest.mark.parametrize("language", ["fr", "en"])
def test_the_500_page_is_styled_and_in_the_reader_s_language(client, debug, language):
    response = error_page(client, 500, language)

    html = response.content.decode()
    assert response.status_code == 500
    assert f'<html lang="{language}">' in html
    assert '<link rel="stylesheet" href="/static/comptoir/app.css">' in html
    assert html.count("<h1>") == 1


def test_the_500_page_says_what_happened_and_what_to_do(client, debug):
    html = error_page(client, 500).content.decode()

    assert "<h1>Something went wrong</h1>" in html
    assert "the error is ours" in html
    assert 'href="/">Back to the Help Center</a>' in html


@pytest.mark.parametrize(
    ("reason", "title"),
    [
        ("editors-only", "Writing articles takes the editor role"),
        ("admins-only", "This page is for administrators"),
        ("", "Access refused"),
        ("made-up", "Access refused"),
    ],
)
def test_the_403_page_shows_each_reason(client, debug, agent, reason, title):
    client.force_login(agent)

    response = error_page(client, 403, query=f"?reason={reason}")

    assert response.status_code == 403
    assert f"<h1>{title}</h1>" in response.content.decode()


def test_an_unknown_error_is_not_found(client, debug):
    assert error_page(client, 418).status_code == 404


def test_without_debug_the_addresses_do_not_exist_and_a_missing_page_is_the_product_s(client, settings):
    settings.DEBUG = False

    for status in (403, 404, 500):
        response = error_page(client, status)
        assert response.status_code == 404
        assert "<h1>Page not found</h1>" in response.content.decode()
