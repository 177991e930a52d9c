"""Saved views: a list's filters, search and sort kept under a name, for one agent, a group or everyone."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from comptoir.accounts.models import Role, User
from comptoir.tickets.models import SupportGroup


class Visibility(models.TextChoices):
    PERSONAL = "personal", _("Only me")
    GROUP = "group", _("A group")
    EVERYONE = "everyone", _("Every agent")


class SavedView(models.Model):
    name = models.CharField(_("name"), max_length=80)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_views")
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
            )
        ]
        verbose_name = _("saved view")
        verbose_name_plural = _("saved views")

    def __str__(self) -> str:
        return self.name

    def editable_by(self, user: User) -> bool:
        """Its owner changes it; admins change shared views too."""
        return self.owner_id == user.pk or (self.visibility != Visibility.PERSONAL and user.role == Role.ADMIN)


def views_for(agent: User) -> models.QuerySet[SavedView]:
    """The saved views an agent sees: their own, their groups', everyone's."""
    return SavedView.objects.filter(
        Q(owner=agent) | Q(visibility=Visibility.EVERYONE) | Q(visibility=Visibility.GROUP, group__members=agent)
    ).distinct()
