"""The Help Center's ticket pages open to anyone: the form, the secret link, "lost the link", the survey.

None of them needs access to a ticket first: the form and "lost the link" are
rate limited instead, and the secret link and the survey carry their token.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.views.decorators.http import require_GET, require_http_methods

from comptoir.core.ratelimit import client_ip, hit
from comptoir.core.views import too_many_requests
from comptoir.deflection.services import ticket_after_open_record
from comptoir.portal.responses import no_store, secret_address
from comptoir.portal.ticket_forms import LinkRequestForm, SurveyForm, TicketForm
from comptoir.tickets import access
from comptoir.tickets.files import attachment_rules
from comptoir.tickets.links import link_redeem, ticket_link_send
from comptoir.tickets.models import Channel
from comptoir.tickets.satisfaction import SurveyClosed, survey_answer, survey_for_token, survey_is_open
from comptoir.tickets.services import ticket_create

LAST_CREATED_KEY = "comptoir_last_created"


def _within_limits(request: HttpRequest, scope: str, email: str, per_ip: int, per_email: int) -> bool:
    window = settings.COMPTOIR_RATE_LIMIT_WINDOW_SECONDS
    ip_ok = hit(f"{scope}-ip", client_ip(request), limit=per_ip, window_seconds=window)
    email_ok = not email or hit(f"{scope}-email", email, limit=per_email, window_seconds=window)
    return ip_ok and email_ok


@require_http_methods(["GET", "POST"])
def ticket_new(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        if not _within_limits(
            request,
            "ticket",
            request.POST.get("email", ""),
            settings.COMPTOIR_RATE_LIMIT_TICKETS_PER_IP,
            settings.COMPTOIR_RATE_LIMIT_TICKETS_PER_EMAIL,
        ):
            return too_many_requests(request)
        form = TicketForm(request.POST, request.FILES)
        if form.is_valid():
            data = form.cleaned_data
            ticket = ticket_create(
                email=data["email"],
                name=data["name"],
                subject=data["subject"],
                description=data["description"],
                ticket_type=data["ticket_type"],
                language=translation.get_language() or settings.LANGUAGE_CODE,
                channel=Channel.WEB,
                files=data["attachments"],
            )
            # Sent after opening a suggested article: that article did not answer.
            ticket_after_open_record(visit=request.POST.get("suggestion_visit", ""), language=ticket.language)
            request.session[LAST_CREATED_KEY] = {"reference": ticket.reference, "email": ticket.requester.email}
            return redirect("ticket_sent")
    else:
        form = TicketForm()
    return render(request, "tickets/new.html", {"form": form, "rules": attachment_rules()})


@require_GET
def ticket_sent(request: HttpRequest) -> HttpResponse:
    created = request.session.get(LAST_CREATED_KEY)
    if not created:
        return redirect("ticket_new")
    return render(request, "tickets/sent.html", {"created": created})


@require_GET
def ticket_link_redeem(request: HttpRequest, token: str) -> HttpResponse:
    """Trade the secret link for a session scoped to its ticket, then drop the token from the address bar."""
    ticket = link_redeem(token)
    response: HttpResponse
    if ticket is None:
        response = render(request, "tickets/link_invalid.html", status=404)
    else:
        access.grant_ticket(request, ticket)
        with translation.override(ticket.language):
            response = HttpResponseRedirect(reverse("ticket_detail", args=[ticket.reference]))
    return secret_address(response)


@require_http_methods(["GET", "POST"])
def link_request(request: HttpRequest) -> HttpResponse:
    """E-mail fresh links to an address's tickets; the answer is the same whether it has any."""
    if request.method == "POST":
        if not _within_limits(
            request,
            "link",
            request.POST.get("email", ""),
            settings.COMPTOIR_RATE_LIMIT_LINKS_PER_IP,
            settings.COMPTOIR_RATE_LIMIT_LINKS_PER_EMAIL,
        ):
            return too_many_requests(request)
        form = LinkRequestForm(request.POST)
        if form.is_valid():
            ticket_link_send(
                email=form.cleaned_data["email"],
                language=translation.get_language() or settings.LANGUAGE_CODE,
            )
            return render(request, "tickets/link_sent.html", {"email": form.cleaned_data["email"]})
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
