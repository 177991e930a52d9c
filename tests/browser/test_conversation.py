"""A whole conversation, in a real browser, in French and in English.

The requester writes in, an agent takes the ticket and asks for more, the
requester answers with a screenshot, the agent adds an internal note and solves
the ticket, and the requester rates the answer. Selectors avoid wording, which
translators may change, except where the text is the point.
"""

from __future__ import annotations

import re

import pytest
from django.template.loader import render_to_string
from django.utils import translation
from playwright.sync_api import expect

from comptoir.accounts.models import Role, User
from comptoir.tickets.models import Ticket
from tests.browser.conftest import assert_accessible
from tests.browser.test_journey import WORDS, solve_captcha
from tests.conftest import png_bytes

pytestmark = pytest.mark.browser

MESSAGE_ANCHOR = re.compile(r"#message-(\d+)$")


def email_subject(template: str, ticket: Ticket, language: str) -> str:
    """The subject the worker gives this e-mail, rendered as render_email renders it."""
    with translation.override(language):
        return " ".join(render_to_string(f"emails/{template}-subject.txt", {"ticket": ticket}).split())


def open_email(page, base_url: str, subject: str) -> None:
    """Poll the development outbox until the worker has delivered the e-mail, then open it."""
    link = page.get_by_role("link", name=subject, exact=True)
    for _ in range(80):
        page.goto(f"{base_url}/dev/outbox/")
        if link.count():
            link.first.click()
            expect(page.get_by_role("heading", level=1)).to_have_text(subject)
            return
        page.wait_for_timeout(250)
    raise AssertionError(f"no e-mail {subject!r} reached the outbox")


def log_in(page, base_url: str, email: str, password: str, language: str) -> None:
    page.goto(f"{base_url}/accounts/login/")
    assert_accessible(page)
    page.locator("input[name=login]").fill(email)
    page.locator("input[name=password]").fill(password)
    page.locator("input[name=password]").press("Enter")
    page.wait_for_url(re.compile(rf"/{language}/agent/"))


def click_and_get_message(page, button) -> int:
    """Submit a form that redirects to the message it wrote; returns the message's id."""
    before = page.url
    button.click()
    page.wait_for_url(lambda url: url != before and MESSAGE_ANCHOR.search(url) is not None)
    return int(MESSAGE_ANCHOR.search(page.url).group(1))


def submit_agent_form(page, status: str) -> int:
    """Click a submit button of the compose form ("" is plain Submit; the others are in the "Submit as" menu)."""
    if status:
        page.locator("#agent-update .submit-menu summary").click()
    return click_and_get_message(page, page.locator(f"#agent-update button[name=status][value='{status}']"))


@pytest.mark.parametrize("locale", ["fr", "en"])
def test_an_agent_and_a_requester_talk_until_the_ticket_is_solved_and_rated(site, new_page, locale, tmp_path):
    words = WORDS[locale]
    base = site.url
    subject = f"Export broken {locale}"
    ask = f"Which browser do you use? ({locale})"
    answer = f"Firefox 128, here is the screen. ({locale})"
    note = f"Known bug #4521, fixed in 4.2 — do not tell the customer yet ({locale})"
    solution = f"Version 4.2 fixes it: please update. ({locale})"
    comment = f"Quick and clear, thank you! ({locale})"
    screen = tmp_path / "browser-screen.png"
    screen.write_bytes(png_bytes(32, 24))
    agent_user = User.objects.create_user(
        f"camille-{locale}@example.com", password="pw-camille-1", role=Role.AGENT, name="Camille", language=locale
    )

    # The requester writes in through the form.
    requester = new_page(words["locale"])
    requester.goto(f"{base}/{locale}/tickets/new/")
    requester.locator("input[name=email]").fill("claire@example.org")
    requester.locator("input[name=name]").fill("Claire Dubois")
    requester.locator("input[name=ticket_type][value=incident]").check()
    requester.locator("input[name=subject]").fill(subject)
    requester.locator("textarea[name=description]").fill("I click Export, nothing happens.")
    solve_captcha(requester, words)
    requester.locator("main form button[type=submit]").click()
    heading = requester.get_by_role("heading", level=1)
    expect(heading).to_contain_text(re.compile(r"#\d+"))
    reference = int(re.search(r"#(\d+)", heading.inner_text()).group(1))
    ticket = Ticket.objects.get(pk=Ticket.pk_from_reference(reference))
    assert ticket.subject == subject
    ticket_link = f"a[href$='/agent/tickets/{reference}/']"
    row_link = f".ticket-table {ticket_link}"

    # The agent logs in, finds it among the unassigned tickets, takes it and asks for more.
    agent = new_page(words["locale"])
    log_in(agent, base, agent_user.email, "pw-camille-1", locale)
    agent.locator(".views-nav a[data-view=unassigned]").click()
    expect(agent.locator(".views-nav a[aria-current=page]")).to_have_attribute("data-view", "unassigned")
    expect(agent.locator(row_link)).to_contain_text(subject)
    assert_accessible(agent)
    agent.locator(row_link).click()
    agent.wait_for_url(f"**/{locale}/agent/tickets/{reference}/")
    expect(agent.get_by_role("heading", level=1)).to_have_text(subject)
    expect(agent.locator(".ticket-meta .badge")).to_have_class(re.compile(r"\bbadge-new\b"))
    assert_accessible(agent)

    agent.locator(f"form[action$='/agent/tickets/{reference}/take/'] button[type=submit]").click()
    expect(agent.locator("form[action$='/take/']")).to_have_count(0)
    expect(agent.locator("select[name=assignee]")).to_have_value(str(agent_user.pk))
    agent.locator("input[name=visibility][value=public]").check()
    agent.locator("#agent-update textarea[name=body]").fill(ask)
    asked = submit_agent_form(agent, "pending")
    expect(agent.locator(f"#message-{asked}")).to_contain_text(ask)
    expect(agent.locator(".ticket-meta .badge")).to_have_class(re.compile(r"\bbadge-pending\b"))

    # The reply reaches the requester by e-mail; its link opens the ticket page.
    open_email(requester, base, email_subject("agent_reply", ticket, locale))
    expect(requester.locator("pre.email-text")).to_contain_text(ask)
    requester.locator(".outbox-links a[href*='/t/']").first.click()
    requester.wait_for_url(re.compile(rf"/{locale}/tickets/{reference}/$"))
    expect(requester.locator(".conversation")).to_contain_text(ask)
    expect(requester.locator(".status-box .badge")).to_have_class(re.compile(r"\bbadge-pending\b"))
    assert_accessible(requester)

    # The requester answers on the page, with a screenshot.
    requester.locator("textarea[name=body]").fill(answer)
    requester.locator("input[name=attachments]").set_input_files(str(screen))
    expect(requester.locator(".file-list")).to_contain_text("browser-screen.png")
    answered = click_and_get_message(
        requester, requester.locator(f"form[action$='/tickets/{reference}/reply/'] button[type=submit]")
    )
    expect(requester.locator(f"#message-{answered}")).to_contain_text(answer)
    # The requester sees their screenshot as a thumbnail too, and the file's link.
    expect(requester.locator(f"#message-{answered} .attachments").get_by_role("link")).to_have_text(
        "browser-screen.png"
    )
    expect(requester.locator(f"#message-{answered} a.thumb img[alt='browser-screen.png']")).to_be_visible()
    assert_accessible(requester)

    # The agent sees the ticket open again, the answer and its thumbnail.
    agent.reload()
    expect(agent.locator(".ticket-meta .badge")).to_have_class(re.compile(r"\bbadge-open\b"))
    reply = agent.locator(f"#message-{answered}")
    expect(reply).to_contain_text(answer)
    thumbnail = reply.locator("a.thumb img[alt='browser-screen.png']")
    thumbnail.scroll_into_view_if_needed()
    expect(thumbnail).to_be_visible()
    expect(thumbnail).to_have_js_property("naturalWidth", 32)
    assert_accessible(agent)

    # An internal note, then the solution as a public reply.
    agent.locator("input[name=visibility][value=note]").check()
    agent.locator("#agent-update textarea[name=body]").fill(note)
    noted = submit_agent_form(agent, "")
    expect(agent.locator(f"#message-{noted}")).to_have_class(re.compile(r"\bmessage-note\b"))
    expect(agent.locator(f"#message-{noted}")).to_contain_text(note)
    expect(agent.locator("input[name=visibility][value=public]")).to_be_checked()
    agent.locator("#agent-update textarea[name=body]").fill(solution)
    solved = submit_agent_form(agent, "solved")
    expect(agent.locator(f"#message-{solved}")).to_contain_text(solution)
    expect(agent.locator(".ticket-meta .badge")).to_have_class(re.compile(r"\bbadge-solved\b"))

    # The solved e-mail carries the solution and the survey, never the note.
    open_email(requester, base, email_subject("ticket_solved", ticket, locale))
    text_part = requester.locator("pre.email-text")
    html_part = requester.frame_locator("iframe.email-frame").locator("body")
    expect(text_part).to_contain_text(solution)
    expect(html_part).to_contain_text(solution)
    expect(text_part).not_to_contain_text(note)
    expect(html_part).not_to_contain_text(note)
    survey_link = requester.locator(".outbox-links a[href*='/surveys/']").first
    expect(survey_link).to_have_attribute("href", re.compile(rf"/{locale}/surveys/[\w-]+/$"))

    # The requester's page shows the solution but not the note.
    requester.goto(f"{base}/{locale}/tickets/{reference}/")
    expect(requester.locator(f"#message-{solved}")).to_contain_text(solution)
    expect(requester.locator(".status-box .badge")).to_have_class(re.compile(r"\bbadge-solved\b"))
    expect(requester.locator(f"#message-{noted}")).to_have_count(0)
    assert note not in requester.content()
    assert_accessible(requester)

    # The requester rates the answer.
    requester.go_back()
    requester.locator(".outbox-links a[href*='/surveys/']").first.click()
    requester.wait_for_url(re.compile(rf"/{locale}/surveys/[\w-]+/$"))
    expect(requester.locator(".survey-card .ticket-ref")).to_contain_text(f"#{reference}")
    assert_accessible(requester)
    requester.locator("input[name=rating][value='5']").check()
    requester.locator("textarea[name=comment]").fill(comment)
    requester.locator(".survey-card form button[type=submit]").click()
    requester.wait_for_url(re.compile(r"\?saved=1$"))
    expect(requester.locator(".notice-ok[role=status]")).to_be_visible()
    expect(requester.locator("input[name=rating][value='5']")).to_be_checked()
    assert_accessible(requester)

    # The agent sees the rating and the comment on the ticket, and the rating in the list.
    agent.reload()
    expect(agent.locator(".ticket-meta .rating")).to_contain_text("5/5")
    satisfaction = agent.locator("section[aria-labelledby=satisfaction-title]")
    expect(satisfaction.locator(".rating")).to_have_text("5/5")
    expect(satisfaction.locator("blockquote")).to_have_text(comment)
    assert_accessible(agent)
    agent.goto(f"{base}/{locale}/agent/?view=solved")
    row = agent.locator(".ticket-table tbody tr").filter(has=agent.locator(ticket_link))
    expect(row.locator(".rating")).to_have_text("5/5")
    expect(row.locator(".badge")).to_have_class(re.compile(r"\bbadge-solved\b"))
    assert_accessible(agent)
