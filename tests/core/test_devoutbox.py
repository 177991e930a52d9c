"""The development outbox: e-mails caught while DEBUG is on, readable under /dev/outbox/."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.core.mail import EmailMultiAlternatives
from django.urls import reverse

from comptoir.devoutbox.models import CapturedEmail

pytestmark = pytest.mark.django_db

LINK = "http://testserver/t/Zk3x-9q/?lang=fr&from=mail"
TEXT = f"Bonjour Zoé,\n\nSuivez votre ticket ici :\n{LINK}\n\nÀ bientôt.\n"
HTML = f'<p>Bonjour Zoé,</p><p><a href="{LINK.replace("&", "&amp;")}">Suivre votre ticket</a></p>'


@pytest.fixture
def outbox(settings):
    settings.DEBUG = True
    settings.EMAIL_BACKEND = "comptoir.devoutbox.backend.OutboxBackend"


def send(text: str = TEXT, html: str = HTML, subject: str = "[#1042] Demande reçue") -> CapturedEmail:
    message = EmailMultiAlternatives(subject, text, "Comptoir <support@comptoir.localhost>", ["zoe@example.org"])
    message.attach_alternative(html, "text/html")
    assert message.send() == 1
    return CapturedEmail.objects.get()


def test_it_does_not_exist_when_debug_is_off(client, settings):
    settings.DEBUG = True
    settings.EMAIL_BACKEND = "comptoir.devoutbox.backend.OutboxBackend"
    captured = send()
    settings.DEBUG = False

    for address in (
        reverse("outbox_list"),
        reverse("outbox_detail", args=[captured.pk]),
        reverse("outbox_html", args=[captured.pk]),
    ):
        response = client.get(address)
        assert response.status_code == 404, address
        assert "Zoé" not in response.content.decode(), address


def test_it_catches_a_sent_email_instead_of_sending_it(outbox, mailoutbox):
    captured = send()

    assert mailoutbox == []
    assert (captured.subject, captured.to_addresses) == ("[#1042] Demande reçue", "zoe@example.org")
    assert captured.from_address == "Comptoir <support@comptoir.localhost>"


def test_it_lists_the_caught_email(client, outbox):
    captured = send()

    response = client.get(reverse("outbox_list"))

    assert response.status_code == 200
    html = response.content.decode()
    assert f'<a href="{reverse("outbox_detail", args=[captured.pk])}">[#1042] Demande reçue</a>' in html
    assert "zoe@example.org" in html


def test_it_shows_the_text_part_and_its_link_clickable(client, outbox):
    captured = send()

    response = client.get(reverse("outbox_detail", args=[captured.pk]))

    assert response.status_code == 200
    html = response.content.decode()
    # The text part, decoded and escaped (the & in the link).
    assert "Bonjour Zoé," in html
    assert "Suivez votre ticket ici :" in html
    escaped = LINK.replace("&", "&amp;")
    assert f'<a href="{escaped}">{escaped}</a>' in html
    # The HTML part is shown only through its sandboxed view, never inline.
    assert f'src="{reverse("outbox_html", args=[captured.pk])}"' in html
    assert "Suivre votre ticket</a>" not in html


def test_it_does_not_take_sentence_punctuation_into_a_link(client, outbox):
    captured = send(text="Your ticket is at http://testserver/t/abc/. Reply (or see http://testserver/help/), thanks.")

    html = client.get(reverse("outbox_detail", args=[captured.pk])).content.decode()

    assert '<a href="http://testserver/t/abc/">' in html, "the trailing '.' of the sentence is part of the link"
    assert '<a href="http://testserver/help/">' in html, "the closing ')' of the sentence is part of the link"


def test_it_serves_the_html_part_sandboxed(client, outbox):
    captured = send()

    response = client.get(reverse("outbox_html", args=[captured.pk]))

    assert response.status_code == 200
    assert response["Content-Type"] == "text/html; charset=utf-8"
    # The e-mail as sent, but its link opens in a new tab (tests below).
    assert response.content.decode().strip() == HTML.replace(
        '">Suivre', '" target="_blank" rel="noopener noreferrer">Suivre'
    )
    policy = [directive.strip() for directive in response["Content-Security-Policy"].split(";")]
    # No allow-scripts and no allow-same-origin: a script in the e-mail cannot run or reach the app.
    sandbox = next(directive for directive in policy if directive.startswith("sandbox"))
    assert "allow-scripts" not in sandbox
    assert "allow-same-origin" not in sandbox
    assert "default-src 'none'" in policy
    # Framed by the outbox page itself, and only by it.
    assert response["X-Frame-Options"] == "SAMEORIGIN"
    assert "frame-ancestors 'self'" in policy


def test_it_answers_404_for_an_unknown_email(client, outbox):
    assert client.get(reverse("outbox_detail", args=[999])).status_code == 404
    assert client.get(reverse("outbox_html", args=[999])).status_code == 404


def html_part(client, html: str) -> str:
    captured = send(html=html)
    return client.get(reverse("outbox_html", args=[captured.pk])).content.decode()


def test_a_link_to_this_site_opens_in_a_new_tab_not_in_the_frame(client, outbox, settings):
    """Followed inside the frame, our page would refuse to load there (frame-ancestors 'none')."""
    settings.COMPTOIR_BASE_URL = "http://127.0.0.1:8000"

    html = html_part(
        client,
        '<p><a href="http://127.0.0.1:8000/fr/tickets/42/" class="button" style="color:red">Voir</a> '
        '<a href="http://testserver/t/#abc">Suivre</a></p>',
    )

    assert (
        '<a class="button" style="color:red" href="http://127.0.0.1:8000/fr/tickets/42/" target="_blank" '
        'rel="noopener noreferrer">Voir</a>'
    ) in html
    # The address the outbox itself is read at counts as this site too.
    assert '<a href="http://testserver/t/#abc" target="_blank" rel="noopener noreferrer">Suivre</a>' in html


@pytest.mark.parametrize(
    "href",
    [
        "https://phishing.example/login",
        "javascript:alert(document.domain)",
        "JavaScript:alert(1)",
        "mailto:support@comptoir.localhost",
        "data:text/html,<script>alert(1)</script>",
        "//testserver.evil.example/",
        "http://testserver.evil.example/",
    ],
)
def test_any_other_link_keeps_its_words_but_not_its_address(client, outbox, href):
    html = html_part(client, f'<p>Voir <a href="{href}" target="_top" onclick="steal()">ici</a>.</p>')

    assert "href=" not in html
    assert "onclick" not in html and "_top" not in html
    assert ">ici</a>." in html
    # The developer still sees where it pointed.
    assert 'title="' in html


@pytest.mark.parametrize(
    "trick",
    [
        '<!--><a href="https://evil.example/" target="_top">x</a>-->',
        '<!-- a --!><a href="https://evil.example/" target="_top">x</a>-->',
        '<!---><a href="https://evil.example/" target="_top">x</a>-->',
        '<![CDATA[><a href="https://evil.example/" target="_top">x</a>]]>',
        '<?pi <a href="https://evil.example/">x</a>?>',
    ],
)
def test_a_comment_or_declaration_cannot_carry_a_link_past_the_rewriting(client, outbox, trick):
    """The parser and a browser disagree on where these end: they are dropped, never copied."""
    html = html_part(client, f"<p>Avant</p>{trick}<p>Après</p>")

    assert "evil.example" not in html.replace('title="https://evil.example/"', "")
    assert 'href="https://evil.example/"' not in html
    assert "<!--" not in html and "<![" not in html and "<?" not in html


def test_the_rest_of_the_email_is_left_as_it_was_sent(client, outbox):
    sent = (
        "<!DOCTYPE html><html><head><style>p { color: #333; }</style><!--[if mso]><x><![endif]--></head>"
        '<body><table role="presentation"><tr><td>Caf&eacute; &amp; cr&#232;me &#x2014; <b>gras</b><br>'
        '<img src="data:image/png;base64,iVBORw0KGgo=" alt="logo"></td></tr></table></body></html>'
    )

    # All but the comment (Outlook's conditional one here): comments are dropped (the test above).
    assert html_part(client, sent).strip() == sent.replace("<!--[if mso]><x><![endif]-->", "")


def test_a_base_element_cannot_point_the_links_elsewhere(client, outbox):
    html = html_part(client, '<base href="https://elsewhere.example/" target="_self"><a href="/fr/">Accueil</a>')

    assert "<base" not in html
    # A relative address is no address of this site: shown, not followed.
    assert "href=" not in html


def test_the_outbox_list_dates_read_the_same_in_both_languages(client, outbox):
    captured = send()
    when = datetime(2026, 12, 3, 17, 18, tzinfo=UTC)  # 18:18 in Paris
    CapturedEmail.objects.filter(pk=captured.pk).update(created_at=when)

    english = client.get(reverse("outbox_list"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    french = client.get(reverse("outbox_list"), HTTP_ACCEPT_LANGUAGE="fr").content.decode()

    assert '<time datetime="2026-12-03T18:18:00+01:00">3 Dec 2026, 18:18</time>' in english
    assert '<time datetime="2026-12-03T18:18:00+01:00">3 déc. 2026, 18:18</time>' in french
