"""Service-level policies chosen by ticket fields' values, re-decided when a value changes; their settings page."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import translation

from comptoir.sla.models import Metric, SlaPolicy
from comptoir.sla.policies import Conditions, FieldCondition, TicketFacts
from comptoir.sla.services import ticket_sla_refresh
from comptoir.ticketforms.models import FieldKind
from comptoir.ticketforms.predicates import FieldFact
from comptoir.ticketforms.services import ticket_values_record, ticket_values_update
from comptoir.tickets.models import Priority, Ticket
from tests.sla.clock import paris
from tests.sla.conftest import clock_of, policy_make
from tests.ticketforms.fixtures import Choices

pytestmark = pytest.mark.django_db


@pytest.fixture
def plan_choices() -> Choices:
    """The shared "Plan" field (tests.ticketforms.fixtures), its pro choice labelled "Pro" in both languages."""
    return [["pro", "Pro", "Pro"], ["free", "Gratuite", "Free"]]


def pro_policy(**extra: Any) -> SlaPolicy:
    policy = policy_make(
        "Pro, round the clock",
        {(Metric.FIRST_REPLY, Priority.NORMAL): 60},
        position=1,
        field_conditions=[{"field": "field:plan", "operator": "is", "value": "pro"}],
        **extra,
    )
    policy.full_clean()
    return policy


def test_a_policy_s_field_conditions_hold_with_its_other_conditions():
    conditions = Conditions(
        priority="high", fields=(FieldCondition("seats", "greater_than", 50), FieldCondition("vip", "checked"))
    )
    facts = TicketFacts(
        priority="high",
        ticket_type="question",
        group_id=None,
        organisation_id=None,
        channel="web",
        fields={"seats": FieldFact(FieldKind.NUMBER, 120), "vip": FieldFact(FieldKind.CHECKBOX, True)},
    )

    assert conditions.hold_for(facts)
    assert not conditions.hold_for(
        TicketFacts("high", "question", None, None, "web", fields={"seats": FieldFact(FieldKind.NUMBER, 10)})
    )
    # A field deleted since (absent from the facts) holds for no ticket.
    assert not Conditions(fields=(FieldCondition("gone", "is_empty"),)).hold_for(facts)


def test_a_pro_ticket_gets_the_pro_policy_and_a_field_change_re_decides_it(
    fake_now, office_policy, make_ticket, agent, plan
):
    pro = pro_policy()
    fake_now.set(paris(2026, 6, 5, 17))  # Friday evening
    with transaction.atomic():
        ticket = make_ticket()
        ticket_values_record(ticket=ticket, values={plan: "pro"})
    other = make_ticket()

    assert clock_of(ticket, Metric.FIRST_REPLY).policy == pro
    assert clock_of(ticket, Metric.FIRST_REPLY).due_at == paris(2026, 6, 5, 18)
    assert clock_of(other, Metric.FIRST_REPLY).policy == office_policy

    fake_now.set(paris(2026, 6, 5, 17, 30))
    ticket_values_update(ticket=other, values={plan: "pro"}, actor=agent)
    assert clock_of(other, Metric.FIRST_REPLY).policy == pro
    assert clock_of(other, Metric.FIRST_REPLY).due_at == paris(2026, 6, 5, 18)

    ticket_values_update(ticket=ticket, values={plan: "free"}, actor=agent)
    assert clock_of(ticket, Metric.FIRST_REPLY).policy == office_policy
    assert clock_of(ticket, Metric.FIRST_REPLY).due_at == paris(2026, 6, 8, 12)


@pytest.mark.parametrize(
    ("condition", "said"),
    [
        ({"field": "field:plan", "operator": "greater_than", "value": "pro"}, "does not apply to the field “Plan”"),
        ({"field": "field:plan", "operator": "is", "value": "gold"}, "“gold” is not a choice of the field “Plan”"),
        ({"field": "field:seats", "operator": "less_than", "value": "many"}, "the field “Seats” does not accept"),
        ({"field": "field:gone", "operator": "is_set"}, "no ticket field has the key “gone”"),
        ({"field": "plan", "operator": "is", "value": "pro"}, "name a ticket field as field:<key>"),
    ],
)
def test_a_policy_naming_a_field_wrongly_is_refused_naming_it(plan, seats, condition, said):
    policy = SlaPolicy(name="Wrong", field_conditions=[condition])

    with translation.override("en"), pytest.raises(ValidationError) as refused:
        policy.full_clean()

    assert said in " ".join(refused.value.message_dict["field_conditions"])


def test_refreshing_reads_field_values_only_when_a_policy_names_a_field(
    office_policy, make_ticket, plan, django_assert_num_queries
):
    ticket = Ticket.objects.select_related("requester").get(pk=make_ticket().pk)
    ticket_sla_refresh(ticket)

    # A savepoint, 1 the active policies, 2 the ticket's history, 3 its policy's targets, 4 the schedule, its
    # ranges and closed days (5, 6), 7 the clocks, 8 their pauses, 9 the counted attainment (locked) and 10 the
    # clocks' outcomes (none: nothing to count), and the release: nothing changed, nothing written.
    with django_assert_num_queries(12):
        ticket_sla_refresh(ticket)
    pro_policy()
    # The same, and the fields the policies name and the ticket's values of them.
    with django_assert_num_queries(14):
        ticket_sla_refresh(ticket)


def policy_form(**fields: str) -> dict[str, str]:
    from tests.workspace.test_sla_settings import policy_data

    return policy_data(name="Pro", targets={"first_reply-normal": ("1", "hours", "calendar")}, **fields)


def test_an_administrator_adds_field_conditions_on_the_policy_page(client, plan, seats):
    from comptoir.accounts.models import Role, User

    admin = User.objects.create_user(email="admin@example.org", password="x", role=Role.ADMIN, name="Ada")
    client.force_login(admin)
    page = client.get(reverse("agent_sla_policy_new"))
    assert "Formule" in page.content.decode() and 'name="fieldcond-1-value"' in page.content.decode()

    refused = client.post(
        reverse("agent_sla_policy_new"),
        policy_form(
            **{"fieldcond-0-field": "field:seats", "fieldcond-0-operator": "greater_than", "fieldcond-0-value": "lots"}
        ),
    )
    assert refused.status_code == 400
    assert "Postes" in refused.content.decode() and not SlaPolicy.objects.exists()

    saved = client.post(
        reverse("agent_sla_policy_new"),
        policy_form(
            **{
                "fieldcond-0-field": "field:seats",
                "fieldcond-0-operator": "greater_than",
                "fieldcond-0-value": "50",
                "fieldcond-1-field": "field:plan",
                "fieldcond-1-operator": "in",
                "fieldcond-1-value": "Pro, free",
            }
        ),
    )
    assert saved.status_code == 302
    policy = SlaPolicy.objects.get()
    assert policy.field_conditions == [
        {"field": "field:seats", "operator": "greater_than", "value": 50},
        {"field": "field:plan", "operator": "in", "value": ["pro", "free"]},
    ]
    again = client.get(reverse("agent_sla_policy", args=[policy.pk])).content.decode()
    assert 'value="pro, free"' in again
    listed = client.get(reverse("agent_sla_settings").replace("/fr/", "/en/", 1)).content.decode()
    assert "“Seats” is greater than 50" in listed and "“Plan” is one of Pro, Free" in listed


def test_a_ticket_refreshed_after_its_field_was_deleted_gets_the_next_policy(
    fake_now, office_policy, make_ticket, plan
):
    pro_policy()
    with transaction.atomic():
        ticket = make_ticket()
        ticket_values_record(ticket=ticket, values={plan: "pro"})
    ticket.field_values.all().delete()
    plan.delete()

    ticket_sla_refresh(Ticket.objects.select_related("requester").get(pk=ticket.pk))

    assert clock_of(ticket, Metric.FIRST_REPLY).policy == office_policy
