"""The rule page's actions that write and tell: a public reply, an e-mail, a notice to agents; and its rows."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils.translation import override

from comptoir.rules.models import Rule
from comptoir.workspace.rules_settings_views import _names_of_changes, changes_words
from tests.workspace.test_bulk_views import url
from tests.workspace.test_rules_settings import posted_back, rule_data, rule_make

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _without_the_default_rules(db) -> None:
    # These tests read the rules they write, in order; the default ones are tested in tests/rules/test_default_rules.py.
    Rule.objects.exclude(built_in="").delete()


SUBJECT = {"fr": "Votre ticket {ticket_reference}", "en": "Your ticket {ticket_reference}"}
BODY = {
    "fr": "Bonjour {requester_name},\nnous avons bien reçu votre demande.",
    "en": "Hello {requester_name},\nwe got it.",
}


def with_action(action: str, **details: str) -> dict[str, Any]:
    """A trigger's form with one action row, its inputs under the row filled in (``text_fr``, ``to``...)."""
    data = rule_data(actions=[(action, "")])
    return data | {f"actions-0-{name}": value for name, value in details.items()}


def email_details(**changes: str) -> dict[str, str]:
    return {
        "to": "requester",
        "subject_fr": SUBJECT["fr"],
        "subject_en": SUBJECT["en"],
        "text_fr": BODY["fr"],
        "text_en": BODY["en"],
    } | changes


def saved_actions() -> list[dict[str, Any]]:
    return Rule.objects.get().actions


# --- A public reply ------------------------------------------------------------------------------


def test_a_reply_is_written_in_french_and_in_english(as_admin):
    data = with_action("add_reply", text_fr="Bien reçu,\r\nmerci.", text_en="Got it, thanks.")

    response = as_admin.post(url("agent_rule_new"), data)

    assert response.status_code == 302, response.content.decode()
    # Browsers send a text box's line ends as CRLF: kept as LF.
    assert saved_actions() == [{"action": "add_reply", "value": {"fr": "Bien reçu,\nmerci.", "en": "Got it, thanks."}}]


def test_a_reply_in_one_language_keeps_the_other_empty(as_admin):
    as_admin.post(url("agent_rule_new"), with_action("add_reply", text_en="Got it."))

    assert saved_actions() == [{"action": "add_reply", "value": {"fr": "", "en": "Got it."}}]


def test_an_empty_reply_is_refused_next_to_its_text(as_admin):
    response = as_admin.post(url("agent_rule_new"), with_action("add_reply", text_fr="  ", text_en=""))

    assert response.status_code == 400
    html = response.content.decode()
    error = "Write the reply in at least one language."
    assert f'<ul class="errors" id="id_actions-0-text_fr_error"><li>{error}</li></ul>' in html
    assert f'<a href="#id_actions-0-text_fr">Action 1, text in French: {error}</a>' in html
    assert not Rule.objects.exists()


# --- An e-mail -----------------------------------------------------------------------------------


def test_an_e_mail_to_the_requester_is_saved_in_the_shape_the_rules_read(as_admin):
    response = as_admin.post(url("agent_rule_new"), with_action("send_email", **email_details()))

    assert response.status_code == 302, response.content.decode()
    assert saved_actions() == [
        {"action": "send_email", "value": {"to": "requester", "subject": SUBJECT, "body": BODY}},
    ]


def test_an_e_mail_to_an_address_keeps_the_address(as_admin):
    details = email_details(to="address", address=" billing@example.org ", agent="", message="ignored")

    response = as_admin.post(url("agent_rule_new"), with_action("send_email", **details))

    assert response.status_code == 302, response.content.decode()
    assert saved_actions() == [
        {
            "action": "send_email",
            "value": {"to": "address", "address": "billing@example.org", "subject": SUBJECT, "body": BODY},
        },
    ]


@pytest.mark.parametrize(
    ("changes", "field", "error"),
    [
        ({"to": ""}, "to", "Choose who gets the e-mail: the requester, the assignee, the group or an address."),
        ({"to": "agent"}, "to", "Choose who gets the e-mail: the requester, the assignee, the group or an address."),
        ({"to": "address", "address": ""}, "address", "Type the address the e-mail goes to."),
        ({"to": "address", "address": "billing@"}, "address", "“billing@” is not an e-mail address."),
        ({"subject_fr": "", "subject_en": ""}, "subject_fr", "Write the subject in at least one language."),
        ({"text_fr": "", "text_en": " "}, "text_fr", "Write the text in at least one language."),
    ],
)
def test_an_e_mail_missing_a_part_is_refused_next_to_it_with_what_was_typed_kept(as_admin, changes, field, error):
    response = as_admin.post(url("agent_rule_new"), with_action("send_email", **email_details(**changes)))

    assert response.status_code == 400
    html = response.content.decode()
    assert f'<ul class="errors" id="id_actions-0-{field}_error"><li>{error}</li></ul>' in html
    assert f'href="#id_actions-0-{field}"' in html  # in the summary at the top
    if changes.get("subject_fr") is None:
        assert f'value="{SUBJECT["fr"]}"' in html
    assert not Rule.objects.exists()


# --- A notice to agents --------------------------------------------------------------------------


def test_a_notice_to_one_agent_names_the_agent_and_keeps_the_message(as_admin, agent):
    data = with_action("notify_agents", to="agent", agent=str(agent.pk), message="Un client important attend.")

    response = as_admin.post(url("agent_rule_new"), data)

    assert response.status_code == 302, response.content.decode()
    assert saved_actions() == [
        {
            "action": "notify_agents",
            "value": {"to": "agent", "agent": agent.pk, "message": "Un client important attend."},
        }
    ]


def test_a_notice_to_the_group_without_a_message(as_admin, agent):
    data = with_action("notify_agents", to="group", agent=str(agent.pk), subject_fr="ignored", text_en="ignored")

    response = as_admin.post(url("agent_rule_new"), data)

    assert response.status_code == 302, response.content.decode()
    assert saved_actions() == [{"action": "notify_agents", "value": {"to": "group"}}]


@pytest.mark.parametrize(
    ("details", "field", "error"),
    [
        ({"to": ""}, "to", "Choose whom to notify: the assignee, the group's agents or one agent."),
        ({"to": "requester"}, "to", "Choose whom to notify: the assignee, the group's agents or one agent."),
        ({"to": "agent"}, "agent", "Choose the agent to notify."),
    ],
)
def test_a_notice_without_whom_to_tell_is_refused(as_admin, details, field, error):
    response = as_admin.post(url("agent_rule_new"), with_action("notify_agents", **details))

    assert response.status_code == 400
    shown = error.replace("'", "&#x27;")  # escaped in the page
    assert f'<ul class="errors" id="id_actions-0-{field}_error"><li>{shown}</li></ul>' in response.content.decode()


def test_inputs_under_a_row_without_an_action_ask_for_the_action(as_admin):
    response = as_admin.post(url("agent_rule_new"), with_action("", text_fr="Bonjour"))

    assert response.status_code == 400
    assert "Choose what the rule does, or clear the row." in response.content.decode()


# --- The page ------------------------------------------------------------------------------------


def test_the_edit_page_shows_the_inputs_of_each_action_and_an_untouched_save_keeps_them(as_admin, agent):
    actions = [
        {"action": "set_priority", "value": "high"},
        {
            "action": "send_email",
            "value": {"to": "address", "address": "billing@example.org", "subject": SUBJECT, "body": BODY},
        },
        {"action": "notify_agents", "value": {"to": "agent", "agent": agent.pk, "message": "Regarde ça."}},
    ]
    rule = rule_make(actions=actions)

    html = as_admin.get(url("agent_rule", rule.pk)).content.decode()

    assert 'value="billing@example.org"' in html and f'value="{SUBJECT["en"]}"' in html and 'lang="fr"' in html
    assert f'<option value="{agent.pk}" selected>Camille</option>' in html
    # The row of a priority has no inputs under it; an e-mail's shows its own, not a notice's.
    assert html.count('<tr class="rule-details" data-for="add_reply send_email notify_agents" hidden>') == 1
    email_row = html[html.index('id="id_actions-1-action"') : html.index('id="id_actions-2-action"')]
    assert 'data-for="notify_agents" data-when-to="agent" hidden' in email_row
    assert '<option value="agent" data-for="notify_agents" hidden>One agent</option>' in email_row
    assert as_admin.post(url("agent_rule", rule.pk), posted_back(html)).status_code == 302
    assert saved_actions() == actions


def test_the_placeholders_are_listed_where_texts_are_typed(as_admin):
    html = as_admin.get(url("agent_rule_new")).content.decode()

    for placeholder in (
        "{requester_name}",
        "{ticket_reference}",
        "{ticket_subject}",
        "{ticket_status}",
        "{ticket_priority}",
        "{ticket_group}",
        "{assignee_name}",
        "{latest_message}",
        "{ticket_url}",
    ):
        assert f"<code>{placeholder}</code>" in html


def test_the_list_says_what_e_mails_and_notices_do(as_admin, agent):
    rule_make(
        actions=[
            {"action": "send_email", "value": {"to": "requester", "subject": SUBJECT, "body": BODY}},
            {"action": "notify_agents", "value": {"to": "agent", "agent": agent.pk, "message": "Regarde ça."}},
        ]
    )

    html = as_admin.get(url("agent_rules_settings")).content.decode()

    assert "<li>send an e-mail to the requester: “Your ticket {ticket_reference}”</li>" in html
    assert "<li>notify Camille: “Regarde ça.”</li>" in html


def test_rows_are_added_by_a_script_from_the_empty_row_and_spare_rows_stay_without_it(as_admin):
    html = as_admin.get(url("agent_rule_new")).content.decode()

    assert '<script src="/static/comptoir/rules-form.js" defer></script>' in html
    assert "<script>" not in html  # no inline script: the content security policy refuses them
    template = html[
        html.index('<template id="actions-template">') : html.index("</template>", html.index('id="actions-template"'))
    ]
    assert 'name="actions-__prefix__-action"' in template and 'name="actions-__prefix__-text_fr"' in template
    assert "Action __number__" in template
    assert 'data-rule-add="actions" hidden' in html and 'data-rule-add="conditions" hidden' in html
    assert 'name="actions-TOTAL_FORMS" value="2"' in html and 'name="actions-1-action"' in html  # the spare rows


def test_what_a_rule_would_tell_reads_as_a_line_each(agent):
    """The dry run's and the runs' ``changes`` (comptoir.rules.actions.Plan) for a reply, e-mails and notices."""
    changes = {
        "reply": "Hello {requester_name}",
        "emails": [
            {"to": "requester", "subject": "Your ticket"},
            {"to": "address", "address": "billing@example.org", "subject": "Invoice"},
        ],
        "notices": [{"to": "group"}, {"to": "agent", "agent": agent.pk, "message": "Look"}],
    }

    with override("en"):
        lines = changes_words(changes, _names_of_changes([changes]))

    assert lines == [
        "public reply: “Hello {requester_name}”",
        "e-mail to the requester: “Your ticket”",
        "e-mail to billing@example.org: “Invoice”",
        "notify the group's agents",
        "notify Camille",
    ]
