"""What the API reads and writes: plain serializers, no model logic (the services do the writing)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.files.uploadedfile import UploadedFile
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.fields import empty

from comptoir.accounts.addresses import refuse_help_desk_address
from comptoir.accounts.models import Role, User
from comptoir.api.uploads import KEPT_FOR
from comptoir.sla.models import Metric
from comptoir.ticketforms.models import FieldKind, TicketField, TicketForm
from comptoir.ticketforms.selectors import form_offered
from comptoir.ticketforms.values import values_json
from comptoir.tickets.files import NewAttachment, accept_file, max_files, too_many_files_message
from comptoir.tickets.models import (
    REFERENCE_OFFSET,
    Attachment,
    Message,
    Priority,
    Status,
    SupportGroup,
    Ticket,
    TicketType,
)
from comptoir.tickets.statuses import AGENT_SUBMIT_STATUSES
from comptoir.tickets.tags import TAG_MAX_LENGTH

# The statuses an agent sets (new is where a ticket starts, closed is reached by time): one enum in the schema.
AGENT_STATUS_CHOICES = [(status.value, status.label) for status in AGENT_SUBMIT_STATUSES]

# Ticket fields only agents see: who works on it and how (requesters see what the Help Center shows them).
AGENT_ONLY_TICKET_FIELDS = ("priority", "assignee", "group", "tags", "spam", "merged_into")
BODY_MAX_CHARS = 50_000
SORTS = {
    "-updated": ("-updated_at", "-id"),
    "updated": ("updated_at", "id"),
    "-created": ("-created_at", "-id"),
    "created": ("created_at", "id"),
}
MAX_PAGE_SIZE = 100
DEFAULT_PAGE_SIZE = 25


def agents() -> Any:
    return User.objects.filter(is_active=True, role__in=(Role.AGENT, Role.ADMIN))


class PersonSerializer(serializers.Serializer[User]):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(source="get_full_name", read_only=True)
    email = serializers.EmailField(read_only=True)


class AuthorSerializer(serializers.Serializer[User]):
    """Who wrote a message, as the requester's page shows them: a name, no address.

    The short name: a person without a name is the start of their address, never the whole of it.
    """

    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(source="get_short_name", read_only=True)


class GroupSerializer(serializers.Serializer[SupportGroup]):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(read_only=True)


# A field's value as JSON carries it (comptoir.ticketforms.values).
FIELD_VALUE_SCHEMA: dict[str, Any] = {
    "oneOf": [
        {"type": "string"},
        {"type": "number"},
        {"type": "boolean"},
        {"type": "array", "items": {"type": "string"}},
    ]
}
FIELD_VALUES_SCHEMA: dict[str, Any] = {"type": "object", "additionalProperties": FIELD_VALUE_SCHEMA}
FIELDS_HELP = _(
    "Ticket fields by key (GET /api/v1/ticket-fields/), checked as the web's forms check them; null removes a value."
    " A requester sets the fields customers fill in."
)


@extend_schema_field({**FIELD_VALUES_SCHEMA, "additionalProperties": {**FIELD_VALUE_SCHEMA, "nullable": True}})
class FieldValuesField(serializers.DictField):
    """{key: value} of ticket fields, sent by a program; checked against the fields by the view."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(child=serializers.JSONField(allow_null=True), **kwargs)


class TicketSerializer(serializers.Serializer[Ticket]):
    """A ticket; the AGENT_ONLY_TICKET_FIELDS are left out of what a requester reads."""

    reference = serializers.IntegerField(read_only=True, help_text=_("The number people quote (#1042)."))
    url = serializers.SerializerMethodField()
    subject = serializers.CharField(read_only=True)
    status = serializers.ChoiceField(choices=Status.choices, read_only=True)
    type = serializers.ChoiceField(choices=TicketType.choices, read_only=True)
    channel = serializers.CharField(read_only=True)
    language = serializers.CharField(read_only=True)
    requester = PersonSerializer(read_only=True)
    follow_up_of = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField(read_only=True)
    updated_at = serializers.DateTimeField(
        read_only=True,
        help_text=_(
            "The last change. The requester's side reads the last public one (a public message, a status change),"
            " as on “My tickets”."
        ),
    )
    solved_at = serializers.DateTimeField(read_only=True, allow_null=True)
    closed_at = serializers.DateTimeField(read_only=True, allow_null=True)
    priority = serializers.ChoiceField(choices=Priority.choices, read_only=True)
    assignee = PersonSerializer(read_only=True, allow_null=True)
    group = GroupSerializer(read_only=True, allow_null=True)
    tags = serializers.SerializerMethodField()
    spam = serializers.BooleanField(read_only=True)
    merged_into = serializers.SerializerMethodField()

    def get_fields(self) -> dict[str, serializers.Field[Any, Any, Any, Any]]:
        # "fields" in the body: a name the class body cannot declare (a serializer's own ``fields``).
        return {
            **super().get_fields(),
            "fields": serializers.SerializerMethodField(
                method_name="get_field_values",
                help_text=_(
                    "The ticket's fields that hold a value, by key (GET /api/v1/ticket-fields/): numbers as numbers,"
                    " dates as YYYY-MM-DD, a multiple choice as a list, a checkbox as true. The requester's side:"
                    " the fields visible to customers."
                ),
            ),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        # Without a request (the OpenAPI schema) every field is described; the schema marks these optional.
        if request is not None and not getattr(request.user, "is_agent", False):
            for name in AGENT_ONLY_TICKET_FIELDS:
                self.fields.pop(name, None)
            # An internal note moves updated_at: the requester's side reads the public update
            # (comptoir.tickets.public_update, annotated on the rows it reads).
            self.fields["updated_at"] = serializers.DateTimeField(source="public_updated_at", read_only=True)

    @extend_schema_field(OpenApiTypes.URI)
    def get_url(self, ticket: Ticket) -> str:
        path = reverse("api:ticket", args=[ticket.reference])
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request is not None else path

    def get_follow_up_of(self, ticket: Ticket) -> int | None:
        return Ticket.reference_of(ticket.follow_up_of_id)

    def get_merged_into(self, ticket: Ticket) -> int | None:
        return Ticket.reference_of(ticket.merged_into_id)

    def get_tags(self, ticket: Ticket) -> list[str]:
        # Read from the prefetched rows: no query per ticket.
        return sorted(tag.name for tag in ticket.tags.all())

    @extend_schema_field(FIELD_VALUES_SCHEMA)
    def get_field_values(self, ticket: Ticket) -> dict[str, Any]:
        # Read from the rows comptoir.api.selectors.ticket_rows prefetched: no query per ticket.
        request = self.context.get("request")
        return values_json(ticket, customers=request is not None and not getattr(request.user, "is_agent", False))


class AttachmentSerializer(serializers.Serializer[Attachment]):
    id = serializers.IntegerField(read_only=True)
    filename = serializers.CharField(read_only=True)
    content_type = serializers.CharField(read_only=True)
    size = serializers.IntegerField(read_only=True)
    url = serializers.SerializerMethodField(help_text=_("Where to download it, with the same credentials."))

    @extend_schema_field(OpenApiTypes.URI)
    def get_url(self, attachment: Attachment) -> str:
        path = reverse("api:attachment", args=[attachment.ticket_id + REFERENCE_OFFSET, attachment.pk])
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request is not None else path


class MessageSerializer(serializers.Serializer[Any]):  # Any: DRF's stubs type one instance, not a page
    id = serializers.IntegerField(read_only=True)
    ticket = serializers.SerializerMethodField(
        help_text=_("The ticket's reference: a follow-up's, after a reply to a closed ticket.")
    )
    author = AuthorSerializer(read_only=True, allow_null=True)
    author_role = serializers.CharField(read_only=True)
    public = serializers.BooleanField(source="is_public", read_only=True)
    channel = serializers.CharField(read_only=True)
    body = serializers.CharField(read_only=True)
    attachments = AttachmentSerializer(many=True, read_only=True)
    created_at = serializers.DateTimeField(read_only=True)

    def get_ticket(self, message: Message) -> int:
        return message.ticket_id + REFERENCE_OFFSET


class Flag(serializers.BooleanField):
    """A boolean that, left out of a multipart form, takes its default: DRF reads an absent checkbox as false."""

    default_empty_html = empty


class FilesSerializer(serializers.Serializer[Any]):
    """Files of a new message, as ids of uploads (JSON or a form); the form's variant adds the files themselves."""

    attachments = serializers.ListField(
        child=serializers.CharField(max_length=40),
        required=False,
        max_length=100,
        help_text=_("Files uploaded beforehand (POST /api/v1/uploads/): their ids. Each is attached once."),
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        count = len(attrs.get("files", ())) + len(set(attrs.get("attachments", ())))
        if count > max_files():
            raise serializers.ValidationError({"files": [too_many_files_message(count)]}, code="too_many")
        return attrs


class FormFilesSerializer(FilesSerializer):
    files = serializers.ListField(
        child=serializers.FileField(),
        required=False,
        help_text=_("The files themselves: repeat the field for each (the web's limits and types)."),
    )

    def validate_files(self, files: Sequence[UploadedFile]) -> list[NewAttachment]:
        """Each file as the web's forms check it, refused with the rule it broke."""
        accepted: list[NewAttachment] = []
        errors: list[str] = []
        for upload in files:
            try:
                accepted.append(accept_file(upload, upload.name or "", upload.size or 0))
            except DjangoValidationError as error:
                errors += error.messages
        if errors:
            raise serializers.ValidationError(errors)
        return accepted


class TicketCreateSerializer(FilesSerializer):
    """A new ticket. A requester opens one for themselves; an agent for a customer, named by address."""

    subject = serializers.CharField(max_length=200)
    body = serializers.CharField(max_length=BODY_MAX_CHARS)
    type = serializers.ChoiceField(choices=TicketType.choices, default=TicketType.QUESTION)
    requester_email = serializers.EmailField(
        max_length=254,
        required=False,
        validators=[refuse_help_desk_address],
        help_text=_("Agents only, and required of them: the customer the ticket is for."),
    )
    requester_name = serializers.CharField(
        max_length=150, required=False, allow_blank=True, help_text=_("Agents only.")
    )
    priority = serializers.ChoiceField(choices=Priority.choices, required=False, help_text=_("Agents only."))
    language = serializers.ChoiceField(
        choices=settings.LANGUAGES, required=False, help_text=_("Agents only; else the caller's language.")
    )
    written_by = serializers.ChoiceField(
        choices=[("requester", _("The customer's words")), ("agent", _("The agent's own"))],
        required=False,
        help_text=_("Agents only: whose words the first message is."),
    )
    confirm = Flag(
        required=False, help_text=_("Agents only: send the customer the confirmation e-mail (default true).")
    )
    assignee = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.none(), required=False, allow_null=True, help_text=_("Agents only: an agent's id.")
    )
    form = serializers.SlugField(
        max_length=50,
        required=False,
        help_text=_(
            "The ticket form it is sent on, by its address name (the Help Center's ?form=). For a requester it"
            " decides which fields are asked and required, as on the web; without it, the first form offered"
            " does. The ticket's type follows the form when the form files one and no type is sent."
        ),
    )
    AGENT_FIELDS = ("requester_email", "requester_name", "priority", "language", "written_by", "confirm", "assignee")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = agents()  # type: ignore[attr-defined]

    def get_fields(self) -> dict[str, serializers.Field[Any, Any, Any, Any]]:
        # "fields": a name the class body cannot declare (a serializer's own ``fields``).
        return {**super().get_fields(), "fields": FieldValuesField(required=False, help_text=FIELDS_HELP)}

    def validate_form(self, slug: str) -> TicketForm:
        chosen = form_offered(slug)
        if chosen is None:
            raise serializers.ValidationError(
                _("No form is offered under the name “%(slug)s”.") % {"slug": slug}, code="does_not_exist"
            )
        return chosen

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        attrs = super().validate(attrs)
        agent = bool(self.context.get("agent"))
        if agent and not attrs.get("requester_email"):
            raise serializers.ValidationError(
                {"requester_email": [_("An agent names the customer the ticket is for.")]}, code="required"
            )
        if not agent:
            given = [name for name in self.AGENT_FIELDS if name in self.initial_data]
            if given:
                raise serializers.ValidationError(
                    {name: [_("Only agents set this field.")] for name in given}, code="agents_only"
                )
        return attrs


class TicketCreateFormSerializer(TicketCreateSerializer, FormFilesSerializer):
    """A new ticket as multipart/form-data, with its files."""


class TicketUpdateSerializer(serializers.Serializer[Any]):
    """The fields an agent changes; those left out stay as they are."""

    status = serializers.ChoiceField(choices=AGENT_STATUS_CHOICES)
    priority = serializers.ChoiceField(choices=Priority.choices)
    type = serializers.ChoiceField(choices=TicketType.choices)
    group = serializers.PrimaryKeyRelatedField(queryset=SupportGroup.objects.all(), allow_null=True)
    assignee = serializers.PrimaryKeyRelatedField(queryset=User.objects.none(), allow_null=True)
    tags = serializers.ListField(
        child=serializers.CharField(max_length=TAG_MAX_LENGTH),
        max_length=50,
        help_text=_("The ticket's tags, all of them: those left out are removed."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("partial", True)
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = agents()  # type: ignore[attr-defined]

    def get_fields(self) -> dict[str, serializers.Field[Any, Any, Any, Any]]:
        # "fields": a name the class body cannot declare (a serializer's own ``fields``).
        help_text = _(
            "Ticket fields by key (GET /api/v1/ticket-fields/), checked as the web's forms check them; null removes"
            " a value; those left out stay as they are. Written before the status: a field required to solve may be"
            " filled in with the status solved."
        )
        return {**super().get_fields(), "fields": FieldValuesField(help_text=help_text)}


class MessageCreateSerializer(FilesSerializer):
    body = serializers.CharField(max_length=BODY_MAX_CHARS)
    public = Flag(default=True, help_text=_("False: an internal note, which only agents write and read."))
    status = serializers.ChoiceField(
        choices=AGENT_STATUS_CHOICES,
        required=False,
        help_text=_("Agents only: the ticket's status with this message (as “Submit as …” in the workspace)."),
    )


class MessageCreateFormSerializer(MessageCreateSerializer, FormFilesSerializer):
    """A message as multipart/form-data, with its files."""


class UploadCreateSerializer(serializers.Serializer[Any]):
    file = serializers.FileField(help_text=_("One file (the web's limits and types)."))


class UploadSerializer(serializers.Serializer[Any]):
    id = serializers.CharField(source="key", read_only=True, help_text=_("Name it in a message's attachments."))
    filename = serializers.CharField(read_only=True)
    content_type = serializers.CharField(read_only=True)
    size = serializers.IntegerField(read_only=True)
    expires_at = serializers.SerializerMethodField()

    @extend_schema_field(OpenApiTypes.DATETIME)
    def get_expires_at(self, upload: Any) -> str:
        return serializers.DateTimeField().to_representation(upload.created_at + KEPT_FOR)


class TicketListQuerySerializer(serializers.Serializer[Any]):
    """The list's query parameters. Filters take the workspace search's values (docs/search.md)."""

    q = serializers.CharField(
        required=False, allow_blank=True, max_length=500, help_text=_("The workspace search's syntax.")
    )
    status = serializers.CharField(required=False, max_length=50, help_text=_("A status, or unsolved."))
    type = serializers.CharField(required=False, max_length=50)
    priority = serializers.CharField(required=False, max_length=50, help_text=_("Agents only."))
    assignee = serializers.CharField(
        required=False, max_length=254, help_text=_("Agents only: me, none, a name or an address.")
    )
    group = serializers.CharField(required=False, max_length=100, help_text=_("Agents only: a group's name, or none."))
    tag = serializers.CharField(required=False, max_length=TAG_MAX_LENGTH, help_text=_("Agents only."))
    requester = serializers.CharField(required=False, max_length=254, help_text=_("Agents only: a name or an address."))
    organisation = serializers.CharField(required=False, max_length=200, help_text=_("Agents only."))
    sort = serializers.ChoiceField(choices=list(SORTS), default="-updated")
    limit = serializers.IntegerField(min_value=1, max_value=MAX_PAGE_SIZE, default=DEFAULT_PAGE_SIZE)
    cursor = serializers.CharField(required=False, max_length=200)

    FILTERS = ("status", "type", "priority", "assignee", "group", "tag", "requester", "organisation")
    REQUESTER_FILTERS = ("status", "type")


class PageQuerySerializer(serializers.Serializer[Any]):
    limit = serializers.IntegerField(min_value=1, max_value=MAX_PAGE_SIZE, default=DEFAULT_PAGE_SIZE)
    cursor = serializers.CharField(required=False, max_length=200)


class OrganisationSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(read_only=True)


class TokenInfoSerializer(serializers.Serializer[Any]):
    name = serializers.CharField(read_only=True)
    scope = serializers.CharField(read_only=True)
    expires_at = serializers.DateTimeField(read_only=True, allow_null=True)


class MeSerializer(serializers.Serializer[User]):
    id = serializers.IntegerField(read_only=True)
    email = serializers.EmailField(read_only=True)
    name = serializers.CharField(read_only=True)
    role = serializers.CharField(read_only=True)
    language = serializers.CharField(read_only=True)
    organisation = OrganisationSerializer(read_only=True, allow_null=True)
    token = serializers.SerializerMethodField()

    @extend_schema_field(TokenInfoSerializer(allow_null=True))
    def get_token(self, user: User) -> dict[str, Any] | None:
        token = self.context.get("token")
        return None if token is None else dict(TokenInfoSerializer(token).data)


class TicketPageSerializer(serializers.Serializer[Any]):
    next = serializers.URLField(allow_null=True, help_text=_("The next page, or null on the last."))
    previous = serializers.URLField(allow_null=True, help_text=_("The page before, or null on the first."))
    results = TicketSerializer(many=True)
    notices = serializers.ListField(
        child=serializers.CharField(), help_text=_("What the search did not understand, in the caller's language.")
    )


class MessagePageSerializer(serializers.Serializer[Any]):
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = MessageSerializer(many=True)


class MergeSerializer(serializers.Serializer[Any]):
    into = serializers.IntegerField(
        min_value=1, max_value=2**62, help_text=_("The ticket to merge this one into: its reference.")
    )
    tell_requesters = Flag(
        default=True,
        help_text=_("True: a public reply on each ticket says so, and is e-mailed; false: an internal note."),
    )


class TagSerializer(serializers.Serializer[Any]):
    name = serializers.CharField(read_only=True)
    tickets = serializers.IntegerField(source="ticket_count", read_only=True, help_text=_("How many tickets have it."))


class TagPageSerializer(serializers.Serializer[Any]):
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = TagSerializer(many=True)


class GroupDetailSerializer(serializers.Serializer[Any]):  # Any: a page of groups
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(read_only=True)
    lead = PersonSerializer(read_only=True, allow_null=True, help_text=_("Told of the group's breaches."))


class GroupPageSerializer(serializers.Serializer[Any]):
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = GroupDetailSerializer(many=True)


SLA_STATES = ("ok", "warning", "breached", "paused", "met", "missed", "stopped")


class SlaTargetSerializer(serializers.Serializer[Any]):
    """One service-level clock of a ticket, as the ticket page's "Service level" card shows it."""

    metric = serializers.ChoiceField(choices=Metric.choices, read_only=True)
    cycle = serializers.IntegerField(read_only=True, help_text=_("Next reply: which requester reply it measures."))
    policy = serializers.CharField(source="policy.name", read_only=True)
    state = serializers.ChoiceField(choices=[(state, state) for state in SLA_STATES], read_only=True)
    started_at = serializers.DateTimeField(read_only=True)
    due_at = serializers.DateTimeField(read_only=True, help_text=_("While paused, the due time before the pause."))
    warn_at = serializers.DateTimeField(read_only=True)
    achieved_at = serializers.DateTimeField(read_only=True, allow_null=True)
    breached_at = serializers.DateTimeField(read_only=True, allow_null=True)
    paused_since = serializers.DateTimeField(read_only=True, allow_null=True)
    stopped_at = serializers.DateTimeField(read_only=True, allow_null=True)


class SlaPageSerializer(serializers.Serializer[Any]):
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = SlaTargetSerializer(many=True)


class RequesterSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(read_only=True)
    email = serializers.EmailField(read_only=True)
    language = serializers.CharField(read_only=True)
    organisation = OrganisationSerializer(read_only=True, allow_null=True)
    active = serializers.BooleanField(source="is_active", read_only=True)
    created_at = serializers.DateTimeField(source="date_joined", read_only=True)


class RequesterDetailSerializer(RequesterSerializer):
    tickets_total = serializers.IntegerField(read_only=True, help_text=_("Tickets they asked, merged ones included."))
    tickets_unsolved = serializers.IntegerField(
        read_only=True, help_text=_("Their tickets still being worked on: new, open, pending or on hold.")
    )


class AgentSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(read_only=True)
    email = serializers.EmailField(read_only=True)
    role = serializers.ChoiceField(
        choices=[(Role.AGENT, Role.AGENT.label), (Role.ADMIN, Role.ADMIN.label)], read_only=True
    )
    language = serializers.CharField(read_only=True)
    away = serializers.BooleanField(
        read_only=True, help_text=_("Agents away get no new ticket from their groups' assignment.")
    )
    active = serializers.BooleanField(source="is_active", read_only=True)


class OrganisationDetailSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(read_only=True)
    shares_tickets = serializers.BooleanField(
        read_only=True, help_text=_("Its people see each other's tickets in the Help Center.")
    )
    created_at = serializers.DateTimeField(read_only=True)


class SatisfactionSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField(read_only=True)
    ticket = serializers.SerializerMethodField(help_text=_("The ticket's reference."))
    rating = serializers.IntegerField(read_only=True)
    comment = serializers.CharField(read_only=True)
    answered_at = serializers.DateTimeField(read_only=True)

    def get_ticket(self, survey: Any) -> int:
        return int(survey.ticket_id) + REFERENCE_OFFSET


def page_of(item: serializers.Serializer[Any], name: str) -> type[serializers.Serializer[Any]]:
    """A page's component for the schema: next, previous and ``item``'s rows."""
    fields: dict[str, Any] = {
        "next": serializers.URLField(allow_null=True),
        "previous": serializers.URLField(allow_null=True),
        "results": item,
    }
    return type(name, (serializers.Serializer,), fields)


RequesterPageSerializer = page_of(RequesterSerializer(many=True), "RequesterPageSerializer")
AgentPageSerializer = page_of(AgentSerializer(many=True), "AgentPageSerializer")
OrganisationPageSerializer = page_of(OrganisationDetailSerializer(many=True), "OrganisationPageSerializer")
SatisfactionPageSerializer = page_of(SatisfactionSerializer(many=True), "SatisfactionPageSerializer")


class HelpCenterGroupSerializer(serializers.Serializer[Any]):
    """A category or a section, in the caller's language."""

    id = serializers.IntegerField(source="group_id", read_only=True)
    title = serializers.CharField(read_only=True)
    slug = serializers.CharField(read_only=True)
    description = serializers.CharField(read_only=True)
    language = serializers.CharField(read_only=True)


class HelpCenterSectionSerializer(HelpCenterGroupSerializer):
    category = serializers.IntegerField(source="category_ref", read_only=True, allow_null=True)


class ArticleSummarySerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField(source="article_id", read_only=True)
    section = serializers.IntegerField(source="section_ref", read_only=True)
    title = serializers.CharField(read_only=True)
    slug = serializers.CharField(read_only=True)
    summary = serializers.CharField(read_only=True)
    language = serializers.CharField(read_only=True)
    updated_at = serializers.DateTimeField(read_only=True)
    web_url = serializers.SerializerMethodField(help_text=_("The article's page in the Help Center."))

    @extend_schema_field(OpenApiTypes.URI)
    def get_web_url(self, article: Any) -> str:
        with translation.override(article.language):
            path = reverse("article_detail", args=[article.article_id, article.slug])
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request is not None else path


class ArticleDetailSerializer(ArticleSummarySerializer):
    body_html = serializers.CharField(read_only=True, help_text=_("Rendered from the Markdown, sanitised."))
    body_markdown = serializers.CharField(read_only=True)


class HelpCenterQuerySerializer(PageQuerySerializer):
    category = serializers.IntegerField(required=False, min_value=1, max_value=2**62, help_text=_("Sections only."))
    section = serializers.IntegerField(required=False, min_value=1, max_value=2**62, help_text=_("Articles only."))


HelpCenterGroupPageSerializer = page_of(HelpCenterGroupSerializer(many=True), "HelpCenterGroupPageSerializer")
HelpCenterSectionPageSerializer = page_of(HelpCenterSectionSerializer(many=True), "HelpCenterSectionPageSerializer")
ArticlePageSerializer = page_of(ArticleSummarySerializer(many=True), "ArticlePageSerializer")


class ChoiceSerializer(serializers.Serializer[Any]):
    value = serializers.CharField(read_only=True)
    label_fr = serializers.CharField(read_only=True)
    label_en = serializers.CharField(read_only=True)


class ConditionSerializer(serializers.Serializer[Any]):
    field = serializers.CharField(read_only=True, help_text=_("The key of the field it reads."))
    value = serializers.CharField(read_only=True)


class TicketFieldSerializer(serializers.Serializer[Any]):  # Any: a page of fields
    """A ticket field as an administrator defined it (Settings → Ticket fields and forms)."""

    key = serializers.CharField(read_only=True, help_text=_("Names the field in a ticket's fields."))
    kind = serializers.ChoiceField(choices=FieldKind.choices, read_only=True)
    label_fr = serializers.CharField(read_only=True)
    label_en = serializers.CharField(read_only=True)
    help_fr = serializers.CharField(read_only=True)
    help_en = serializers.CharField(read_only=True)
    choices = serializers.SerializerMethodField(help_text=_("A drop-down list's or a multiple choice's."))
    pattern = serializers.CharField(read_only=True, help_text=_("Text with a pattern: what the whole value matches."))
    visible_to_customers = serializers.BooleanField(read_only=True)
    editable_by_customers = serializers.BooleanField(read_only=True)
    required_to_solve = serializers.BooleanField(
        read_only=True, help_text=_("A ticket without a value for it cannot be solved (while it is shown).")
    )
    shown_when = serializers.SerializerMethodField(
        help_text=_("Shown, and kept, only when another field holds this value; null: always.")
    )
    archived = serializers.BooleanField(read_only=True, help_text=_("No longer asked; tickets keep their values."))

    def get_fields(self) -> dict[str, serializers.Field[Any, Any, Any, Any]]:
        # "required": a name the class body cannot declare (every serializer field's own ``required``).
        required = serializers.BooleanField(read_only=True, help_text=_("Required when the customer sends the form."))
        return {**super().get_fields(), "required": required}

    @extend_schema_field(ChoiceSerializer(many=True))
    def get_choices(self, ticket_field: TicketField) -> list[dict[str, str]]:
        return [
            {"value": str(row[0]), "label_fr": str(row[1]), "label_en": str(row[2])} for row in ticket_field.choices
        ]

    @extend_schema_field(ConditionSerializer(allow_null=True))
    def get_shown_when(self, ticket_field: TicketField) -> dict[str, str] | None:
        controller = ticket_field.shown_when_field
        if controller is None:
            return None
        return {"field": controller.key, "value": ticket_field.shown_when_value}


TicketFieldPageSerializer = page_of(TicketFieldSerializer(many=True), "TicketFieldPageSerializer")
