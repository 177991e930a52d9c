"""Article Markdown never yields HTML a browser would run: every known XSS vector through render_markdown.

The same vectors are loaded in Chromium, clicked and hovered, by tests/browser/test_article_xss.py.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

import markdown
import pytest

from comptoir.helpcenter.rendering import render_markdown

# Every payload, had it run, would call alert (seen by the browser test's dialog
# listener), set window.__xss or write "pwned" into the title.
DATA_HTML = "data:text/html;base64,PHNjcmlwdD5wYXJlbnQuYWxlcnQoMSk8L3NjcmlwdD4="  # <script>parent.alert(1)</script>
DATA_SVG = "data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9ImFsZXJ0KDEpIj48L3N2Zz4="  # <svg onload="alert(1)"></svg>

# (name, Markdown). Images carry alt text so that the page they end up on stays
# accessible: what is tested is the payload, not a missing alt.
VECTORS: list[tuple[str, str]] = [
    # <script>, however it is written
    ("script block", "<script>window.__xss = 1; alert(1)</script>"),
    ("script inline", "Bonjour <script>alert(1)</script> le monde"),
    ("script upper case", "<SCRIPT>alert(1)</SCRIPT>"),
    ("script src", '<script src="data:text/javascript,alert(1)"></script>'),
    ("script split", "<scr<script>ipt>alert(1)</scr</script>ipt>"),
    # Event handlers
    ("img onerror", '<img src=x alt="broken image" onerror="alert(1)">'),
    ("img onerror unquoted", "<img src=x alt=broken onerror=alert(1)>"),
    ("img onerror marker", '<img src=x alt="marker" onerror="window.__xss = 1">'),
    ("img onload", '<img src="/static/favicon.ico" alt="icon" onload="alert(1)">'),
    ("img onmouseover", '<img src=x alt="hover me" onmouseover="alert(1)">'),
    ("img quote break-out", '<img src="x" alt="\\" onerror=alert(1)">'),
    ("a onclick", '<a href="#" onclick="alert(1); return false">click handler</a>'),
    ("a onfocus autofocus", '<a href="#" autofocus onfocus="alert(1)">focus handler</a>'),
    ("details ontoggle", "<details open ontoggle=alert(1)><summary>details</summary>x</details>"),
    ("body onload", "<body onload=alert(1)>body</body>"),
    ("input onfocus", "<input autofocus onfocus=alert(1)>"),
    ("video source onerror", "<video><source onerror=alert(1)></video>"),
    ("audio onerror", "<audio src=x onerror=alert(1)></audio>"),
    ("marquee onstart", "<marquee onstart=alert(1)>marquee</marquee>"),
    ("table cell handler", "| colonne |\n| --- |\n| <span onclick=alert(1)>cellule</span> |"),
    # Headings with handlers
    ("h2 onmouseover", '<h2 onmouseover="alert(1)">Heading with a handler</h2>'),
    ("h3 onclick", '<h3 id="x" onclick="document.title=\'pwned\'">Clickable heading</h3>'),
    ("markdown heading img", "## Heading image <img src=x alt=heading onerror=alert(1)>"),
    ("markdown heading link", '## <a href="javascript:alert(1)">Heading link</a>'),
    # SVG and MathML
    ("svg onload", '<svg onload="alert(1)"></svg>'),
    ("svg script", "<svg><script>alert(1)</script></svg>"),
    ("svg animate onbegin", '<svg><animate onbegin="alert(1)" attributeName="x" dur="1s"></animate></svg>'),
    ("svg a xlink", '<svg><a xlink:href="javascript:alert(1)"><text x="20" y="20">svg link</text></a></svg>'),
    (
        "svg foreignObject",
        "<svg><foreignObject><iframe srcdoc='<script>parent.alert(1)</script>'></iframe></foreignObject></svg>",
    ),
    ("math href", '<math href="javascript:alert(1)">math link</math>'),
    (
        "math maction",
        '<math><maction actiontype="statusline" xlink:href="javascript:alert(1)">maction</maction></math>',
    ),
    (
        "math mglyph style",
        "<math><mtext><table><mglyph><style><img src=x alt=m onerror=alert(1)></style></mglyph></table></mtext></math>",
    ),
    # javascript: and data: links, in Markdown and in HTML
    ("markdown javascript link", "[click](javascript:alert(1))"),
    ("markdown mixed case", "[mixed case](JaVaScRiPt:alert(1))"),
    ("markdown leading spaces", "[spaces](  javascript:alert(1))"),
    ("markdown angle brackets", "[brackets](<javascript:alert(1)>)"),
    ("markdown tab in scheme", "[tab](java\tscript:alert(1))"),
    ("markdown reference", "[reference][evil]\n\n[evil]: javascript:alert(1)"),
    ("markdown data html", f"[data]({DATA_HTML})"),
    ("markdown vbscript", "[vbscript](vbscript:msgbox(1))"),
    ("markdown javascript comment", "[comment](javascript://%0Aalert(1))"),
    ("markdown entity colon", "[entity](javascript&#58;alert(1))"),
    ("markdown entity letters", "[letters](&#x6A;&#x61;&#x76;&#x61;script:alert(1))"),
    ("html javascript link", '<a href="javascript:alert(1)">html link</a>'),
    ("html leading space", '<a href=" javascript:alert(1)">leading space</a>'),
    ("html entity colon", '<a href="javascript&#58;alert(1)">entity colon</a>'),
    ("html entity colon no semicolon", '<a href="javascript&#58alert(1)">entity no semicolon</a>'),
    ("html named colon", '<a href="javascript&colon;alert(1)">named colon</a>'),
    ("html entity j", '<a href="&#106;avascript:alert(1)">entity j</a>'),
    ("html entity tab", '<a href="java&#x09;script:alert(1)">entity tab</a>'),
    ("html entity newline", '<a href="java&#x0A;script:alert(1)">entity newline</a>'),
    ("html control character", '<a href="&#x01;javascript:alert(1)">control character</a>'),
    ("html data link", f'<a href="{DATA_HTML}">html data</a>'),
    ("html data link plain", '<a href="data:text/html,<script>alert(1)</script>">plain data</a>'),
    ("autolink javascript", "<javascript:alert(1)>"),
    ("autolink data", "<data:text/html,alert(1)>"),
    # Images with active URLs
    ("markdown image javascript", "![javascript image](javascript:alert(1))"),
    ("markdown image data svg", f"![data image]({DATA_SVG})"),
    ("html image javascript", '<img src="javascript:alert(1)" alt="javascript src">'),
    ("html image srcset", '<img src="/static/favicon.ico" srcset="javascript:alert(1)" alt="srcset">'),
    # Frames, objects, embeds
    ("iframe srcdoc", '<iframe srcdoc="<script>parent.alert(1)</script>"></iframe>'),
    ("iframe javascript", '<iframe src="javascript:alert(1)"></iframe>'),
    ("object data", f'<object data="{DATA_HTML}"></object>'),
    ("embed", '<embed src="javascript:alert(1)">'),
    ("form action", '<form action="javascript:alert(1)"><button>form button</button></form>'),
    ("button formaction", '<button formaction="javascript:alert(1)">formaction</button>'),
    ("base href", '<base href="javascript:alert(1)//">'),
    ("meta refresh", '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">'),
    ("link import", '<link rel="import" href="data:text/html,<script>alert(1)</script>">'),
    # CSS
    ("style tag", "<style>body { background: url('javascript:alert(1)') } .prose { display: none }</style>"),
    ("style attribute", '<p style="background:url(javascript:alert(1))">style attribute</p>'),
    ("style overlay", '<a href="#" style="position:fixed;inset:0;z-index:9999">overlay</a>'),
    # Parser confusion (mutation XSS)
    ("noscript title", '<noscript><p title="</noscript><img src=x alt=n onerror=alert(1)>"></noscript>'),
    ("comment break-out", "<!--><img src=x alt=c onerror=alert(1)>-->"),
    ("xmp", "<xmp><img src=x alt=x onerror=alert(1)></xmp>"),
    ("template", "<template><img src=x alt=t onerror=alert(1)></template>"),
    ("cdata", "<![CDATA[<img src=x alt=d onerror=alert(1)>]]>"),
    ("textarea break-out", "<textarea></textarea><img src=x alt=ta onerror=alert(1)>"),
    # Code shown to readers stays text
    ("inline code", "`<script>alert(1)</script>`"),
    ("indented code", "    <img src=x onerror=alert(1)>\n    <script>alert(1)</script>"),
]

# Elements that run code, load documents or take over the page.
FORBIDDEN_TAGS = {
    "script", "iframe", "frame", "frameset", "object", "embed", "applet", "svg", "math", "style", "link", "meta",
    "base", "form", "input", "button", "textarea", "select", "template", "noscript", "xmp", "video", "audio",
    "source", "details", "marquee", "body", "html", "animate", "foreignobject",
}  # fmt: skip
URL_ATTRIBUTES = {"href", "src", "srcset", "action", "formaction", "data", "xlink:href", "poster", "background"}
ACTIVE_SCHEMES = ("javascript:", "data:", "vbscript:")
# What a browser's URL parser ignores: leading and trailing C0 controls and spaces, tabs and newlines anywhere.
_URL_EDGES = "".join(chr(code) for code in range(0x21))
_URL_IGNORED = re.compile(r"[\t\n\r]")


class Elements(HTMLParser):
    """Every start tag with its (unescaped) attributes: what a browser builds, not the text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))


def url_scheme_is_active(value: str) -> bool:
    """Whether a browser would take ``value`` for a javascript:, data: or vbscript: URL."""
    url = _URL_IGNORED.sub("", value.strip(_URL_EDGES)).lower()
    return url.startswith(ACTIVE_SCHEMES)


def dangers(html: str) -> list[str]:
    """Everything in ``html`` that could run code in a browser; empty when it is safe."""
    elements = Elements()
    elements.feed(html)
    elements.close()
    found: list[str] = []
    # Python's parser reads "<!-->" as the start of a comment, browsers as a whole one:
    # sanitised HTML has no comments, so any is suspect.
    found.extend(marker for marker in ("<!--", "<![CDATA[") if marker in html)
    for tag, attributes in elements.tags:
        if tag in FORBIDDEN_TAGS:
            found.append(f"<{tag}>")
        for name, value in attributes:
            if name.startswith("on") or name in ("style", "srcdoc"):
                found.append(f"<{tag} {name}>")
            elif name in URL_ATTRIBUTES and url_scheme_is_active(value or ""):
                found.append(f"<{tag} {name}={value!r}>")
    return found


@pytest.mark.parametrize(("name", "source"), VECTORS, ids=[name for name, _ in VECTORS])
def test_it_renders_no_active_content_from_an_attack_vector(name, source):
    html = render_markdown(source).html

    assert dangers(html) == [], html


def test_it_renders_no_active_content_from_all_vectors_in_one_article():
    source = "\n\n".join(f"{markdown}\n\nVector {number}: {name}." for number, (name, markdown) in enumerate(VECTORS))

    rendered = render_markdown(source)

    assert dangers(rendered.html) == [], rendered.html
    assert all(re.fullmatch(r"[a-z0-9-]+", entry["id"]) for entry in rendered.toc), rendered.toc


# Vectors Python-Markdown itself leaves inert (escaped, code, or a tag no browser runs).
INERT_BEFORE_SANITISING = {
    "img quote break-out", "markdown tab in scheme", "autolink javascript", "autolink data", "inline code",
    "indented code",
}  # fmt: skip


def test_it_sees_the_vectors_in_html_that_was_not_sanitised():
    """The check above is not vacuous: before nh3, every other vector is active HTML."""
    converter = markdown.Markdown(extensions=["toc", "tables", "sane_lists"])

    unsafe = {name for name, source in VECTORS if dangers(converter.reset().convert(source))}

    assert unsafe == {name for name, _ in VECTORS} - INERT_BEFORE_SANITISING


def test_it_keeps_code_samples_as_visible_text():
    html = render_markdown("`<script>alert(1)</script>`\n\n    <img src=x onerror=alert(1)>").html

    assert "<code>&lt;script&gt;alert(1)&lt;/script&gt;</code>" in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert dangers(html) == []


@pytest.mark.parametrize(
    ("value", "active"),
    [
        ("javascript:alert(1)", True),
        (" \x01JaVa\tScRiPt:alert(1)", True),
        ("data:text/html,x", True),
        ("java    script:alert(1)", False),  # a relative path: spaces are not ignored inside a scheme
        ("https://example.com/javascript:", False),
        ("/fr/articles/1-x/", False),
    ],
)
def test_it_reads_url_schemes_as_a_browser_does(value, active):
    assert url_scheme_is_active(value) is active
