"""The status rules, in one place, and what each status means in plain words.

- new: just created; becomes open when an agent first acts on it.
- open: an agent is working on it.
- pending: the agent waits for the requester; on-hold: waiting for a third party.
- A requester's reply moves pending, on-hold and solved back to open.
- solved: closed by time, by the default automation "Close tickets solved for N days" (comptoir.rules.defaults).
- closed is final: a requester's reply opens a linked follow-up ticket.

The services in tickets.services apply these rules; nothing else sets a status.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from comptoir.tickets.models import ACTIVE, Status

# A requester's reply brings these back to an agent's attention.
REOPENED_BY_REQUESTER = frozenset({Status.PENDING, Status.ON_HOLD, Status.SOLVED})

# The statuses an agent submits as ("Submit as pending"...). New is where a
# ticket starts and closed is reached only by time.
AGENT_SUBMIT_STATUSES = (Status.OPEN, Status.PENDING, Status.ON_HOLD, Status.SOLVED)

# Tickets still waiting for work (the workspace's default views).
ACTIVE_STATUSES = ACTIVE


def status_after_agent_action(current: str, chosen: str | None) -> str:
    """The status after an agent acts: the one chosen, else new becomes open."""
    if current == Status.CLOSED:
        return current
    if chosen is not None:
        if chosen not in AGENT_SUBMIT_STATUSES:
            raise ValueError(f"agents cannot set the status {chosen!r}")
        return chosen
    return Status.OPEN if current == Status.NEW else current


@dataclass(frozen=True)
class StatusHelp:
    meaning: str | Promise
    next_step: str | Promise


REQUESTER_HELP: dict[str, StatusHelp] = {
    Status.NEW: StatusHelp(
        _("We have received your request and it is waiting for an agent."),
        _("An agent will read it and answer you by e-mail and on this page."),
    ),
    Status.OPEN: StatusHelp(
        _("An agent is working on your request."),
        _("You will get an answer here and by e-mail. You can add information at any time."),
    ),
    Status.PENDING: StatusHelp(
        _("We are waiting for your answer."),
        _("Please reply below or to our last e-mail so that we can continue."),
    ),
    Status.ON_HOLD: StatusHelp(
        _("We are waiting for a third party, such as a supplier or another team."),
        _("We will come back to you as soon as we hear from them."),
    ),
    Status.SOLVED: StatusHelp(
        _("We believe your request is solved."),
        _("If something is still wrong, reply below and the ticket will be opened again."),
    ),
    Status.CLOSED: StatusHelp(
        _("This request is closed."),
        _("If you reply, we will open a new ticket linked to this one."),
    ),
}

# The order in which the "My statuses" help page explains them: a ticket's life.
REQUESTER_HELP_ORDER = (Status.NEW, Status.OPEN, Status.PENDING, Status.ON_HOLD, Status.SOLVED, Status.CLOSED)

# What "My tickets" lists by default: everything not yet solved or closed.
DONE_STATUSES = (Status.SOLVED, Status.CLOSED)


def status_anchor(status: str) -> str:
    """The id of a status's explanation on the "My statuses" page (status-on-hold, status-pending...)."""
    return "status-" + status.replace("_", "-")
