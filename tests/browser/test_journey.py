"""The requester's whole first journey, in a real browser, in French and in English."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import assert_accessible
from tests.conftest import png_bytes

pytestmark = pytest.mark.browser

WORDS = {
    "fr": {
        "locale": "fr-FR",
        "new_ticket": "Nouveau ticket de support",
        "robot": "Je ne suis pas un robot",
        "send": "Envoyer",
        "sent": "a bien été envoyé",
        "incident": "Incident",
    },
    "en": {
        "locale": "en-GB",
        "new_ticket": "New support ticket",
        "robot": "I'm not a robot",
        "send": "Send",
        "sent": "has been sent",
        "incident": "Incident",
    },
}


def wait_for_captcha(page) -> None:
    """The widget has solved its proof of work and filled the form's field."""
    page.wait_for_function(
        "() => { const i = document.querySelector('input[name=altcha]'); return i && i.value.length > 20; }"
    )


def solve_captcha(page, words) -> None:
    page.get_by_text(words["robot"], exact=True).click()
    wait_for_captcha(page)


def wait_for_email(page, base_url: str, subject_part: str) -> None:
    for _ in range(40):
        page.goto(f"{base_url}/dev/outbox/")
        link = page.get_by_role("link", name=re.compile(re.escape(subject_part)))
        if link.count():
            # Wait for the e-mail's page itself: the caller inspects it next.
            with page.expect_navigation():
                link.first.click()
            return
        page.wait_for_timeout(500)
    raise AssertionError(f"no e-mail with {subject_part!r} reached the outbox")


@pytest.mark.parametrize("language", ["fr", "en"])
def test_it_walks_from_an_article_to_a_followed_ticket(site, new_page, language, tmp_path):
    words = WORDS[language]
    shot = tmp_path / "screenshot.png"
    shot.write_bytes(png_bytes(32, 24))
    log = tmp_path / "console.log"
    log.write_text("ERROR export failed\n")
    page = new_page(words["locale"])

    page.goto(site.url + "/")
    assert page.url.endswith(f"/{language}/")
    assert_accessible(page)
    page.locator(".section-card .article-list a").first.click()
    assert "/articles/" in page.url
    article_address = page.url
    assert page.locator("nav.toc a").count() >= 1
    assert page.locator(".back-to-top a[href='#top']").count() >= 1
    assert_accessible(page)

    page.get_by_role("link", name=words["new_ticket"]).first.click()
    # The form is told which article the customer came from (comptoir.ticketforms.context).
    assert urlsplit(page.url).path == f"/{language}/tickets/new/"
    assert parse_qs(urlsplit(page.url).query)["from"] == [urlsplit(article_address).path]
    assert_accessible(page)
    page.locator("input[name=email]").fill("claire@example.org")
    page.locator("input[name=name]").fill("Claire Dubois")
    page.get_by_label(words["incident"]).check()
    page.locator("input[name=subject]").fill(f"Export broken {language}")
    page.locator("textarea[name=description]").fill("I click Export, nothing happens.\nExpected: a CSV file.")
    page.locator("input[name=attachments]").set_input_files(str(shot))
    assert "screenshot.png" in page.locator(".file-list").inner_text()
    solve_captcha(page, words)
    page.get_by_role("button", name=words["send"], exact=True).click()

    heading = page.get_by_role("heading", level=1)
    assert words["sent"] in heading.inner_text()
    reference = re.search(r"#(\d+)", heading.inner_text()).group(1)
    assert_accessible(page)

    wait_for_email(page, site.url, f"[#{reference}]")
    assert_accessible(page)
    page.locator(".outbox-links a").first.click()
    # The link's page hands its token over in a POST, then lands on the ticket.
    page.wait_for_url(re.compile(rf"/{language}/tickets/{reference}/$"))
    assert page.get_by_role("heading", name=f"Export broken {language}").is_visible()
    assert page.get_by_role("link", name=re.compile("screenshot.png")).is_visible()
    assert_accessible(page)

    with page.expect_download() as download:
        page.get_by_role("link", name=re.compile("screenshot.png")).click()
    assert download.value.suggested_filename == "screenshot.png"

    page.locator("textarea[name=body]").fill("Here is the log file.")
    page.locator("input[name=attachments]").set_input_files(str(log))
    page.get_by_role("button", name=words["send"], exact=True).click()
    page.wait_for_url(re.compile(r"#message-\d+$"))
    assert "Here is the log file." in page.locator(".conversation").inner_text()
    assert page.get_by_role("link", name=re.compile("console.log")).is_visible()
    assert_accessible(page)


@pytest.mark.parametrize("language", ["fr", "en"])
def test_it_fills_and_sends_the_form_with_the_keyboard_alone(site, new_page, language, tmp_path):
    words = WORDS[language]
    shot = tmp_path / "capture.png"
    shot.write_bytes(png_bytes())
    page = new_page(words["locale"])
    page.goto(f"{site.url}/{language}/tickets/new/")
    page.locator("input[name=email]").focus()
    page.keyboard.type("kim@example.org")
    page.keyboard.press("Tab")
    page.keyboard.type("Kim Keyboard")
    page.keyboard.press("Tab")  # the ticket type radios: arrow keys choose
    page.keyboard.press("ArrowRight")
    page.keyboard.press("Tab")
    page.keyboard.type("Keyboard only")
    page.keyboard.press("Tab")
    page.keyboard.type("Typed without a mouse.")
    page.keyboard.press("Tab")
    # The file input is reached with Tab. Opening the native chooser with Space is
    # the browser's own behaviour, and waiting for it raced Playwright's chooser
    # interception under load, so the chosen file is set on the focused input.
    attachments = page.locator("input[name=attachments]")
    expect(attachments).to_be_focused()
    attachments.set_input_files(str(shot))
    expect(page.locator(".file-list li")).to_have_count(1)
    # Tab on to the captcha checkbox and tick it with the space bar.
    for _ in range(10):
        page.keyboard.press("Tab")
        if page.evaluate("() => !!(document.activeElement && document.activeElement.closest('altcha-widget'))"):
            break
    page.keyboard.press("Space")
    wait_for_captcha(page)
    page.keyboard.press("Tab")
    focused = page.evaluate("() => document.activeElement.textContent.trim()")
    assert focused == words["send"]
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert words["sent"] in page.get_by_role("heading", level=1).inner_text()


def test_it_keeps_what_was_typed_when_a_file_is_refused(site, new_page, tmp_path):
    page = new_page("en-GB")
    fake = tmp_path / "photo.png"
    fake.write_bytes(b"MZ" + b"\x00" * 300)
    page.goto(f"{site.url}/en/tickets/new/")
    page.locator("input[name=email]").fill("lee@example.org")
    page.locator("input[name=name]").fill("Lee")
    page.locator("input[name=subject]").fill("Kept subject")
    page.locator("textarea[name=description]").fill("Kept description")
    page.locator("input[name=attachments]").set_input_files(str(fake))
    solve_captcha(page, WORDS["en"])
    page.get_by_role("button", name="Send", exact=True).click()
    assert "is not a file type we accept" in page.locator(".errors").first.inner_text()
    assert page.locator("input[name=subject]").input_value() == "Kept subject"
    assert page.locator("textarea[name=description]").input_value() == "Kept description"
    assert_accessible(page)


def test_it_attaches_a_pasted_screenshot_and_a_dropped_file(site, new_page):
    page = new_page("en-GB")
    page.goto(f"{site.url}/en/tickets/new/")
    # What the browser hands the page when a screenshot is pasted or a file dropped.
    page.evaluate(
        """() => {
        const png = Uint8Array.from(atob(
            'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=='
        ), c => c.charCodeAt(0));
        const pasted = new DataTransfer();
        pasted.items.add(new File([png], 'image.png', {type: 'image/png'}));
        document.querySelector('textarea[name=description]').dispatchEvent(
            new ClipboardEvent('paste', {clipboardData: pasted, bubbles: true, cancelable: true}));
        const dropped = new DataTransfer();
        dropped.items.add(new File(['line one\\n'], 'notes.txt', {type: 'text/plain'}));
        document.querySelector('[data-dropzone]').dispatchEvent(
            new DragEvent('drop', {dataTransfer: dropped, bubbles: true, cancelable: true}));
    }"""
    )
    listed = page.locator(".file-list").inner_text()
    assert "screenshot-" in listed and "notes.txt" in listed
    # Sizes as the server writes them (comptoir.core.typography.file_size).
    assert "notes.txt (9\u00a0bytes)" in listed
    assert page.evaluate("() => document.querySelector('input[name=attachments]').files.length") == 2
    page.locator("input[name=email]").fill("paste@example.org")
    page.locator("input[name=name]").fill("Pat")
    page.locator("input[name=subject]").fill("Pasted")
    page.locator("textarea[name=description]").fill("See the pasted screenshot.")
    solve_captcha(page, WORDS["en"])
    page.get_by_role("button", name="Send", exact=True).click()
    assert "has been sent" in page.get_by_role("heading", level=1).inner_text()
    from comptoir.tickets.models import Attachment

    kinds = sorted(Attachment.objects.values_list("content_type", flat=True))
    assert kinds == ["image/png", "text/plain"]
