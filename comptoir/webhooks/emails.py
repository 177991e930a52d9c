"""The e-mail a webhook's owner gets when it failed for a day and was disabled.

Written when it is queued (the webhook may change or go before it leaves), in
the owner's language, and sent as written by the builder below.
"""

from __future__ import annotations

from email.utils import make_msgid

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from comptoir.branding.emails import email_brand_context, sender
from comptoir.core.typography import one_line
from comptoir.mail.addressing import support_domain
from comptoir.mail.dkim import DkimEmail
from comptoir.mail.models import OutboundEmail, OutboundKind
from comptoir.mail.outbound import WrittenEmail, builder
from comptoir.webhooks.models import Webhook


def webhook_disabled_write(webhook: Webhook, *, language: str) -> WrittenEmail:
    with translation.override(language):
        context = {
            # The name, logo and colour of the customers' e-mails; the signature is theirs, not an alert's.
            **email_brand_context(language),
            "brand_signature": "",
            "language": language,
            "webhook": webhook,
            "link": settings.COMPTOIR_BASE_URL + reverse("agent_webhook", args=[webhook.pk]),
        }
        subject = one_line(render_to_string("emails/webhook_disabled-subject.txt", context))
        text = render_to_string("emails/webhook_disabled-body.txt", context)
        html = render_to_string("emails/webhook_disabled-body.html", context)
    return WrittenEmail(subject=subject, text=text, html=html)


@builder(OutboundKind.WEBHOOK_DISABLED)
def webhook_disabled(email: OutboundEmail) -> EmailMultiAlternatives | None:
    if not (email.body_text or email.body_html):
        return None  # its text was forgotten: an attempt after it was given up
    message = DkimEmail(
        subject=email.subject,
        body=email.body_text,
        from_email=sender(email.language),
        to=[email.to_address],
        headers={"Message-ID": make_msgid(domain=support_domain()), "X-Auto-Response-Suppress": "All"},
    )
    if email.body_html:
        message.attach_alternative(email.body_html, "text/html")
    return message
