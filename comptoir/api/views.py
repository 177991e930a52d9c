"""/api/v1/: tickets, their messages, and who is calling. Each view reads, calls one service, answers.

Writes go through comptoir.tickets.services, as the workspace's and the Help
Center's do: the same rules, events and e-mails. What a caller may see is
comptoir.tickets.access's (through comptoir.api.selectors).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

from django.conf import settings
from django.db import transaction
from django.db.models import Model, QuerySet
from django.utils import translation
from django.utils.translation import gettext
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, status
from rest_framework.authentication import BaseAuthentication, SessionAuthentication
from rest_framework.parsers import BaseParser, JSONParser, MultiPartParser
from rest_framework.permissions import AllowAny, BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from comptoir.accounts.models import User
from comptoir.api import ratelimits, selectors
from comptoir.api.authentication import BearerTokenAuthentication, request_token
from comptoir.api.idempotency import IDEMPOTENCY_HEADER, idempotency_key, key_claim, key_fulfil, request_fingerprint
from comptoir.api.pagination import Pages
from comptoir.api.permissions import SeesTickets, TokenScope
from comptoir.api.problems import ApiProblem, QueryInvalid
from comptoir.api.serializers import (
    MeSerializer,
    MessageCreateFormSerializer,
    MessageCreateSerializer,
    MessagePageSerializer,
    MessageSerializer,
    PageQuerySerializer,
    TicketCreateFormSerializer,
    TicketCreateSerializer,
    TicketListQuerySerializer,
    TicketPageSerializer,
    TicketSerializer,
    TicketUpdateSerializer,
)
from comptoir.api.uploads import uploads_take
from comptoir.core.ratelimit import Window, hit_window
from comptoir.ticketforms.models import TicketField, TicketForm
from comptoir.ticketforms.selectors import default_form
from comptoir.ticketforms.services import ticket_values_record, ticket_values_update
from comptoir.ticketforms.validation import JsonValue
from comptoir.ticketforms.values import form_values_check, values_check
from comptoir.tickets import access, services
from comptoir.tickets.blocks import block_for
from comptoir.tickets.files import NewAttachment
from comptoir.tickets.models import Channel, Message, Priority, Ticket
from comptoir.tickets.solve_guards import SolveHeld, SolveHold
from comptoir.tickets.tags import tag_name


class ApiView(APIView):
    """Every endpoint: rate limits around authentication, the caller's language, no caching of what it reads."""

    authentication_classes: Sequence[type[BaseAuthentication]] = (BearerTokenAuthentication, SessionAuthentication)
    permission_classes: Sequence[type[BasePermission]] = (SeesTickets,)
    # The rate limits are counted around authentication (perform_authentication), not as DRF throttles.
    throttle_classes = ()

    def perform_authentication(self, request: Request) -> None:
        self.rate_windows: list[Window] = [ratelimits.count_address(request)]
        ratelimits.refuse_when_over(self.rate_windows)
        super().perform_authentication(request)
        caller = ratelimits.count_caller(request)
        if caller is not None:
            self.rate_windows.append(caller)
            ratelimits.refuse_when_over(self.rate_windows)
        _caller_language(request)

    def finalize_response(self, request: Request, response: Any, *args: Any, **kwargs: Any) -> Any:
        response = super().finalize_response(request, response, *args, **kwargs)
        for name, value in ratelimits.headers(getattr(self, "rate_windows", [])).items():
            response[name] = value
        # Tickets are personal data: no shared cache keeps them.
        response.setdefault("Cache-Control", "private, no-store")
        return response

    def caller(self) -> User:
        user = self.request.user
        assert isinstance(user, User)
        return user


def _caller_language(request: Request) -> None:
    """Messages in the caller's language: Accept-Language when sent (LocaleMiddleware read it), else their own."""
    if request.META.get("HTTP_ACCEPT_LANGUAGE"):
        return
    language = getattr(request.user, "language", "")
    if language in dict(settings.LANGUAGES):
        translation.activate(language)
        request._request.LANGUAGE_CODE = language


def _incoming(request: Request, json: type[Any], form: type[Any], **context: Any) -> Any:
    """The body, checked by ``json``'s serializer, or ``form``'s when it came as multipart/form-data (files and all)."""
    chosen = form if request.content_type.startswith("multipart/form-data") else json
    incoming = chosen(data=request.data, context=context)
    incoming.is_valid(raise_exception=True)
    return incoming


def _closing(files: list[NewAttachment]) -> None:
    for item in files:
        item.content.close()


# Ids in paths are bigint keys: a larger number names nothing (and would overflow the query).
MAX_ID = 2**62
AnyModel = TypeVar("AnyModel", bound=Model)


def one_by_id(rows: QuerySet[AnyModel], pk: int) -> AnyModel | None:
    """The row with this id among those the caller may see, or None: missing and out of reach look alike."""
    return rows.filter(pk=pk).first() if pk < MAX_ID else None


def one_or_404(rows: QuerySet[AnyModel], pk: int) -> AnyModel:
    """The row with this id among those the caller may see, else a 404, the same for missing and out of reach."""
    found = one_by_id(rows, pk)
    if found is None:
        raise exceptions.NotFound
    return found


def checked_query(serializer_class: type[Any], request: Request) -> dict[str, Any]:
    checked = serializer_class(data=request.query_params)
    if not checked.is_valid():
        raise QueryInvalid(checked.errors)
    return dict(checked.validated_data)


def _ticket_response(request: Request, ticket: Ticket, **kwargs: Any) -> Response:
    return Response(TicketSerializer(ticket, context={"request": request}).data, **kwargs)


class TicketsView(ApiView):
    parser_classes: Sequence[type[BaseParser]] = (JSONParser, MultiPartParser)

    @extend_schema(
        operation_id="tickets_list",
        parameters=[TicketListQuerySerializer],
        responses=TicketPageSerializer,
        summary="List tickets",
        description="The tickets the caller sees, newest update first, filtered and searched as in the workspace.",
    )
    def get(self, request: Request) -> Response:
        params = checked_query(TicketListQuerySerializer, request)
        rows, notices = selectors.ticket_listing(self.caller(), params)
        ordering = selectors.ticket_ordering(params["sort"], agent=self.caller().is_agent)
        pages = Pages(ordering=ordering, limit=params["limit"], notices=notices)
        page = pages.paginate_queryset(rows, request, view=self) or []
        return pages.get_paginated_response(TicketSerializer(page, many=True, context={"request": request}).data)

    @extend_schema(
        operation_id="tickets_create",
        request={"application/json": TicketCreateSerializer, "multipart/form-data": TicketCreateFormSerializer},
        responses={201: TicketSerializer},
        parameters=[
            OpenApiParameter(
                IDEMPOTENCY_HEADER,
                str,
                OpenApiParameter.HEADER,
                description="Any unique string: a retry with the same key returns the ticket the first made (24 h).",
            )
        ],
        summary="Open a ticket",
        description="JSON, or multipart/form-data with its files in `files`; files uploaded before in `attachments`.",
    )
    def post(self, request: Request) -> Response:
        user = self.caller()
        data = dict(
            _incoming(request, TicketCreateSerializer, TicketCreateFormSerializer, agent=user.is_agent).validated_data
        )
        form: TicketForm | None = data.get("form")
        if user.is_agent:
            # An agent writes on the customer's behalf: not held by what the customer's form requires.
            values = _fields_checked(data.get("fields"), customer=False)
        else:
            form = form or default_form()
            values = _fields_checked(data.get("fields"), customer=True, form=form)
        if form is not None and form.ticket_type and "type" not in request.data:
            data["type"] = form.ticket_type
        key = idempotency_key(request)
        replayed = False
        with transaction.atomic():
            claim = None
            if key is not None:
                claim = key_claim(owner=user, key=key, fingerprint=request_fingerprint(_plain(data)))
                if claim.conflict:
                    raise ApiProblem(
                        "idempotency-key-reused",
                        gettext("This Idempotency-Key was used for a different request."),
                        status_code=status.HTTP_422_UNPROCESSABLE_ENTITY,
                    )
            if claim is not None and not claim.fresh and claim.ticket is not None:
                ticket, replayed = claim.ticket, True
                # The ticket may have changed hands since (another requester, a merge): a replay
                # shows it only to whom it is visible now.
                if not access.can_view_ticket(request._request, ticket):
                    raise exceptions.NotFound
            else:
                files = [*data.get("files", ()), *uploads_take(owner=user, keys=data.get("attachments", ()))]
                try:
                    ticket = _ticket_open(user, data, files)
                    # Part of the ticket sent, as the Help Center form's values are (its "created" event).
                    ticket_values_record(ticket=ticket, values=values)
                finally:
                    _closing(files)
                if claim is not None:
                    key_fulfil(claim, ticket)
        shown = selectors.ticket_rows(agent=user.is_agent).get(pk=ticket.pk)
        headers = {"Location": TicketSerializer(shown, context={"request": request}).data["url"]}
        if replayed:
            headers["Idempotent-Replayed"] = "true"
        return _ticket_response(request, shown, status=status.HTTP_201_CREATED, headers=headers)


def _fields_checked(
    raw: dict[str, Any] | None, *, customer: bool, ticket: Ticket | None = None, form: TicketForm | None = None
) -> dict[TicketField, JsonValue | None]:
    """The ``fields`` of a request, checked as the web's forms check them; a 400 problem naming each key refused.

    ``form``: a requester's new ticket is sent on it, and checked as the customer's form is (the fields it
    asks, those it requires, its conditions); without one (no form offered), each value on its own.
    """
    if form is not None:
        checked = form_values_check(raw or {}, form=form)
    else:
        checked = values_check(raw or {}, customer=customer, ticket=ticket)
    if checked.errors:
        raise exceptions.ValidationError({"fields": checked.errors})
    return checked.values


def solve_held(hold: SolveHold) -> ApiProblem:
    """A 409 naming the fields required to solve that are empty (comptoir.tickets.solve_guards)."""
    return ApiProblem("solve-held", hold.reason, status_code=status.HTTP_409_CONFLICT, fields=list(hold.names))


def _plain(data: dict[str, Any]) -> dict[str, Any]:
    """The request's values as the fingerprint reads them: a file by its content's hash."""

    def plain(value: Any) -> Any:
        if isinstance(value, list):
            return [plain(item) for item in value]
        if isinstance(value, NewAttachment):
            return value.checked.sha256
        return value.pk if isinstance(value, Model) else value

    return {name: plain(value) for name, value in data.items()}


def _ticket_open(user: User, data: dict[str, Any], files: list[NewAttachment]) -> Ticket:
    """The Help Center form's ticket for a requester, the workspace's "New ticket" for an agent; channel "api"."""
    language = translation.get_language() or settings.LANGUAGE_CODE
    if user.is_agent:
        return services.ticket_create(
            email=data["requester_email"],
            name=data.get("requester_name", ""),
            subject=data["subject"],
            description=data["body"],
            ticket_type=data["type"],
            language=data.get("language") or language,
            channel=Channel.API,
            opened_by=user,
            written_by_agent=data.get("written_by") == "agent",
            confirm=data.get("confirm", True),
            priority=data.get("priority") or Priority.NORMAL,
            assignee=data.get("assignee"),
            files=files,
        )
    if block_for(user.email) is not None:
        raise exceptions.PermissionDenied(
            gettext("New tickets from this address are not accepted. Reply to one of your tickets instead.")
        )
    # The Help Center form's limit per address, shared with it: a token is no way around it (each ticket
    # sends a confirmation e-mail and sets off the rules).
    window = hit_window(
        "ticket-email",
        user.email,
        limit=settings.COMPTOIR_RATE_LIMIT_TICKETS_PER_EMAIL,
        window_seconds=settings.COMPTOIR_RATE_LIMIT_WINDOW_SECONDS,
    )
    if window.count > window.limit:
        raise exceptions.Throttled(wait=window.seconds_left())
    return services.ticket_create(
        email=user.email,
        name=user.name,
        subject=data["subject"],
        description=data["body"],
        ticket_type=data["type"],
        language=user.language or language,
        channel=Channel.API,
        files=files,
    )


class TicketView(ApiView):
    @extend_schema(operation_id="tickets_retrieve", responses=TicketSerializer, summary="Read a ticket")
    def get(self, request: Request, reference: int) -> Response:
        return _ticket_response(request, selectors.caller_ticket(request._request, reference))

    @extend_schema(
        operation_id="tickets_update",
        request=TicketUpdateSerializer,
        responses=TicketSerializer,
        summary="Change a ticket's fields (agents)",
    )
    def patch(self, request: Request, reference: int) -> Response:
        ticket = selectors.caller_ticket(request._request, reference)
        user = self.caller()
        if not user.is_agent:
            raise exceptions.PermissionDenied(gettext("Only agents change a ticket's fields; write a message instead."))
        incoming = TicketUpdateSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        data = dict(incoming.validated_data)
        values = _fields_checked(data.pop("fields", None), customer=False, ticket=ticket)
        with transaction.atomic():
            # The fields first, as the ticket page's "Fields" card: a field required to solve filled in
            # here lets the status below be solved; a refusal below undoes them with the rest.
            if values:
                ticket_values_update(ticket=ticket, values=values, actor=user)
            if data:
                _ticket_update(ticket, user, data)
        return _ticket_response(request, selectors.caller_ticket(request._request, reference))


def _ticket_update(ticket: Ticket, user: User, data: dict[str, Any]) -> None:
    held = {tag.name for tag in ticket.tags.all()}
    wanted = {name for name in map(tag_name, data.get("tags", held)) if name}
    try:
        services.ticket_update_by_agent(
            ticket,
            agent=user,
            status=data.get("status"),
            priority=data.get("priority"),
            ticket_type=data.get("type"),
            assignee=data.get("assignee", services.UNCHANGED),
            group=data.get("group", services.UNCHANGED),
            add_tags=sorted(wanted - held),
            remove_tags=sorted(held - wanted),
            channel=Channel.API,
        )
    except services.TicketClosed:
        raise _closed() from None
    except SolveHeld as refused:
        raise solve_held(refused.hold) from None


def _closed() -> ApiProblem:
    return ApiProblem(
        "ticket-closed",
        gettext(
            "This ticket is closed: only internal notes can be added. A reply from the requester opens a follow-up."
        ),
        status_code=status.HTTP_409_CONFLICT,
    )


class MessagesView(ApiView):
    parser_classes: Sequence[type[BaseParser]] = (JSONParser, MultiPartParser)

    @extend_schema(
        operation_id="messages_list",
        parameters=[PageQuerySerializer],
        responses=MessagePageSerializer,
        summary="Read a ticket's conversation",
        description="Oldest first. Agents read internal notes too; the requester's side, public messages only.",
    )
    def get(self, request: Request, reference: int) -> Response:
        ticket = selectors.caller_ticket(request._request, reference)
        params = checked_query(PageQuerySerializer, request)
        messages = selectors.ticket_messages(ticket, agent=self.caller().is_agent)
        pages = Pages(ordering=("created_at", "id"), limit=params["limit"])
        page: list[Any] = pages.paginate_queryset(messages, request, view=self) or []
        return pages.get_paginated_response(MessageSerializer(page, many=True, context={"request": request}).data)

    @extend_schema(
        operation_id="messages_create",
        request={"application/json": MessageCreateSerializer, "multipart/form-data": MessageCreateFormSerializer},
        responses={201: MessageSerializer},
        summary="Reply, or add an internal note (agents)",
        description="JSON, or multipart/form-data with its files in `files`; files uploaded before in `attachments`.",
    )
    def post(self, request: Request, reference: int) -> Response:
        ticket = selectors.caller_ticket(request._request, reference)
        user = self.caller()
        data = _incoming(request, MessageCreateSerializer, MessageCreateFormSerializer).validated_data
        if not user.is_agent:
            _requester_may_reply(request, ticket, data)
        # The uploads are taken in the message's transaction: refused, the message leaves them for a retry.
        with transaction.atomic():
            files = [*data.get("files", ()), *uploads_take(owner=user, keys=data.get("attachments", ()))]
            try:
                message = _message_write(request, ticket, user, data, files)
            finally:
                _closing(files)
            if message is None:  # a body of spaces only: the service wrote nothing
                raise exceptions.ValidationError({"body": [gettext("Write something first.")]})
        shown = selectors.message_for_response(message)
        return Response(MessageSerializer(shown, context={"request": request}).data, status=status.HTTP_201_CREATED)


def _message_write(
    request: Request, ticket: Ticket, user: User, data: dict[str, Any], files: list[NewAttachment]
) -> Message | None:
    if not user.is_agent:
        return services.ticket_reply_by_requester(
            ticket=ticket,
            body=data["body"],
            channel=Channel.API,
            author=access.requester_side_author(request._request, ticket),
            files=files,
        )
    try:
        return services.ticket_update_by_agent(
            ticket,
            agent=user,
            body=data["body"],
            is_public=data["public"],
            status=data.get("status"),
            channel=Channel.API,
            files=files,
        )
    except services.TicketClosed:
        raise _closed() from None
    except SolveHeld as refused:
        raise solve_held(refused.hold) from None


def _requester_may_reply(request: Request, ticket: Ticket, data: dict[str, Any]) -> None:
    """The requester's side answers as on the ticket's Help Center page: public replies only, no status."""
    errors: dict[str, list[str]] = {}
    if not data["public"]:
        errors["public"] = [gettext("Only agents write internal notes.")]
    if "status" in data:
        errors["status"] = [gettext("Only agents set the status.")]
    if errors:
        raise exceptions.ValidationError(errors)
    if not access.can_reply_as_requester(request._request, ticket):
        raise exceptions.NotFound


class MeView(ApiView):
    permission_classes = (TokenScope,)

    @extend_schema(operation_id="me_retrieve", responses=MeSerializer, summary="Who is calling")
    def get(self, request: Request) -> Response:
        user = User.objects.select_related("organisation").get(pk=self.caller().pk)
        return Response(MeSerializer(user, context={"token": request_token(request)}).data)


class NotFoundView(ApiView):
    """Any address under /api/ that names nothing: a 404 problem, not the site's HTML page."""

    authentication_classes = ()
    permission_classes = (AllowAny,)
    schema = None

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        raise exceptions.NotFound
