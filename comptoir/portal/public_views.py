"""The Help Center's ticket pages open to anyone: the form, the secret link, "lost the link", the survey.

None of them needs access to a ticket first: the form and "lost the link" are
rate limited instead, and the secret link and the survey carry their token.

The secret link reads /t/#<token>: browsers never send what follows "#", so
the token reaches no access log, proxy or Referer. The page it opens posts the
token (ticket-link.js), or asks for the link to be pasted when JavaScript is
off. Links e-mailed before, /t/<token>/, still open in one click; request logs
scrub their token (comptoir.portal.log_filters).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.views.decorators.http import require_GET, require_http_methods

from comptoir.accounts.models import User
from comptoir.core.ratelimit import client_ip, hit
from comptoir.core.views import too_many_requests
from comptoir.deflection.services import ticket_after_open_record
from comptoir.portal.capture import capture_rules
from comptoir.portal.pending import PendingFile, pending_keep, pending_take
from comptoir.portal.receipt import receipt_give, receipt_read
from comptoir.portal.responses import no_store, secret_address
from comptoir.portal.ticket_forms import (
    LinkRequestForm,
    SignedInTicketForm,
    SurveyForm,
    TicketForm,
    TicketLinkForm,
)
from comptoir.sla.promise import first_reply_promise
from comptoir.ticketforms.context import help_center_path
from comptoir.ticketforms.forms import customer_fields_form
from comptoir.ticketforms.selectors import form_to_fill
from comptoir.ticketforms.services import ticket_context_record, ticket_values_record
from comptoir.tickets import access
from comptoir.tickets.files import attachment_rules
from comptoir.tickets.links import link_redeem, ticket_link_send
from comptoir.tickets.models import Channel, Ticket
from comptoir.tickets.satisfaction import SurveyClosed, survey_answer, survey_for_token, survey_is_open
from comptoir.tickets.services import ticket_create


def _ip_within_limit(request: HttpRequest, scope: str, limit: int) -> bool:
    """Counted for every post, before the form is checked."""
    window = settings.COMPTOIR_RATE_LIMIT_WINDOW_SECONDS
    return hit(f"{scope}-ip", client_ip(request), limit=limit, window_seconds=window)


def _address_within_limit(scope: str, email: str, limit: int) -> bool:
    """Counted once the form and its captcha are valid, never before.

    Otherwise anyone could name a customer in a few robot posts and use up the
    limit of that customer's real ticket or link request.
    """
    window = settings.COMPTOIR_RATE_LIMIT_WINDOW_SECONDS
    return hit(f"{scope}-email", email, limit=limit, window_seconds=window)


def _ticket_form(request: HttpRequest, *args: Any) -> TicketForm:
    """A signed-in requester files under their account; agents and visitors get the guest form.

    An agent here sees what customers see (and is told where to open a ticket for
    one: the workspace's "new ticket", which records who opened it).
    """
    user = request.user
    if isinstance(user, User) and user.is_authenticated and not user.is_agent:
        return SignedInTicketForm(*args, account=user, known=access.has_verified_address(request))
    return TicketForm(*args)


def _files_to_keep(form: TicketForm) -> list[PendingFile]:
    """A form refused for another field keeps its checked files (comptoir.portal.pending).

    Not when the robot check failed: a robot would store files for free.
    """
    if not form.is_bound or "altcha" in form.errors or "website" in form.errors:
        return []
    cleaned = form.cleaned_data
    return [*cleaned.get("pending_file", []), *pending_keep(cleaned.get("attachments", []))]


@require_http_methods(["GET", "POST"])
def ticket_new(request: HttpRequest) -> HttpResponse:
    # Several ticket forms (comptoir.ticketforms): the customer picks one first, or follows ?form=<slug>.
    chosen, offered = form_to_fill(request.GET.get("form", ""))
    # The Help Center page the "New support ticket" link was on: one of ours, else nothing. Sent only
    # by context.js, with the customer's consent, when the form is sent.
    came_from = help_center_path(request.GET.get("from", ""))
    if offered and chosen is None:
        return render(request, "ticketforms/pick.html", {"forms": offered, "came_from": came_from})
    if request.method != "POST":
        form = _ticket_form(request)
        fields_form = customer_fields_form(chosen)
    else:
        # One write transaction for a ticket sent: the attempt counted, the captcha spent,
        # the address counted, the ticket and what it records. An attempt refused on the
        # way commits its count all the same (a returned response is no rollback).
        # The forms are built once, bound: a POST never renders the empty ones.
        with transaction.atomic():
            if not _ip_within_limit(request, "ticket", settings.COMPTOIR_RATE_LIMIT_TICKETS_PER_IP):
                return too_many_requests(request)
            form = _ticket_form(request, request.POST, request.FILES)
            fields_form = customer_fields_form(chosen, request.POST)
            fields_valid = fields_form.is_valid()
            if form.is_valid() and fields_valid:
                data = form.cleaned_data
                if not _address_within_limit("ticket", data["email"], settings.COMPTOIR_RATE_LIMIT_TICKETS_PER_EMAIL):
                    return too_many_requests(request)
                ticket = ticket_create(
                    email=data["email"],
                    name=data["name"],
                    subject=data["subject"],
                    description=data["description"],
                    ticket_type=chosen.ticket_type if chosen and chosen.ticket_type else data["ticket_type"],
                    language=translation.get_language() or settings.LANGUAGE_CODE,
                    channel=Channel.WEB,
                    files=[*pending_take(data["pending_file"]), *data["attachments"]],
                    time_zone=data["time_zone"],
                )
                # Without ticket fields (the usual form) nothing is written, not even a savepoint.
                if values := fields_form.values():
                    ticket_values_record(ticket=ticket, values=values)
                # The technical details the customer agreed to send (empty when the box was unticked).
                ticket_context_record(ticket=ticket, payload=data["context"])
                # Sent after opening a suggested article: that article did not answer.
                ticket_after_open_record(visit=request.POST.get("suggestion_visit", ""), language=ticket.language)
                return receipt_give(redirect("ticket_sent"), ticket)
    context = {
        "form": form,
        "rules": attachment_rules(),
        "capture": capture_rules(),
        "pending_files": _files_to_keep(form),
        "agent_here": access.is_agent(request),
        "ticket_form": chosen,
        "fields_form": fields_form,
        "came_from": came_from,
    }
    return render(request, "tickets/new.html", context)


@require_GET
def ticket_sent(request: HttpRequest) -> HttpResponse:
    created = receipt_read(request)
    if created is None:
        return redirect("ticket_new")
    # When to expect the first answer, if a service-level policy promises one (comptoir.sla.promise).
    ticket = Ticket.objects.select_related("requester").filter(pk=Ticket.pk_from_reference(created.reference)).first()
    promise = first_reply_promise(ticket) if ticket is not None else None
    return render(request, "tickets/sent.html", {"created": created, "promise": promise})


def _open_ticket(request: HttpRequest, token: str) -> HttpResponse:
    """Trade a link's token for a session scoped to its ticket, then show the ticket at an address without it."""
    ticket = link_redeem(token)
    if ticket is None:
        return no_store(render(request, "tickets/link_invalid.html", status=404))
    access.grant_ticket(request, ticket)
    with translation.override(ticket.language):
        return no_store(HttpResponseRedirect(reverse("ticket_detail", args=[ticket.reference])))


@require_http_methods(["GET", "POST"])
def ticket_link(request: HttpRequest) -> HttpResponse:
    """Where an e-mailed link leads, /t/#<token>: its token comes back in a POST, CSRF-protected.

    The page keeps the site's same-origin Referrer-Policy: its address holds no
    token, and under no-referrer Chromium would post the form with
    "Origin: null", which the CSRF check refuses.
    """
    if request.method == "POST":
        form = TicketLinkForm(request.POST)
        if form.is_valid():
            return _open_ticket(request, form.cleaned_data["link"])
    else:
        form = TicketLinkForm()
    status = 400 if form.errors else 200
    return no_store(render(request, "tickets/link_open.html", {"form": form}, status=status))


@require_GET
def ticket_link_redeem(request: HttpRequest, token: str) -> HttpResponse:
    """A link e-mailed before /t/#<token>: it still opens the ticket in one click, and sends no Referer."""
    return secret_address(_open_ticket(request, token))


@require_http_methods(["GET", "POST"])
def link_request(request: HttpRequest) -> HttpResponse:
    """E-mail fresh links to an address's tickets; the answer is the same whether it has any."""
    if request.method == "POST":
        if not _ip_within_limit(request, "link", settings.COMPTOIR_RATE_LIMIT_LINKS_PER_IP):
            return too_many_requests(request)
        form = LinkRequestForm(request.POST)
        if form.is_valid():
            email = form.cleaned_data["email"]
            if not _address_within_limit("link", email, settings.COMPTOIR_RATE_LIMIT_LINKS_PER_EMAIL):
                return too_many_requests(request)
            ticket_link_send(email=email, language=translation.get_language() or settings.LANGUAGE_CODE)
            return render(request, "tickets/link_sent.html", {"email": email})
    else:
        form = LinkRequestForm()
    return render(request, "tickets/link_request.html", {"form": form})


@require_http_methods(["GET", "POST"])
def survey(request: HttpRequest, token: str) -> HttpResponse:
    """The satisfaction survey of one resolution. Opening it records nothing; only the form's POST does."""
    found = survey_for_token(token)
    if found is None:
        return no_store(render(request, "tickets/survey_invalid.html", status=404))
    form: SurveyForm
    status = 200
    if request.method == "POST":
        form = SurveyForm(request.POST)
        if form.is_valid():
            try:
                survey_answer(found, rating=form.cleaned_data["rating"], comment=form.cleaned_data["comment"])
            except SurveyClosed:
                found = survey_for_token(token) or found
            else:
                return no_store(HttpResponseRedirect(request.path + "?saved=1"))
        else:
            status = 400
    else:
        initial: dict[str, object] = {"rating": found.rating, "comment": found.comment}
        preselected = request.GET.get("rating", "")
        if found.rating is None and preselected in {"1", "2", "3", "4", "5"}:
            # The e-mail's one-click links preselect; the person still confirms.
            initial["rating"] = int(preselected)
        form = SurveyForm(initial=initial)
    context = {
        "survey": found,
        "ticket": found.ticket,
        "form": form,
        "is_open": survey_is_open(found),
        "saved": request.GET.get("saved") == "1" and found.answered_at is not None,
    }
    return no_store(render(request, "tickets/survey.html", context, status=status))
