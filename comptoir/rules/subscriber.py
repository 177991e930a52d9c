"""Triggers as a subscriber of the event backbone: each change of a ticket runs the rules listening to it."""

from __future__ import annotations

from uuid import UUID

from comptoir.events.registry import subscribe
from comptoir.rules.engine import RULE_KINDS, rules_run


@subscribe("rules", kinds=RULE_KINDS)
def rules_follow(change: UUID) -> None:
    # The dispatcher runs this in the transaction that marks the change done, one change of a
    # ticket at a time and in order: what the rules write and the RuleRuns saying so commit
    # together, or not at all and the change is handed over again.
    rules_run(change)
