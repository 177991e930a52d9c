"""Rules made as an admin would save them (validated), and a Billing group."""

from __future__ import annotations

from typing import Any

import pytest

from comptoir.rules.models import Rule
from comptoir.tickets.models import SupportGroup
from tests.ticketforms.fixtures import plan, plan_choices, seats  # noqa: F401 (fixtures for the tests here)


@pytest.fixture
def billing(db) -> SupportGroup:
    return SupportGroup.objects.create(name="Billing")


@pytest.fixture
def make_rule(db):
    def make(
        name: str,
        *,
        events: list[str],
        conditions: list[tuple[str, str, Any]] = (),  # type: ignore[assignment]
        actions: list[tuple[str, Any]],
        position: int = 0,
        match: str = "all",
    ) -> Rule:
        rule = Rule(
            name=name,
            events=events,
            position=position,
            match=match,
            conditions=[{"field": f, "operator": o, "value": v} for f, o, v in conditions],
            actions=[{"action": a, "value": v} for a, v in actions],
        )
        rule.full_clean()
        rule.save()
        return rule

    return make
