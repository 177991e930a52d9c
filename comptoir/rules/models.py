"""Rules admins write, and what each did (or why it did not) on each ticket."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from comptoir.tickets.models import Status, SupportGroup, Ticket, TicketEvent


class RuleKind(models.TextChoices):
    TRIGGER = "trigger", _("Trigger (runs on ticket events)")
    # Run every few minutes by comptoir.rules.automations on the tickets its time conditions select.
    AUTOMATION = "automation", _("Automation (runs on time)")


class Trigger(models.TextChoices):
    """The ticket events a trigger runs on (comptoir.rules.engine maps them to the history's event kinds)."""

    CREATED = "created", _("Ticket created")
    UPDATED = "updated", _("Ticket updated")
    REQUESTER_MESSAGE = "requester_message", _("Message from the requester")
    AGENT_MESSAGE = "agent_message", _("Message from an agent")
    STATUS_CHANGED = "status_changed", _("Status changed")
    SLA_WARNING = "sla_warning", _("Service level due soon")
    SLA_BREACH = "sla_breach", _("Service level breached")


class Match(models.TextChoices):
    ALL = "all", _("All conditions")
    ANY = "any", _("Any condition")


class Rule(models.Model):
    """Conditions on a ticket and the actions taken when they hold; see comptoir.rules.conditions and .actions."""

    name = models.CharField(_("name"), max_length=120)
    active = models.BooleanField(_("active"), default=True)
    position = models.PositiveIntegerField(_("position"), default=0, help_text=_("Lower runs first."))
    kind = models.CharField(_("kind"), max_length=12, choices=RuleKind.choices, default=RuleKind.TRIGGER)
    # Trigger values (a JSON list): the events the rule runs on.
    events = models.JSONField(_("events"), default=list, blank=True)
    match = models.CharField(_("match"), max_length=3, choices=Match.choices, default=Match.ALL)
    # [{"field": "subject", "operator": "contains", "value": "facture"}, ...]
    conditions = models.JSONField(_("conditions"), default=list, blank=True)
    # [{"action": "set_group", "value": 3}, {"action": "add_tags", "value": "billing"}, ...]
    actions = models.JSONField(_("actions"), default=list)
    # Which of Comptoir's default rules this is (comptoir.rules.defaults), empty for an admin's own:
    # admins change and turn off a default rule like any other, but do not delete it.
    built_in = models.CharField(_("default rule"), max_length=40, blank=True, default="", editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ("position", "id")
        verbose_name = _("rule")
        verbose_name_plural = _("rules")
        indexes = [models.Index(fields=("kind", "position", "id"), condition=models.Q(active=True), name="rule_active")]
        constraints = [
            models.UniqueConstraint(fields=("built_in",), condition=~models.Q(built_in=""), name="rule_built_in_once")
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        from comptoir.rules.validation import rule_validate  # validation reads this module's choices

        rule_validate(self)


class Outcome(models.TextChoices):
    FIRED = "fired", _("Fired")
    # Only the latest evaluation of each rule on each ticket is kept (comptoir.rules.engine).
    NOT_FIRED = "not_fired", _("Did not fire")
    # The chain guard held it back: it fired already in this chain, or the chain is too deep.
    STOPPED = "stopped", _("Stopped by the chain guard")


class RunWarning(models.TextChoices):
    """What an admin should know about a run; stored as a code, shown in the reader's language."""

    NOTHING_TO_CHANGE = "nothing_to_change", _("It matched, but the ticket was already as it sets it.")
    ALREADY_FIRED = (
        "already_fired",
        _("It fired already in this chain and would change the ticket again: another rule undoes what it does."),
    )
    TOO_DEEP = "too_deep", _("The chain of changes rules set off one another is too long; it was stopped here.")
    GROUP_GONE = "group_gone", _("The group it sets no longer exists.")
    AGENT_GONE = "agent_gone", _("The agent it assigns is no longer an active agent.")
    REFUSED = "refused", _("The ticket could not be changed (closed, merged or spam).")
    # Its e-mail or notice found nobody to tell; its other actions went ahead.
    NO_ASSIGNEE = "no_assignee", _("The ticket has no assignee to tell (or they are no longer an active agent).")
    NO_GROUP = "no_group", _("The ticket has no group whose agents it could tell.")
    GROUP_EMPTY = "group_empty", _("The ticket's group has no active agent to tell.")
    TOLD_AGENT_GONE = "told_agent_gone", _("The agent it tells is no longer an active agent.")
    WEBHOOK_GONE = "webhook_gone", _("The webhook it calls is disabled or no longer exists.")
    # A ticket field a condition reads or an action sets was deleted (comptoir.ticketforms); the others went ahead.
    FIELD_GONE = "field_gone", _("A ticket field it reads or sets no longer exists.")
    # Its "set status: solved" was skipped (comptoir.tickets.solve_guards); its other actions went ahead.
    SOLVE_HELD = "solve_held", _("It could not solve the ticket: a field required to solve is empty.")


class RuleRun(models.Model):
    """One evaluation of a rule on a ticket: what it changed, or why it did not fire."""

    rule = models.ForeignKey(Rule, on_delete=models.CASCADE, related_name="runs", verbose_name=_("rule"))
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="+", verbose_name=_("ticket"))
    # The first event of the change the rule ran on.
    event = models.ForeignKey(
        TicketEvent, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("event")
    )
    change = models.UUIDField(_("change"))
    # The change that started the chain (a person's or a job's write), and how many rule writes deep this one is.
    chain = models.UUIDField(_("chain"))
    depth = models.PositiveSmallIntegerField(_("depth"), default=0)
    outcome = models.CharField(_("outcome"), max_length=10, choices=Outcome.choices)
    # Fired: {"priority": ["normal", "high"], "tags_added": ["billing"], ...}
    changes = models.JSONField(_("changes"), default=dict, blank=True)
    # Not fired: the first condition that failed (null: it matched, but there was nothing to change).
    failed_condition = models.JSONField(_("first failed condition"), null=True, blank=True)
    warning = models.CharField(_("warning"), max_length=20, choices=RunWarning.choices, blank=True)
    # Fired: the change its actions wrote, so that the rules it sets off know their chain.
    produced_change = models.UUIDField(_("change written"), null=True, blank=True, unique=True)
    # Automations: the start of the period it fired in (the latest of the times its conditions measure
    # from: when the status began, the last message...). It fires once per period (comptoir.rules.automations).
    period = models.DateTimeField(_("period"), null=True, blank=True)
    # Automations, when a condition read on the ticket (its subject, its latest message) failed: the ticket's
    # updated_at then. The ticket is not read again in this period until it changes (comptoir.rules.automations).
    checked_version = models.DateTimeField(_("ticket version checked"), null=True, blank=True)
    created_at = models.DateTimeField(_("when"), auto_now_add=True)

    class Meta:
        ordering = ("-created_at", "-id")
        verbose_name = _("rule run")
        verbose_name_plural = _("rule runs")
        constraints = [
            # A rule fires at most once per ticket per chain, whatever the workers do.
            models.UniqueConstraint(
                fields=("rule", "chain"), condition=models.Q(outcome="fired"), name="rule_fires_once_per_chain"
            ),
            models.UniqueConstraint(
                fields=("rule", "ticket"), condition=models.Q(outcome="not_fired"), name="rule_last_miss_per_ticket"
            ),
            # An automation fires at most once per ticket per period, whatever the workers do.
            models.UniqueConstraint(
                fields=("rule", "ticket", "period"),
                condition=models.Q(outcome="fired", period__isnull=False),
                name="automation_fires_once_per_period",
            ),
        ]
        indexes = [
            models.Index(fields=("ticket", "chain"), name="rulerun_ticket_chain"),
            models.Index(fields=("rule", "ticket", "-created_at"), name="rulerun_rule_ticket"),
        ]

    def __str__(self) -> str:
        return f"{self.rule_id} on ticket {self.ticket_id}: {self.outcome}"


# The statuses whose tickets automations may still act on (closed is final).
_CLOCKED = ~models.Q(status=Status.CLOSED)


class TicketClock(models.Model):
    """When a ticket's status began and its latest messages were written: what automations measure time from.

    Kept by the rules subscriber from each change of the ticket (comptoir.rules.engine.clock_follow), so that
    the automations job finds "pending for 3 days" by a range scan of an index, not by reading every ticket.
    """

    ticket = models.OneToOneField(
        Ticket, on_delete=models.CASCADE, primary_key=True, related_name="rules_clock", verbose_name=_("ticket")
    )
    # The status the clock measures: when it differs from the ticket's, the change is not handed over yet.
    status = models.CharField(_("status"), max_length=10, choices=Status.choices)
    status_since = models.DateTimeField(_("in this status since"))
    # The requester's latest message (not a robot's), and the latest public reply a person on the team wrote.
    requester_message_at = models.DateTimeField(_("last message from the requester"), null=True, blank=True)
    agent_message_at = models.DateTimeField(_("last reply from an agent"), null=True, blank=True)

    class Meta:
        verbose_name = _("ticket clock")
        verbose_name_plural = _("ticket clocks")
        indexes = [
            models.Index(fields=("status", "status_since"), condition=_CLOCKED, name="clock_status_since"),
            models.Index(fields=("requester_message_at",), condition=_CLOCKED, name="clock_requester_message"),
            models.Index(fields=("agent_message_at",), condition=_CLOCKED, name="clock_agent_message"),
        ]

    def __str__(self) -> str:
        return f"clock of ticket {self.ticket_id}"


class GroupTurn(models.Model):
    """Round-robin: the member of a group who got its last ticket (comptoir.rules.assignment)."""

    group = models.OneToOneField(SupportGroup, on_delete=models.CASCADE, primary_key=True, related_name="+")
    last_assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    def __str__(self) -> str:
        return f"turn of group {self.group_id}"
