"""What the ticket e-mails say. Each builder issues fresh links at delivery time."""

from __future__ import annotations

from collections.abc import Callable
from email.utils import make_msgid
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext, gettext_lazy

from comptoir.branding.emails import email_brand_context, sender, text_signed
from comptoir.core.typography import one_line
from comptoir.mail.addressing import support_domain
from comptoir.mail.dkim import DkimEmail
from comptoir.mail.models import OutboundEmail, OutboundKind
from comptoir.mail.outbound import WrittenEmail, builder, render_email
from comptoir.tickets.links import link_issue, link_url
from comptoir.tickets.models import Attachment, Channel, Message, Survey, Ticket
from comptoir.tickets.satisfaction import RATINGS, survey_issue_token, survey_url
from comptoir.tickets.statuses import REQUESTER_HELP

LINKS_PER_EMAIL = 20

# What the confirmation says of when to expect the first answer: given by comptoir.sla when it
# starts (SlaConfig.ready), since this layer cannot import it. "" (or nothing registered): no promise.
_first_answer_promise: Callable[[Ticket], str] | None = None


def first_answer_promise_register(promise: Callable[[Ticket], str]) -> None:
    global _first_answer_promise  # one provider, set once at start
    _first_answer_promise = promise


def _written_by_a_person(email: OutboundEmail) -> str:
    # X-Auto-Response-Suppress (on every e-mail) still asks the requester's
    # server not to answer it with an out-of-office.
    return ""


def _confirmation(email: OutboundEmail) -> str:
    if email.ticket is not None and email.ticket.channel == Channel.EMAIL:
        # An automatic answer to a message, not a message of our own.
        return "auto-replied"
    return "auto-generated"


@builder(OutboundKind.TICKET_CREATED, auto_submitted=_confirmation)
def ticket_created(email: OutboundEmail) -> EmailMultiAlternatives:
    ticket = email.ticket
    assert ticket is not None
    first_message = ticket.messages.order_by("created_at", "id").first()
    return render_email(
        "ticket_created",
        {
            "ticket": ticket,
            "follow_up_of": ticket.follow_up_of,
            "requester_name": ticket.requester.name,
            "message": first_message,
            "link": link_url(link_issue(ticket)),
            "promise": _first_answer_promise(ticket) if _first_answer_promise is not None else "",
        },
        to=email.to_address,
        language=email.language,
    )


@builder(OutboundKind.TICKET_LINK)
def ticket_links(email: OutboundEmail) -> EmailMultiAlternatives | None:
    """Fresh links to every recent ticket of the address; nothing when it has none."""
    tickets = list(Ticket.objects.filter(requester__email=email.to_address).order_by("-updated_at")[:LINKS_PER_EMAIL])
    if not tickets:
        return None
    entries = [{"ticket": ticket, "link": link_url(link_issue(ticket))} for ticket in tickets]
    return render_email("ticket_links", {"entries": entries}, to=email.to_address, language=email.language)


def _with_files(email: EmailMultiAlternatives, attachments: list[Attachment]) -> bool:
    """Attach the files when their total fits the limit; False when they are left as links."""
    if not attachments or sum(a.size for a in attachments) > settings.COMPTOIR_EMAIL_ATTACHMENTS_MAX_BYTES:
        return False
    for attachment in attachments:
        with attachment.file.open("rb") as handle:
            email.attach(attachment.filename, handle.read(), attachment.content_type)
    return True


def _public_message(email: OutboundEmail) -> tuple[Message | None, list[Attachment]]:
    message = email.ticket_message
    if message is None or not message.is_public:
        # Internal notes never leave, whatever queued this e-mail.
        return None, []
    return message, list(message.attachments.order_by("id"))


def _render_with_files(
    template: str, context: dict[str, object], attachments: list[Attachment], email: OutboundEmail
) -> EmailMultiAlternatives:
    rendered = render_email(template, {**context, "files_attached": True}, to=email.to_address, language=email.language)
    if attachments and not _with_files(rendered, attachments):
        # Too large to travel: the same e-mail, listing the files for the ticket page.
        rendered = render_email(
            template, {**context, "files_attached": False}, to=email.to_address, language=email.language
        )
    return rendered


@builder(OutboundKind.AGENT_REPLY, auto_submitted=_written_by_a_person)
def agent_reply(email: OutboundEmail) -> EmailMultiAlternatives | None:
    ticket = email.ticket
    assert ticket is not None
    message, attachments = _public_message(email)
    if message is None:
        return None
    context = {
        "ticket": ticket,
        "requester_name": ticket.requester.name,
        "message": message,
        "agent_name": message.author.get_short_name() if message.author else "",
        "status_help": REQUESTER_HELP[ticket.status],
        "attachments": attachments,
        "link": link_url(link_issue(ticket)),
    }
    return _render_with_files("agent_reply", context, attachments, email)


@builder(OutboundKind.AGENT_REPLY_CC, auto_submitted=_written_by_a_person)
def agent_reply_cc(email: OutboundEmail) -> EmailMultiAlternatives | None:
    """The reply, for someone copied on the ticket: no link, since the ticket is not theirs to open."""
    ticket = email.ticket
    assert ticket is not None
    message, attachments = _public_message(email)
    if message is None:
        return None
    context = {
        "ticket": ticket,
        "requester_name": ticket.requester.name or ticket.requester.email,
        "message": message,
        "agent_name": message.author.get_short_name() if message.author else "",
        "attachments": attachments,
    }
    return _render_with_files("agent_reply_cc", context, attachments, email)


@builder(OutboundKind.CCS_ADDED)
def ccs_added(email: OutboundEmail) -> EmailMultiAlternatives | None:
    """Tell the requester who is copied on their request now; nothing when nobody is any more."""
    ticket = email.ticket
    assert ticket is not None
    ccs = list(ticket.ccs.order_by("created_at", "pk"))
    if not ccs:
        return None
    context = {
        "ticket": ticket,
        "requester_name": ticket.requester.name,
        "ccs": ccs,
        "link": link_url(link_issue(ticket)),
    }
    return render_email("ccs_added", context, to=email.to_address, language=email.language)


@builder(OutboundKind.TICKET_SOLVED)
def ticket_solved(email: OutboundEmail) -> EmailMultiAlternatives | None:
    ticket = email.ticket
    assert ticket is not None
    survey = Survey.objects.filter(ticket=ticket, withdrawn_at__isnull=True).order_by("-created_at").first()
    if survey is None:
        # Reopened before the e-mail left: "solved" would no longer be true.
        return None
    message, attachments = _public_message(email)
    survey_link = survey_url(survey_issue_token(survey), email.language)
    context = {
        "ticket": ticket,
        "requester_name": ticket.requester.name,
        "message": message,
        "agent_name": message.author.get_short_name() if message and message.author else "",
        "attachments": attachments,
        "survey_link": survey_link,
        "rating_links": [(rating, f"{survey_link}?rating={rating}") for rating in RATINGS],
        "link": link_url(link_issue(ticket)),
    }
    return _render_with_files("ticket_solved", context, attachments, email)


@builder(OutboundKind.REQUESTER_REPLIED)
def requester_replied(email: OutboundEmail) -> EmailMultiAlternatives | None:
    """Tell the assignee that the requester answered; the link needs an agent's login."""
    ticket = email.ticket
    assert ticket is not None
    if email.ticket_message is None:
        return None
    with translation.override(email.language):
        link = settings.COMPTOIR_BASE_URL + reverse("agent_ticket", args=[ticket.reference])
    context = {"ticket": ticket, "message": email.ticket_message, "requester": ticket.requester, "link": link}
    return render_email("requester_replied", context, to=email.to_address, language=email.language)


# The sentence of each notice to an agent (comptoir.notifications); the rest of the e-mail is the same.
_AGENT_NOTICES = {
    OutboundKind.AGENT_ASSIGNED: gettext_lazy("Ticket #%(reference)s is now assigned to you."),
    OutboundKind.AGENT_MENTIONED: gettext_lazy("%(actor)s mentioned you in an internal note on ticket #%(reference)s:"),
    OutboundKind.AGENT_NEW_IN_GROUP: gettext_lazy("Ticket #%(reference)s came into your group %(group)s."),
    OutboundKind.AGENT_SLA_WARNING: gettext_lazy(
        "Ticket #%(reference)s is due soon: answer it before its service level is breached."
    ),
    OutboundKind.AGENT_SLA_BREACH: gettext_lazy("Ticket #%(reference)s breached its service level."),
}


@builder(OutboundKind.AGENT_ASSIGNED)
@builder(OutboundKind.AGENT_MENTIONED)
@builder(OutboundKind.AGENT_NEW_IN_GROUP)
@builder(OutboundKind.AGENT_SLA_WARNING)
@builder(OutboundKind.AGENT_SLA_BREACH)
def agent_notice(email: OutboundEmail) -> EmailMultiAlternatives | None:
    """Tell an agent why a ticket needs them; the link needs an agent's login."""
    ticket = email.ticket
    assert ticket is not None
    message = email.ticket_message
    with translation.override(email.language):
        link = settings.COMPTOIR_BASE_URL + reverse("agent_ticket", args=[ticket.reference])
        values = {
            "reference": ticket.reference,
            "actor": message.author.get_short_name() if message is not None and message.author else "",
            "group": ticket.group.name if ticket.group else "",
        }
        sentence = str(_AGENT_NOTICES[OutboundKind(email.kind)]) % values
    context = {"ticket": ticket, "sentence": sentence, "message": message, "link": link}
    return render_email("agent_notice", context, to=email.to_address, language=email.language)


# --- What a business rule sends (comptoir.rules.actions), written when it is queued ---------------


def agent_ticket_url(ticket: Ticket, language: str) -> str:
    """The ticket's page in the workspace: it needs an agent's login."""
    with translation.override(language):
        return settings.COMPTOIR_BASE_URL + reverse("agent_ticket", args=[ticket.reference])


def _written(template: str, context: dict[str, Any], *, language: str) -> WrittenEmail:
    """emails/<template>-subject.txt, -body.txt and -body.html in ``language``, as ``render_email`` renders them."""
    with translation.override(language):
        full_context = {**email_brand_context(language), "language": language, **context}
        subject = one_line(render_to_string(f"emails/{template}-subject.txt", full_context))
        text = text_signed(
            render_to_string(f"emails/{template}-body.txt", full_context), str(full_context["brand_signature"])
        )
        html = render_to_string(f"emails/{template}-body.html", full_context)
    return WrittenEmail(subject=subject, text=text, html=html)


def rule_email_write(ticket: Ticket, *, subject: str, body: str, language: str, to_agent: bool) -> WrittenEmail:
    """A business rule's e-mail in the house layout: its subject and text, placeholders filled in already.

    They are plain text: the HTML part escapes them (a requester's words may be in them). An agent's
    e-mail links to the ticket in the workspace; the requester's says what the rule wrote, nothing more.
    """
    context = {
        "ticket": ticket,
        "subject": subject,
        "body": body,
        "to_agent": to_agent,
        "link": agent_ticket_url(ticket, language) if to_agent else "",
    }
    return _written("rule_email", context, language=language)


def rule_notice_write(ticket: Ticket, *, rule_name: str, note: str, language: str) -> WrittenEmail:
    """The e-mail of a business rule's notice to an agent: the rule's name, its words, the ticket's link."""
    with translation.override(language):
        sentence = gettext("The rule “%(rule)s” asks you to look at ticket #%(reference)s.") % {
            "rule": rule_name,
            "reference": ticket.reference,
        }
    context = {"ticket": ticket, "sentence": sentence, "note": note, "link": agent_ticket_url(ticket, language)}
    return _written("rule_notice", context, language=language)


@builder(OutboundKind.RULE_EMAIL)
@builder(OutboundKind.RULE_EMAIL_AGENT)
@builder(OutboundKind.AGENT_RULE_NOTICE)
def written_email(email: OutboundEmail) -> EmailMultiAlternatives | None:
    """An e-mail written when it was queued (``rule_email_write``): sent as written, threaded with its ticket."""
    if not (email.body_text or email.body_html):
        return None  # its text was forgotten: an attempt after it was given up
    message = DkimEmail(
        subject=email.subject,
        body=email.body_text,
        from_email=sender(email.language),
        to=[email.to_address],
        reply_to=[settings.COMPTOIR_SUPPORT_EMAIL],
        # The delivery replaces the Message-ID and Reply-To with the ticket's (comptoir.mail.outbound.thread_headers).
        headers={"Message-ID": make_msgid(domain=support_domain()), "X-Auto-Response-Suppress": "All"},
    )
    if email.body_html:
        message.attach_alternative(email.body_html, "text/html")
    return message
