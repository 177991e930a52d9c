"""My tickets and the agents' list on a phone (issue 22): at 390 px nothing is clipped.

Each row reads as a card: the page never scrolls sideways, every subject is on the
screen in full width, and axe-core finds nothing, in French and in English.
"""

from __future__ import annotations

import pytest

from comptoir.accounts.models import Role, User
from comptoir.accounts.services import email_address_record
from comptoir.tickets.models import Status
from comptoir.tickets.services import ticket_create, ticket_set_status
from tests.browser.conftest import assert_accessible
from tests.browser.test_conversation import log_in

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
PASSWORD = "a-long-Passw0rd!"
LOCALES = {"fr": "fr-FR", "en": "en-GB"}
# Long enough to wrap, with one unbreakable word that would push a cell wider than the screen.
SUBJECTS = (
    "Export fails",
    "The invoice for March shows the wrong VAT number and my accountant needs it today",
    "Attachment_upload_fails_with_a_very_long_file_name_screen_recording.mp4",
)


def no_sideways_scroll(page) -> None:
    width = page.evaluate("() => [document.scrollingElement.scrollWidth, window.innerWidth]")
    assert width[0] <= width[1], f"the page scrolls sideways: {width[0]} px wide in a {width[1]} px window"


def subjects_on_screen(page, selector: str) -> list[str]:
    """The subjects whose link box lies inside the window, left to right; fails on one that sticks out."""
    links = page.locator(selector)
    shown = []
    for n in range(links.count()):
        link = links.nth(n)
        box = link.bounding_box()
        assert box is not None and box["width"] > 0 and box["height"] > 0, f"row {n}'s subject is hidden"
        assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], (n, box)
        shown.append(link.inner_text())
    return shown


@pytest.mark.parametrize("language", ["fr", "en"])
def test_my_tickets_reads_as_cards_on_a_phone(site, new_page, language, tmp_path):
    user = User.objects.create_user("mia@example.org", password=PASSWORD, name="Mia Rossi", language=language)
    email_address_record(user=user, verified=True)
    for subject in SUBJECTS:
        ticket = ticket_create(email=user.email, name=user.name, subject=subject, description="…", language=language)
    ticket_set_status(ticket, Status.PENDING, actor=None)

    page = new_page(LOCALES[language])
    page.set_viewport_size(PHONE)
    page.goto(f"{site.url}/{language}/my/tickets/")
    page.locator("input[name=login]").fill(user.email)
    page.locator("input[name=password]").fill(PASSWORD)
    with page.expect_navigation():
        page.locator("input[name=password]").press("Enter")
    page.wait_for_url(f"**/{language}/my/tickets/")

    no_sideways_scroll(page)
    shown = subjects_on_screen(page, ".my-tickets-table .subject-cell a")
    assert sorted(shown) == sorted(SUBJECTS)
    # The column names stay with the values they name, read from the header cells.
    update_label = page.locator(".my-tickets-table thead th").nth(3).text_content()
    cell = page.locator(".my-tickets-table tbody tr").first.locator("td").nth(3)
    assert cell.evaluate("cell => getComputedStyle(cell, '::before').content") == f'"{update_label}"'
    page.screenshot(path=str(tmp_path / f"my-tickets-phone.{language}.png"), full_page=True)
    assert_accessible(page)


@pytest.mark.parametrize("language", ["fr", "en"])
def test_the_agents_list_reads_as_cards_on_a_phone(site, new_page, make_ticket, language, tmp_path):
    User.objects.create_user("camille@example.com", password="pw-camille", name="Camille", role=Role.AGENT)
    for n, subject in enumerate(SUBJECTS):
        make_ticket(email=f"person{n}@example.org", subject=subject, language=language)

    page = new_page(LOCALES[language])
    page.set_viewport_size(PHONE)
    log_in(page, site.url, "camille@example.com", "pw-camille", language)
    page.goto(f"{site.url}/{language}/agent/?view=all")

    no_sideways_scroll(page)
    shown = subjects_on_screen(page, ".ticket-table .subject-cell > a")
    assert sorted(text.split(" ", 1)[1] for text in shown) == sorted(SUBJECTS)
    page.screenshot(path=str(tmp_path / f"agent-list-phone.{language}.png"), full_page=True)
    assert_accessible(page)
