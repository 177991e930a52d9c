from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from comptoir.accounts.models import User
from comptoir.core.widgets import PlainSelect
from comptoir.tickets.forms import AttachmentsField
from comptoir.tickets.models import Priority, Status, SupportGroup, TicketType
from comptoir.tickets.statuses import AGENT_SUBMIT_STATUSES

NOBODY = "none"


def _with_blank(choices: list[tuple[str, Any]], blank: Any) -> list[tuple[str, Any]]:
    return [("", blank), *choices]


class TicketFilterForm(forms.Form):
    """The list's filters (GET). Invalid values are ignored rather than shown as errors."""

    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=_with_blank(Status.choices, _("Any")), widget=PlainSelect
    )
    assignee = forms.ChoiceField(label=_("Assignee"), required=False, widget=PlainSelect)
    group = forms.ChoiceField(label=_("Group"), required=False, widget=PlainSelect)
    type = forms.ChoiceField(
        label=_("Type"), required=False, choices=_with_blank(TicketType.choices, _("Any")), widget=PlainSelect
    )
    priority = forms.ChoiceField(
        label=_("Priority"), required=False, choices=_with_blank(Priority.choices, _("Any")), widget=PlainSelect
    )
    sort = forms.ChoiceField(
        label=_("Sort by"),
        required=False,
        widget=PlainSelect,
        choices=[
            ("-updated", _("Last update, newest first")),
            ("updated", _("Last update, oldest first")),
            ("-created", _("Created, newest first")),
            ("created", _("Created, oldest first")),
            ("-priority", _("Priority, highest first")),
        ],
    )

    def __init__(self, *args: Any, agents: list[User], groups: list[SupportGroup], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        agent_choices = [(str(agent.pk), agent.get_full_name()) for agent in agents]
        self.fields["assignee"].choices = [("", _("Anyone")), (NOBODY, _("Nobody")), *agent_choices]  # type: ignore[attr-defined]
        self.fields["group"].choices = [("", _("Any")), *[(str(g.pk), g.name) for g in groups]]  # type: ignore[attr-defined]

    def queryset_filters(self) -> dict[str, object]:
        if not self.is_valid():
            return {}
        data = self.cleaned_data
        filters: dict[str, object] = {
            "status": data["status"] or None,
            "type": data["type"] or None,
            "priority": data["priority"] or None,
            "group_id": int(data["group"]) if data["group"] else None,
        }
        if data["assignee"] == NOBODY:
            filters["assignee__isnull"] = True
        elif data["assignee"]:
            filters["assignee_id"] = int(data["assignee"])
        return filters

    def ordering(self) -> str:
        return (self.cleaned_data.get("sort") if self.is_valid() else "") or "-updated"


class AgentChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.get_full_name())


FORM_ID = "agent-update"
PROPERTY_FIELDS = ("priority", "type", "assignee", "group")


class AgentUpdateForm(forms.Form):
    """One submit: a public reply or an internal note, field changes, and the status to submit as."""

    visibility = forms.ChoiceField(
        label=_("Message type"),
        choices=[("public", _("Public reply")), ("note", _("Internal note"))],
        initial="public",
        widget=forms.RadioSelect,
    )
    body = forms.CharField(
        label=_("Message"), required=False, max_length=50_000, widget=forms.Textarea(attrs={"rows": 7})
    )
    attachments = AttachmentsField(label=_("Attach files"))
    status = forms.ChoiceField(
        required=False, choices=[("", "-"), *[(s.value, s.label) for s in AGENT_SUBMIT_STATUSES]]
    )
    # Not required: a closed ticket's page does not send them (only notes are allowed).
    priority = forms.ChoiceField(label=_("Priority"), choices=Priority.choices, required=False)
    type = forms.ChoiceField(label=_("Type"), choices=TicketType.choices, required=False)
    assignee = AgentChoiceField(
        label=_("Assignee"), queryset=User.objects.none(), required=False, empty_label=_("Nobody")
    )
    group = forms.ModelChoiceField(
        label=_("Group"), queryset=SupportGroup.objects.none(), required=False, empty_label=_("No group")
    )

    def __init__(self, *args: Any, agents: QuerySet[User], groups: QuerySet[SupportGroup], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = agents  # type: ignore[attr-defined]
        self.fields["group"].queryset = groups  # type: ignore[attr-defined]
        for name in PROPERTY_FIELDS:
            # Shown in the sidebar, outside the <form> element, yet sent with it.
            self.fields[name].widget.attrs["form"] = FORM_ID

    def property_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in PROPERTY_FIELDS]

    def property_changes(self) -> dict[str, Any]:
        """The ticket fields this submit changes: sent with the form and different from the ticket's.

        A closed ticket's page sends none of them, and a page left open while
        the ticket was closed sends them unchanged: either way only a note is
        written, and anything more is refused by the service (TicketClosed).
        """
        return {
            name: self.cleaned_data[name] for name in PROPERTY_FIELDS if name in self.data and name in self.changed_data
        }

    @property
    def is_public(self) -> bool:
        return bool(self.cleaned_data.get("visibility") == "public")


class PresenceForm(forms.Form):
    composing = forms.BooleanField(required=False)


class CCForm(forms.Form):
    email = forms.EmailField(label=_("E-mail address"), max_length=254)
    name = forms.CharField(label=_("Name"), max_length=200, required=False)
