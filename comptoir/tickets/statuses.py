"""What each status means to the requester, in plain words."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from comptoir.tickets.models import Status


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
