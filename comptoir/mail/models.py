"""E-mail in both directions, kept so that nothing is lost.

Outbound: one row per e-mail to send, created in the same transaction as the
change that causes it, delivered by a Celery task. The raw token a link carries
is created at delivery time, so no secret of ours is written to this table;
account e-mails (a sign-in code, a password link: written by allauth, which
keeps no copy) carry their text here only until they leave, and no longer.

Inbound: the raw message is stored byte for byte before anything else, in file
storage under its SHA-256 (comptoir.mail.raw_store), and read back only if its
hash is still the row's.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _


class OutboundKind(models.TextChoices):
    TICKET_CREATED = "ticket_created", _("Ticket received")
    TICKET_LINK = "ticket_link", _("New ticket link")
    AGENT_REPLY = "agent_reply", _("Agent reply")
    AGENT_REPLY_CC = "agent_reply_cc", _("Agent reply (to a CC)")
    TICKET_SOLVED = "ticket_solved", _("Ticket solved")
    REQUESTER_REPLIED = "requester_replied", _("Requester replied (to the assignee)")
    CCS_ADDED = "ccs_added", _("People copied (to the requester)")
    # To agents, as each chose (comptoir.notifications).
    AGENT_ASSIGNED = "agent_assigned", _("Ticket assigned (to the agent)")
    AGENT_MENTIONED = "agent_mentioned", _("Mentioned in a note (to the agent)")
    AGENT_NEW_IN_GROUP = "agent_new_in_group", _("New ticket in a group (to its agents)")
    AGENT_SLA_WARNING = "agent_sla_warning", _("Service level due soon (to the agents)")
    AGENT_SLA_BREACH = "agent_sla_breach", _("Service level breached (to the agents)")
    # Written by a business rule (comptoir.rules): to the requester or an address it names, to agents,
    # and its notice to agents (comptoir.notifications). Their text is written before they are queued.
    RULE_EMAIL = "rule_email", _("E-mail from a business rule")
    RULE_EMAIL_AGENT = "rule_email_agent", _("E-mail from a business rule (to an agent)")
    AGENT_RULE_NOTICE = "agent_rule_notice", _("A business rule's notice (to the agents)")
    ACCOUNT = "account", _("Account e-mail (sign-in code, password)")
    # To a webhook's owner when it failed for a day and was disabled (comptoir.webhooks).
    WEBHOOK_DISABLED = "webhook_disabled", _("Webhook disabled (to its owner)")


class OutboundStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")
    # The receiving server reported it could not deliver (a bounce).
    BOUNCED = "bounced", _("Bounced")
    # Never sent: the address bounced recently, or a loop cap was reached.
    SUPPRESSED = "suppressed", _("Not sent")


class OutboundEmail(models.Model):
    kind = models.CharField(max_length=30, choices=OutboundKind.choices)
    ticket = models.ForeignKey(
        "tickets.Ticket", on_delete=models.CASCADE, null=True, blank=True, related_name="outbound_emails"
    )
    # The ticket message this e-mail carries, when it carries one.
    ticket_message = models.ForeignKey(
        "tickets.Message", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    to_address = models.EmailField()
    language = models.CharField(max_length=8)
    status = models.CharField(max_length=10, choices=OutboundStatus.choices, default=OutboundStatus.QUEUED)
    attempts = models.PositiveIntegerField(default=0)
    # The Message-ID we sent, so that replies (In-Reply-To/References) thread back.
    message_id = models.CharField(max_length=255, null=True, blank=True, unique=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    # After a failed attempt: not before this time (the back-off every worker respects).
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    # An e-mail written before it was queued (account e-mails, a business rule's); emptied once it left or was
    # given up.
    subject = models.CharField(max_length=255, blank=True)
    body_text = models.TextField(blank=True)
    body_html = models.TextField(blank=True)

    class Meta:
        indexes = [
            models.Index(fields=("status", "created_at")),
            # The loop caps count recent automatic e-mails per address and per ticket.
            models.Index(fields=("to_address", "created_at")),
        ]

    def __str__(self) -> str:
        return f"{self.kind} to {self.to_address} ({self.status})"


class InboundStatus(models.TextChoices):
    RECEIVED = "received", _("Received")
    PROCESSED = "processed", _("Processed")
    QUARANTINED = "quarantined", _("Quarantined")


class QuarantineKind(models.TextChoices):
    NO_SENDER = "no_sender", _("No usable sender address")
    OWN_ADDRESS = "own_address", _("Sent from our own address (a loop or a forgery)")
    FORGED = "forged", _("Forged ticket reference")
    STRANGER = "stranger", _("Sender not part of the ticket")
    AGENT = "agent", _("An agent answered by e-mail")
    AUTO_REPLY_CLOSED = "auto_reply_closed", _("Automatic reply to a closed ticket")
    UNKNOWN_BOUNCE = "unknown_bounce", _("Delivery report about none of our e-mails")
    TOO_SLOW = "too_slow", _("Took too long to read")
    # The From header reads as different senders to different programs (DMARC's among them).
    AMBIGUOUS_FROM = "ambiguous_from", _("Sender address that reads more than one way")
    # Someone copied on the ticket from an e-mail's headers writes for the first time.
    UNCONFIRMED_CC = "unconfirmed_cc", _("First message from someone copied by e-mail")
    # A reply that proves nothing, from a sender DMARC does not vouch for (COMPTOIR_UNVERIFIED_SENDERS).
    UNVERIFIED_SENDER = "unverified_sender", _("Sender could not be verified")
    # Over COMPTOIR_INBOUND_MAX_BYTES: only its header block is kept.
    TOO_LARGE = "too_large", _("Too large: only its header was kept")
    # Another message arrived first with the same Message-ID and other content.
    REUSED_MESSAGE_ID = "reused_message_id", _("Reuses the Message-ID of an earlier, different message")
    # An agent blocked the sender (or their domain) when marking one of their tickets as spam.
    BLOCKED_SENDER = "blocked_sender", _("Sender blocked as a spammer")
    FAILED = "failed", _("Could not be processed")


class InboundEmail(models.Model):
    # One message is ingested once: its Message-ID, or its hash when it has none.
    dedup_key = models.CharField(max_length=300, unique=True)
    # The SHA-256 of the stored bytes: it names their file, and every read checks it (comptoir.mail.raw_store).
    sha256 = models.CharField(max_length=64)
    # The bytes as received (or their header block, when too large), in file storage.
    # db_default: a node of the previous release, which knows no such column, can still insert rows.
    raw_file = models.FileField(max_length=200, blank=True, editable=False, db_default="")
    # Where the bytes were kept before 0016. Emptied by that migration; a node of the previous release still
    # writes here during a rolling upgrade, and raw_read still reads it. Dropped by the next release.
    legacy_raw = models.BinaryField(null=True, blank=True, editable=False, db_column="raw")
    size = models.PositiveBigIntegerField()
    source = models.CharField(max_length=20)
    status = models.CharField(max_length=12, choices=InboundStatus.choices, default=InboundStatus.RECEIVED)
    message_id = models.CharField(max_length=300, blank=True, db_index=True)
    from_address = models.CharField(max_length=320, blank=True)
    subject = models.CharField(max_length=998, blank=True)
    ticket = models.ForeignKey(
        "tickets.Ticket", on_delete=models.SET_NULL, null=True, blank=True, related_name="inbound_emails"
    )
    quarantine_kind = models.CharField(max_length=20, choices=QuarantineKind.choices, blank=True)
    # The technical detail behind the kind, for the agent who inspects it.
    quarantine_reason = models.TextField(blank=True)
    # The ticket a quarantined message seemed to answer: an agent may accept it there.
    candidate_ticket = models.ForeignKey(
        "tickets.Ticket", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # How the message found its ticket: reply address, references, subject tag, or none.
    matched_by = models.CharField(max_length=20, blank=True)
    # Who vouches for the From domain (comptoir.mail.authentication): RFC 8601
    # results, read from a trusted server's Authentication-Results or checked by
    # Comptoir ("comptoir" in verified_by), and why. Null: not checked.
    sender_verified = models.BooleanField(null=True, blank=True)
    spf_result = models.CharField(max_length=12, blank=True)
    dkim_result = models.CharField(max_length=12, blank=True)
    dmarc_result = models.CharField(max_length=12, blank=True)
    verified_by = models.CharField(max_length=255, blank=True)
    verification_reason = models.TextField(blank=True)
    received_at = models.DateTimeField(auto_now_add=True)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("-received_at",)
        indexes = [models.Index(fields=("status", "-received_at"))]

    def __str__(self) -> str:
        return f"inbound {self.pk} ({self.status})"

    @property
    def raw(self) -> bytes:
        """The stored bytes, checked against the hash: the same as comptoir.mail.raw_store.raw_read(self)."""
        from comptoir.mail.raw_store import raw_read

        return raw_read(self)


class EmailSuppression(models.Model):
    """An address that bounced for good: nothing is sent to it until the date passes."""

    email = models.EmailField(unique=True)
    reason = models.TextField(blank=True)
    until = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.email} suppressed until {self.until:%Y-%m-%d}"


class MailboxSecurity(models.TextChoices):
    TLS = "tls", _("TLS (implicit, usually port 993)")
    STARTTLS = "starttls", _("STARTTLS (usually port 143)")
    NONE = "none", _("None: plain text")


class AfterImport(models.TextChoices):
    SEEN = "seen", _("Mark as read (\\Seen)")
    MOVE = "move", _("Move to another folder")
    DELETE = "delete", _("Delete")


class Mailbox(models.Model):
    """An IMAP mailbox polled for new mail by comptoir.gateway.imap (docs/imap.md)."""

    # Each stored message is labelled "imap:<name>", which must fit InboundEmail.source (20 characters).
    name = models.SlugField(
        _("name"),
        max_length=15,
        unique=True,
        help_text=_("A short name such as support-fr, shown in logs and on stored mail."),
    )
    host = models.CharField(_("server"), max_length=255)
    port = models.PositiveIntegerField(_("port"), default=993, validators=[MaxValueValidator(65535)])
    security = models.CharField(
        _("security"),
        max_length=10,
        choices=MailboxSecurity.choices,
        default=MailboxSecurity.TLS,
        help_text=_(
            "The server certificate is always checked. “None” sends the password and the mail unencrypted "
            "and is refused unless “Allow insecure” is ticked."
        ),
    )
    allow_insecure = models.BooleanField(
        _("allow insecure"),
        default=False,
        help_text=_("Allow security “None”: only for a server on this machine or on a network you trust."),
    )
    username = models.CharField(_("user name"), max_length=255)
    password = models.CharField(
        _("password"),
        max_length=255,
        help_text=_(
            "Stored in the database as entered, because IMAP needs it to log in: protect database access and "
            "backups, and prefer an app password that can only read mail. Leave empty to keep the current one."
        ),
    )
    folder = models.CharField(_("folder"), max_length=255, default="INBOX")
    after_import = models.CharField(
        _("after import"),
        max_length=10,
        choices=AfterImport.choices,
        default=AfterImport.SEEN,
        help_text=_(
            "Done on the server once the message is stored in Comptoir. With “Mark as read”, only unread "
            "messages are fetched; with “Move” and “Delete”, every message in the folder is."
        ),
    )
    move_to = models.CharField(
        _("move to"),
        max_length=255,
        default="Comptoir/Imported",
        blank=True,
        help_text=_("The folder for “Move”, created if missing; separate levels with /."),
    )
    enabled = models.BooleanField(_("enabled"), default=True)
    trust_authentication_results = models.BooleanField(
        _("trust its Authentication-Results"),
        default=False,
        help_text=_(
            "Read the SPF, DKIM and DMARC results this server writes into each message, under the names listed "
            "in COMPTOIR_TRUSTED_AUTHSERV_IDS. Tick it only if the server removes such headers from the mail it "
            "receives; otherwise Comptoir checks DKIM itself."
        ),
    )
    consecutive_failures = models.PositiveIntegerField(_("consecutive failures"), default=0)
    paused_until = models.DateTimeField(
        _("paused until"),
        null=True,
        blank=True,
        help_text=_("After repeated failures, polling waits until then. Clear it to try again at once."),
    )
    last_error = models.TextField(_("last error"), blank=True)
    last_success_at = models.DateTimeField(_("last success"), null=True, blank=True)
    # The worker polling the mailbox holds it until then (comptoir.gateway.imap.mailbox_claim).
    # The claim expires so that a killed worker does not block the mailbox for ever.
    claimed_until = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ("name",)
        verbose_name = _("IMAP mailbox")
        verbose_name_plural = _("IMAP mailboxes")

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.security == MailboxSecurity.NONE and not self.allow_insecure:
            raise ValidationError(
                {"security": _("A plain-text connection is refused unless “Allow insecure” is ticked.")}
            )
        if self.after_import == AfterImport.MOVE and not self.move_to.strip():
            raise ValidationError({"move_to": _("Name the folder to move imported messages to.")})
        if self.trust_authentication_results and not settings.COMPTOIR_TRUSTED_AUTHSERV_IDS:
            raise ValidationError(
                {
                    "trust_authentication_results": _(
                        "List the server's authserv-id in COMPTOIR_TRUSTED_AUTHSERV_IDS first: "
                        "without it no result would be read."
                    )
                }
            )
