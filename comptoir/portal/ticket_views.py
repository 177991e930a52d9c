"""The requester's ticket page and what its forms post: reply, solved, survey, account, sign-out, files.

Whoever may see the ticket (its secret link followed, its requester or a
sharing colleague signed in, an agent) reads it here; only the requester's
side may act on it. No page here may be kept by a cache: each is sent with
Cache-Control: no-store.
"""

from __future__ import annotations

from django.contrib import messages as flash
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from comptoir.accounts.offer import ACCOUNT_OFFER_INTERVAL_SECONDS, account_offer_send
from comptoir.core.storage import open_for_download
from comptoir.portal import selectors
from comptoir.portal.receipt import receipt_forget
from comptoir.portal.responses import no_store
from comptoir.portal.ticket_forms import ReplyForm, SurveyForm
from comptoir.sla.promise import first_reply_promise
from comptoir.ticketforms.selectors import customer_values
from comptoir.tickets import access
from comptoir.tickets.files import attachment_rules
from comptoir.tickets.models import Attachment, Channel, Ticket
from comptoir.tickets.satisfaction import SurveyClosed, survey_answer
from comptoir.tickets.services import ticket_reply_by_requester, ticket_solve_by_requester
from comptoir.tickets.statuses import ACTIVE_STATUSES, REQUESTER_HELP, status_anchor


def _ticket_for(request: HttpRequest, reference: int) -> Ticket:
    """The ticket if this browser may see it; the same 404 whether it exists or not."""
    ticket = Ticket.objects.select_related("requester").filter(pk=Ticket.pk_from_reference(reference)).first()
    if ticket is None or not access.can_view_ticket(request, ticket):
        raise Http404
    return ticket


def _ticket_to_act_on(request: HttpRequest, reference: int) -> Ticket:
    """The ticket if this browser may act on it as the requester's side; else the same 404."""
    ticket = _ticket_for(request, reference)
    if not access.can_reply_as_requester(request, ticket):
        raise Http404
    return ticket


def _render_ticket(
    request: HttpRequest,
    ticket: Ticket,
    reply_form: ReplyForm,
    status: int = 200,
    survey_form: SurveyForm | None = None,
) -> HttpResponse:
    """The ticket page, fresh or with a refused form of its own."""
    can_reply = access.can_reply_as_requester(request, ticket)
    # Here by its secret link, not signed in: a guest, on what may be a shared computer.
    guest = can_reply and not request.user.is_authenticated
    context = {
        "ticket": ticket,
        "status_help": REQUESTER_HELP[ticket.status],
        "status_anchor": status_anchor(ticket.status),
        "conversation": selectors.public_conversation(ticket),
        "reply_form": reply_form,
        "can_reply": can_reply,
        "can_solve": can_reply and ticket.status in ACTIVE_STATUSES,
        # The requester's side rates the answer here too, through the same write path as the e-mailed link.
        "survey": selectors.waiting_survey(ticket) if can_reply else None,
        "survey_form": survey_form or SurveyForm(),
        # A guest who came by the secret link may turn it into an account that follows all their tickets,
        # and may end here the access the link gave this browser.
        "offer_account": guest,
        # The ticket's fields a customer may see (comptoir.ticketforms), never those for agents only.
        "field_values": customer_values(ticket),
        "offer_sign_out": guest,
        "rules": attachment_rules(),
        # When to expect the first answer, while it is awaited (comptoir.sla.promise): from the clock
        # written, so a ticket with none costs no query (tests/tickets/test_ticket_page_queries.py).
        "promise": first_reply_promise(ticket, written_only=True),
    }
    return no_store(render(request, "tickets/detail.html", context, status=status))


@require_GET
def ticket_detail(request: HttpRequest, reference: int) -> HttpResponse:
    ticket = _ticket_for(request, reference)
    return _render_ticket(request, ticket, ReplyForm())


@require_POST
def ticket_reply(request: HttpRequest, reference: int) -> HttpResponse:
    ticket = _ticket_to_act_on(request, reference)
    form = ReplyForm(request.POST, request.FILES)
    if not form.is_valid():
        return _render_ticket(request, ticket, form, status=400)
    message = ticket_reply_by_requester(
        ticket=ticket,
        body=form.cleaned_data["body"],
        channel=Channel.WEB,
        files=form.cleaned_data["attachments"],
        author=access.requester_side_author(request, ticket),
    )
    if message.ticket.follow_up_of_id == ticket.pk:
        # The ticket was closed: the reply opened a follow-up, which this browser may now follow too.
        # (A reply to a merged ticket went to where it was merged: that ticket is not theirs to open.)
        access.grant_ticket(request, message.ticket)
    return redirect(reverse("ticket_detail", args=[message.ticket.reference]) + f"#message-{message.pk}")


@require_POST
def ticket_solve(request: HttpRequest, reference: int) -> HttpResponse:
    """The requester says their request is solved; a satisfaction survey then waits on the page."""
    ticket = _ticket_to_act_on(request, reference)
    if ticket_solve_by_requester(ticket=ticket, actor=access.requester_side_author(request, ticket)):
        flash.success(request, _("Thank you! Your request is marked as solved."))
    return redirect("ticket_detail", ticket.reference)


@require_POST
def ticket_survey(request: HttpRequest, reference: int) -> HttpResponse:
    """The survey card of the ticket page: the same survey and write path as the e-mailed link."""
    ticket = _ticket_to_act_on(request, reference)
    waiting = selectors.waiting_survey(ticket)
    if waiting is None:
        return redirect("ticket_detail", ticket.reference)
    form = SurveyForm(request.POST)
    if not form.is_valid():
        return _render_ticket(request, ticket, ReplyForm(), status=400, survey_form=form)
    try:
        survey_answer(waiting, rating=form.cleaned_data["rating"], comment=form.cleaned_data["comment"])
    except SurveyClosed:
        return redirect("ticket_detail", ticket.reference)
    flash.success(request, _("Thank you! Your answer is recorded."))
    return redirect("ticket_detail", ticket.reference)


@require_POST
def ticket_sign_out(request: HttpRequest) -> HttpResponse:
    """End, in this browser, the access that secret links gave; the links themselves keep working.

    A guest's session holds nothing else worth keeping, so it goes whole, and
    the receipt of the last ticket sent (it names their address) with it.
    Whoever is signed in logs out from the header; here they only drop the
    links' access.
    """
    if request.user.is_authenticated:
        request.session.pop(access.SESSION_KEY, None)
        request.session.cycle_key()
    else:
        request.session.flush()
        flash.success(request, _("You are signed out: this browser no longer opens your tickets without their link."))
    return receipt_forget(redirect("home"))


def masked_address(email: str) -> str:
    """a•••@example.org: enough for the person to recognise, too little for anyone else."""
    local, _at, domain = email.partition("@")
    return f"{local[:1]}•••@{domain}"


@require_POST
def ticket_account(request: HttpRequest, reference: int) -> HttpResponse:
    """Turn the secret link into an account: mail the requester a link to choose a password.

    Holding the link does not prove the address, so the account is made by
    following a link mailed to it. The page reads the same whatever the
    account's state.
    """
    ticket = _ticket_to_act_on(request, reference)
    if request.user.is_authenticated:
        # Offered to guests only: whoever is signed in already has an account, and a
        # colleague must not trigger e-mails to the requester.
        return redirect("ticket_detail", ticket.reference)
    sent = account_offer_send(requester=ticket.requester)
    context = {
        "ticket": ticket,
        "masked_email": masked_address(ticket.requester.email),
        "already_sent": not sent,
        "interval_minutes": ACCOUNT_OFFER_INTERVAL_SECONDS // 60,
    }
    return no_store(render(request, "portal/account_sent.html", context))


@require_GET
def attachment_download(request: HttpRequest, reference: int, attachment_id: int) -> FileResponse:
    """A file of the ticket, to whoever may see it: the public messages' files, and every file for an agent."""
    ticket = _ticket_for(request, reference)
    attachment = get_object_or_404(
        Attachment.objects.filter(message__is_public=True) if not access.is_agent(request) else Attachment.objects,
        pk=attachment_id,
        ticket=ticket,
    )
    response = FileResponse(
        open_for_download(attachment.file),
        as_attachment=True,
        filename=attachment.filename,
        content_type=attachment.content_type,
    )
    # A stream from S3 cannot tell its length; the row knows it.
    response.headers["Content-Length"] = str(attachment.size)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response
