"""The From of every e-mail names the team as the branding does, in the e-mail's language (issue 22):
"Assistance Exemple <support@…>" to a French requester, "Example Support <support@…>" to an English one."""

from __future__ import annotations

import email
import email.policy

import pytest
from django.conf import settings
from django.core import mail
from django.core.mail import EmailMessage

from comptoir.accounts.mailing import account_email_queue
from comptoir.branding.emails import sender
from comptoir.branding.services import branding_update
from comptoir.mail.models import OutboundEmail, OutboundKind
from comptoir.mail.outbound import WrittenEmail, email_deliver, email_queue
from tests.branding.helpers import brand_everything
from tests.conftest import account_mail_delivered

pytestmark = pytest.mark.django_db


def sent_from(message: EmailMessage) -> tuple[str, str]:
    """The From header as a mail client reads it once delivered: (display name, address)."""
    parsed = email.message_from_bytes(message.message().as_bytes(), policy=email.policy.default)
    [address] = parsed["From"].addresses
    return address.display_name, address.addr_spec


def name_only(name_fr: str = "", name_en: str = "") -> None:
    branding_update(name_fr=name_fr, name_en=name_en, colour="", footer_links=[], signature_fr="", signature_en="")


@pytest.mark.parametrize(("language", "name"), [("fr", "Assistance Exemple"), ("en", "Example Support")])
def test_a_ticket_e_mail_comes_from_the_brand_in_the_ticket_s_language(make_ticket, language, name):
    brand_everything(with_logo=False)
    make_ticket(language=language)

    email_deliver(OutboundEmail.objects.get(kind=OutboundKind.TICKET_CREATED).pk)

    [message] = mail.outbox
    assert sent_from(message) == (name, settings.COMPTOIR_SUPPORT_EMAIL)


def test_without_a_name_the_site_name_signs_the_e_mails(make_ticket):
    make_ticket(language="fr")

    email_deliver(OutboundEmail.objects.get(kind=OutboundKind.TICKET_CREATED).pk)

    assert sent_from(mail.outbox[0]) == (settings.COMPTOIR_SITE_NAME, settings.COMPTOIR_SUPPORT_EMAIL)


def test_a_name_in_one_language_only_serves_both():
    name_only(name_fr="Assistance Exemple")

    assert sender("en") == f"Assistance Exemple <{settings.COMPTOIR_SUPPORT_EMAIL}>"


def test_an_account_e_mail_comes_from_the_brand_too():
    name_only(name_fr="Assistance Exemple", name_en="Example Support")
    written = EmailMessage(subject="Your code", body="123456", to=["claire@example.org"])

    account_email_queue(message=written, language="en")
    [message] = account_mail_delivered()

    assert sent_from(message) == ("Example Support", settings.COMPTOIR_SUPPORT_EMAIL)


def test_an_e_mail_written_when_queued_comes_from_the_brand_in_its_language(make_ticket):
    name_only(name_fr="Assistance Exemple", name_en="Example Support")
    ticket = make_ticket(language="fr")
    mail.outbox.clear()
    queued = email_queue(
        kind=OutboundKind.RULE_EMAIL,
        to="alice@example.org",
        language="fr",
        ticket_id=ticket.pk,
        content=WrittenEmail(subject="Rappel", text="Bonjour.", html=""),
    )

    email_deliver(queued.pk)

    [message] = mail.outbox
    assert sent_from(message) == ("Assistance Exemple", settings.COMPTOIR_SUPPORT_EMAIL)


@pytest.mark.parametrize(
    "name",
    [
        "Acme, Inc.",  # a comma would otherwise start a second address
        'Support "Acme"',
        "Acme <boss@evil.example>",  # an address inside the name stays words of the name
        "Société Générale, SAV",  # accents are encoded (RFC 2047) and read back as written
    ],
)
def test_any_name_stays_one_display_name_before_our_address(name):
    name_only(name_en=name)

    message = EmailMessage(subject="s", body="b", from_email=sender("en"), to=["a@example.org"])

    assert sent_from(message) == (name, settings.COMPTOIR_SUPPORT_EMAIL)


def test_white_space_in_a_name_cannot_fold_the_header():
    name_only(name_en="Example\r\nBcc: everyone@example.org")

    # One line, and quoted: the colon cannot start a header of its own.
    assert sender("en") == f'"Example Bcc: everyone@example.org" <{settings.COMPTOIR_SUPPORT_EMAIL}>'
