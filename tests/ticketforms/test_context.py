"""The technical details a customer's browser sends with a new ticket: hostile payloads, consent, the agents' panel."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse
from django.utils import translation

from comptoir.accounts.services import email_address_record
from comptoir.helpcenter.models import Article, SectionTranslation
from comptoir.helpcenter.services import article_translation_save, section_get_or_create
from comptoir.ticketforms import context
from comptoir.ticketforms.models import TicketContext
from comptoir.ticketforms.services import ticket_context_record
from comptoir.tickets.models import Ticket
from tests.conftest import solved_captcha

pytestmark = pytest.mark.django_db


def make_article(slug: str = "reset-your-password", *, title: str = "Reset your password", published: bool = True):
    section = section_get_or_create(key="account", position=0, icon="")
    SectionTranslation.objects.get_or_create(
        section=section, language="en", defaults={"title": "Account", "slug": "account"}
    )
    article = Article.objects.create(key=slug, section=section, position=Article.objects.count(), is_published=True)
    article_translation_save(article=article, language="en", title=title, slug=slug, summary="", body_markdown="Text.")
    if not published:
        Article.objects.filter(pk=article.pk).update(is_published=False)
    return article


def article_path(article: Article, slug: str = "reset-your-password") -> str:
    with translation.override("en"):
        return reverse("article_detail", kwargs={"pk": article.pk, "slug": slug})


def payload(**values: object) -> str:
    return json.dumps(values)


# --- parsing: pure, never trusting ---------------------------------------------------------------------------


def test_it_keeps_a_plain_payload_in_its_fixed_shape():
    parsed = context.parse(
        payload(browser="Firefox 133", system="Windows 11", screen="1920\u00d71080", language="fr-FR", extra="dropped")
    )
    assert parsed == context.Payload(
        browser="Firefox 133", system="Windows 11", screen_width=1920, screen_height=1080, language="fr-FR"
    )


@pytest.mark.parametrize(
    "raw",
    ["", "not json", "[1, 2]", '"a string"', "null", json.dumps({"browser": "x" * 3000}), 42, None],
)
def test_it_drops_a_payload_that_is_not_a_small_json_object(raw):
    assert context.parse(raw) == context.Payload()


def test_it_cuts_long_texts_and_drops_control_characters():
    parsed = context.parse(payload(browser="Chrome\u202e\u0000 131 " + "A" * 500, system=["Linux"], language="fr" * 40))
    assert parsed.browser.startswith("Chrome 131 AAA") and len(parsed.browser) == context.TEXT_MAX_LENGTH
    assert "\u202e" not in parsed.browser and "\x00" not in parsed.browser
    assert parsed.system == "" and parsed.language == ""


def test_html_is_kept_as_text_for_the_page_to_escape():
    parsed = context.parse(payload(browser="<script>alert(1)</script>"))
    assert parsed.browser == "<script>alert(1)</script>"


@pytest.mark.parametrize("screen", ["0x0", "99999x2", "1920", "1920x1080x3", "-5x4", "1e3x2", 1920])
def test_it_refuses_screens_no_screen_has(screen):
    parsed = context.parse(payload(screen=screen))
    assert parsed.screen_width is None and parsed.screen_height is None


@pytest.mark.parametrize(
    "path",
    [
        "https://evil.example/en/",
        "//evil.example/en/",
        "/\\evil.example/",
        "javascript:alert(1)",
        "/en/search/?q=secret",
        "/en/#top",
        "/en/agent/",
        "/en/tickets/new/",
        "/de/",
        "/en/articles/12-x/" + "a" * 400,
        "/en/\nfoo/",
        "en/",
    ],
)
def test_a_page_not_of_our_help_center_is_dropped(path):
    assert context.help_center_path(path) == ""
    assert context.parse(payload(**{"from": path, "article": path})) == context.Payload()


def test_our_help_center_pages_are_kept():
    assert context.help_center_path("/en/") == "/en/"
    assert context.help_center_path("/fr/search/") == "/fr/search/"
    assert context.help_center_path("/fr/articles/12-reinitialiser/") == "/fr/articles/12-reinitialiser/"


def test_the_last_article_must_exist_and_be_published():
    published = make_article()
    draft = make_article("draft", title="Draft", published=False)
    assert context.last_article(article_path(published)) == context.PageSeen(
        article_path(published), "article_detail", "Reset your password"
    )
    assert context.last_article(article_path(draft, "draft")) is None
    assert context.last_article(article_path(published).replace(str(published.pk), "999999")) is None
    assert context.last_article("/en/") is None  # a page, not an article


def test_an_article_read_under_an_old_slug_is_named_by_its_own_address():
    article = make_article()
    seen = context.page_seen(article_path(article, "old-slug"))
    assert seen is not None and seen.path == article_path(article)


# --- the form: consent, and nothing without it -------------------------------------------------------------


def form_data(**overrides: object) -> dict:
    data: dict[str, object] = {
        "email": "alice@example.org",
        "name": "Alice",
        "subject": "It crashes",
        "description": "It crashes when I export.",
        "altcha": solved_captcha(),
        "website": "",
        "ticket_type": "incident",
    }
    data.update(overrides)
    return data


def new_url() -> str:
    with translation.override("en"):
        return reverse("ticket_new")


def test_the_form_asks_for_consent_hidden_until_its_script_runs(client):
    html = client.get(new_url() + "?from=/en/").content.decode()
    assert 'data-context-consent data-came-from="/en/" hidden' in html
    assert 'name="send_context"' in html and "checked" in html.split('name="send_context"')[1].split(">")[0]
    assert "ticketforms/context.js" in html


def test_a_from_that_is_not_ours_is_not_carried(client):
    html = client.get(new_url() + "?from=https://evil.example/").content.decode()
    consent = html.split("data-context-consent")[1].split("</div>")[0]
    assert consent.startswith(' data-came-from=""') and "evil.example" not in consent


def test_the_box_ticked_stores_the_context_with_the_ticket(client):
    article = make_article()
    details = payload(
        browser="Firefox 133",
        system="Windows 11",
        screen="1920\u00d71080",
        language="fr",
        article=article_path(article),
    )
    details = details[:-1] + ', "from": "/en/"}'
    response = client.post(new_url(), form_data(send_context="on", context=details))
    assert response.status_code == 302
    stored = TicketContext.objects.get(ticket=Ticket.objects.get())
    assert (stored.browser, stored.system, stored.screen, stored.language) == (
        "Firefox 133",
        "Windows 11",
        "1920\u00d71080",
        "fr",
    )
    assert (stored.came_from, stored.came_from_kind, stored.came_from_title) == ("/en/", "home", "")
    assert (stored.article_path, stored.article_title) == (article_path(article), "Reset your password")


def test_the_box_unticked_stores_nothing_whatever_the_hidden_input_says(client):
    response = client.post(new_url(), form_data(context=payload(browser="Firefox 133", screen="1920x1080")))
    assert response.status_code == 302
    assert Ticket.objects.count() == 1
    assert not TicketContext.objects.exists()


def test_without_the_script_nothing_is_stored(client):
    response = client.post(new_url(), form_data(send_context="on"))
    assert response.status_code == 302 and not TicketContext.objects.exists()


def test_a_payload_with_nothing_usable_stores_nothing(make_ticket):
    ticket = make_ticket()
    assert (
        ticket_context_record(ticket=ticket, payload=context.parse(payload(article="/en/articles/999-gone/"))) is None
    )
    assert not TicketContext.objects.exists()


# --- the agents' panel ------------------------------------------------------------------------------------


def test_the_agent_reads_the_context_escaped_with_a_link_to_the_article(client, agent, make_ticket):
    article = make_article(title="<b>Reset</b> your password")
    ticket = make_ticket()
    parsed = context.parse(
        payload(browser="<img src=x onerror=alert(1)>", system="Linux", screen="1280x900", language="en")[:-1]
        + f', "from": "{article_path(article)}", "article": "{article_path(article)}"}}'
    )
    ticket_context_record(ticket=ticket, payload=parsed)
    client.force_login(agent)
    with translation.override("en"):
        html = client.get(reverse("agent_ticket", args=[ticket.reference])).content.decode()
    panel = html.split('aria-labelledby="context-title"')[1].split("</section>")[0]
    assert "<img src=x" not in html and "&lt;img src=x onerror=alert(1)&gt;" in panel
    assert "<b>Reset</b>" not in html and "&lt;b&gt;Reset&lt;/b&gt; your password" in panel
    assert "1280\u00d7900" in panel and "Linux" in panel
    assert f'<a href="{article_path(article)}">' in panel
    assert "from: Article “&lt;b&gt;Reset&lt;/b&gt; your password”" in panel


def test_a_ticket_without_context_has_no_panel(client, agent, make_ticket):
    ticket = make_ticket()
    client.force_login(agent)
    with translation.override("en"):
        html = client.get(reverse("agent_ticket", args=[ticket.reference])).content.decode()
    assert 'id="context-title"' not in html


def test_the_customer_never_sees_the_context(client, make_ticket):
    ticket = make_ticket()
    ticket_context_record(ticket=ticket, payload=context.parse(payload(browser="Firefox 133")))
    email_address_record(user=ticket.requester, verified=True)
    client.force_login(ticket.requester)
    with translation.override("en"):
        response = client.get(reverse("ticket_detail", args=[ticket.reference]))
    assert response.status_code == 200 and "Export fails" in response.content.decode()
    assert "Firefox 133" not in response.content.decode()
