"""Separate the new text of an e-mail reply from quoted text and signatures.

Pure like ``parsing``: a body string in, a ``SplitReply`` out, no Django and
no database. The caller shows ``reply`` and keeps ``quoted`` one click away.

Rules that shape the code below:

* Nothing is dropped. ``reply`` and ``quoted`` together hold every
  non-whitespace character of the input (for HTML, every character), so the
  full original can always be shown again.
* Cut only where a mail client reliably marks quoted material: an attribution
  line ("On ... wrote:"), an Outlook header block, a signature delimiter, an
  HTML quote container. Quoted lines followed by more of the person's own text
  are an interleaved answer: only a trailing quote block is removed.
* When stripping would leave nothing (the whole message is a quote, or the
  person wrote nothing above it), the original comes back as ``reply``: an
  all-quote message is better shown whole than empty.
* Linear time on hostile input: plain text is checked line by line with string
  operations on bounded lines, and HTML with a single-pass tag scanner, since
  ``html.parser`` is quadratic on crafted input in Python 3.11.
"""

from __future__ import annotations

import enum
import itertools
import re
from collections import deque
from dataclasses import dataclass
from html import unescape

__all__ = ["SplitReply", "split_html_reply", "split_text_reply"]


@dataclass(frozen=True)
class SplitReply:
    # The person's new text (for HTML, sanitisable markup).
    reply: str
    # Everything removed from the reply: quotes, reply headers, signatures;
    # "" when nothing was removed.
    quoted: str


# --------------------------------------------------------------------------
# Plain text
# --------------------------------------------------------------------------
# Lines are split on "\n" only; a "\r" before it is whitespace like any other.
# A regex finds the few lines worth a closer look, so the Python code below
# runs per candidate line, not per line.

# Reply headers are short; longer lines are never one, which bounds the work per candidate.
_MAX_HEADER_CHARS = 400
# A wrapped attribution ("On ... <\njane@example.com> wrote:") spans at most this many lines.
_MAX_ATTRIBUTION_LINES = 3
# How many lines an Outlook header block ("From:", "Sent:", "To:", "Subject:") may span.
_MAX_HEADER_BLOCK_LINES = 8
# Blank lines allowed between an Outlook separator line and the header block.
_MAX_LOOKBACK_LINES = 3
_TAIL_WINDOW = 65_536

_SPACE = r"[^\S\n]"
_STARS = rf"(?:\*+{_SPACE}*)?"
_CANDIDATE_LINE = re.compile(
    # The lookahead lets blank and ordinary lines fail before the alternation is tried.
    rf"^{_SPACE}*(?=[-*a-z])(?:"
    r"(?P<dashes>--)"
    rf"|(?P<header>{_STARS}(?:from|de|von|van|da){_SPACE}*{_STARS}:"
    # Outlook writes the date right after the sender, then the recipients or
    # the subject: checking it here rules out almost every other "From:" line.
    rf"(?=[^\n]*\n{_SPACE}*{_STARS}(?:sent|envoyé|date|gesendet|datum|enviado|fecha|inviato){_SPACE}*{_STARS}:"
    rf"[^\n]*\n(?:{_SPACE}*\S[^\n]*\n){{0,5}}?{_SPACE}*{_STARS}"
    rf"(?:to|à|a|an|para|aan|subject|objet|betreff|asunto|oggetto|onderwerp){_SPACE}*{_STARS}:))"
    r"|(?P<mobile>sent |get outlook |envoy|t[ée]l[ée]charger |obtenir )"
    # An attribution ends with a colon on its first, second or third line.
    rf"|(?P<attribution>(?:on|le|am|el|il|op|em){_SPACE}(?=(?:[^\n]*\n){{0,2}}?[^\n]*:{_SPACE}*$))"
    r")",
    re.MULTILINE | re.IGNORECASE,
)
_CONTENT_LINE = re.compile(rf"^{_SPACE}*[^\s>]", re.MULTILINE)
_QUOTED_LINE = re.compile(rf"^{_SPACE}*>", re.MULTILINE)
_NON_SPACE = re.compile(r"\S")

# (starts with, contains, ends with) on the flattened text (see _flatten). An
# attribution also needs a digit (its date), so "On Monday I wrote:" is not one.
_ATTRIBUTIONS: tuple[tuple[str, str, str], ...] = (
    ("on ", "", " wrote:"),  # Gmail, Apple Mail, Thunderbird
    ("le ", "", " a écrit:"),
    ("am ", " schrieb ", ":"),
    ("el ", "", " escribió:"),
    ("il ", "", " ha scritto:"),
    ("op ", " schreef ", ":"),
    ("op ", "", " geschreven:"),
    ("em ", "", " escreveu:"),
)
_ORIGINAL_MESSAGE = re.compile(
    r"-{2,} ?(original message|message d['\u2019]origine|ursprüngliche nachricht|mensaje original"
    r"|messaggio originale|oorspronkelijk bericht) ?-{2,}"
)
_FORWARD_MARKER = re.compile(
    r"(-+ ?)?(forwarded message|begin forwarded message|message transféré|début du message réexpédié"
    r"|weitergeleitete nachricht|mensaje reenviado)( ?-+)?:?"
)
_SEPARATOR = re.compile(r"_{8,}|-{8,}")
_MOBILE_SIGNATURE = re.compile(
    r"sent from my .{1,60}|sent from (mail|outlook|yahoo mail|gmail|proton ?mail)\b.{0,60}"
    r"|sent with proton ?mail.{0,60}"
    r"|get outlook for .{1,40}|(télécharger|obtenir) outlook pour .{1,40}"
    r"|envoyé (de|depuis|à partir de) (mon|ma|outlook|courrier|yahoo|gmail|proton)\b.{0,60}"
)

_FROM, _SENT, _TO, _SUBJECT = "from", "sent", "to", "subject"
_HEADER_NAMES = {
    **dict.fromkeys(("from", "de", "von", "van", "da"), _FROM),
    **dict.fromkeys(("sent", "envoyé", "date", "gesendet", "datum", "enviado", "fecha", "inviato"), _SENT),
    **dict.fromkeys(("to", "à", "a", "an", "para", "aan"), _TO),
    **dict.fromkeys(("subject", "objet", "betreff", "asunto", "oggetto", "onderwerp"), _SUBJECT),
}


def split_text_reply(text: str) -> SplitReply:
    """The person's text of a plain-text reply, apart from what it quotes."""
    cut = _first_quoted_offset(text)
    if cut is None:
        return SplitReply(reply=text, quoted="")
    reply = text[:cut].rstrip()
    if not reply:
        return SplitReply(reply=text, quoted="")
    return SplitReply(reply=reply, quoted=text[cut:].strip())


def _first_quoted_offset(text: str) -> int | None:
    """Where the quoted part starts: the first reply header, signature or trailing quote."""
    trailing = _trailing_quote_start(text)
    for match in _CANDIDATE_LINE.finditer(text, 0, len(text) if trailing is None else trailing):
        start = match.start()
        found = _line_at(text, start)
        if found is None:
            continue
        line = found[0]
        kind = match.lastgroup
        if kind == "dashes":
            flat = _flatten(line)
            if flat == "--" or _ORIGINAL_MESSAGE.fullmatch(flat):
                return start
        elif kind == "mobile":
            if _MOBILE_SIGNATURE.fullmatch(_flatten(line)):
                return start
        elif kind == "header":
            block = _outlook_block_start(text, start)
            if block is not None:
                return block
        elif _is_cutting_attribution(text, start, trailing):
            return start
    return trailing


def _line_at(text: str, start: int) -> tuple[str, int] | None:
    """The line starting at ``start`` and the offset of its end, unless it is too long to be a header."""
    end = text.find("\n", start, start + _MAX_HEADER_CHARS + 1)
    if end < 0:
        if len(text) - start > _MAX_HEADER_CHARS:
            return None
        end = len(text)
    return text[start:end], end


def _line_before(text: str, start: int) -> tuple[str, int] | None:
    """The line before the one starting at ``start`` and its start, unless too long or absent."""
    if start == 0:
        return None
    end = start - 1
    lowest = max(0, end - _MAX_HEADER_CHARS - 1)
    begin = text.rfind("\n", lowest, end) + 1
    if begin == 0 and lowest > 0:
        return None
    return text[begin:end], begin


def _flatten(line: str) -> str:
    """Lower case, runs of spaces (non-breaking ones too) as one, no space before colons."""
    return " ".join(line.split()).lower().replace(" :", ":")


def _trailing_quote_start(text: str) -> int | None:
    """The start of the ">" block that ends the message, blank lines aside."""
    # The last line that is neither blank nor quoted, searched window by window from the end.
    end = len(text)
    last_content_end = 0
    while end > 0:
        start = text.rfind("\n", 0, max(0, end - _TAIL_WINDOW)) + 1
        last = deque(_CONTENT_LINE.finditer(text, start, end), maxlen=1)
        if last:
            line_end = text.find("\n", last[0].end())
            last_content_end = len(text) if line_end < 0 else line_end
            break
        end = start
    quoted = _QUOTED_LINE.search(text, last_content_end)
    return None if quoted is None else quoted.start()


def _is_cutting_attribution(text: str, start: int, trailing: int | None) -> bool:
    end = _attribution_end(text, start)
    if end is None:
        return False
    following = _NON_SPACE.search(text, end)
    if following is None or following.group() != ">":
        # Nothing after it, or an unquoted original (Outlook for Mac indents instead of quoting).
        return True
    # The quote it introduces must run to the end: text after it is an interleaved answer.
    return trailing is not None and following.start() >= trailing


def _attribution_end(text: str, start: int) -> int | None:
    """The end of an attribution starting at ``start``, if there is one there."""
    joined = ""
    position = start
    for count in range(_MAX_ATTRIBUTION_LINES):
        found = _line_at(text, position)
        if found is None:
            return None
        line, end = found
        if count and not line.strip():
            return None
        joined = f"{joined} {_flatten(line)}" if count else _flatten(line)
        if len(joined) > _MAX_HEADER_CHARS:
            return None
        if _is_attribution(joined):
            return end
        if end >= len(text):
            return None
        position = end + 1
    return None


def _is_attribution(flat: str) -> bool:
    if not any(character.isdigit() for character in flat):
        return False
    return any(
        flat.startswith(start) and contains in flat and flat.endswith(end) for start, contains, end in _ATTRIBUTIONS
    )


def _header_kind(line: str) -> str | None:
    """Which Outlook header ("From:", "De :", "*Sent:*"...) the line starts with."""
    flat = _flatten(line).lstrip("* ")
    colon = flat.find(":")
    if colon <= 0:
        return None
    return _HEADER_NAMES.get(flat[:colon].rstrip("* "))


def _outlook_block_start(text: str, start: int) -> int | None:
    """Where an Outlook header block whose "From:" line starts at ``start`` begins, separator included."""
    kinds: set[str | None] = set()
    position = start
    for _ in range(_MAX_HEADER_BLOCK_LINES):
        found = _line_at(text, position)
        if found is None or not found[0].strip():
            break
        kinds.add(_header_kind(found[0]))
        if found[1] >= len(text):
            break
        position = found[1] + 1
    if _SENT not in kinds or not kinds & {_TO, _SUBJECT}:
        return None
    previous = _line_before(text, start)
    for _ in range(_MAX_LOOKBACK_LINES):
        if previous is None or previous[0].strip():
            break
        previous = _line_before(text, previous[1])
    if previous is None:
        return start
    flat = _flatten(previous[0])
    if _FORWARD_MARKER.fullmatch(flat):
        # A forwarded message is what the person sends us, not a quote.
        return None
    return previous[1] if _SEPARATOR.fullmatch(flat) else start


# --------------------------------------------------------------------------
# HTML
# --------------------------------------------------------------------------
# No DOM: a regex finds the next tag that can mark a quote (a Gmail, Apple,
# Thunderbird, Outlook or Yahoo class or id, an <hr>), the element's end is
# found by counting its own tag name, and the markup between two such
# elements is only checked for visible content. Everything is bounded by the
# next "<", so hostile markup stays linear.

_MAX_CONTAINER_DEPTH = 2  # Gmail's gmail_extra around gmail_quote
_FIRST_CHUNK = 64
_MAX_CHUNK = 65_536

_SKIPPED_NAMES = "script|style|title|template|textarea|xmp"
_HINTS = "gmail_|moz-|yahoo_quoted|cite|signature|divrplyfwdmsg|appendonsend|mail-editor-reference"
_MARKED_ELEMENTS = ("div", "blockquote", "span", "pre", "section", "table", "font", "p")
# Outlook separates the quoted history with an <hr> or a border-top <div>,
# then "From:" or "De :" within a few tags.
_HEADER_FOLLOWS = r"\s*(?:(?:&nbsp;|<[a-z/!][^<>]*>)\s*){0,20}(?:from|de|von|van|da)(?:\s|&nbsp;|&#160;)*:"
_NEXT_MARKER = re.compile(
    rf"<!--|<(?P<skipped>{_SKIPPED_NAMES})\b"
    rf"|<(?P<rule>hr\b|div\b(?=[^<>]*?border-top))[^<>]*>(?={_HEADER_FOLLOWS})"
    rf"|<(?P<marked>{'|'.join(_MARKED_ELEMENTS)})\b(?=[^<>]*?(?:{_HINTS}))",
    re.IGNORECASE,
)
_SKIPPED_START = re.compile(rf"<!--|<({_SKIPPED_NAMES})\b", re.IGNORECASE)
_SKIPPED_END = {name: re.compile(rf"</{name}\s*>", re.IGNORECASE) for name in _SKIPPED_NAMES.split("|")}
_TAG_REST = re.compile(r"[^<>]*>")
_ELEMENT_TAG = {name: re.compile(rf"<(/?){name}\b[^<>]*>", re.IGNORECASE) for name in _MARKED_ELEMENTS}
_DEPTH_STEP = {"": 1, "/": -1}
_ATTRIBUTE = re.compile(r"""([^\s"'<>/=]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+)))?""")
# Markup that shows nothing: spaces, blank entities, comments, script and
# style, and every tag but images and other embedded media.
# Nothing follows the repetition, so the engine never backtracks into it.
_INVISIBLE = re.compile(
    r"(?:[\s\u200b-\u200d\u2060\ufeff]+"
    r"|&(?:nbsp|#160|#xa0|zwnj|zwj|#8203|#x200b|#65279|#xfeff|ensp|emsp|thinsp);"
    r"|<!--.*?-->"
    + "".join(rf"|<{name}\b[^<>]*>.*?</{name}\s*>" for name in _SKIPPED_NAMES.split("|"))
    + r"|<(?!(?:img|video|audio|object|embed|svg|canvas|iframe)\b)[a-zA-Z/!?][^<>]*>"
    r")*",
    re.IGNORECASE | re.DOTALL,
)
_BODY_END = re.compile(r"</body\s*>", re.IGNORECASE)

_CONTAINER_CLASSES = frozenset({"gmail_quote", "gmail_quote_container", "gmail_extra"})
_MARKER_CLASSES = frozenset(
    {"gmail_attr", "gmail_signature", "gmail_signature_prefix", "moz-cite-prefix", "moz-signature"}
)
_SIGNATURE_IDS = frozenset({"signature", "applemailsignature", "ms-outlook-mobile-signature"})
# Outlook puts these where the quoted history starts; everything after is quoted.
_OUTLOOK_IDS = frozenset({"divrplyfwdmsg", "appendonsend", "mail-editor-reference-message-container"})


class _Role(enum.Enum):
    # Wraps an attribution and quotes; the person may answer between its quotes (Gmail, Yahoo).
    CONTAINER = enum.auto()
    QUOTE = enum.auto()  # a quoting <blockquote>
    MARKER = enum.auto()  # an attribution or a signature
    OUTLOOK = enum.auto()  # the quoted history starts here


@dataclass(frozen=True)
class _Tag:
    name: str
    start: int
    end: int
    role: _Role


def split_html_reply(html: str) -> SplitReply:
    """The person's part of an HTML reply, apart from quotes and signatures.

    Both parts are unsanitised pieces of the input: ``reply`` is the markup
    before the quote plus whatever follows the quoted elements (closing tags),
    ``quoted`` the markup in between. Sanitise both before display.
    """
    split = _HtmlSplit(html)
    split.scan(0, len(html), depth=0, in_container=False)
    if split.cut is None or not split.has_content:
        return SplitReply(reply=html, quoted="")
    cut, end = split.cut, max(split.cut, split.cut_end)
    return SplitReply(reply=html[:cut] + html[end:], quoted=html[cut:end])


@dataclass
class _HtmlSplit:
    html: str
    # The first quote start after the person's last visible content, and
    # the end of the quoted elements from there on.
    cut: int | None = None
    cut_end: int = 0
    has_content: bool = False
    finished: bool = False

    def scan(self, position: int, end: int, *, depth: int, in_container: bool) -> None:
        html = self.html
        # In a Gmail or Yahoo container, text before its first quote is the
        # attribution; text after a quote is the person answering in between.
        answering = not in_container
        while not self.finished:
            tag = _next_marker(html, position, end)
            segment_end = end if tag is None else tag.start
            worth_checking = self.cut is not None or not self.has_content
            if answering and worth_checking and _first_visible(html, position, segment_end) is not None:
                self.has_content = True
                self.cut = None
            if tag is None:
                return
            position = tag.end
            if tag.role is _Role.OUTLOOK:
                if in_container:
                    continue  # history quoted inside a quote
                self.outlook(tag.start)
                return
            if self.cut is None:
                self.cut = self.cut_end = tag.start
            content_end, element_end = _element_end(html, tag.name, tag.end, end)
            if tag.role is _Role.CONTAINER and depth < _MAX_CONTAINER_DEPTH:
                self.scan(tag.end, content_end, depth=depth + 1, in_container=True)
            if self.cut is not None and tag.start >= self.cut:
                self.cut_end = max(self.cut_end, element_end)
            answering = answering or tag.role is _Role.QUOTE
            position = element_end

    def outlook(self, start: int) -> None:
        if self.cut is None:
            self.cut = start
        body_end = _BODY_END.search(self.html, start)
        self.cut_end = max(self.cut_end, len(self.html) if body_end is None else body_end.start())
        self.finished = True


def _next_marker(html: str, position: int, end: int) -> _Tag | None:
    """The next tag in html[position:end] that may mark a quote, skipping comments, scripts and styles."""
    while True:
        match = _NEXT_MARKER.search(html, position, end)
        if match is None:
            return None
        skipped = match.group("skipped")
        if match.group() == "<!--" or skipped:
            position = _skip(html, match.end(), end, skipped)
            continue
        if match.group("rule"):
            return _Tag(match.group("rule").lower(), match.start(), match.end(), _Role.OUTLOOK)
        rest = _TAG_REST.match(html, match.end(), end)
        if rest is None:
            position = match.end()
            continue
        name = match.group("marked").lower()
        role = _role(name, html[match.end() : rest.end() - 1])
        if role is not None:
            return _Tag(name, match.start(), rest.end(), role)
        position = rest.end()


def _skip(html: str, position: int, end: int, skipped: str | None) -> int:
    """Where a comment (``skipped`` is None) or a script-like element opened before ``position`` ends."""
    if skipped is None:
        closing = html.find("-->", position, end)
        return end if closing < 0 else closing + 3
    found = _SKIPPED_END[skipped.lower()].search(html, position, end)
    return end if found is None else found.end()


def _role(name: str, attributes: str) -> _Role | None:
    values: dict[str, str] = {}
    for match in _ATTRIBUTE.finditer(attributes.lower()):
        value = next((group for group in match.group(2, 3, 4) if group is not None), "")
        values.setdefault(match.group(1), unescape(value))
    identifier = values.get("id", "")
    classes = values.get("class", "").split()
    if identifier in _OUTLOOK_IDS:
        return _Role.OUTLOOK
    if name == "blockquote":
        quoting = values.get("type") == "cite" or "gmail_quote" in classes
        return _Role.QUOTE if quoting else None
    # Yahoo prefixes its class in replies: "ydp1a2b3c4dyahoo_quoted".
    if _CONTAINER_CLASSES.intersection(classes) or any("yahoo_quoted" in token for token in [identifier, *classes]):
        return _Role.CONTAINER
    if _MARKER_CLASSES.intersection(classes) or identifier in _SIGNATURE_IDS:
        return _Role.MARKER
    return None


def _element_end(html: str, name: str, position: int, end: int) -> tuple[int, int]:
    """Where the ``name`` element whose start tag ends at ``position`` has its end tag (start, end).

    Only tags of the same name are counted, chunk by chunk with running sums
    computed in C, so large quoted histories are skipped at regex speed.
    Comments and scripts are skipped whole: their markup is not markup.
    """
    tags = _ELEMENT_TAG[name]
    depth = 1
    size = _FIRST_CHUNK  # doubling, so short elements cost little and long ones few passes
    while position < end:
        # Chunks end at a "<", so no tag straddles two of them.
        chunk_end = html.find("<", min(position + size, end), end)
        chunk_end = end if chunk_end < 0 else chunk_end
        size = min(2 * size, _MAX_CHUNK)
        hidden = _SKIPPED_START.search(html, position, chunk_end)
        if hidden is not None:
            chunk_end = hidden.start()
        slashes = tags.findall(html, position, chunk_end)
        depths = list(itertools.accumulate(map(_DEPTH_STEP.__getitem__, slashes), initial=depth))
        if min(depths) <= 0:  # steps are ±1, so the first 0 is the end tag
            closing = next(itertools.islice(tags.finditer(html, position, chunk_end), depths.index(0) - 1, None))
            return closing.start(), closing.end()
        depth = depths[-1]
        position = chunk_end if hidden is None else _skip(html, hidden.end(), end, hidden.group(1))
    return end, end


def _first_visible(html: str, position: int, end: int) -> int | None:
    """Where html[position:end] first shows something (text or an image), if anywhere."""
    stop = _INVISIBLE.match(html, position, end)
    return None if stop is None or stop.end() >= end else stop.end()
