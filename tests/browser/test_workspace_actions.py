"""Bulk actions, tags, merges and tickets opened for a caller, in a real browser, in French and English, axe-clean."""

from __future__ import annotations

import re
import time

import pytest
from playwright.sync_api import expect

from comptoir.accounts.models import Role, User
from comptoir.gateway.inbound import ingest
from comptoir.mail.models import OutboundEmail, OutboundKind, OutboundStatus
from comptoir.tickets.models import EventKind, Ticket, TicketEvent
from comptoir.tickets.services import ticket_update_by_agent
from tests.browser.conftest import assert_accessible
from tests.browser.test_conversation import log_in
from tests.mail.test_reply_by_email import reply_to

pytestmark = pytest.mark.browser

CHANGE = {"fr": "Modifier les tickets sélectionnés", "en": "Change the selected tickets"}
APPLY = {"fr": "Appliquer aux tickets sélectionnés", "en": "Apply to the selected tickets"}
ADD_TAGS = {"fr": "Ajouter des étiquettes", "en": "Add tags"}
UPDATED = {"fr": "3 tickets mis à jour.", "en": "3 tickets updated."}


@pytest.mark.parametrize("language", ["fr", "en"])
def test_an_agent_tags_three_tickets_in_bulk_and_finds_them_with_tag(site, new_page, make_ticket, language):
    User.objects.create_user("camille@example.com", password="pw-camille", name="Camille", role=Role.AGENT)
    tickets = [
        make_ticket(email=f"person{n}@example.org", subject=f"Refund asked {n}", language=language) for n in range(5)
    ]

    page = new_page("fr-FR" if language == "fr" else "en-GB")
    log_in(page, site.url, "camille@example.com", "pw-camille", language)
    page.goto(f"{site.url}/{language}/agent/?view=all")
    rows = page.locator(".ticket-table tbody tr")
    expect(rows).to_have_count(5)
    # Newest first: rows 0..2 are tickets 4, 3 and 2; a shift-click ticks the range.
    rows.nth(0).locator("[data-bulk-row]").click()
    rows.nth(2).locator("[data-bulk-row]").click(modifiers=["Shift"])
    expect(page.locator("[data-bulk-row]:checked")).to_have_count(3)
    expect(page.locator("[data-bulk-count]")).to_have_text("(3)")
    expect(page.locator("details.bulk")).to_have_attribute("open", "")
    assert_accessible(page)
    page.get_by_label(ADD_TAGS[language]).fill("Refund, VIP")
    page.get_by_role("button", name=APPLY[language]).click()
    expect(page.locator(".flash-success")).to_have_text(UPDATED[language])
    expect(page.locator(".ticket-table .tag-label", has_text="refund")).to_have_count(3)
    assert_accessible(page)

    tagged = sorted(ticket.pk for ticket in tickets[2:])
    assert sorted(Ticket.objects.filter(tags__name="vip").values_list("pk", flat=True)) == tagged
    assert TicketEvent.objects.filter(kind=EventKind.TAG_ADDED, new_value="refund").count() == 3

    page.locator("#workspace-q").fill("tag:refund -tag:spam")
    page.locator("#workspace-q").press("Enter")
    expect(rows).to_have_count(3)
    for ticket in tickets[2:]:
        expect(page.locator(".ticket-table")).to_contain_text(f"#{ticket.reference}")
    # A tag in a row is a link to the search for it.
    page.locator(".ticket-table .tag-label", has_text="vip").first.click()
    expect(rows).to_have_count(3)
    expect(page.locator("#workspace-q")).to_have_value("tag:vip")
    assert_accessible(page)
    # On a phone the list scrolls inside its frame; the page itself does not overflow.
    page.set_viewport_size({"width": 390, "height": 844})
    assert page.evaluate("document.documentElement.scrollWidth") <= 390


SELECT_EVERY = {"fr": "Sélectionner les 5 tickets de cette liste", "en": "Select all 5 tickets of this list"}
JOB_DONE = {"fr": "La modification est faite", "en": "The change is done"}
CONFIRM_EVERY = {"fr": "Modifier les 5 tickets de la liste\u202f?", "en": "Change the 5 tickets of the list?"}
CHANGE_FIVE = {"fr": "Modifier 5 tickets", "en": "Change 5 tickets"}
EVERY_UPDATED = {"fr": "5 tickets mis à jour.", "en": "5 tickets updated."}


@pytest.mark.parametrize("language", ["fr", "en"])
def test_an_agent_tags_every_ticket_of_a_long_list_and_watches_the_job(
    site, new_page, make_ticket, monkeypatch, language
):
    from comptoir.workspace import selectors

    monkeypatch.setattr(selectors, "PAGE_SIZE", 2)
    User.objects.create_user("camille@example.com", password="pw-camille", name="Camille", role=Role.AGENT)
    tickets = [make_ticket(email=f"person{n}@example.org", subject=f"Outage {n}", language=language) for n in range(5)]

    page = new_page("fr-FR" if language == "fr" else "en-GB")
    log_in(page, site.url, "camille@example.com", "pw-camille", language)
    page.goto(f"{site.url}/{language}/agent/?view=all")
    expect(page.locator(".ticket-table tbody tr")).to_have_count(2)
    page.locator("[data-bulk-all]").check()
    page.get_by_role("button", name=SELECT_EVERY[language]).click()
    expect(page.locator("[data-select-every-chosen]")).to_be_visible()
    expect(page.locator("[data-bulk-count]")).to_have_text("(5)")
    assert_accessible(page)
    page.get_by_label(ADD_TAGS[language]).fill("outage")
    page.get_by_role("button", name=APPLY[language]).click()

    # Asked again, with what changes, before a whole list is touched.
    expect(page.get_by_role("heading", level=1)).to_have_text(CONFIRM_EVERY[language])
    assert_accessible(page)
    page.get_by_role("button", name=CHANGE_FIVE[language]).click()

    # The job's page follows the worker, then says what was done.
    expect(page.get_by_role("heading", level=1)).to_have_text(JOB_DONE[language])
    expect(page.locator(".job-report")).to_contain_text(EVERY_UPDATED[language])
    assert_accessible(page)
    assert sorted(Ticket.objects.filter(tags__name="outage").values_list("pk", flat=True)) == sorted(
        ticket.pk for ticket in tickets
    )
    # Unticking a row takes back "every ticket": the panel counts the ticked rows again.
    page.go_back()
    page.goto(f"{site.url}/{language}/agent/?view=all")
    page.locator("[data-bulk-all]").check()
    page.get_by_role("button", name=SELECT_EVERY[language]).click()
    page.locator("[data-bulk-row]").first.uncheck()
    expect(page.locator("[data-bulk-count]")).to_have_text("(1)")
    expect(page.locator("[data-bulk-every]")).to_have_value("")


MERGE_LINK = {"fr": "Fusionner avec un autre ticket…", "en": "Merge into another ticket…"}
CONTINUE = {"fr": "Continuer", "en": "Continue"}


@pytest.mark.parametrize("language", ["fr", "en"])
def test_an_agent_merges_two_tickets_and_the_old_thread_leads_to_the_kept_one(site, new_page, make_ticket, language):
    User.objects.create_user("camille@example.com", password="pw-camille", name="Camille", role=Role.AGENT)
    kept = make_ticket(subject="Export fails", language=language)
    duplicate = make_ticket(subject="Export still fails", description="Written twice by mistake.", language=language)

    page = new_page("fr-FR" if language == "fr" else "en-GB")
    log_in(page, site.url, "camille@example.com", "pw-camille", language)
    page.goto(f"{site.url}/{language}/agent/tickets/{duplicate.reference}/")
    page.get_by_role("link", name=MERGE_LINK[language]).click()
    assert_accessible(page)
    page.locator("input[name=into]").fill(str(kept.reference))
    page.get_by_role("button", name=CONTINUE[language]).click()
    expect(page.locator("main")).to_contain_text(f"#{kept.reference} Export fails")
    assert_accessible(page)
    page.locator("button[type=submit]", has_text=f"#{kept.reference}").click()
    page.wait_for_url(f"**/agent/tickets/{kept.reference}/**")
    expect(page.locator(".conversation")).to_contain_text("Written twice by mistake.")
    assert_accessible(page)

    # The requester was told on the old ticket's thread, and answers that e-mail.
    told = wait_for(
        lambda: (
            OutboundEmail.objects.filter(ticket=duplicate, kind=OutboundKind.AGENT_REPLY, status=OutboundStatus.SENT)
            .exclude(message_id="")
            .first()
        )
    )
    ingest(reply_to(told.message_id, b"Thanks, I will follow the other one."), source="test")
    page.reload()
    expect(page.locator(".conversation")).to_contain_text("Thanks, I will follow the other one.")
    duplicate.refresh_from_db()
    assert duplicate.merged_into == kept
    page.goto(f"{site.url}/{language}/agent/tickets/{duplicate.reference}/")
    expect(page.locator(".ticket-side .notice")).to_contain_text(f"#{kept.reference}")
    assert_accessible(page)


def wait_for(find, seconds: float = 30.0):
    """What ``find`` returns once it returns something: the worker delivers the e-mail in its own time."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = find()
        if found is not None:
            return found
        time.sleep(0.2)
    raise AssertionError("nothing found in time")


NEW_TICKET = {"fr": "Nouveau ticket", "en": "New ticket"}
OPEN_IT = {"fr": "Ouvrir le ticket", "en": "Open the ticket"}
AS_MINE = {"fr": "Mon résumé", "en": "As mine"}


@pytest.mark.parametrize("language", ["fr", "en"])
def test_an_agent_opens_a_ticket_for_a_caller(site, new_page, make_ticket, language):
    User.objects.create_user("camille@example.com", password="pw-camille", name="Camille", role=Role.AGENT)
    make_ticket(email="claire@example.org", name="Claire Dupont", subject="Earlier question", language=language)

    page = new_page("fr-FR" if language == "fr" else "en-GB")
    log_in(page, site.url, "camille@example.com", "pw-camille", language)
    page.get_by_role("link", name=NEW_TICKET[language], exact=True).click()
    assert_accessible(page)
    email = page.locator("input[name=email]")
    email.fill("cla")
    # The customer already known is offered as the agent types.
    expect(page.locator("#people-suggestions option")).to_have_count(1)
    email.fill("claire@example.org")
    page.locator("input[name=subject]").fill("Called about a double invoice")
    page.locator("select[name=channel]").select_option("phone")
    page.locator("label", has_text=AS_MINE[language]).locator("input").check()
    page.locator("textarea[name=body]").fill("Claire called: her March invoice counts two licences.")
    page.get_by_role("button", name=OPEN_IT[language]).click()
    expect(page.locator(".flash-success")).to_contain_text("Claire Dupont")
    expect(page.locator("h1")).to_have_text("Called about a double invoice")
    expect(page.locator(".conversation")).to_contain_text("her March invoice counts two licences")
    assert_accessible(page)

    ticket = Ticket.objects.get(subject="Called about a double invoice")
    assert ticket.requester.email == "claire@example.org" and ticket.channel == "phone"
    assert ticket.messages.get().author.email == "camille@example.com"
    # Opened by an agent yet the customer's: it is in their "My tickets".
    assert ticket.requester.requested_tickets.count() == 2


ADD_NOTE = {"fr": "Ajouter une note interne", "en": "Add internal note"}
SHORTCUTS = {"fr": "Raccourcis clavier", "en": "Keyboard shortcuts"}


@pytest.mark.parametrize("language", ["fr", "en"])
def test_an_agent_works_a_ticket_with_the_keyboard_alone(site, new_page, make_ticket, language):
    camille = User.objects.create_user("camille@example.com", password="pw-camille", name="Camille", role=Role.AGENT)
    older = make_ticket(email="bob@example.net", subject="Older question", language=language)
    newer = make_ticket(email="alice@example.org", subject="Newer question", language=language)

    page = new_page("fr-FR" if language == "fr" else "en-GB")
    log_in(page, site.url, "camille@example.com", "pw-camille", language)
    page.goto(f"{site.url}/{language}/agent/?view=all")
    page.keyboard.press("?")
    dialog = page.get_by_role("dialog", name=SHORTCUTS[language])
    expect(dialog).to_be_visible()
    assert_accessible(page)
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    # "/" goes to the search box, where letters are only letters.
    page.keyboard.press("/")
    expect(page.locator("#workspace-q")).to_be_focused()
    page.keyboard.type("jk")
    expect(page.locator("#workspace-q")).to_have_value("jk")
    expect(page.locator("tr.is-current")).to_have_count(0)
    page.keyboard.press("Backspace")
    page.keyboard.press("Backspace")
    page.keyboard.press("Escape")  # out of the field
    expect(page.locator("#workspace-q")).not_to_be_focused()

    page.keyboard.press("j")
    expect(page.locator("tr.is-current")).to_contain_text("Newer question")
    page.keyboard.press("j")
    expect(page.locator("tr.is-current")).to_contain_text("Older question")
    page.keyboard.press("k")
    page.keyboard.press("o")
    page.wait_for_url(f"**/agent/tickets/{newer.reference}/")

    page.keyboard.press("n")
    expect(page.locator("textarea[name=body]")).to_be_focused()
    expect(page.locator("#agent-update")).to_have_class(re.compile("is-note"))
    expect(page.locator("[data-submit-default]")).to_have_text(ADD_NOTE[language])
    page.keyboard.type("Checked the logs by keyboard.")
    page.keyboard.press("Control+Enter")
    expect(page.locator(".message-note")).to_contain_text("Checked the logs by keyboard.")
    page.keyboard.press("r")
    expect(page.locator("#agent-update")).not_to_have_class(re.compile("is-note"))
    page.keyboard.type("Fixed: please try again.")
    page.keyboard.press("Control+Enter")
    expect(page.locator(".message-agent").last).to_contain_text("Fixed: please try again.")
    page.keyboard.press("Escape")  # out of the message box, if the page put the cursor there
    page.keyboard.press("a")
    expect(page.locator(".ticket-meta")).to_contain_text("Camille")
    assert_accessible(page)

    # j: the next ticket of the list it came from; u: back to that list.
    page.keyboard.press("j")
    page.wait_for_url(f"**/agent/tickets/{older.reference}/")
    page.keyboard.press("u")
    page.wait_for_url("**/agent/?view=all")

    newer.refresh_from_db()
    assert newer.assignee == camille
    assert list(newer.messages.order_by("id").values_list("is_public", flat=True)) == [True, False, True]


SAVE_AS = {"fr": "Enregistrer comme vue", "en": "Save as a view"}
SAVE_IT = {"fr": "Enregistrer la vue", "en": "Save the view"}
VIEW_NAME = {"fr": "Nom de la vue", "en": "Name of the view"}


@pytest.mark.parametrize("language", ["fr", "en"])
def test_an_agent_saves_a_personal_view_and_sees_its_count(site, new_page, make_ticket, language):
    User.objects.create_user("camille@example.com", password="pw-camille", name="Camille", role=Role.AGENT)
    for n in range(3):
        make_ticket(email=f"p{n}@example.org", subject=f"Invoice wrong {n}", language=language)
    make_ticket(subject="Password lost", language=language)

    page = new_page("fr-FR" if language == "fr" else "en-GB")
    log_in(page, site.url, "camille@example.com", "pw-camille", language)
    page.goto(f"{site.url}/{language}/agent/?view=all")
    page.locator("#workspace-q").fill("invoice status:new")
    page.locator("#workspace-q").press("Enter")
    expect(page.locator(".ticket-table tbody tr")).to_have_count(3)
    page.locator("summary", has_text=SAVE_AS[language]).click()
    page.get_by_label(VIEW_NAME[language]).fill("Invoices")
    page.get_by_role("button", name=SAVE_IT[language]).click()
    saved = page.locator(".views-nav a[aria-current=page]")
    expect(saved).to_contain_text("Invoices")
    expect(saved.locator(".count")).to_have_text("3")
    expect(page.locator("#view-heading")).to_contain_text("Invoices")
    assert_accessible(page)
    # The count follows the tickets: one more invoice, seen on the next visit of any list page.
    make_ticket(email="late@example.org", subject="Invoice late", language=language)
    page.goto(f"{site.url}/{language}/agent/?view=unassigned")
    expect(page.locator(".views-nav a", has_text="Invoices").locator(".count")).to_have_text("4")


DELETE_LINK = {"fr": "Supprimer ce ticket…", "en": "Delete this ticket…"}


@pytest.mark.parametrize("language", ["fr", "en"])
def test_an_admin_deletes_a_ticket_after_confirming(site, new_page, make_ticket, language):
    User.objects.create_user("ada@example.com", password="pw-ada", name="Ada", role=Role.ADMIN)
    ticket = make_ticket(subject="Test ticket, to delete", language=language)

    page = new_page("fr-FR" if language == "fr" else "en-GB")
    log_in(page, site.url, "ada@example.com", "pw-ada", language)
    page.goto(f"{site.url}/{language}/agent/tickets/{ticket.reference}/")
    page.get_by_role("link", name=DELETE_LINK[language]).click()
    expect(page.locator("[role=alert]")).to_be_visible()
    assert_accessible(page)
    page.locator("button.button-danger").click()
    expect(page.locator(".flash-success")).to_contain_text(f"#{ticket.reference}")
    assert not Ticket.objects.filter(pk=ticket.pk).exists()


CHOOSE = {"fr": "Choisir ce qu\u2019on me signale", "en": "Choose what I am told"}


@pytest.mark.parametrize("language", ["fr", "en"])
def test_a_mentioned_agent_sees_the_badge_and_the_notice(site, new_page, make_ticket, language):
    camille = User.objects.create_user("camille@example.com", password="pw-camille", name="Camille", role=Role.AGENT)
    dominique = User.objects.create_user("dominique@example.com", name="Dominique", role=Role.AGENT)
    ticket = make_ticket(subject="Invoice twice", language=language)
    ticket_update_by_agent(ticket, agent=dominique, body="@camille can you check?", is_public=False)

    page = new_page("fr-FR" if language == "fr" else "en-GB")
    log_in(page, site.url, "camille@example.com", "pw-camille", language)
    badge = page.locator("[data-notice-count]")
    expect(badge).to_have_text("1")
    page.locator(".notices-link").click()
    expect(page.locator(".notice-item.is-unread")).to_contain_text("Invoice twice")
    assert_accessible(page)
    page.get_by_role("link", name=CHOOSE[language]).click()
    assert_accessible(page)
    # Opened (its presence check-in, a POST): the notice is read, and the badge goes with the next page.
    with page.expect_response(lambda response: "/presence/" in response.url):
        page.goto(f"{site.url}/{language}/agent/tickets/{ticket.reference}/")
    expect(page.locator(".conversation")).to_contain_text("@camille can you check?")
    page.goto(f"{site.url}/{language}/agent/notifications/")
    expect(page.locator(".notice-item.is-unread")).to_have_count(0)
    expect(badge).to_be_hidden()
    assert camille.notices.filter(read_at__isnull=True).count() == 0
