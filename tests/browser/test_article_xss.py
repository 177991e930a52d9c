"""An article holding every XSS vector runs none of them in Chromium, in French and in English.

The article is saved as authors save one (article_translation_save), loaded,
every link of its body clicked and every image and heading hovered; nothing may
call alert, set window.__xss, write "pwned" into the title or open a window,
and the body's DOM must hold no active element, handler or URL. The page's
Content-Security-Policy is bypassed (see conftest.new_page): what is tested is
the sanitiser, not the CSP behind it.
"""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import translation

from comptoir.helpcenter.models import Article, Section
from comptoir.helpcenter.services import article_translation_save
from tests.browser.conftest import assert_accessible
from tests.helpcenter.test_markdown_xss import VECTORS

pytestmark = pytest.mark.browser

LOCALES = {"fr": "fr-FR", "en": "en-GB"}
TITLES = {"fr": "Mise en forme des articles", "en": "Formatting articles"}
VECTOR_LABEL = {"fr": "Vecteur", "en": "Vector"}

# Runs in every document and frame before the page's own code: whatever sets the
# marker or the title reports it to the test at once, even if a navigation follows.
TRAPS = """
(() => {
  Object.defineProperty(window, "__xss", {
    configurable: false,
    get() { return undefined; },
    set(value) { window.xssReport("window.__xss = " + value); },
  });
  const title = Object.getOwnPropertyDescriptor(Document.prototype, "title");
  Object.defineProperty(Document.prototype, "title", {
    configurable: true,
    get() { return title.get.call(this); },
    set(value) {
      if (String(value).includes("pwned")) window.xssReport("document.title = " + value);
      title.set.call(this, value);
    },
  });
})();
"""

# Everything in the article body that could run code, as the browser built it.
BODY_DANGERS = """
() => {
  const body = document.querySelector("article .prose");
  const found = [];
  const forbidden = "script, iframe, frame, object, embed, applet, svg, math, style, link, meta, base, form, input,"
    + " button, textarea, select, template, noscript, video, audio, source, details, marquee";
  for (const element of body.querySelectorAll(forbidden)) found.push("<" + element.localName + ">");
  for (const element of body.querySelectorAll("*")) {
    for (const attribute of element.attributes) {
      const name = attribute.name.toLowerCase();
      if (name.startsWith("on") || name === "style" || name === "srcdoc") {
        found.push("<" + element.localName + " " + name + ">");
      }
    }
  }
  const active = new Set(["javascript:", "data:", "vbscript:"]);
  for (const element of body.querySelectorAll("[href], [src], [srcset], [action], [formaction], [data]")) {
    for (const name of ["href", "src", "action", "formaction", "data"]) {
      if (!element.hasAttribute(name)) continue;
      // The URL the browser would follow, after its own parsing of the attribute.
      const url = new URL(element.getAttribute(name), document.baseURI);
      if (active.has(url.protocol)) found.push("<" + element.localName + " " + name + "=" + url.href + ">");
    }
    if (element.hasAttribute("srcset")) found.push("<" + element.localName + " srcset>");
  }
  return found;
}
"""


def article_markdown(language: str) -> str:
    """Every vector, each followed by a paragraph naming it: a vector that swallowed the next would show."""
    label = VECTOR_LABEL[language]
    parts = [f"{source}\n\n{label} {number}: {name}." for number, (name, source) in enumerate(VECTORS)]
    return "\n\n".join(parts) + "\n"


@pytest.fixture
def hostile_article(site) -> dict[str, str]:
    """The article saved in French and in English, in a demo section; its URL in each language."""
    section = Section.objects.get(key="support-tickets")
    article = Article.objects.create(key="xss-vectors", section=section, position=99, is_published=True)
    urls = {}
    for language in ("fr", "en"):
        translation_row = article_translation_save(
            article=article,
            language=language,
            title=TITLES[language],
            slug=f"xss-{language}",
            summary="",
            body_markdown=article_markdown(language),
        )
        with translation.override(language):
            path = reverse("article_detail", kwargs={"pk": article.pk, "slug": translation_row.slug})
        urls[language] = site.url + path
    return urls


class Watch:
    """What ran in a page: dialogs, markers set, windows opened."""

    def __init__(self, page) -> None:
        self.page = page
        self.reports: list[str] = []
        self.dialogs: list[str] = []
        self.popups: list[str] = []
        page.context.expose_binding("xssReport", lambda _source, message: self.reports.append(str(message)))
        page.context.add_init_script(TRAPS)
        page.context.on("page", lambda opened: self.popups.append(opened.url))
        page.on("dialog", self._dismiss)

    def _dismiss(self, dialog) -> None:
        self.dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    def ran(self) -> list[str]:
        self.page.wait_for_timeout(150)
        pwned = ["document.title: pwned"] if "pwned" in self.page.title() else []
        return self.dialogs + self.reports + [f"window opened: {url}" for url in self.popups] + pwned


def test_it_catches_a_vector_that_does_run(new_page):
    """The watch itself works: unsanitised markup, loaded and clicked, is seen running."""
    page = new_page()
    watch = Watch(page)

    # A navigation, as to the article: init scripts run in documents that are navigated to.
    page.route(
        "http://unsafe.test/",
        lambda route: route.fulfill(
            content_type="text/html",
            body='<title>t</title><img src="x" alt="a" onerror="window.__xss = 1">'
            '<img src="x" alt="b" onerror="alert(1)">'
            '<a id="bad" href="javascript:void(document.title=\'pwned\')">bad</a>',
        ),
    )
    page.goto("http://unsafe.test/")
    page.wait_for_timeout(300)
    page.click("#bad")

    assert sorted(watch.ran()) == ["alert: 1", "document.title = pwned", "document.title: pwned", "window.__xss = 1"]


def navigations_held(page, url: str) -> list[str]:
    """Answer the page's navigations away from ``url`` with "204 No Content", and list where they went.

    A 204 leaves the page as it is (browsers commit no document for it): every link is clicked on the
    one load of the article, instead of loading it again after each click, and where each click would
    have gone is known for certain, not read from the address bar before the navigation commits.
    A javascript: URL is no request: it still runs in the page, where the watch sees it.
    """
    requested: list[str] = []

    def answer(route, request) -> None:
        if request.is_navigation_request() and request.frame == page.main_frame and request.url != url:
            requested.append(request.url)
            route.fulfill(status=204)
        else:
            route.continue_()

    page.route("**/*", answer)
    return requested


def back_to_the_article(page, url: str, described: str, site_url: str) -> None:
    """Load the article again; a click's own navigation may start late and interrupt this one, so go again."""
    from playwright.sync_api import Error as PlaywrightError

    for _ in range(3):
        try:
            page.goto(url)
            return
        except PlaywrightError as error:
            if "interrupted by another navigation" not in str(error):
                raise
            page.wait_for_load_state("load")
            assert page.url.startswith(site_url), f"{described} left the site for {page.url}"
    raise AssertionError(f"{described}: the article would not load again")


@pytest.mark.parametrize("language", ["fr", "en"])
def test_it_runs_no_vector_when_an_article_is_read_clicked_and_hovered(site, hostile_article, new_page, language):
    url = hostile_article[language]
    page = new_page(LOCALES[language])
    watch = Watch(page)
    requested = navigations_held(page, url)

    page.goto(url)
    assert watch.ran() == [], "on loading the page"
    body = page.locator("article .prose")
    text = body.inner_text()
    for number, (name, _source) in enumerate(VECTORS):
        assert f"{VECTOR_LABEL[language]} {number}: {name}." in text, f"vector {number - 1} swallowed what follows"
    assert page.evaluate(BODY_DANGERS) == []

    # Hover whatever an author could hang a mouse handler on.
    hoverable = body.locator("img, h2, h3, h4, a, td")
    for index in range(hoverable.count()):
        element = hoverable.nth(index)
        if element.is_visible():
            element.hover()
    assert watch.ran() == [], "on hovering the images, headings, links and cells"

    # Click every link of the body: a link whose javascript: URL survived would run here; any other
    # must stay on this site. Navigations are held (navigations_held): the article stays loaded.
    link_count = body.locator("a").count()
    assert link_count >= 20
    for index in range(link_count):
        link = body.locator("a").nth(index)
        described = f"clicking link {index} ({link.inner_text()!r}, href={link.get_attribute('href')!r})"
        if link.is_visible():
            link.click(no_wait_after=True)
        else:
            link.dispatch_event("click")
        assert watch.ran() == [], described
        assert page.url.startswith(site.url), f"{described} left the site for {page.url}"
        assert all(target.startswith(site.url) for target in requested), f"{described} went to {requested[-1]}"
        if page.url.split("#")[0] != url:  # a navigation the 204 did not hold: load the article again
            back_to_the_article(page, url, described, site.url)

    assert page.evaluate("window.__xss") is None
    assert page.evaluate(BODY_DANGERS) == []
    assert_accessible(page)
