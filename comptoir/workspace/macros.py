"""Canned replies: filled in for one ticket (placeholders replaced on the server), and applied to many."""

from __future__ import annotations

import string
from collections.abc import Collection, Iterable
from dataclasses import dataclass

from comptoir.accounts.models import User
from comptoir.tickets import services
from comptoir.tickets.models import Macro, Ticket
from comptoir.tickets.statuses import AGENT_SUBMIT_STATUSES
from comptoir.tickets.tags import tag_names


@dataclass(frozen=True)
class MacroEntry:
    macro: Macro
    text: str


class _Placeholders(dict[str, str]):
    def __missing__(self, key: str) -> str:
        # An unknown or misspelt placeholder stays visible for the agent to fix.
        return "{" + key + "}"


_FORMATTER = string.Formatter()


def macro_body(macro: Macro, language: str) -> str:
    """The text in the ticket's language when the canned reply has one, else its own text."""
    translated = {"fr": macro.body_fr, "en": macro.body_en}.get(language, "")
    return translated if translated.strip() else macro.body


def macro_text(macro: Macro, ticket: Ticket, agent: User) -> str:
    values = _Placeholders(
        requester_name=ticket.requester.name or ticket.requester.email,
        ticket_reference=f"#{ticket.reference}",
        ticket_subject=ticket.subject,
        agent_name=agent.get_short_name(),
    )
    try:
        # Only plain {name} fields: format_map would also evaluate {name.attr} and {name[0]}.
        parts = []
        body = macro_body(macro, ticket.language)
        for literal, field, _spec, _conversion in _FORMATTER.parse(body):
            parts.append(literal)
            if field is not None:
                parts.append(values[field] if field.isidentifier() else "{" + field + "}")
        return "".join(parts)
    except ValueError:
        # Unbalanced braces: show the text as written.
        return macro_body(macro, ticket.language)


def macro_entries(macros: Iterable[Macro], ticket: Ticket, agent: User) -> list[MacroEntry]:
    return [MacroEntry(macro, macro_text(macro, ticket, agent)) for macro in macros]


def macro_changes(macro: Macro) -> tuple[services.PropertyChanges, str | None]:
    """What the canned reply sets besides its text: its fields, its tags, and the status to submit as.

    As the ticket page fills them in when the agent inserts it (comptoir/static/comptoir/agent.js):
    a field only when the canned reply sets one, tags added to the ticket's, and a status only
    when the page has a "Submit as" button for it; otherwise the plain submit (new becomes open).
    """
    changes = services.PropertyChanges(
        priority=macro.priority or None, ticket_type=macro.type or None, add_tags=tag_names(macro.add_tags)
    )
    return changes, macro.status if macro.status in AGENT_SUBMIT_STATUSES else None


def tickets_apply_macro(
    ticket_ids: Collection[int], *, macro: Macro, agent: User, is_public: bool
) -> services.BulkOutcome:
    """Apply the canned reply on each ticket and submit, as on its page, in one batched write.

    Each ticket gets the text in its language, filled in for it, as a public
    reply or an internal note, and what the canned reply sets; closed, merged
    and spam tickets are refused (``services.tickets_submit_in_bulk``).
    """
    changes, status = macro_changes(macro)
    return services.tickets_submit_in_bulk(
        ticket_ids,
        agent=agent,
        body=lambda ticket: macro_text(macro, ticket, agent),
        is_public=is_public,
        changes=changes,
        status=status,
    )
