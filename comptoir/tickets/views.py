"""Requester-facing ticket pages: the form, the secret link, the ticket page."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages as flash
from django.db.models import Prefetch
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from comptoir.accounts.offer import ACCOUNT_OFFER_INTERVAL_SECONDS, account_offer_send
from comptoir.core.ratelimit import client_ip, hit
from comptoir.core.views import too_many_requests
from comptoir.deflection.services import ticket_after_open_record
from comptoir.mail.models import OutboundKind
from comptoir.mail.outbound import email_queue
from comptoir.tickets import access
from comptoir.tickets.files import ACCEPTED_EXTENSIONS, human_size, max_bytes, max_files
from comptoir.tickets.forms import LinkRequestForm, ReplyForm, SurveyForm, TicketForm
from comptoir.tickets.links import link_redeem
from comptoir.tickets.models import Attachment, Channel, Message, Status, Survey, Ticket
from comptoir.tickets.satisfaction import SurveyClosed, survey_answer, survey_for_token, survey_is_open
from comptoir.tickets.services import ticket_create, ticket_reply_by_requester, ticket_solve_by_requester
from comptoir.tickets.statuses import ACTIVE_STATUSES, REQUESTER_HELP, status_anchor

LAST_CREATED_KEY = "comptoir_last_created"


def _attachment_rules() -> dict[str, object]:
    return {
        "max_files": max_files(),
        "max_bytes": max_bytes(),
        "max_size": human_size(max_bytes()),
        "accepted": ACCEPTED_EXTENSIONS,
    }


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
    return render(request, "tickets/new.html", {"form": form, "rules": _attachment_rules()})


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
    return _secret_address(response)


def _no_store(response: HttpResponse) -> HttpResponse:
    # The survey page keeps the default same-origin Referrer-Policy: with
    # no-referrer Chromium posts its form with "Origin: null", which CSRF refuses.
    response.headers["Cache-Control"] = "no-store"
    return response


def _secret_address(response: HttpResponse) -> HttpResponse:
    # This address holds a token: it must not travel on in a Referer or a cache.
    response.headers["Referrer-Policy"] = "no-referrer"
    return _no_store(response)


def _ticket_for(request: HttpRequest, reference: int) -> Ticket:
    """The ticket if this browser may see it; the same 404 whether it exists or not."""
    ticket = Ticket.objects.select_related("requester").filter(pk=Ticket.pk_from_reference(reference)).first()
    if ticket is None or not access.can_view_ticket(request, ticket):
        raise Http404
    return ticket


def _waiting_survey(ticket: Ticket) -> Survey | None:
    """The survey of this resolution while it waits for an answer (only a solved ticket has one)."""
    if ticket.status != Status.SOLVED:
        return None
    return (
        Survey.objects.filter(ticket=ticket, withdrawn_at__isnull=True, answered_at__isnull=True)
        .order_by("-created_at", "-id")
        .first()
    )


def _render_ticket(
    request: HttpRequest,
    ticket: Ticket,
    reply_form: ReplyForm,
    status: int = 200,
    survey_form: SurveyForm | None = None,
) -> HttpResponse:
    can_reply = access.can_reply_as_requester(request, ticket)
    messages = (
        Message.objects.filter(ticket=ticket, is_public=True)
        .select_related("author")
        .prefetch_related(Prefetch("attachments", queryset=Attachment.objects.order_by("id")))
    )
    context = {
        "ticket": ticket,
        "status_help": REQUESTER_HELP[ticket.status],
        "status_anchor": status_anchor(ticket.status),
        "conversation": messages,
        "reply_form": reply_form,
        "can_reply": can_reply,
        "can_solve": can_reply and ticket.status in ACTIVE_STATUSES,
        # The requester's side rates the answer here too, through the same write path as the e-mailed link.
        "survey": _waiting_survey(ticket) if can_reply else None,
        "survey_form": survey_form or SurveyForm(),
        # A guest who came by the secret link may turn it into an account that follows all their tickets.
        "offer_account": can_reply and not request.user.is_authenticated,
        "rules": _attachment_rules(),
    }
    return render(request, "tickets/detail.html", context, status=status)


@require_GET
def ticket_detail(request: HttpRequest, reference: int) -> HttpResponse:
    ticket = _ticket_for(request, reference)
    return _render_ticket(request, ticket, ReplyForm())


@require_POST
def ticket_reply(request: HttpRequest, reference: int) -> HttpResponse:
    ticket = _ticket_for(request, reference)
    if not access.can_reply_as_requester(request, ticket):
        raise Http404
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
    if message.ticket_id != ticket.pk:
        # The ticket was closed: the reply opened a follow-up, which this browser may now follow too.
        access.grant_ticket(request, message.ticket)
    return redirect(reverse("ticket_detail", args=[message.ticket.reference]) + f"#message-{message.pk}")


@require_POST
def ticket_solve(request: HttpRequest, reference: int) -> HttpResponse:
    """The requester says their request is solved; a satisfaction survey then waits on the page."""
    ticket = _ticket_for(request, reference)
    if not access.can_reply_as_requester(request, ticket):
        raise Http404
    if ticket_solve_by_requester(ticket=ticket, actor=access.requester_side_author(request, ticket)):
        flash.success(request, _("Thank you! Your request is marked as solved."))
    return redirect("ticket_detail", ticket.reference)


@require_POST
def ticket_survey(request: HttpRequest, reference: int) -> HttpResponse:
    """The survey card of the ticket page: the same survey and write path as the e-mailed link."""
    ticket = _ticket_for(request, reference)
    if not access.can_reply_as_requester(request, ticket):
        raise Http404
    waiting = _waiting_survey(ticket)
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
    ticket = _ticket_for(request, reference)
    if not access.can_reply_as_requester(request, ticket):
        raise Http404
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
    return _no_store(render(request, "portal/account_sent.html", context))


@require_GET
def attachment_download(request: HttpRequest, reference: int, attachment_id: int) -> FileResponse:
    ticket = _ticket_for(request, reference)
    attachment = get_object_or_404(
        Attachment.objects.filter(message__is_public=True) if not access.is_agent(request) else Attachment.objects,
        pk=attachment_id,
        ticket=ticket,
    )
    response = FileResponse(
        attachment.file.open("rb"),
        as_attachment=True,
        filename=attachment.filename,
        content_type=attachment.content_type,
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response


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
            email_queue(
                kind=OutboundKind.TICKET_LINK,
                to=form.cleaned_data["email"].strip().lower(),
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
        return _no_store(render(request, "tickets/survey_invalid.html", status=404))
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
                return _no_store(HttpResponseRedirect(request.path + "?saved=1"))
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
    return _no_store(render(request, "tickets/survey.html", context, status=status))
