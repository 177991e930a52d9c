"""Readable plain text from HTML.

html.parser is quadratic on inputs such as '<a b="' repeated (seconds for
60 KB on Python 3.11), so this is a small single-pass scanner instead. It
only needs to produce readable text, not a DOM.
"""

from __future__ import annotations

import re
from html import unescape

_TAG = re.compile(
    r"<(/?)([A-Za-z][A-Za-z0-9:-]*)((?:[^>\"']|\"[^\"]*\"|'[^']*')*)>",
)
_RAW_TEXT_ELEMENTS = frozenset({"script", "style", "title", "template", "textarea", "xmp"})
_SKIPPED_ELEMENTS = frozenset({"script", "style", "title", "template"})
_PARAGRAPH_ELEMENTS = frozenset(
    {"p", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre", "table", "ul", "ol", "dl"}
)
_LINE_ELEMENTS = frozenset(
    {
        "br", "div", "tr", "hr", "section", "article", "header", "footer", "nav",
        "address", "dt", "dd", "form", "fieldset", "figure", "figcaption", "main",
        "aside", "center", "caption", "tbody", "thead", "tfoot", "body", "html",
    }
)  # fmt: skip
_CELL_ELEMENTS = frozenset({"td", "th"})
_HEAD_END = re.compile(r"</head\s*>|<body\b", re.IGNORECASE)
_HTML_SPACE = re.compile(r"[ \t\r\n\f\v\xa0]+")


def html_to_text(html: str) -> str:
    """Readable plain text from HTML: no tags, no script/style content."""
    out: list[str] = []
    pre_depth = 0
    head_done = False
    position = 0
    length = len(html)
    while position < length:
        lt = html.find("<", position)
        if lt < 0:
            _append_text(out, html[position:], pre_depth)
            break
        _append_text(out, html[position:lt], pre_depth)
        if html.startswith("<!--", lt):
            end = html.find("-->", lt + 4)
            position = length if end < 0 else end + 3
            continue
        if html.startswith(("<!", "<?"), lt):  # doctype, CDATA, processing instr.
            end = html.find(">", lt + 2)
            position = length if end < 0 else end + 1
            continue
        match = _TAG.match(html, lt)
        if match is None:
            if lt + 1 < length and (html[lt + 1].isalpha() or html[lt + 1] == "/"):
                # An unterminated tag swallows the rest of the document,
                # as in browsers; stopping here keeps the scan linear.
                break
            _append_text(out, "<", pre_depth)
            position = lt + 1
            continue
        position = match.end()
        closing = match.group(1) == "/"
        name = match.group(2).lower()
        if not closing and name in _RAW_TEXT_ELEMENTS:
            end_match = re.compile(rf"</{name}\s*>", re.IGNORECASE).search(html, position)
            content_end = length if end_match is None else end_match.start()
            if name not in _SKIPPED_ELEMENTS:
                _append_text(out, html[position:content_end], pre_depth)
            position = length if end_match is None else end_match.end()
            continue
        if not closing and name == "head" and not head_done:
            # Only the first <head> can hide content; searching again for
            # every repeated <head> would make hostile input quadratic.
            head_done = True
            end_match = _HEAD_END.search(html, position)
            if end_match is not None:
                at_body = end_match.group(0).lower().startswith("<body")
                position = end_match.start() if at_body else end_match.end()
            continue
        if name == "pre":
            pre_depth = max(0, pre_depth + (-1 if closing else 1))
        if name in _PARAGRAPH_ELEMENTS:
            out.append("\n\n")
        elif name == "li":
            # The next <li> or the list's end breaks the line; </li> must not
            # add a second break.
            if not closing:
                out.append("\n- ")
        elif name in _LINE_ELEMENTS:
            out.append("\n")
        elif name in _CELL_ELEMENTS and closing:
            out.append(" ")
    return _tidy_text("".join(out))


def _append_text(out: list[str], raw: str, pre_depth: int) -> None:
    if not raw:
        return
    text = unescape(raw)
    if pre_depth:
        # Non-breaking spaces survive _tidy_text's space clean-up, which is
        # how <pre> keeps its indentation; they become spaces again at the end.
        out.append(text.replace("\r\n", "\n").replace("\t", "\xa0" * 4).replace(" ", "\xa0"))
    else:
        out.append(_HTML_SPACE.sub(" ", text))


_SPACE_RUN = re.compile(r" {2,}")


def _tidy_text(text: str) -> str:
    # Cell separators and collapsed source whitespace leave runs of spaces
    # and indented lines that carry no meaning in plain text.
    lines = [_SPACE_RUN.sub(" ", line).strip(" ").replace("\xa0", " ").rstrip() for line in text.split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
