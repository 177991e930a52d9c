"""What agents are told about tickets, in the workspace and by e-mail, and what each of them chose to hear."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class NoticeKind(models.TextChoices):
    NEW_IN_GROUP = "new_in_group", _("A ticket comes into one of my groups")
    ASSIGNED = "assigned", _("A ticket is assigned to me")
    REPLY = "reply", _("The requester replies on a ticket assigned to me or that I follow")
    MENTION = "mention", _("Someone mentions me (@name) in an internal note")
    SLA_WARNING = "sla_warning", _("A ticket assigned to me (or unassigned in my group) is due soon")
    SLA_BREACH = (
        "sla_breach",
        _(
            "A ticket assigned to me or in a group I lead (or belong to, when it has no lead) "
            "breached its service level"
        ),
    )
    # A business rule's notify_agents action (comptoir.rules.actions), with the rule's name and message.
    RULE = "rule", _("A business rule asks me to look at a ticket")


# (in the workspace, by e-mail) when the agent chose nothing: a group's new tickets are many.
DEFAULTS: dict[str, tuple[bool, bool]] = {
    NoticeKind.NEW_IN_GROUP: (True, False),
    NoticeKind.ASSIGNED: (True, True),
    NoticeKind.REPLY: (True, True),
    NoticeKind.MENTION: (True, True),
    # A warning is a nudge in the workspace; a breach is worth an e-mail.
    NoticeKind.SLA_WARNING: (True, False),
    NoticeKind.SLA_BREACH: (True, True),
    # An admin wrote the rule to have someone look: told as for an assignment.
    NoticeKind.RULE: (True, True),
}


class AgentNotice(models.Model):
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notices")
    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=20, choices=NoticeKind.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    # A business rule's notice (NoticeKind.RULE): the rule's name when it fired, and its words for the agents.
    rule_name = models.CharField(max_length=120, blank=True)
    note = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # Read when the agent opens the ticket, or marks every notice read.
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("-created_at", "-id")
        indexes = [models.Index(fields=("recipient", "read_at", "-created_at"), name="notice_recipient_unread")]

    def __str__(self) -> str:
        return f"{self.kind} for {self.recipient_id} on ticket {self.ticket_id}"


class NoticeSetting(models.Model):
    """An agent's choice for one kind of notice; without a row, DEFAULTS apply."""

    agent = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=20, choices=NoticeKind.choices)
    in_workspace = models.BooleanField()
    by_email = models.BooleanField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=("agent", "kind"), name="one_setting_per_kind")]

    def __str__(self) -> str:
        return f"{self.kind} for {self.agent_id}"
