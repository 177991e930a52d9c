"""The list page's forms as HTML, written once per everything they show and kept by the process.

The filters' six selects (every agent and group an option) and the save form's
fields cost the page more than its rows: a bound form's fields, their widgets
and labels, some two thousand calls. What each shows depends on the language,
the team (the agents and groups offered), the values chosen and, for the save
form, the views it offers to replace and whether the agent is an admin: the
key holds each, and the form is built only when a key is first seen
(comptoir.workspace.shell.kept_html).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.http import QueryDict
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.safestring import SafeString

from comptoir.accounts.models import User
from comptoir.tickets.models import SupportGroup
from comptoir.workspace.forms import SavedViewForm, TicketFilterForm
from comptoir.workspace.models import SavedView
from comptoir.workspace.shell import kept_html

# The agents and groups a form offers, as their options show them: (pk, name) each.
Team = tuple[tuple[tuple[int, str], ...], tuple[tuple[int, str], ...]]


def team_of(agents: Sequence[User], groups: Sequence[SupportGroup]) -> Team:
    return tuple((each.pk, each.get_full_name()) for each in agents), tuple((group.pk, group.name) for group in groups)


def filter_fields_html(filters: TicketFilterForm, params: QueryDict, team: Team) -> SafeString:
    """The filters' fields (workspace/_list_filter_fields.html) as ``filters``, bound to ``params``, shows them."""
    # A select shows the last value the address gives for its name (Select.value_from_datadict reads data.get).
    chosen = tuple(params.get(name) for name in filters.fields)
    key = ("filter fields", translation.get_language(), team, chosen)
    html = kept_html(key, lambda: render_to_string("workspace/_list_filter_fields.html", {"filters": filters}))
    return SafeString(html)  # rendered by the template, which escaped every value


def save_fields_html(
    *, replaceable: Sequence[SavedView], groups: list[SupportGroup], is_admin: bool, team: Team
) -> SafeString:
    """The save form's fields (workspace/_save_view_fields.html): unbound, the views ``replaceable`` offered."""
    offered = tuple((view.pk, str(view.label)) for view in replaceable)
    key = ("save fields", translation.get_language(), team, offered, is_admin)

    def render() -> str:
        form = SavedViewForm(groups=groups, replaceable=replaceable, auto_id="save-%s")
        context: dict[str, Any] = {"save_form": form, "is_admin": is_admin}
        return render_to_string("workspace/_save_view_fields.html", context)

    return SafeString(kept_html(key, render))  # rendered by the template, which escaped every value
