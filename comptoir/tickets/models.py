"""Tickets, their messages, attachments, access links and history."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

# References start above 1000 so that the first tickets do not look like a
# brand-new help desk's (#1001 rather than #1); see Ticket.reference.
REFERENCE_OFFSET = 1000


class TicketType(models.TextChoices):
    QUESTION = "question", _("Question")
    INCIDENT = "incident", _("Incident")
    FEATURE_REQUEST = "feature_request", _("Feature request")


class Priority(models.TextChoices):
    LOW = "low", _("Low")
    NORMAL = "normal", _("Normal")
    HIGH = "high", _("High")
    URGENT = "urgent", _("Urgent")


class Status(models.TextChoices):
    NEW = "new", _("New")
    OPEN = "open", _("Open")
    PENDING = "pending", _("Pending")
    ON_HOLD = "on_hold", _("On hold")
    SOLVED = "solved", _("Solved")
    CLOSED = "closed", _("Closed")


class Channel(models.TextChoices):
    WEB = "web", _("Web")
    EMAIL = "email", _("E-mail")
    API = "api", _("API")
    # Tickets an agent opened for a customer (comptoir.workspace: "New ticket").
    PHONE = "phone", _("Phone")
    IN_PERSON = "in_person", _("In person")


class Assignment(models.TextChoices):
    """How a group's new tickets get an assignee (comptoir.rules.assignment), among its members not away."""

    NONE = "none", _("None: agents pick tickets up")
    ROUND_ROBIN = "round_robin", _("Round-robin: each member in turn")
    LEAST_OPEN = "least_open", _("The member with the fewest open tickets")


class SupportGroup(models.Model):
    """A team of agents tickets can be routed to (managed in the Django admin)."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="support_groups", verbose_name=_("members")
    )
    # Told of every service level breach on the group's tickets (comptoir.notifications.agent_rules).
    lead = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="led_groups",
        verbose_name=_("lead"),
        limit_choices_to={"role__in": ("agent", "admin"), "is_active": True},
        help_text=_("Told when a ticket of the group breaches its service level."),
    )
    assignment = models.CharField(
        _("assignment"),
        max_length=12,
        choices=Assignment.choices,
        default=Assignment.NONE,
        help_text=_("Who gets a ticket that enters the group without an assignee. Agents who are away are skipped."),
    )

    class Meta:
        ordering = ("name",)
        # "Support group": the admin also lists Django's permission groups (accounts.PermissionGroup).
        verbose_name = _("support group")
        verbose_name_plural = _("support groups")

    def __str__(self) -> str:
        return self.name


class Tag(models.Model):
    """A free-form label agents put on tickets (refund, vip, bug-1234), named by comptoir.tickets.tags."""

    name = models.CharField(_("name"), max_length=50, unique=True)

    class Meta:
        ordering = ("name",)
        verbose_name = _("tag")
        verbose_name_plural = _("tags")

    def __str__(self) -> str:
        return self.name


# The statuses of tickets someone still works on (comptoir.tickets.statuses.ACTIVE_STATUSES, which imports this module).
ACTIVE = (Status.NEW, Status.OPEN, Status.PENDING, Status.ON_HOLD)


class Ticket(models.Model):
    subject = models.CharField(_("subject"), max_length=200)
    requester = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="requested_tickets")
    type = models.CharField(_("type"), max_length=20, choices=TicketType.choices, default=TicketType.QUESTION)
    priority = models.CharField(_("priority"), max_length=10, choices=Priority.choices, default=Priority.NORMAL)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.NEW)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices, default=Channel.WEB)
    language = models.CharField(_("language"), max_length=8)
    # The requester's time zone as their browser gave it with the web form (an IANA name, checked
    # against zoneinfo); empty when unknown (e-mail, a ticket opened on their behalf). What they are
    # promised is said on their clock (comptoir.sla.promise), else on the team's.
    time_zone = models.CharField(_("time zone"), max_length=64, blank=True, default="", editable=False)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assigned_tickets",
    )
    group = models.ForeignKey(
        SupportGroup, on_delete=models.SET_NULL, null=True, blank=True, related_name="tickets", verbose_name=_("group")
    )
    follow_up_of = models.ForeignKey("self", on_delete=models.SET_NULL, null=True, blank=True)
    tags = models.ManyToManyField(Tag, blank=True, related_name="tickets", verbose_name=_("tags"))
    # Agents who asked to hear of the requester's replies here, besides its assignee.
    followers = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="followed_tickets", verbose_name=_("followers")
    )
    # Marked as spam by an agent: closed, and out of every view but "Spam".
    spam = models.BooleanField(_("spam"), db_default=False)
    # Set when the ticket was merged into another: its replies by e-mail and its links go there.
    merged_into = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="merged_tickets"
    )
    # The rating of the latest answered satisfaction survey, kept here for lists.
    satisfaction_rating = models.PositiveSmallIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    solved_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    # The earliest due time of the ticket's service-level clocks still counting (not met, stopped or
    # paused; late ones included): the "Breaching soon" view's order, served by an index. Kept by
    # comptoir.sla.services only; null when no clock counts.
    sla_due_at = models.DateTimeField(null=True, blank=True, editable=False)
    # The priority as a number the database keeps, so that an index can serve
    # "most urgent first" (a CASE in ORDER BY cannot use one).
    priority_rank = models.GeneratedField(
        expression=models.Case(
            models.When(priority=Priority.URGENT, then=models.Value(4)),
            models.When(priority=Priority.HIGH, then=models.Value(3)),
            models.When(priority=Priority.NORMAL, then=models.Value(2)),
            default=models.Value(1),
        ),
        output_field=models.SmallIntegerField(),
        db_persist=True,
    )

    class Meta:
        ordering = ("-created_at",)
        # The workspace's views read their first page, and any page after it
        # (keyset, comptoir.workspace.paging), in index order: no sort, no scan
        # of the whole table, at a million tickets. Partial indexes keep each
        # view's small share of active tickets together.
        indexes = [
            models.Index(fields=("status", "-updated_at", "-id"), name="ticket_status_updated"),
            models.Index(fields=("requester", "-created_at")),
            models.Index(fields=("status", "solved_at")),
            models.Index(fields=("-updated_at", "-id"), name="ticket_updated"),
            models.Index(fields=("-created_at", "-id"), name="ticket_created"),
            models.Index(fields=("-priority_rank", "-updated_at", "-id"), name="ticket_priority_updated"),
            models.Index(
                fields=("-updated_at", "-id"),
                condition=models.Q(status__in=ACTIVE, assignee__isnull=True),
                name="ticket_unassigned_updated",
            ),
            models.Index(
                fields=("assignee", "-updated_at", "-id"),
                condition=models.Q(status__in=ACTIVE),
                name="ticket_assigned_updated",
            ),
            models.Index(
                fields=("-updated_at", "-id"),
                condition=models.Q(status__in=(Status.NEW, Status.OPEN)),
                name="ticket_open_updated",
            ),
            models.Index(fields=("-updated_at", "-id"), condition=models.Q(spam=True), name="ticket_spam_updated"),
            # A group's waiting tickets by status and priority: a team's views and their side bar counts
            # ("open, Billing, high") read this small index alone instead of a bitmap of the whole group.
            models.Index(
                fields=("group", "status", "priority"),
                condition=models.Q(status__in=ACTIVE),
                name="ticket_active_group",
            ),
            models.Index(
                fields=("sla_due_at", "id"), condition=models.Q(sla_due_at__isnull=False), name="ticket_sla_due"
            ),
        ]
        verbose_name = _("ticket")
        verbose_name_plural = _("tickets")

    def __str__(self) -> str:
        return f"#{self.reference} {self.subject}"

    @property
    def reference(self) -> int:
        """The number people quote (#1042). It names a ticket; it never opens one."""
        return self.pk + REFERENCE_OFFSET

    @staticmethod
    def pk_from_reference(reference: int) -> int:
        return reference - REFERENCE_OFFSET

    @staticmethod
    def reference_of(pk: int | None) -> int | None:
        """The number of the ticket with this id (None for none), without reading it: a linked ticket's,
        from the foreign key that names it (``follow_up_of_id``, ``merged_into_id``)."""
        return None if pk is None else pk + REFERENCE_OFFSET


class AuthorRole(models.TextChoices):
    REQUESTER = "requester", _("Requester")
    AGENT = "agent", _("Agent")
    SYSTEM = "system", _("System")


def written_by_the_team(author_role: str, author_id: int | None) -> bool:
    """A message a person on the team wrote: a business rule's (agent role, no author) is not the team answering."""
    return author_role == AuthorRole.AGENT and author_id is not None


class Message(models.Model):
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="messages")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)
    author_role = models.CharField(max_length=10, choices=AuthorRole.choices)
    is_public = models.BooleanField(default=True, help_text=_("Internal notes are not public."))
    channel = models.CharField(max_length=10, choices=Channel.choices)
    body = models.TextField()
    inbound_email = models.ForeignKey(
        "mail.InboundEmail", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("created_at", "id")
        indexes = [models.Index(fields=("ticket", "created_at"))]
        verbose_name = _("message")
        verbose_name_plural = _("messages")

    def __str__(self) -> str:
        return f"message {self.pk} on ticket {self.ticket_id}"


def attachment_path(instance: Attachment, filename: str) -> str:
    # The stored name is random: the person's file name is kept in the row and
    # never used to build a path.
    return f"attachments/{instance.ticket_id}/{uuid.uuid4().hex}"


class Attachment(models.Model):
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="attachments")
    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to=attachment_path, max_length=200)
    filename = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("id",)
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self) -> str:
        return self.filename


class TicketAccessToken(models.Model):
    """A secret link to one ticket; only the SHA-256 of the token is stored."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="access_tokens")
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField()

    class Meta:
        verbose_name = _("ticket link")
        verbose_name_plural = _("ticket links")

    def __str__(self) -> str:
        return f"access token {self.pk} for ticket {self.ticket_id}"


class EventKind(models.TextChoices):
    CREATED = "created", _("Created")
    STATUS = "status", _("Status changed")
    REPLY = "reply", _("Public reply")
    NOTE = "note", _("Internal note")
    ASSIGNEE = "assignee", _("Assignee changed")
    GROUP = "group", _("Group changed")
    PRIORITY = "priority", _("Priority changed")
    TYPE = "type", _("Type changed")
    FOLLOW_UP = "follow_up", _("Follow-up opened")
    SATISFACTION = "satisfaction", _("Satisfaction rated")
    CC_ADDED = "cc_added", _("CC added")
    CC_REMOVED = "cc_removed", _("CC removed")
    DELIVERY_FAILED = "delivery_failed", _("E-mail not delivered")
    REQUESTER_ERASED = "requester_erased", _("Requester's personal data erased")
    TAG_ADDED = "tag_added", _("Tag added")
    TAG_REMOVED = "tag_removed", _("Tag removed")
    MERGED_INTO = "merged_into", _("Merged into")
    MERGED_FROM = "merged_from", _("Ticket merged in")
    REQUESTER_CHANGED = "requester_changed", _("Requester changed")
    SPAM = "spam", _("Marked as spam")
    # Raised by the service-level breach job (comptoir.sla.breaches): old value the metric, new the due time.
    SLA_WARNING = "sla_warning", _("Service level: due soon")
    SLA_BREACH = "sla_breach", _("Service level: breached")
    # A business rule's e-mail and notice (comptoir.rules.actions): old value the recipient (RuleRecipient),
    # new their name (an address, an agent's or a group's: none for the requester). Sent by comptoir.notifications
    # from the event's RuleTelling.
    RULE_EMAIL = "rule_email", _("E-mail sent")
    AGENTS_NOTIFIED = "agents_notified", _("Agents notified")
    # A business rule's "call a webhook" (comptoir.rules.actions): new value the webhook's name.
    WEBHOOK_CALLED = "webhook_called", _("Webhook called")
    # An agent changed a ticket field's value (comptoir.ticketforms.services): old value the field's key, new
    # "Label: before → after".
    FIELD = "field", _("Field changed")


class RuleRecipient(models.TextChoices):
    """Whom a business rule e-mails or notifies (comptoir.rules.actions), as the ticket's history says it."""

    REQUESTER = "requester", _("the requester")
    ASSIGNEE = "assignee", _("the assignee")
    GROUP = "group", _("the group's agents")
    AGENT = "agent", _("an agent")
    ADDRESS = "address", _("an address")


class TicketEvent(models.Model):
    """The ticket's history: who changed what, when. Written by comptoir.tickets.history only.

    The events one write made on one ticket share a ``change``: the unit the
    event backbone hands to subscribers (comptoir.events).
    """

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)
    kind = models.CharField(max_length=20, choices=EventKind.choices)
    old_value = models.CharField(max_length=100, blank=True)
    new_value = models.CharField(max_length=100, blank=True)
    # Null on history written before the backbone existed.
    change = models.UUIDField(null=True, blank=True, db_index=True)
    # The message a reply, a note or a new ticket wrote.
    message = models.ForeignKey(Message, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    # Written by a robot (an out-of-office, an autoresponder): it changes nothing and tells nobody.
    automatic = models.BooleanField(db_default=False)
    # Nobody is e-mailed about it, as the agent chose (a ticket opened for a caller without confirmation).
    quiet = models.BooleanField(db_default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("created_at", "id")
        verbose_name = _("ticket event")
        verbose_name_plural = _("ticket events")

    def __str__(self) -> str:
        return f"{self.kind} on ticket {self.ticket_id}"

    def _label(self, value: str) -> str:
        choices: dict[str, type[models.TextChoices]] = {
            EventKind.STATUS: Status,
            EventKind.CREATED: Status,
            EventKind.PRIORITY: Priority,
            EventKind.TYPE: TicketType,
        }
        enum = choices.get(self.kind)
        if enum is not None and value in enum.values:
            return str(enum(value).label)
        return value

    @property
    def old_label(self) -> str:
        return self._label(self.old_value)

    @property
    def told(self) -> str:
        """Whom a business rule told (RULE_EMAIL, AGENTS_NOTIFIED), in the reader's language: "the assignee (Zoé)"."""
        if self.old_value not in RuleRecipient.values:
            return self.new_value
        recipient = str(RuleRecipient(self.old_value).label)
        return f"{recipient} ({self.new_value})" if self.new_value else recipient

    @property
    def new_label(self) -> str:
        return self._label(self.new_value)


class RuleTelling(models.Model):
    """What a business rule's e-mail or notice says, and to whom, as the rule said it when it fired.

    Written with its event (RULE_EMAIL, AGENTS_NOTIFIED) by comptoir.tickets.services.ticket_rule_tell;
    read by comptoir.notifications, which queues the e-mails and writes the notices after commit. Kept
    apart from the rule, so that what is sent is what the rule said then, whatever it says since.
    """

    event = models.OneToOneField(TicketEvent, on_delete=models.CASCADE, primary_key=True, related_name="rule_telling")
    rule_name = models.CharField(max_length=120)
    # The agents to tell (the assignee, the group's active members, the agent named), as ids.
    agent_ids = models.JSONField(default=list, blank=True)
    # An e-mail to the requester or to the address the rule names.
    address = models.EmailField(max_length=254, blank=True)
    # An e-mail's subject and text in each language, placeholders filled in: {"fr": {"subject": ..., "body": ...}}.
    # Emptied once the e-mails are queued: they hold the requester's words, and the queue keeps its own copy.
    texts = models.JSONField(default=dict, blank=True)
    # A notice's words for the agents.
    note = models.TextField(blank=True)

    def __str__(self) -> str:
        return f"{self.rule_name}: {self.event_id}"


class TicketCC(models.Model):
    """Someone copied on the ticket: kept informed of public replies and allowed to answer by e-mail."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="ccs")
    email = models.EmailField()
    name = models.CharField(max_length=200, blank=True)
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("created_at", "id")
        constraints = [models.UniqueConstraint(fields=("ticket", "email"), name="unique_cc_per_ticket")]
        verbose_name = _("CC")
        verbose_name_plural = _("CCs")

    def __str__(self) -> str:
        return self.email


class Macro(models.Model):
    """A canned reply: text with placeholders, and fields it may set on the ticket."""

    title = models.CharField(_("title"), max_length=120)
    body = models.TextField(
        _("text"),
        help_text=_(
            "Placeholders: {requester_name}, {ticket_reference}, {ticket_subject}, {agent_name}. "
            "Inserted when the ticket's language has no text of its own below."
        ),
    )
    # The versions inserted in a French or an English ticket (comptoir.workspace.macros).
    body_fr = models.TextField(_("French text"), blank=True)
    body_en = models.TextField(_("English text"), blank=True)
    status = models.CharField(_("sets status"), max_length=10, choices=Status.choices, blank=True)
    priority = models.CharField(_("sets priority"), max_length=10, choices=Priority.choices, blank=True)
    type = models.CharField(_("sets type"), max_length=20, choices=TicketType.choices, blank=True)
    add_tags = models.CharField(
        _("adds tags"), max_length=200, blank=True, help_text=_("Separated by spaces, as on the ticket page.")
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ("title",)
        verbose_name = _("canned reply")
        verbose_name_plural = _("canned replies")

    def __str__(self) -> str:
        return self.title


class Survey(models.Model):
    """The satisfaction survey of one resolution; its link's token is stored hashed."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="surveys")
    token_hash = models.CharField(max_length=64, unique=True, null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    rating = models.PositiveSmallIntegerField(null=True, blank=True)
    comment = models.TextField(blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    # Set when the ticket is reopened: that resolution is no longer the one to rate.
    withdrawn_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("created_at", "id")
        verbose_name = _("satisfaction survey")
        verbose_name_plural = _("satisfaction surveys")

    def __str__(self) -> str:
        return f"survey {self.pk} on ticket {self.ticket_id}"


class TicketPresence(models.Model):
    """Which agent has the ticket open, and whether they are typing, as of seen_at."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="presences")
    agent = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    seen_at = models.DateTimeField()
    composing = models.BooleanField(default=False)

    class Meta:
        constraints = [models.UniqueConstraint(fields=("ticket", "agent"), name="one_presence_per_agent")]
        verbose_name = _("agent on a ticket")
        verbose_name_plural = _("agents on tickets")

    def __str__(self) -> str:
        return f"agent {self.agent_id} on ticket {self.ticket_id}"


class SenderBlock(models.Model):
    """An address, or a whole domain ("@example.com"), whose new tickets are refused (comptoir.tickets.blocks)."""

    pattern = models.CharField(_("address or @domain"), max_length=254, unique=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # The ticket marked as spam that led to the block, by its number (the ticket may be deleted since).
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("pattern",)
        verbose_name = _("blocked sender")
        verbose_name_plural = _("blocked senders")

    def __str__(self) -> str:
        return self.pattern

    def clean(self) -> None:
        # As comptoir.tickets.blocks compares them: lower case, an address or "@domain".
        self.pattern = self.pattern.strip().lower()
        if "@" not in self.pattern or self.pattern.endswith("@"):
            raise ValidationError({"pattern": _("Enter an address (claire@example.org) or a domain (@example.org).")})


class DeletedTicket(models.Model):
    """What is left of a ticket an admin deleted: that it existed, what it was, who deleted it and when."""

    reference = models.PositiveIntegerField(_("number"), db_index=True)
    subject = models.CharField(_("subject"), max_length=200)
    # Replaced like every other mention of the person when they are erased (comptoir.portal.erasure).
    requester_email = models.CharField(_("requester"), max_length=254)
    message_count = models.PositiveIntegerField(_("messages"))
    deleted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name=_("deleted by")
    )
    deleted_at = models.DateTimeField(_("deleted at"), auto_now_add=True)

    class Meta:
        ordering = ("-deleted_at",)
        verbose_name = _("deleted ticket")
        verbose_name_plural = _("deleted tickets")

    def __str__(self) -> str:
        return f"#{self.reference} {self.subject}"
