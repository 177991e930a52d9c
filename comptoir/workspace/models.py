"""Saved views: a list's filters, search and sort kept under a name, for one agent, a group or everyone."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from comptoir.accounts.models import Role, User
from comptoir.tickets.models import SupportGroup
from comptoir.workspace.selectors import VIEWS


class Visibility(models.TextChoices):
    PERSONAL = "personal", _("Only me")
    GROUP = "group", _("A group")
    EVERYONE = "everyone", _("Every agent")


class SavedView(models.Model):
    """A list kept under a name. The team's views of old ("Unassigned"...) are shared views too, which admins edit.

    Those carry the ``key`` of the view they began as (comptoir.workspace.selectors.VIEWS)
    and no owner; their name, until an admin gives one, is that view's label in
    the reader's language.
    """

    name = models.CharField(_("name"), max_length=80, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_views", null=True, blank=True
    )
    key = models.CharField(_("built-in view"), max_length=20, blank=True, default="")
    visibility = models.CharField(_("shown to"), max_length=10, choices=Visibility.choices, default=Visibility.PERSONAL)
    group = models.ForeignKey(
        SupportGroup, on_delete=models.CASCADE, null=True, blank=True, related_name="+", verbose_name=_("group")
    )
    # The list's address parameters (view, q, status, assignee, group, type, priority, sort), URL-encoded:
    # a saved view is the list as it was, read by the same code (comptoir.workspace.listing).
    params = models.CharField(max_length=2000)
    # Views are shown in this order, then by name; agents move them up and down by hand.
    position = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("position", "name", "id")
        constraints = [
            models.CheckConstraint(
                condition=Q(visibility="group", group__isnull=False) | ~Q(visibility="group"),
                name="saved_view_group_has_a_group",
            ),
            models.UniqueConstraint(fields=["key"], condition=~Q(key=""), name="saved_view_one_per_built_in_view"),
            # A view nobody owns is the team's: shared, never one person's.
            models.CheckConstraint(
                condition=Q(owner__isnull=False) | ~Q(visibility="personal"), name="saved_view_personal_has_an_owner"
            ),
        ]
        verbose_name = _("saved view")
        verbose_name_plural = _("saved views")

    def __str__(self) -> str:
        return str(self.label)

    @property
    def label(self) -> str:
        """Its name, or the built-in view's label in the reader's language."""
        if self.name or not self.key:
            return self.name
        return str(next((view.label for view in VIEWS if view.key == self.key), self.key))

    @property
    def plain_built_in(self) -> bool:
        """A built-in view as it began (no admin changed its filters): its address is the view's own, ?view=key."""
        return bool(self.key) and self.params == f"view={self.key}"

    def editable_by(self, user: User) -> bool:
        """Its owner changes it; admins change shared views too."""
        return self.owner_id == user.pk or (self.visibility != Visibility.PERSONAL and user.role == Role.ADMIN)


def views_for(agent: User) -> models.QuerySet[SavedView]:
    """The saved views an agent sees: their own, their groups', everyone's."""
    return SavedView.objects.filter(
        Q(owner=agent) | Q(visibility=Visibility.EVERYONE) | Q(visibility=Visibility.GROUP, group__members=agent)
    ).distinct()


class JobState(models.TextChoices):
    QUEUED = "queued", _("Waiting to start")
    RUNNING = "running", _("Under way")
    DONE = "done", _("Done")


class BulkJob(models.Model):
    """A bulk change over every ticket of a list ("select all N matching"), run by a worker in chunks.

    The tickets are the ones the list held when the agent asked (``ticket_ids``):
    a ticket that joins the list afterwards is not changed behind the agent's
    back. ``done`` says how far the worker got, so a job a dead worker left
    half-way resumes where it stopped, and the page shows the progress.
    """

    agent = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="bulk_jobs")
    # The panel's action ("", "spam", "macro") and its fields as posted: each chunk is the same form, re-read.
    action = models.CharField(max_length=10, blank=True)
    fields = models.JSONField(default=dict)
    ticket_ids = models.JSONField(default=list)
    done = models.PositiveIntegerField(default=0)
    changed = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    # [ticket id, Refusal] pairs, as BulkOutcome.refused.
    refused = models.JSONField(default=list)
    # Where the agent goes back to: the list they acted on.
    back = models.CharField(max_length=2000, blank=True)
    state = models.CharField(max_length=10, choices=JobState.choices, default=JobState.QUEUED)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("bulk change")
        verbose_name_plural = _("bulk changes")

    def __str__(self) -> str:
        return f"{self.action or 'update'} on {self.total} tickets ({self.state})"

    @property
    def total(self) -> int:
        return len(self.ticket_ids)


def built_in_views_restore() -> int:
    """Put back the built-in views that are missing (an admin deleted one; a test flushed them), as they began.

    The others are left as they are. Returns how many were put back.
    """
    present = set(SavedView.objects.exclude(key="").values_list("key", flat=True))
    missing = [
        SavedView(key=view.key, visibility=Visibility.EVERYONE, params=f"view={view.key}", position=position)
        for position, view in enumerate(VIEWS)
        if view.key not in present
    ]
    SavedView.objects.bulk_create(missing)
    return len(missing)
