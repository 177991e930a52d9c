"""Business rules in the workspace settings: administrators list, write, try and question triggers."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from html.parser import HTMLParser
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from comptoir.rules.automations import automations_run
from comptoir.rules.models import Rule, RuleRun
from comptoir.tickets.models import SupportGroup, Ticket
from comptoir.tickets.services import ticket_update_by_agent
from tests.workspace.test_bulk_views import flashes, url
from tests.workspace.test_workspace_queries import TICKET_PAGE_QUERIES

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _without_the_default_rules(db) -> None:
    # These tests read the rules they write, in order; the default ones are tested in tests/rules/test_default_rules.py.
    Rule.objects.exclude(built_in="").delete()


INVOICES = {
    "name": "Invoices to Billing",
    "events": ["created"],
    "conditions": [{"field": "subject", "operator": "contains", "value": "facture"}],
}


@pytest.fixture
def billing(db) -> SupportGroup:
    return SupportGroup.objects.create(name="Billing")


def rule_make(name: str = "Invoices to Billing", **fields: Any) -> Rule:
    """A rule as an administrator would save it (validated); it comes after the others."""
    values: dict[str, Any] = {
        "events": ["created"],
        "conditions": [{"field": "subject", "operator": "contains", "value": "facture"}],
        "actions": [{"action": "add_tags", "value": "billing"}],
        "position": Rule.objects.count() + 1,
    } | fields
    rule = Rule(name=name, **values)
    rule.full_clean()
    rule.save()
    return rule


def rows(prefix: str, typed: Sequence[tuple[str, ...]], spare: int = 1) -> dict[str, Any]:
    """A formset as the page posts it: ``typed`` rows (key, [operator,] value), then empty spare rows."""
    key = "field" if prefix == "conditions" else "action"
    filled = [*typed, *[("",) * (3 if prefix == "conditions" else 2)] * spare]
    data: dict[str, Any] = {f"{prefix}-TOTAL_FORMS": str(len(filled)), f"{prefix}-INITIAL_FORMS": "0"}
    for index, row in enumerate(filled):
        data[f"{prefix}-{index}-{key}"] = row[0]
        if prefix == "conditions":
            data[f"{prefix}-{index}-operator"] = row[1]
        data[f"{prefix}-{index}-value"] = row[-1]
    return data


def rule_data(
    *,
    name: str = "Invoices to Billing",
    events: Sequence[str] = ("created",),
    match: str = "all",
    conditions: Sequence[tuple[str, str, str]] = (("subject", "contains", "facture"),),
    actions: Sequence[tuple[str, str]] = (("set_group", "Billing"), ("add_tags", "billing")),
    active: bool = True,
) -> dict[str, Any]:
    data: dict[str, Any] = {"name": name, "events": list(events), "match": match}
    if active:
        data["active"] = "on"
    return data | rows("conditions", conditions) | rows("actions", actions)


# --- Who may ------------------------------------------------------------------------------------


def every_address(rule: Rule) -> list[tuple[str, str]]:
    return [
        ("get", url("agent_rules_settings")),
        ("get", url("agent_rule_new")),
        ("post", url("agent_rule_new")),
        ("get", url("agent_rule", rule.pk)),
        ("post", url("agent_rule", rule.pk)),
        ("post", url("agent_rule_move", rule.pk)),
        ("post", url("agent_rule_toggle", rule.pk)),
        ("get", url("agent_rule_delete", rule.pk)),
        ("post", url("agent_rule_delete", rule.pk)),
    ]


def test_it_sends_a_visitor_to_log_in(client):
    for method, address in every_address(rule_make()):
        response = getattr(client, method)(address)
        assert (response.status_code, response["Location"]) == (302, "/accounts/login/?next=" + address)


def test_it_refuses_an_agent_who_is_not_an_administrator_and_changes_nothing(client, agent):
    rule = rule_make()
    client.force_login(agent)
    for method, address in every_address(rule):
        data = rule_data(name="Hijacked") | {"direction": "up", "active": "0"}
        assert getattr(client, method)(address, data).status_code == 403, address
    assert list(Rule.objects.values_list("name", "active")) == [(rule.name, True)]
    assert url("agent_rules_settings") not in client.get(url("agent_tickets")).content.decode()


def test_the_profile_menu_leads_an_administrator_to_the_page_through_the_settings(as_admin):
    assert f'href="{url("agent_settings")}"' in as_admin.get(url("agent_tickets")).content.decode()
    assert f'href="{url("agent_rules_settings")}"' in as_admin.get(url("agent_settings")).content.decode()
    assert as_admin.get(url("agent_rules_settings")).status_code == 200


def test_a_post_without_the_csrf_token_is_refused(administrator, billing):
    client = Client(enforce_csrf_checks=True)
    client.force_login(administrator)
    assert client.post(url("agent_rule_new"), rule_data()).status_code == 403
    assert not Rule.objects.exists()


# --- The list ------------------------------------------------------------------------------------


def test_the_list_shows_the_triggers_in_order_in_words_with_what_they_did_lately(as_admin, billing, agent, make_ticket):
    second = rule_make(
        "Urgent words",
        events=["created", "requester_message"],
        match="any",
        conditions=[
            {"field": "body", "operator": "contains", "value": "urgent"},
            {"field": "status", "operator": "in", "value": ["open", "pending"]},
        ],
        actions=[{"action": "set_priority", "value": "high"}, {"action": "set_assignee", "value": agent.pk}],
        position=2,
    )
    first = rule_make(
        actions=[{"action": "set_group", "value": billing.pk}, {"action": "add_tags", "value": "billing"}],
        position=1,
        active=False,
    )
    ticket = make_ticket(subject="Old")
    long_ago = timezone.now() - timedelta(days=40)
    for when, n in ((long_ago, 1), (timezone.now() - timedelta(days=2), 2), (timezone.now(), 3)):
        run = RuleRun.objects.create(rule=second, ticket=ticket, change=_uuid(n), chain=_uuid(n), outcome="fired")
        RuleRun.objects.filter(pk=run.pk).update(created_at=when)

    html = as_admin.get(url("agent_rules_settings")).content.decode()

    assert html.index("Invoices to Billing") < html.index("Urgent words")
    assert f'<tr id="rule-{first.pk}" class="is-inactive">' in html
    assert "Ticket created, Message from the requester" in html
    assert "<li>subject contains “facture”</li>" in html
    assert "any of:" in html and "<li>status is one of Open, Pending</li>" in html
    assert "<li>set the group to Billing</li>" in html and "<li>add the tags billing</li>" in html
    assert "<li>set the priority to High</li>" in html and "<li>assign to Camille</li>" in html
    assert "2 times in 30 days" in html  # the run 40 days ago is not counted
    assert html.count(">Never<") == 1
    assert f'href="{url("agent_rule", second.pk)}"' in html


def _uuid(n: int):
    import uuid

    return uuid.UUID(int=n)


def test_the_list_reads_in_french(as_admin, billing):
    rule_make(actions=[{"action": "set_group", "value": billing.pk}])
    html = as_admin.get(url("agent_rules_settings").replace("/en/", "/fr/", 1)).content.decode()
    assert "Règles métier" in html
    assert "objet contient «\u202ffacture\u202f»" in html or "objet contient “facture”" in html
    assert "Jamais" in html


def test_the_list_costs_the_same_queries_whatever_the_number_of_rows(
    as_admin, billing, agent, make_ticket, django_assert_num_queries
):
    ticket = make_ticket()

    def more_rules(n: int) -> None:
        rule = rule_make(
            f"Rule {n}",
            conditions=[{"field": "group", "operator": "is", "value": billing.pk}],
            actions=[{"action": "set_assignee", "value": agent.pk}],
        )
        RuleRun.objects.create(rule=rule, ticket=ticket, change=_uuid(n), chain=_uuid(n), outcome="fired")

    more_rules(1)
    as_admin.get(url("agent_rules_settings"))  # the session's first reads, once
    # The session, the user; the triggers with when each last fired and how often lately (one query);
    # the names of the groups, then of the agents, they name.
    with django_assert_num_queries(5):
        as_admin.get(url("agent_rules_settings"))
    for n in range(2, 7):
        more_rules(n)
    with django_assert_num_queries(5):
        html = as_admin.get(url("agent_rules_settings")).content.decode()
    assert html.count('class="move-form"') == 12  # on or off, and move, per rule


# --- Writing a rule ------------------------------------------------------------------------------


def test_an_administrator_creates_a_trigger_typing_names_and_it_runs_last(as_admin, billing):
    rule_make("Earlier", position=7)

    response = as_admin.post(url("agent_rule_new"), rule_data())

    rule = Rule.objects.get(name="Invoices to Billing")
    assert response["Location"] == url("agent_rules_settings") + f"#rule-{rule.pk}"
    assert flashes(response) == ["The rule “Invoices to Billing” is saved."]
    assert (rule.active, rule.events, rule.match, rule.position, rule.kind) == (True, ["created"], "all", 8, "trigger")
    assert rule.conditions == [{"field": "subject", "operator": "contains", "value": "facture"}]
    assert rule.actions == [{"action": "set_group", "value": billing.pk}, {"action": "add_tags", "value": "billing"}]


def test_a_trigger_made_on_the_page_routes_new_tickets(as_admin, billing, make_ticket):
    as_admin.post(url("agent_rule_new"), rule_data())

    ticket = make_ticket(subject="Ma facture de mars")

    ticket.refresh_from_db()
    assert ticket.group == billing
    assert set(ticket.tags.values_list("name", flat=True)) == {"billing"}


@pytest.mark.parametrize(
    ("conditions", "expected"),
    [
        ((("status", "", "pending"),), {"field": "status", "operator": "is", "value": "pending"}),
        ((("status", "is_not", "On hold"),), {"field": "status", "operator": "is_not", "value": "on_hold"}),
        ((("status", "in", "open, Pending"),), {"field": "status", "operator": "in", "value": ["open", "pending"]}),
        ((("tags", "", "vip  refund"),), {"field": "tags", "operator": "contains", "value": "vip refund"}),
        ((("assignee", "is_empty", ""),), {"field": "assignee", "operator": "is_empty", "value": None}),
        (
            (("requester", "in", "a@example.org, B@example.org"),),
            {"field": "requester", "operator": "in", "value": ["a@example.org", "B@example.org"]},
        ),
    ],
)
def test_values_are_read_as_typed(as_admin, billing, conditions, expected):
    response = as_admin.post(url("agent_rule_new"), rule_data(conditions=conditions))
    assert response.status_code == 302, response.content.decode()
    assert Rule.objects.get().conditions == [expected]


class FormReader(HTMLParser):
    """What a browser would post back of the rule form, untouched: inputs, ticked boxes, chosen options, text."""

    def __init__(self) -> None:
        super().__init__()
        self.data: dict[str, list[str]] = {}
        self._select: str | None = None
        self._textarea: str | None = None
        self._inside = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        named = dict(attrs)
        name = named.get("name") or ""
        if tag == "form":
            self._inside = named.get("id") == "rule-form"
        if not self._inside:
            return
        if tag == "input" and name and name != "csrfmiddlewaretoken":
            kind = named.get("type")
            if kind not in ("checkbox", "radio") or "checked" in named:
                self.data.setdefault(name, []).append(named.get("value") or ("on" if kind == "checkbox" else ""))
        elif tag == "select":
            self._select = name
        elif tag == "option" and self._select and "selected" in named:
            self.data.setdefault(self._select, []).append(named.get("value") or "")
        elif tag == "textarea":
            self._textarea = name
            self.data.setdefault(name, [""])

    def handle_data(self, data: str) -> None:
        if self._textarea:
            self.data[self._textarea][-1] += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "textarea":
            self._textarea = None
        elif tag == "form":
            self._inside = False


def posted_back(html: str) -> dict[str, list[str]]:
    reader = FormReader()
    reader.feed(html)
    return reader.data


def test_the_edit_page_offers_values_as_lists_and_a_rule_saved_untouched_stays_as_it_was(as_admin, billing, agent):
    rule = rule_make(
        events=["created", "updated"],
        match="any",
        conditions=[
            {"field": "group", "operator": "is", "value": billing.pk},
            {"field": "priority", "operator": "in", "value": ["high", "urgent"]},
            {"field": "subject", "operator": "contains", "value": '"bon de commande" facture'},
        ],
        actions=[
            {"action": "set_assignee", "value": agent.pk},
            {"action": "set_group", "value": None},
            {"action": "add_note", "value": "Routed.\nSee the wiki."},
        ],
    )
    html = as_admin.get(url("agent_rule", rule.pk)).content.decode()
    assert f'<option value="{billing.pk}" selected>Billing</option>' in html
    assert 'multiple size="4"' in html and '<option value="urgent" selected>Urgent</option>' in html
    assert '<option value="none" selected>No group</option>' in html

    assert as_admin.post(url("agent_rule", rule.pk), posted_back(html)).status_code == 302

    saved = Rule.objects.get()
    assert (saved.events, saved.match, saved.conditions, saved.actions) == (
        rule.events,
        rule.match,
        rule.conditions,
        rule.actions,
    )


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({"conditions": [("status", "", "opne")]}, "“opne” is not a status: choose one of New, Open"),
        ({"conditions": [("group", "", "Sales")]}, "No group is named “Sales”."),
        (
            {"conditions": [("status", "is", "open"), ("status", "is", "solved")]},
            "The conditions on the status can never all hold.",
        ),
        (
            {"actions": [("add_tags", "billing"), ("remove_tags", "billing")]},
            "The rule both adds and removes the tags: billing.",
        ),
        ({"actions": []}, "A rule needs at least one action."),
        ({"events": []}, "Choose at least one event the trigger runs on."),
        ({"events": ["updated"], "conditions": []}, "A trigger on every update needs a condition"),
        ({"conditions": [("", "", "facture")]}, "Choose what the condition looks at, or clear the row."),
        ({"name": ""}, "This field is required."),
    ],
)
def test_a_rule_with_a_mistake_is_refused_with_what_was_typed_kept(as_admin, billing, change, error):
    data = rule_data(**{"name": "Half done"} | change)

    response = as_admin.post(url("agent_rule_new"), data)

    assert response.status_code == 400
    html = response.content.decode()
    assert error in html and 'class="error-summary"' in html
    assert not Rule.objects.exists()
    if change.get("name") != "":
        assert 'value="Half done"' in html
    for index, (_field, _operator, value) in enumerate(change.get("conditions", [])):
        if value and value != "open" and value != "solved":
            assert f'name="conditions-{index}-value" id="id_conditions-{index}-value" value="{value}"' in html
    assert 'name="conditions-TOTAL_FORMS"' in html


def test_a_page_with_every_row_used_comes_back_with_spare_rows(as_admin, billing):
    data = rule_data(conditions=[("status", "is", "opne")])
    data["conditions-TOTAL_FORMS"] = "1"  # no spare row posted

    html = as_admin.post(url("agent_rule_new"), data).content.decode()

    assert 'name="conditions-TOTAL_FORMS" value="3"' in html


# --- Try it --------------------------------------------------------------------------------------


def test_trying_a_rule_shows_the_past_tickets_it_matches_and_writes_nothing(as_admin, billing, make_ticket):
    invoice = make_ticket(subject="Facture de mars")
    make_ticket(subject="Export fails")
    data = rule_data() | {"try": "1"}

    with CaptureQueriesContext(connection) as captured:
        response = as_admin.post(url("agent_rule_new"), data)

    writes = [q["sql"] for q in captured if q["sql"].lstrip().split()[0].upper() in ("INSERT", "UPDATE", "DELETE")]
    assert writes == []
    assert response.status_code == 200
    html = response.content.decode()
    assert "Looked at the 2 tickets created in the last 30 days (at most 1000)" in html
    assert "The rule as typed matches 1 of them." in html
    assert f'<a href="{url("agent_ticket", invoice.reference)}">#{invoice.reference} Facture de mars</a>' in html
    assert "group: no group → Billing · tags added: billing" in html
    assert "Export fails" not in html
    assert not Rule.objects.exists() and not RuleRun.objects.exists()
    assert Ticket.objects.get(pk=invoice.pk).group is None
    assert 'value="Invoices to Billing"' in html  # the form as typed, to save next
    assert f'<option value="{billing.pk}" selected>Billing</option>' in html  # the name typed, now from the list


def test_trying_an_edited_rule_tries_what_was_typed_not_what_is_saved(as_admin, billing, make_ticket):
    rule = rule_make()
    make_ticket(subject="Facture de mars")
    urgent = make_ticket(subject="Urgent: server down")
    data = rule_data(conditions=[("subject", "contains", "urgent")]) | {"try": "1"}

    html = as_admin.post(url("agent_rule", rule.pk), data).content.decode()

    assert f"#{urgent.reference} Urgent: server down" in html and "Facture de mars" not in html
    assert Rule.objects.get().conditions == rule.conditions


def test_trying_a_rule_that_cannot_be_saved_says_why_instead(as_admin, billing, make_ticket):
    make_ticket(subject="Facture")
    data = rule_data(actions=[]) | {"try": "1"}

    response = as_admin.post(url("agent_rule_new"), data)

    assert response.status_code == 400
    html = response.content.decode()
    assert "A rule needs at least one action." in html and "Tried on recent tickets" not in html


# --- Why -----------------------------------------------------------------------------------------


def test_why_a_rule_did_not_fire_names_the_first_condition_that_failed(as_admin, billing, make_ticket):
    rule = rule_make(
        conditions=[
            {"field": "channel", "operator": "is", "value": "web"},
            {"field": "subject", "operator": "contains", "value": "facture"},
        ]
    )
    ticket = make_ticket(subject="Export fails")

    html = as_admin.get(url("agent_rule", rule.pk), {"ticket": str(ticket.reference)}).content.decode()

    assert f"#{ticket.reference} Export fails" in html
    assert "It did not fire on" in html
    assert "The first condition that failed: <strong>subject contains “facture”</strong>." in html
    assert "the first condition that fails is <strong>subject contains “facture”</strong>" in html


def test_why_a_rule_fired_says_what_it_changed_and_that_it_matches_now(as_admin, billing, make_ticket):
    rule = rule_make(actions=[{"action": "set_group", "value": billing.pk}])
    ticket = make_ticket(subject="Facture")

    html = as_admin.get(url("agent_rule", rule.pk), {"ticket": f"#{ticket.reference}"}).content.decode()

    assert "It fired on" in html and "It changed: group: no group → Billing" in html
    assert "it would match this ticket now" in html
    assert "The ticket is already as it sets it: nothing to change." in html


def test_why_on_a_ticket_the_rule_never_saw_and_on_a_missing_ticket(as_admin, make_ticket):
    ticket = make_ticket(subject="Facture")
    rule = rule_make(name="Later")  # saved after the ticket's creation: it never ran on it
    html = as_admin.get(url("agent_rule", rule.pk), {"ticket": str(ticket.reference)}).content.decode()
    assert "It has not run on this ticket" in html and "it would match this ticket now" in html
    assert "It would change: tags added: billing" in html

    html = as_admin.get(url("agent_rule", rule.pk), {"ticket": "99999"}).content.decode()
    assert "No ticket has the number #99999." in html
    html = as_admin.get(url("agent_rule", rule.pk), {"ticket": "soon"}).content.decode()
    assert "Give a ticket number, such as 1042." in html


# --- Order, on and off, delete -------------------------------------------------------------------


def test_rules_move_up_and_down_the_order(as_admin):
    first, second, third = (rule_make(name, position=5) for name in ("First", "Second", "Third"))

    def order() -> list[str]:
        return list(Rule.objects.order_by("position", "id").values_list("name", flat=True))

    response = as_admin.post(url("agent_rule_move", third.pk), {"direction": "up"})
    assert response["Location"] == url("agent_rules_settings") + f"#rule-{third.pk}"
    assert order() == ["First", "Third", "Second"]
    as_admin.post(url("agent_rule_move", first.pk), {"direction": "down"})
    assert order() == ["Third", "First", "Second"]
    as_admin.post(url("agent_rule_move", third.pk), {"direction": "up"})  # already first: nothing moves
    assert order() == ["Third", "First", "Second"]
    assert as_admin.post(url("agent_rule_move", second.pk), {"direction": "sideways"}).status_code == 400


def test_a_rule_is_turned_off_and_on_and_refused_on_when_what_it_names_is_gone(as_admin, billing):
    rule = rule_make(actions=[{"action": "set_group", "value": billing.pk}])

    response = as_admin.post(url("agent_rule_toggle", rule.pk), {"active": "0"})
    assert flashes(response) == ["“Invoices to Billing” is off."]
    assert Rule.objects.get().active is False
    billing_id = billing.pk
    billing.delete()

    response = as_admin.post(url("agent_rule_toggle", rule.pk), {"active": "1"})

    assert flashes(response)[-1:] == [f"“Invoices to Billing” cannot be turned on: No group has the id {billing_id}."]
    assert Rule.objects.get().active is False


def test_a_rule_is_deleted_after_a_confirmation_that_says_what_is_lost(as_admin, billing, make_ticket):
    rule = rule_make()
    make_ticket(subject="Facture")
    confirm = as_admin.get(url("agent_rule_delete", rule.pk)).content.decode()
    assert "It fired 1 time." in confirm and Rule.objects.exists()

    response = as_admin.post(url("agent_rule_delete", rule.pk))

    assert response["Location"] == url("agent_rules_settings")
    assert not Rule.objects.exists() and not RuleRun.objects.exists()


# --- The ticket's history ------------------------------------------------------------------------


def test_the_ticket_history_names_the_rule_that_made_a_change_with_the_same_queries(
    client, administrator, agent, billing, make_ticket, django_assert_num_queries
):
    rule = rule_make(actions=[{"action": "set_group", "value": billing.pk}])
    ticket = make_ticket(subject="Facture")
    ticket_update_by_agent(ticket, agent=agent, priority="high")
    client.force_login(agent)
    client.get(url("agent_ticket", ticket.reference))  # the session's first reads, once

    with django_assert_num_queries(TICKET_PAGE_QUERIES):
        html = client.get(url("agent_ticket", ticket.reference)).content.decode()

    assert "By rule “Invoices to Billing” · Group changed" in html
    assert "Camille · Priority changed" in html
    assert url("agent_rule", rule.pk) not in html  # an agent has no rule page
    client.force_login(administrator)
    html = client.get(url("agent_ticket", ticket.reference)).content.decode()
    assert f'<a href="{url("agent_rule", rule.pk)}">By rule “Invoices to Billing”</a> · Group changed' in html


def test_the_ticket_history_names_an_automation_with_a_link_to_its_page(
    client, administrator, billing, make_ticket, django_assert_num_queries
):
    """The name of an automation links to its page, as a trigger's does (it once led to a 404)."""
    automation = Rule(
        name="Old to Billing",
        kind="automation",
        conditions=[{"field": "hours_since_created", "operator": "at_least", "value": 1}],
        actions=[{"action": "set_group", "value": billing.pk}],
    )
    automation.full_clean()
    automation.save()
    ticket = make_ticket(subject="Export")
    assert automations_run(now=timezone.now() + timedelta(hours=2)) == 1
    client.force_login(administrator)
    client.get(url("agent_ticket", ticket.reference))  # the session's first reads, once

    with django_assert_num_queries(TICKET_PAGE_QUERIES):
        html = client.get(url("agent_ticket", ticket.reference)).content.decode()

    assert f'<a href="{url("agent_rule", automation.pk)}">By rule “Old to Billing”</a> · Group changed' in html
    assert client.get(url("agent_rule", automation.pk)).status_code == 200  # what the link leads to


def test_an_action_the_page_does_not_know_is_kept_when_the_rule_is_saved(as_admin):
    """A newer backend's action (or one typed in the Django admin) survives an edit of the page."""
    rule = rule_make(actions=[{"action": "add_tags", "value": "billing"}])
    future = {"action": "post_to_chat", "value": {"channel": "#billing"}}
    Rule.objects.filter(pk=rule.pk).update(actions=[{"action": "add_tags", "value": "billing"}, future])
    html = as_admin.get(url("agent_rule", rule.pk)).content.decode()
    assert "Kept as they are" in html and "post_to_chat" in html

    response = as_admin.post(url("agent_rule", rule.pk), posted_back(html))  # the validation refuses it as unknown

    assert response.status_code == 400 and "unknown action “post_to_chat”" in response.content.decode()
    assert Rule.objects.get().actions == [{"action": "add_tags", "value": "billing"}, future]
