"""The Help Center header on a phone (issue 22): one row under 64 px, the rest behind a menu button
that the keyboard opens, walks and closes, in French and in English; unchanged on a wide screen;
the links still in the row without JavaScript."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from comptoir.accounts.models import User
from comptoir.accounts.services import email_address_record
from tests.browser.conftest import assert_accessible

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
PASSWORD = "a-long-Passw0rd!"
WORDS = {
    "fr": {
        "locale": "fr-FR", "menu": "Menu", "other": "en", "switch": "EN", "log_in": "Se connecter",
        "my_tickets": "Mes tickets", "profile": "Profil", "new_ticket": "Nouveau ticket",
    },
    "en": {
        "locale": "en-GB", "menu": "Menu", "other": "fr", "switch": "FR", "log_in": "Log in",
        "my_tickets": "My tickets", "profile": "Profile", "new_ticket": "New ticket",
    },
}  # fmt: skip


def header_boxes(page) -> dict[str, dict[str, float]]:
    return {
        "header": page.locator(".site-header").bounding_box(),
        "brand": page.locator(".site-header .brand").bounding_box(),
        "menu": page.locator(".header-menu-button").bounding_box(),
        "new": page.locator(".site-header .new-ticket").bounding_box(),
    }


def tab_to(page, locator, *, most: int = 12) -> None:
    """Press Tab until ``locator`` has the focus, as a keyboard user would."""
    for _ in range(most):
        page.keyboard.press("Tab")
        if locator.evaluate("element => element === document.activeElement"):
            return
    raise AssertionError(f"Tab never reached {locator}")


@pytest.mark.parametrize("language", ["fr", "en"])
def test_the_phone_header_is_one_row_and_its_menu_works_from_the_keyboard(site, new_page, language):
    words = WORDS[language]
    page = new_page(words["locale"])
    page.set_viewport_size(PHONE)
    page.goto(f"{site.url}/{language}/")

    boxes = header_boxes(page)
    assert boxes["header"]["height"] < 64, boxes
    # One row: the brand, the menu button and "New ticket" side by side, inside the screen.
    for name in ("brand", "menu", "new"):
        box = boxes[name]
        assert box["y"] >= boxes["header"]["y"] and box["y"] + box["height"] <= boxes["header"]["y"] + 64, name
        assert box["x"] + box["width"] <= PHONE["width"], name
    assert boxes["brand"]["x"] < boxes["menu"]["x"] < boxes["new"]["x"]
    button = page.get_by_role("button", name=words["menu"])
    menu = page.locator("#header-menu")
    expect(button).to_have_attribute("aria-expanded", "false")
    expect(button).to_have_attribute("aria-controls", "header-menu")
    expect(menu).to_be_hidden()
    expect(page.get_by_role("link", name=words["new_ticket"], exact=True)).to_be_visible()
    assert_accessible(page)

    # Opened from the keyboard; the focus stays on the button, the menu comes next.
    tab_to(page, button)
    page.keyboard.press("Enter")
    expect(button).to_have_attribute("aria-expanded", "true")
    expect(menu).to_be_visible()
    expect(menu.get_by_role("link", name=words["log_in"])).to_be_visible()
    assert page.locator(".site-header").bounding_box()["height"] < 64  # the panel lies over the page
    assert_accessible(page)
    page.keyboard.press("Tab")
    expect(menu.get_by_role("button", name=words["switch"], exact=False).first).to_be_visible()

    # Escape closes it from inside and gives the focus back to the button.
    page.keyboard.press("Escape")
    expect(button).to_have_attribute("aria-expanded", "false")
    expect(menu).to_be_hidden()
    assert button.evaluate("element => element === document.activeElement")

    # Space opens it again; the keyboard reaches the other language and switches to it.
    page.keyboard.press("Space")
    expect(menu).to_be_visible()
    other = menu.locator(f'button[name=language][value="{words["other"]}"]')
    tab_to(page, other)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.locator("html")).to_have_attribute("lang", words["other"])
    assert page.url.rstrip("/").endswith(f"/{words['other']}")

    # A click elsewhere closes it too.
    other_words = WORDS[words["other"]]
    page.get_by_role("button", name=other_words["menu"]).click()
    expect(page.locator("#header-menu")).to_be_visible()
    page.mouse.click(PHONE["width"] / 2, PHONE["height"] - 20)  # the page, below the panel
    expect(page.locator("#header-menu")).to_be_hidden()


@pytest.mark.parametrize("language", ["fr", "en"])
def test_a_signed_in_requester_reaches_my_tickets_and_the_profile_from_the_menu(site, new_page, language):
    words = WORDS[language]
    user = User.objects.create_user("mia@example.org", password=PASSWORD, name="Mia Rossi", language=language)
    email_address_record(user=user, verified=True)
    page = new_page(words["locale"])
    page.set_viewport_size(PHONE)
    page.goto(f"{site.url}/accounts/login/?next=/{language}/")
    page.locator("input[name=login]").fill("mia@example.org")
    page.locator("input[name=password]").fill(PASSWORD)
    with page.expect_navigation():
        page.locator("input[name=password]").press("Enter")
    assert page.locator(".site-header").bounding_box()["height"] < 64
    button = page.get_by_role("button", name=words["menu"])
    tab_to(page, button)
    page.keyboard.press("Enter")
    menu = page.locator("#header-menu")
    expect(menu.get_by_role("link", name=words["profile"])).to_be_visible()
    assert_accessible(page)
    my_tickets = menu.get_by_role("link", name=words["my_tickets"])
    tab_to(page, my_tickets)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert re.search(rf"/{language}/my/tickets/$", page.url), page.url


def test_the_wide_header_keeps_every_link_in_view_and_no_menu_button(site, new_page):
    page = new_page("en-GB")
    page.goto(f"{site.url}/en/")

    expect(page.locator(".header-menu-button")).to_be_hidden()
    nav = page.locator("#header-menu")
    expect(nav).to_be_visible()
    expect(nav.get_by_role("link", name="Log in")).to_be_visible()
    expect(page.locator(".site-header").get_by_role("link", name="New support ticket")).to_be_visible()
    header = page.locator(".site-header").bounding_box()
    assert header["height"] <= 66, header
    # The full words on a wide screen, and no phone-only link.
    expect(page.locator(".new-ticket-short")).to_be_hidden()
    assert_accessible(page)


def test_without_javascript_the_phone_header_shows_its_links(site, browser):
    context = browser.new_context(locale="en-GB", java_script_enabled=False, viewport=PHONE, bypass_csp=True)
    try:
        page = context.new_page()
        page.goto(f"{site.url}/en/")
        expect(page.locator(".header-menu-button")).to_be_hidden()
        expect(page.get_by_role("link", name="Log in")).to_be_visible()
        expect(page.get_by_role("button", name="FR")).to_be_visible()
        expect(page.locator(".site-header").get_by_role("link", name="New support ticket")).to_be_visible()
    finally:
        context.close()


@pytest.mark.parametrize(
    ("language", "locale", "words"),
    [("fr", "fr-FR", "Comment creer un compte"), ("en", "en-GB", "Signing up for an account")],
)
def test_on_a_phone_suggested_articles_appear_under_the_subject(site, new_page, language, locale, words):
    page = new_page(locale)
    page.set_viewport_size(PHONE)
    page.goto(f"{site.url}/{language}/tickets/new/")

    page.locator("input[name=subject]").press_sequentially(words, delay=40)

    card = page.locator(".suggestions-card")
    expect(card.get_by_role("link").first).to_be_visible()
    subject = page.locator("input[name=subject]").bounding_box()
    description = page.locator("textarea[name=description]").bounding_box()
    box = card.bounding_box()
    # Between the subject and the description, long before the Send button.
    assert subject["y"] < box["y"] < description["y"], (subject, box, description)
    assert box["y"] < page.locator("button[type=submit]").last.bounding_box()["y"]
    if language == "en":
        expect(page.locator("[data-suggestions-status]")).to_contain_text("listed under the subject")
    assert_accessible(page)

    # Wide again: back beside the form.
    page.set_viewport_size({"width": 1280, "height": 900})
    expect(page.locator(".ticket-new-layout > .suggestions")).to_have_count(1)
