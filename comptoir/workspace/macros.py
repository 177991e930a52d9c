"""Canned replies filled in for one ticket: placeholders are replaced on the server."""

from __future__ import annotations

import string
from collections.abc import Iterable
from dataclasses import dataclass

from comptoir.accounts.models import User
from comptoir.tickets.models import Macro, Ticket


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
