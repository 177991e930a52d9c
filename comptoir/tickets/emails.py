"""What the ticket e-mails say. Each builder issues fresh links at delivery time."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext_lazy

from comptoir.mail.models import OutboundEmail, OutboundKind
from comptoir.mail.outbound import builder, render_email
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
