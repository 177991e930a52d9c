"""Which policy applies: the first active one, in order, whose conditions all hold; an empty condition holds for any."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from comptoir.sla.policies import Conditions, TicketFacts, policy_for
from comptoir.sla.services import active_policies, ticket_facts
from comptoir.tickets.models import Channel, Priority, SupportGroup, TicketType
from comptoir.tickets.services import ticket_update_by_agent
from tests.sla.conftest import policy_make

FACTS = TicketFacts(
    priority=Priority.HIGH,
    ticket_type=TicketType.INCIDENT,
    group_id=7,
    organisation_id=3,
    channel=Channel.EMAIL,
    tags=frozenset({"vip", "refund"}),
)


@dataclass(frozen=True)
class Named:
    name: str
    conditions: Conditions


def test_a_policy_without_conditions_holds_for_every_ticket():
    assert Conditions().hold_for(FACTS)
    assert Conditions().hold_for(TicketFacts("low", "question", None, None, "web"))


@pytest.mark.parametrize(
    ("conditions", "holds"),
    [
        (Conditions(priority=Priority.HIGH), True),
        (Conditions(priority=Priority.URGENT), False),
        (Conditions(ticket_type=TicketType.INCIDENT), True),
        (Conditions(ticket_type=TicketType.QUESTION), False),
        (Conditions(group_id=7), True),
        (Conditions(group_id=8), False),
        (Conditions(organisation_id=3), True),
        (Conditions(organisation_id=4), False),
        (Conditions(channel=Channel.EMAIL), True),
        (Conditions(channel=Channel.WEB), False),
        (Conditions(tag="vip"), True),
        (Conditions(tag="urgent-fix"), False),
        # Every condition set must hold.
        (Conditions(priority=Priority.HIGH, group_id=7, tag="refund"), True),
        (Conditions(priority=Priority.HIGH, group_id=7, tag="other"), False),
    ],
)
def test_each_condition_holds_only_for_its_value(conditions, holds):
    assert conditions.hold_for(FACTS) is holds


def test_a_ticket_without_group_or_organisation_fails_conditions_naming_one():
    bare = TicketFacts(Priority.HIGH, TicketType.INCIDENT, None, None, Channel.EMAIL)

    assert not Conditions(group_id=7).hold_for(bare)
    assert not Conditions(organisation_id=3).hold_for(bare)


def test_the_first_policy_in_order_that_holds_applies():
    policies = [
        Named("VIP on the web", Conditions(tag="vip", channel=Channel.WEB)),
        Named("High", Conditions(priority=Priority.HIGH)),
        Named("Everything else", Conditions()),
    ]

    assert policy_for(FACTS, policies) == policies[1]
    assert policy_for(TicketFacts("low", "question", None, None, "web"), policies) == policies[2]
    assert policy_for(FACTS, policies[:1]) is None


@pytest.mark.django_db
def test_active_policies_come_by_position_and_inactive_ones_never(make_ticket, agent):
    billing = SupportGroup.objects.create(name="Billing")
    catch_all = policy_make("Everything else", {}, position=90)
    policy_make("Billing, retired", {}, position=1, group=billing, is_active=False)
    billing_policy = policy_make("Billing", {}, position=5, group=billing)
    ticket = make_ticket()
    ticket_update_by_agent(ticket, agent=agent, group=billing)
    ticket.refresh_from_db()

    policies = active_policies()

    assert [policy.name for policy in policies] == ["Billing", "Everything else"]
    assert policy_for(ticket_facts(ticket, with_tags=False), policies) == billing_policy
    ticket_update_by_agent(ticket, agent=agent, group=None)
    ticket.refresh_from_db()
    assert policy_for(ticket_facts(ticket, with_tags=False), policies) == catch_all


@pytest.mark.django_db
def test_a_policy_s_tag_is_a_tag_name_as_agents_type_it(make_ticket, agent):
    policy = policy_make("VIP", {}, tag="VIP ")
    policy.full_clean()
    assert policy.tag == "vip"

    ticket = make_ticket()
    ticket_update_by_agent(ticket, agent=agent, add_tags=["Vip"])

    assert ticket_facts(ticket, with_tags=True).tags == frozenset({"vip"})
    assert policy.conditions.hold_for(ticket_facts(ticket, with_tags=True))
