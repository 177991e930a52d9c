"""E-mails follow the branding: name, logo (an absolute address), colour and signature, in the reader's language."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.core import mail

from comptoir.branding.selectors import brand_get
from comptoir.mail.models import OutboundEmail, OutboundKind
from comptoir.mail.outbound import email_deliver, render_email
from tests.branding.helpers import brand_everything, brand_nothing

pytestmark = pytest.mark.django_db


def html_of(message) -> str:
    [(html, mimetype)] = message.alternatives
    assert mimetype == "text/html"
    return html


def confirmation(make_ticket, language: str):
    make_ticket(language=language)
    email = OutboundEmail.objects.get(kind=OutboundKind.TICKET_CREATED)
    email_deliver(email.pk)
    [message] = mail.outbox
    return message


@pytest.mark.parametrize(
    ("language", "name", "signature_html", "signature_text"),
    [
        ("fr", "Assistance Exemple", "Équipe Exemple<br>01 23 45 67 89", "Équipe Exemple\n01 23 45 67 89"),
        ("en", "Example Support", "The Example team<br>+33 1 23 45 67 89", "The Example team\n+33 1 23 45 67 89"),
    ],
)
def test_the_ticket_confirmation_shows_the_branding(make_ticket, language, name, signature_html, signature_text):
    brand_everything()
    message = confirmation(make_ticket, language)
    html = html_of(message)
    assert f'<img src="{settings.COMPTOIR_BASE_URL}{brand_get().logo_path}"' in html
    assert "font-size:18px;color:#1d4ed8;" in html  # the header's name, in the main colour
    assert f"{name} · " in html
    assert signature_html in html
    assert message.body.endswith(f"\n-- \n{signature_text}\n")
    assert name in message.body


def test_a_signature_written_with_markup_stays_text(make_ticket):
    from comptoir.branding.services import branding_update

    branding_update(
        name_fr="", name_en="", colour="", footer_links=[], signature_fr="", signature_en='<a href="x">Hi</a>'
    )
    html = html_of(confirmation(make_ticket, "en"))
    assert "&lt;a href=&quot;x&quot;&gt;Hi&lt;/a&gt;" in html
    assert '<a href="x">' not in html


def test_without_branding_the_e_mails_look_as_shipped():
    shipped = render_email("ticket_links", {"entries": []}, to="alice@example.org", language="en")
    html = html_of(shipped)
    assert f'color:#0b5c70;">{settings.COMPTOIR_SITE_NAME} · Customer Care' in html
    assert "<img" not in html
    assert "-- \n" not in shipped.body
    brand_nothing()
    again = render_email("ticket_links", {"entries": []}, to="alice@example.org", language="en")
    assert (html_of(again), again.body, again.subject) == (html, shipped.body, shipped.subject)
