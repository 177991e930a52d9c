"""E-mail to a person: what they chose on their profile decides the language and what they receive.

The outbound queue below (comptoir.mail.outbound) knows addresses, not people;
every e-mail to a requester, a CC or an agent is queued through here.
"""

from __future__ import annotations

from collections.abc import Callable
from email.utils import make_msgid

from django.core.mail import EmailMessage, EmailMultiAlternatives

from comptoir.accounts.models import User, normalize_email
from comptoir.branding.emails import sender
from comptoir.mail.addressing import support_domain
from comptoir.mail.dkim import DkimEmail
from comptoir.mail.models import OutboundEmail, OutboundKind
from comptoir.mail.outbound import WrittenEmail, builder, email_queue

# What a person may turn off on their profile. The confirmation, the solved e-mail
# and links they ask for always go.
NOTIFICATION_KINDS = frozenset(
    {
        OutboundKind.AGENT_REPLY,
        OutboundKind.AGENT_REPLY_CC,
        OutboundKind.REQUESTER_REPLIED,
        OutboundKind.CCS_ADDED,
        OutboundKind.RULE_EMAIL,
        OutboundKind.RULE_EMAIL_AGENT,
    }
)
TURNED_OFF = "the person turned notification e-mails off on their profile"


def person_email_queue(
    *,
    kind: str,
    to: str,
    language: str,
    ticket_id: int | None = None,
    message_id: int | None = None,
    write: Callable[[str], WrittenEmail] | None = None,
) -> OutboundEmail:
    """Queue an e-mail to ``to``; a language the person chose wins over ``language`` (the ticket's).

    ``write``: for an e-mail whose text is written now rather than at delivery (a business rule's, which
    says what the rule said when it fired), given the language chosen.
    """
    person = User.objects.filter(email=normalize_email(to)).only("language", "notify_by_email").first()
    held_back = TURNED_OFF if person is not None and not person.notify_by_email and kind in NOTIFICATION_KINDS else ""
    chosen = (person.language if person is not None else "") or language
    return email_queue(
        kind=kind,
        to=to,
        language=chosen,
        ticket_id=ticket_id,
        message_id=message_id,
        held_back=held_back,
        content=write(chosen) if write is not None else None,
    )


def account_email_queue(*, message: EmailMessage, language: str) -> OutboundEmail:
    """An account e-mail allauth wrote (a code, a password link) leaves through the queue like all our mail.

    So it is checked against suppressions, retried while the mail server is
    down, and shown with its fate; its text is kept only until it leaves.
    """
    html = next((content for content, mimetype in getattr(message, "alternatives", []) if mimetype == "text/html"), "")
    text = str(message.body)
    if message.content_subtype == "html":
        text, html = "", text
    [to] = message.to
    return email_queue(
        kind=OutboundKind.ACCOUNT,
        to=to,
        language=language,
        content=WrittenEmail(subject=str(message.subject), text=text, html=str(html)),
    )


@builder(OutboundKind.ACCOUNT)
def account_email(email: OutboundEmail) -> EmailMultiAlternatives | None:
    if not (email.body_text or email.body_html):
        return None  # its text was forgotten: an attempt after it was given up
    message = DkimEmail(
        subject=email.subject,
        body=email.body_text or email.body_html,
        from_email=sender(email.language),
        to=[email.to_address],
        headers={
            "Message-ID": make_msgid(domain=support_domain()),
            # Sent by a program on someone's request: no out-of-office should answer it.
            "X-Auto-Response-Suppress": "All",
        },
    )
    if not email.body_text:
        message.content_subtype = "html"
    elif email.body_html:
        message.attach_alternative(email.body_html, "text/html")
    return message
