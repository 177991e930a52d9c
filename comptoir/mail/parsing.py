"""Turn raw RFC 5322 bytes into a plain, immutable value.

This module is deliberately pure: bytes in, ``ParsedEmail`` out, no Django
and no database, so it can be unit-tested and fuzzed in isolation and reused
by any ingestion path (IMAP poller, webhook, management command).

Robustness rules that shape the code below:

* ``parse_email`` never raises. Every stage is guarded; problems are recorded
  as short strings in ``ParsedEmail.defects`` so the caller can decide to
  quarantine the raw message instead of losing it.
* Nothing here may take super-linear time on hostile input. Several stdlib
  helpers are quadratic on crafted input in the Python versions we run
  (``html.parser``, the ``policy.default`` address parser), so we either
  bound what we feed them or use our own linear scanners.
* Headers are always decoded from their raw values (``raw_items``), which
  works the same whether the structure was parsed with ``policy.default`` or
  with the ``compat32`` fallback, and lets us apply our own charset fallback
  chain instead of the stdlib's replacement characters.

Forwarded messages (``message/rfc822`` parts) are kept whole as an attachment
named after the declared filename or ``<subject>.eml``: this preserves the
forwarded headers and attachments byte-for-byte-ish and keeps foreign
Message-IDs and auto-reply markers out of the ticket thread. Only when the
outer message has no text of its own (Outlook's "forward as attachment") is
the first forwarded message's text used for ``text_body``.
"""

from __future__ import annotations

import binascii
import codecs
import functools
import io
import mimetypes
import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import policy as email_policy
from email.generator import BytesGenerator
from email.message import Message
from email.parser import BytesParser
from email.utils import getaddresses, parsedate_to_datetime
from html import unescape
from typing import TypeVar

__all__ = ["DeliveryReport", "ParsedAttachment", "ParsedEmail", "html_to_text", "parse_email"]

MAX_SUBJECT_CHARS = 998  # RFC 5322 line length limit; also bounds DB columns
MAX_HEADER_TEXT_CHARS = 998
MAX_ADDRESSES = 100
MAX_MESSAGE_IDS = 100
MAX_TEXT_BODY_CHARS = 1_000_000
MAX_FILENAME_CHARS = 255
MAX_DEFECTS = 100

# Bounds that keep every stage linear-ish on hostile input.
_MAX_RAW_HEADER_CHARS = 65_536
_MAX_ADDRESS_PIECES = 200
_MAX_STRUCTURED_ADDRESS_CHARS = 256  # policy.default's parser is quadratic
_MAX_DATE_CHARS = 256
_MAX_PARTS = 1_000
_MAX_DEPTH = 40
_MAX_DEFAULT_POLICY_PARTS = 500  # policy.default parses ~10x slower per part
_MAX_HTML_FOR_TEXT_CHARS = 2_000_000
_MAX_MIME_HEADER_CHARS = 8_192  # both MIME parameter parsers are quadratic
_MAX_CHARSET_NAME_CHARS = 64

_T = TypeVar("_T")


@dataclass(frozen=True)
class DeliveryReport:
    """What a delivery status notification (RFC 3464) says about one recipient."""

    # "failed", "delayed", "delivered", "relayed" or "expanded".
    action: str
    # The enhanced status code, e.g. "5.1.1"; "" when the report has none.
    status: str
    recipient: str | None
    diagnostic: str
    # The Message-ID of the e-mail the report is about, when it was returned.
    original_message_id: str | None

    @property
    def is_permanent_failure(self) -> bool:
        return self.action == "failed" and not self.status.startswith("4")


@dataclass(frozen=True)
class ParsedAttachment:
    filename: str
    declared_type: str
    content: bytes
    content_id: str | None
    inline: bool


@dataclass(frozen=True)
class ParsedEmail:
    message_id: str | None
    in_reply_to: tuple[str, ...]
    references: tuple[str, ...]
    from_address: str | None
    from_name: str
    reply_to: str | None
    to_addresses: tuple[str, ...]
    cc_addresses: tuple[str, ...]
    subject: str
    date: datetime | None
    text_body: str
    html_body: str | None
    attachments: tuple[ParsedAttachment, ...]
    auto_submitted: bool
    defects: tuple[str, ...]
    # Where the mail server says it delivered the message (Delivered-To,
    # X-Original-To, Envelope-To): where a reply address may hide when the
    # sender's client dropped it from To and Cc.
    envelope_recipients: tuple[str, ...] = ()
    delivery_report: DeliveryReport | None = None


class _Defects:
    """Ordered, de-duplicated, bounded list of problem descriptions."""

    def __init__(self) -> None:
        self._items: list[str] = []
        self._seen: set[str] = set()

    def add(self, description: str) -> None:
        if description in self._seen or len(self._items) >= MAX_DEFECTS:
            return
        self._seen.add(description)
        self._items.append(description)

    def as_tuple(self) -> tuple[str, ...]:
        return tuple(self._items)


def _guarded(defects: _Defects, label: str, default: _T, func: Callable[[], _T]) -> _T:
    # One broken header must not cost us the rest of the message.
    try:
        return func()
    except Exception as exc:
        defects.add(f"{label}: {type(exc).__name__}")
        return default


# --------------------------------------------------------------------------
# Entry point
# --------------------------------------------------------------------------


def parse_email(raw: bytes) -> ParsedEmail:
    """Parse raw message bytes; never raises, records problems in ``defects``."""
    defects = _Defects()
    try:
        data = bytes(raw)
    except Exception:
        defects.add("input is not bytes")
        data = b""
    try:
        message = _parse_structure(data, defects)
        return _build(message, data, defects)
    except Exception as exc:
        defects.add(f"unexpected failure: {type(exc).__name__}")
        return _empty_result(defects)


def _empty_result(defects: _Defects) -> ParsedEmail:
    return ParsedEmail(
        message_id=None,
        in_reply_to=(),
        references=(),
        from_address=None,
        from_name="",
        reply_to=None,
        to_addresses=(),
        cc_addresses=(),
        subject="",
        date=None,
        text_body="",
        html_body=None,
        attachments=(),
        auto_submitted=False,
        defects=defects.as_tuple(),
    )


_CONTENT_TYPE_LINE = re.compile(rb"^content-type[ \t]*:", re.IGNORECASE | re.MULTILINE)
# A MIME header line plus its folded continuation lines.
_MIME_HEADER_FIELD = re.compile(
    rb"^content-(?:type|disposition)[ \t]*:[^\r\n]*(?:\r?\n[ \t][^\r\n]*)*",
    re.IGNORECASE | re.MULTILINE,
)


def _default_policy_risk(data: bytes) -> str | None:
    """Why policy.default would be too slow for this message, if it would."""
    # policy.default builds a structured header object for every Content-Type
    # lookup the feed parser makes: thousands of parts, or one header with
    # thousands of parameters, take seconds to minutes.
    if len(_CONTENT_TYPE_LINE.findall(data)) > _MAX_DEFAULT_POLICY_PARTS:
        return "too many MIME parts"
    if any(len(field) > _MAX_MIME_HEADER_CHARS for field in _MIME_HEADER_FIELD.findall(data)):
        return "oversized MIME header"
    return None


def _parse_structure(data: bytes, defects: _Defects) -> Message:
    attempts: list[tuple[str, email_policy.Policy, bool]] = [
        ("default", email_policy.default, False),
        ("compat32", email_policy.compat32, False),
        ("headers-only", email_policy.compat32, True),
    ]
    risk = _default_policy_risk(data)
    if risk is not None:
        defects.add(f"{risk}; parsed with compat32 instead of the default policy")
        attempts = attempts[1:]
    for name, policy, headers_only in attempts:
        try:
            parser: BytesParser[Message] = BytesParser(policy=policy)
            return parser.parsebytes(data, headersonly=headers_only)
        except Exception as exc:
            defects.add(f"{name} parser failed: {type(exc).__name__}")
    return Message(policy=email_policy.compat32)


def _build(message: Message, data: bytes, defects: _Defects) -> ParsedEmail:
    headers: _HeaderMap = _guarded(defects, "headers", {}, lambda: _header_map(message))
    linesep = "\r\n" if b"\r\n" in data[:65_536] else "\n"

    from_pairs: list[tuple[str, str]] = _guarded(defects, "From", [], lambda: _addresses(headers, "from", defects))
    from_address = from_pairs[0][1] if from_pairs else None
    from_name = from_pairs[0][0] if from_pairs else ""
    reply_to_pairs: list[tuple[str, str]] = _guarded(
        defects, "Reply-To", [], lambda: _addresses(headers, "reply-to", defects)
    )

    walker = _Walker(defects, linesep)
    found = _guarded(defects, "body", _Found(), lambda: walker.walk_root(message))
    no_bodies: tuple[str, str | None] = ("", None)
    text_body, html_body = _guarded(defects, "body text", no_bodies, lambda: _bodies(found, walker, defects))
    top_type = _guarded(defects, "Content-Type", "text/plain", lambda: _mime_view(message).type)

    return ParsedEmail(
        message_id=_guarded(defects, "Message-ID", None, lambda: _message_id(headers)),
        in_reply_to=_guarded(defects, "In-Reply-To", (), lambda: _id_list(headers, "in-reply-to", defects)),
        references=_guarded(defects, "References", (), lambda: _id_list(headers, "references", defects)),
        from_address=from_address,
        from_name=from_name,
        reply_to=reply_to_pairs[0][1] if reply_to_pairs else None,
        to_addresses=_guarded(defects, "To", (), lambda: _address_list(headers, "to", defects)),
        cc_addresses=_guarded(defects, "Cc", (), lambda: _address_list(headers, "cc", defects)),
        subject=_guarded(defects, "Subject", "", lambda: _subject(headers, defects)),
        date=_guarded(defects, "Date", None, lambda: _date(headers)),
        text_body=text_body,
        html_body=html_body,
        attachments=tuple(found.attachments),
        auto_submitted=_guarded(
            defects,
            "auto-submitted detection",
            False,
            lambda: _is_auto_submitted(headers, top_type),
        ),
        envelope_recipients=_guarded(defects, "envelope", (), lambda: _envelope_recipients(headers, defects)),
        delivery_report=_guarded(defects, "delivery report", None, lambda: _delivery_report(message, top_type)),
        defects=defects.as_tuple(),
    )


# --------------------------------------------------------------------------
# Charsets and raw text
# --------------------------------------------------------------------------

# Decoders that are strict supersets of commonly declared charsets: senders
# routinely label Windows text with the ISO/legacy name.
_CODEC_SUPERSETS = {
    "iso8859_1": "cp1252",
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "shift_jis": "cp932",
    "euc_kr": "cp949",
}
# Single-byte "western" labels are so often slapped on UTF-8 text that valid
# UTF-8 wins over them; real latin-1 text is almost never valid UTF-8.
_WESTERN_CODECS = frozenset({"ascii", "cp1252", "iso8859_15"})


def _codec_for(charset: str | None) -> str | None:
    if not charset:
        return None
    name = charset.strip().strip("\"'").strip().lower()
    if not name or len(name) > _MAX_CHARSET_NAME_CHARS:
        return None
    try:
        codec = codecs.lookup(name).name.replace("-", "_")
        b"".decode(codec)  # rejects bytes-to-bytes codecs such as base64
    except Exception:
        return None
    return _CODEC_SUPERSETS.get(codec, codec)


def _decode_bytes(data: bytes, charset: str | None) -> tuple[str, str | None]:
    """Decode with declared charset -> UTF-8 -> cp1252; return (text, problem)."""
    codec = _codec_for(charset)
    problem = None
    if charset and codec is None:
        problem = f"unknown charset {charset.strip()[:_MAX_CHARSET_NAME_CHARS]!r}"
    if codec in _WESTERN_CODECS and not data.isascii():
        try:
            return _strip_bom(data.decode("utf-8")), problem
        except UnicodeDecodeError:
            pass
    if codec is not None:
        try:
            return _strip_bom(data.decode(codec)), problem
        except Exception:
            problem = f"data does not match declared charset {codec}"
    try:
        return _strip_bom(data.decode("utf-8")), problem
    except UnicodeDecodeError:
        pass
    if codec is not None and codec not in _WESTERN_CODECS:
        # A few bad bytes in e.g. Shift-JIS text: keep the right script.
        # (_codec_for already proved the codec decodes, so "replace" is safe.)
        return _strip_bom(data.decode(codec, "replace")), problem
    return data.decode("cp1252", "replace"), problem


def _strip_bom(text: str) -> str:
    return text[1:] if text.startswith("\ufeff") else text


def _raw_to_text(value: object) -> str:
    """Turn a parser-stored header value (surrogate-escaped bytes) into text."""
    text = value if isinstance(value, str) else str(value)
    if text.isascii():
        return text
    try:
        data = text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        return text.encode("utf-8", "replace").decode("utf-8")
    # No charset is declared for raw 8-bit headers: UTF-8 (RFC 6532), else cp1252.
    decoded, _ = _decode_bytes(data, None)
    return decoded


_CONTROL_CHARS = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def _single_line(text: str) -> str:
    return " ".join(_CONTROL_CHARS.sub(" ", text).split())


def _normalise_body_text(text: str) -> str:
    # NUL cannot be stored in PostgreSQL text columns.
    return text.replace("\x00", "").replace("\r\n", "\n").replace("\r", "\n")


# --------------------------------------------------------------------------
# Headers
# --------------------------------------------------------------------------

_HeaderMap = dict[str, list[str]]


# Headers Comptoir itself might use to steer a message: inbound mail cannot
# prove it wrote them, so they are dropped before anything reads them.
CONTROL_HEADER_PREFIX = "x-comptoir-"


def _header_map(message: Message) -> _HeaderMap:
    headers: _HeaderMap = {}
    for name, value in message.raw_items():
        text = value if isinstance(value, str) else str(value)
        key = str(name).strip().lower()
        if key.startswith(CONTROL_HEADER_PREFIX):
            continue
        headers.setdefault(key, []).append(text)
    return headers


_LINE_BREAKS = re.compile(r"\r\n|\r|\n")


def _header_text(raw: str) -> str:
    """Raw value -> unfolded unicode text with encoded words still encoded."""
    return _LINE_BREAKS.sub("", _raw_to_text(raw[:_MAX_RAW_HEADER_CHARS]))


def _first(headers: _HeaderMap, name: str) -> str | None:
    values = headers.get(name)
    return values[0] if values else None


_ENCODED_WORD = re.compile(r"=\?([^?\s]{1,64})\?([bBqQ])\?([^?\s]*)\?=")
_NOT_BASE64 = re.compile(r"[^A-Za-z0-9+/]")


def _decode_word_payload(encoding: str, payload: str) -> bytes:
    if encoding in "qQ":
        return binascii.a2b_qp(payload.encode("utf-8", "replace"), header=True)
    # Lenient base64: drop junk, repair padding instead of failing the word.
    cleaned = _NOT_BASE64.sub("", payload)
    if len(cleaned) % 4 == 1:
        cleaned = cleaned[:-1]
    return binascii.a2b_base64(cleaned + "=" * (-len(cleaned) % 4))


def _decode_encoded_words(text: str) -> str:
    """RFC 2047 decoding with our charset fallbacks.

    Adjacent words in the same charset are joined before decoding because
    many encoders split a multi-byte character across two words.
    """
    if "=?" not in text:
        return text
    pieces: list[str] = []
    pending: list[tuple[str, list[bytes]]] = []
    position = 0
    for match in _ENCODED_WORD.finditer(text):
        gap = text[position : match.start()]
        if not (pending and not gap.strip()):
            pieces.append(_flush_words(pending))
            pending = []
            pieces.append(gap)
        charset = match.group(1).split("*", 1)[0]  # drop RFC 2231 language
        try:
            chunk = _decode_word_payload(match.group(2), match.group(3))
        except (binascii.Error, ValueError):
            pieces.append(_flush_words(pending))
            pending = []
            pieces.append(match.group(0))
            position = match.end()
            continue
        if pending and pending[-1][0].lower() == charset.lower():
            pending[-1][1].append(chunk)
        else:
            pending.append((charset, [chunk]))
        position = match.end()
    pieces.append(_flush_words(pending))
    pieces.append(text[position:])
    return "".join(pieces)


def _flush_words(pending: list[tuple[str, list[bytes]]]) -> str:
    return "".join(_decode_bytes(b"".join(chunks), charset)[0] for charset, chunks in pending)


def _decoded_header(raw: str) -> str:
    return _decode_encoded_words(_header_text(raw)).replace("\x00", "")


def _subject(headers: _HeaderMap, defects: _Defects) -> str:
    raw = _first(headers, "subject")
    if raw is None:
        return ""
    subject = _single_line(_decoded_header(raw))
    if len(subject) > MAX_SUBJECT_CHARS:
        defects.add(f"subject truncated to {MAX_SUBJECT_CHARS} characters")
        subject = subject[:MAX_SUBJECT_CHARS].rstrip()
    return subject


def _date(headers: _HeaderMap) -> datetime | None:
    raw = _first(headers, "date")
    if raw is None:
        return None
    text = _single_line(_header_text(raw))[:_MAX_DATE_CHARS]
    try:
        parsed = parsedate_to_datetime(text)
    except Exception:
        return None
    if parsed.tzinfo is None:
        # RFC 5322 "-0000" means "UTC, origin unknown"; the stdlib returns naive.
        parsed = parsed.replace(tzinfo=UTC)
    try:
        parsed.astimezone(UTC)  # rejects dates the database could not store
    except (OverflowError, ValueError):
        return None
    return parsed


# Message ids ---------------------------------------------------------------

_COMMENT = re.compile(r"\([^()]*\)")
_BRACKETED_ID = re.compile(r"<([^<>]*)>")
_WHITESPACE = re.compile(r"\s+")


def _clean_id(candidate: str) -> str | None:
    # Folding sometimes lands inside an id; ids never contain whitespace.
    value = _WHITESPACE.sub("", candidate)
    if not value or len(value) > MAX_HEADER_TEXT_CHARS:
        return None
    if _CONTROL_CHARS.search(value) or "<" in value or ">" in value:
        return None
    return value


def _extract_ids(raw: str) -> list[str]:
    text = _COMMENT.sub(" ", _header_text(raw))
    candidates = _BRACKETED_ID.findall(text)
    if not candidates:
        # Broken mailers omit the brackets; accept bare id-looking tokens.
        candidates = [token for token in re.split(r"[\s,]+", text) if "@" in token]
    ids: list[str] = []
    for candidate in candidates:
        cleaned = _clean_id(candidate)
        if cleaned is not None and cleaned not in ids:
            ids.append(cleaned)
    return ids


def _message_id(headers: _HeaderMap) -> str | None:
    raw = _first(headers, "message-id")
    if raw is None:
        return None
    ids = _extract_ids(raw)
    if ids:
        return ids[0]
    # A single bare token without brackets or "@" is still a usable key.
    tokens = _header_text(raw).split()
    return _clean_id(tokens[0]) if len(tokens) == 1 else None


def _id_list(headers: _HeaderMap, name: str, defects: _Defects) -> tuple[str, ...]:
    ids: list[str] = []
    for raw in headers.get(name, []):
        for value in _extract_ids(raw):
            if value not in ids:
                ids.append(value)
    if len(ids) > MAX_MESSAGE_IDS:
        defects.add(f"{name} truncated to {MAX_MESSAGE_IDS} ids")
        # The thread root (first) and the direct parents (last) matter most.
        ids = ids[:1] + ids[-(MAX_MESSAGE_IDS - 1) :]
    return tuple(ids)


# Addresses -------------------------------------------------------------------

_DOMAIN = re.compile(r"(?:[^\s@<>()\[\],;:\"\\]+|\[[^\s\[\]\\]+\])")


def _normalise_address(addr_spec: str) -> str | None:
    value = addr_spec.strip().lower()
    if len(value) > 254 or _CONTROL_CHARS.search(value) or any(c.isspace() for c in value):
        return None
    local, at, domain = value.rpartition("@")
    domain = domain.rstrip(".")
    if not at or not local or not domain or not _DOMAIN.fullmatch(domain):
        return None
    return f"{local}@{domain}"


def _split_address_list(text: str) -> Iterable[str]:
    """Split at top-level commas, linear time, aware of quotes/comments/<>."""
    start = 0
    in_quote = escaped = False
    comment_depth = angle_depth = 0
    for index, char in enumerate(text):
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif in_quote:
            in_quote = char != '"'
        elif char == '"':
            in_quote = True
        elif char == "(":
            comment_depth += 1
        elif char == ")":
            comment_depth = max(0, comment_depth - 1)
        elif comment_depth:
            continue
        elif char == "<":
            angle_depth += 1
        elif char == ">":
            angle_depth = max(0, angle_depth - 1)
        elif char in ",;" and not angle_depth:
            yield text[start:index]
            start = index + 1
        elif char == ":" and not angle_depth:
            start = index + 1  # group syntax "team: a@x, b@y;" - drop the label
    yield text[start:]


def _parse_address_piece(piece: str) -> list[tuple[str, str]]:
    """Return (display name, addr-spec) pairs for one list element."""
    if len(piece) <= _MAX_STRUCTURED_ADDRESS_CHARS:
        pairs = _structured_address_pairs(piece)
        if pairs and all("\ufffd" not in name for name, _ in pairs):
            return pairs
    # Lenient path: linear, and display names get our own charset fallbacks.
    return [(_decode_encoded_words(name), addr) for name, addr in getaddresses([piece])]


def _structured_address_pairs(piece: str) -> list[tuple[str, str]]:
    # policy.default's parser is strict about what the address is (unlike
    # getaddresses on 3.11, cf. CVE-2023-27043) but may raise on odd input.
    try:
        header = email_policy.default.header_factory("to", piece)
        return [(address.display_name, address.addr_spec) for address in getattr(header, "addresses", ())]
    except Exception:
        return []


def _addresses(headers: _HeaderMap, name: str, defects: _Defects) -> list[tuple[str, str]]:
    """Usable (name, lowercased address) pairs, de-duplicated and capped."""
    result: list[tuple[str, str]] = []
    seen: set[str] = set()
    examined = 0
    for raw in headers.get(name, []):
        for piece in _split_address_list(_header_text(raw)):
            if not piece.strip():
                continue
            examined += 1
            if examined > _MAX_ADDRESS_PIECES or len(result) >= MAX_ADDRESSES:
                defects.add(f"{name} list truncated to {MAX_ADDRESSES} addresses")
                return result
            for display_name, addr_spec in _parse_address_piece(piece.strip()):
                address = _normalise_address(addr_spec)
                if address is None:
                    defects.add(f"unusable address in {name}")
                elif address not in seen:
                    seen.add(address)
                    clean_name = _single_line(display_name.replace("\x00", ""))
                    result.append((clean_name[:MAX_HEADER_TEXT_CHARS], address))
    return result


def _address_list(headers: _HeaderMap, name: str, defects: _Defects) -> tuple[str, ...]:
    return tuple(address for _, address in _addresses(headers, name, defects))


def _envelope_recipients(headers: _HeaderMap, defects: _Defects) -> tuple[str, ...]:
    found: list[str] = []
    for name in ("delivered-to", "x-original-to", "envelope-to"):
        for address in _address_list(headers, name, defects):
            if address not in found:
                found.append(address)
    return tuple(found[:MAX_ADDRESSES])


# Delivery status notifications ----------------------------------------------

_ACTIONS = frozenset({"failed", "delayed", "delivered", "relayed", "expanded"})
_STATUS_CODE = re.compile(r"\b([245])\.(\d{1,3})\.(\d{1,3})\b")
_HEADER_MESSAGE_ID = re.compile(r"^message-id:[ \t]*(.*(?:\r?\n[ \t].*)*)", re.IGNORECASE | re.MULTILINE)


def _report_parts(message: Message) -> tuple[list[Message], Message | str | None]:
    """The per-recipient blocks of the delivery-status part, and the returned message or its headers."""
    blocks: list[Message] = []
    returned: Message | str | None = None
    payload = message.get_payload()
    for part in payload if isinstance(payload, list) else []:
        if not isinstance(part, Message):
            continue
        kind = part.get_content_type()
        inner = part.get_payload()
        if kind in ("message/delivery-status", "message/global-delivery-status") and isinstance(inner, list):
            # The first block is about the reporting server; the rest are per recipient.
            blocks = [block for block in inner[1:] if isinstance(block, Message)] or [
                block for block in inner if isinstance(block, Message)
            ]
        elif kind in ("message/rfc822", "message/global") and isinstance(inner, list) and inner:
            returned = inner[0] if isinstance(inner[0], Message) else None
        elif kind in ("text/rfc822-headers", "text/rfc822-header"):
            raw = part.get_payload(decode=True)
            returned = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else None
    return blocks, returned


def _field(block: Message, name: str) -> str:
    value = block.get(name)
    return _single_line(_header_text(str(value)))[:MAX_HEADER_TEXT_CHARS] if value is not None else ""


def _diagnostic(block: Message) -> str:
    # "smtp; 550 5.1.1 <x@example.org>: Recipient address rejected"
    value = _field(block, "diagnostic-code")
    return value.partition(";")[2].strip() or value


def _delivery_report(message: Message, top_type: str) -> DeliveryReport | None:
    if top_type != "multipart/report":
        return None
    report_type = str(message.get_param("report-type", "", header="content-type") or "").lower()
    if report_type not in ("delivery-status", "global-delivery-status"):
        return None
    blocks, returned = _report_parts(message)
    # The first failed recipient says the most; else the first recipient at all.
    chosen = next((b for b in blocks if _field(b, "action").lower() == "failed"), blocks[0] if blocks else None)
    action = _field(chosen, "action").lower() if chosen is not None else ""
    status_match = _STATUS_CODE.search(_field(chosen, "status")) if chosen is not None else None
    recipient = None
    if chosen is not None:
        # "rfc822; someone@example.org"
        final = _field(chosen, "final-recipient") or _field(chosen, "original-recipient")
        recipient = _normalise_address(final.rpartition(";")[2]) if final else None
    original: str | None = None
    if isinstance(returned, Message):
        raw_id = returned.get("message-id")
        ids = _extract_ids(str(raw_id)) if raw_id is not None else []
        original = ids[0] if ids else None
    elif isinstance(returned, str):
        found = _HEADER_MESSAGE_ID.search(returned[:_MAX_RAW_HEADER_CHARS])
        ids = _extract_ids(found.group(1)) if found else []
        original = ids[0] if ids else None
    return DeliveryReport(
        action=action if action in _ACTIONS else ("failed" if not action else action[:20]),
        status=".".join(status_match.groups()) if status_match else "",
        recipient=recipient,
        diagnostic=_diagnostic(chosen) if chosen is not None else "",
        original_message_id=original,
    )


# Auto-submitted detection ------------------------------------------------------

_BULK_PRECEDENCE = frozenset({"bulk", "junk", "list", "auto_reply"})
_ROBOT_LOCAL_PARTS = frozenset({"mailer-daemon", "postmaster"})


def _first_token(raw: str) -> str:
    return _header_text(raw).split(";", 1)[0].strip().lower()


def _is_auto_submitted(headers: _HeaderMap, top_type: str) -> bool:
    """Signals that a reply would loop or go to a robot (RFC 3834 and practice)."""
    if any(_first_token(v) not in ("", "no") for v in headers.get("auto-submitted", [])):
        return True
    if any(_first_token(v) in _BULK_PRECEDENCE for v in headers.get("precedence", [])):
        return True
    for name in ("x-autoreply", "x-autorespond"):
        if any(_first_token(v) not in ("", "no", "false") for v in headers.get(name, [])):
            return True
    # Exchange sets this on OOF/auto replies; "None" explicitly suppresses nothing.
    if any(_first_token(v) not in ("", "none") for v in headers.get("x-auto-response-suppress", [])):
        return True
    if "list-id" in headers:
        return True
    if top_type == "multipart/report":
        return True
    if any(re.fullmatch(r"<\s*>", _header_text(v).strip()) for v in headers.get("return-path", [])):
        return True
    return _has_robot_sender(headers)


def _has_robot_sender(headers: _HeaderMap) -> bool:
    for name in ("from", "sender"):
        for raw in headers.get(name, []):
            for piece in _split_address_list(_header_text(raw)):
                for _, addr in getaddresses([piece[:_MAX_STRUCTURED_ADDRESS_CHARS]]):
                    if addr.split("@", 1)[0].strip().lower() in _ROBOT_LOCAL_PARTS:
                        return True
    return False


# --------------------------------------------------------------------------
# MIME structure
# --------------------------------------------------------------------------

_MIME_HEADERS = frozenset({"content-type", "content-disposition", "content-id"})


@dataclass(frozen=True)
class _MimeView:
    type: str
    charset: str | None
    disposition: str | None
    filename: str | None
    content_id: str | None
    start: str | None


def _mime_view(part: Message) -> _MimeView:
    """Read MIME headers of a part through a private compat32 message.

    The part's own policy may be ``policy.default``, whose structured header
    parser raises on some malformed parameters; compat32 never does, and we
    hand it text already decoded with our charset fallbacks.
    """
    view = Message(policy=email_policy.compat32)
    view.set_default_type(part.get_default_type())
    for name, value in part.raw_items():
        if str(name).lower() in _MIME_HEADERS:
            view.set_raw(str(name), _header_text(str(value)[:_MAX_MIME_HEADER_CHARS]))
    filename = _param(view, "filename", "content-disposition") or _param(view, "name", "content-type")
    content_id_raw = view.get("content-id")
    return _MimeView(
        type=view.get_content_type(),
        charset=_param(view, "charset", "content-type"),
        disposition=view.get_content_disposition(),
        filename=filename,
        content_id=_clean_content_id(str(content_id_raw)) if content_id_raw else None,
        start=_param(view, "start", "content-type"),
    )


def _param(view: Message, name: str, header: str) -> str | None:
    value = view.get_param(name, None, header)
    if value is None:
        return None
    if isinstance(value, tuple):
        # RFC 2231: compat32 hands back percent-decoded bytes as latin-1 text.
        charset, _language, text = value
        try:
            data = text.encode("latin-1")
        except UnicodeEncodeError:
            data = text.encode("utf-8", "replace")
        decoded, _ = _decode_bytes(data, charset or "utf-8")
    else:
        # Outlook and others put RFC 2047 words inside quoted parameters.
        decoded = _decode_encoded_words(str(value))
    return decoded.replace("\x00", "")


def _content_id_of(part: Message) -> str | None:
    for name, value in part.raw_items():
        if str(name).lower() == "content-id":
            return _clean_content_id(_header_text(str(value)))
    return None


def _clean_content_id(raw: str) -> str | None:
    value = _single_line(raw).strip().strip("<>").strip()
    if not value or len(value) > MAX_HEADER_TEXT_CHARS:
        return None
    return value


_WINDOWS_DRIVE = re.compile(r"^[A-Za-z]:")
_UNSAFE_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})


def _sanitise_filename(name: str | None, fallback: str) -> str:
    """Base name only, no control/bidi characters, at most 255 chars."""
    if not name:
        return fallback
    text = unicodedata.normalize("NFC", _raw_to_text(name))
    text = text.replace("\\", "/").rsplit("/", 1)[-1]
    text = _WINDOWS_DRIVE.sub("", text)
    # Tabs and newlines become spaces; other controls and Cf characters
    # (bidi overrides that disguise "invoice\u202egpj.exe") are dropped.
    text = "".join(" " if char.isspace() else char for char in text if char.isspace() or not _is_unsafe_char(char))
    text = " ".join(text.split()).strip(" .")
    if len(text) > MAX_FILENAME_CHARS:
        stem, dot, extension = text.rpartition(".")
        if dot and 0 < len(extension) <= 16:
            keep = MAX_FILENAME_CHARS - len(extension) - 1
            text = f"{stem[:keep].rstrip(' .')}.{extension}"
        else:
            text = text[:MAX_FILENAME_CHARS].rstrip(" .")
    return text or fallback


@functools.cache
def _builtin_mime_types() -> mimetypes.MimeTypes:
    # A fresh instance knows only Python's built-in table, so fallback names
    # do not depend on the host's /etc/mime.types.
    return mimetypes.MimeTypes()


def _is_unsafe_char(char: str) -> bool:
    return unicodedata.category(char) in _UNSAFE_CATEGORIES


def _extension_for(content_type: str) -> str:
    if content_type == "message/rfc822":
        return ".eml"
    guessed = _builtin_mime_types().guess_extension(content_type, strict=False)
    if guessed:
        return guessed
    return ".txt" if content_type.split("/", 1)[0] in ("text", "message") else ".bin"


@dataclass
class _Found:
    plain: list[str] = field(default_factory=list)
    html: list[str] = field(default_factory=list)
    attachments: list[ParsedAttachment] = field(default_factory=list)
    forwarded: list[Message] = field(default_factory=list)


_BODY_TYPES = frozenset({"text/plain", "text/html"})
_FORWARDED_TYPES = frozenset({"message/rfc822", "message/global"})


class _Walker:
    """Collects body texts and attachments from a parsed MIME tree."""

    def __init__(self, defects: _Defects, linesep: str) -> None:
        self.defects = defects
        self.linesep = linesep
        self.parts_seen = 0
        self.attachment_count = 0

    def walk_root(self, message: Message) -> _Found:
        found = _Found()
        self._walk(message, found, depth=0, body_allowed=True)
        return found

    def _walk(self, part: Message, found: _Found, *, depth: int, body_allowed: bool) -> None:
        self.parts_seen += 1
        if self.parts_seen > _MAX_PARTS:
            self.defects.add(f"more than {_MAX_PARTS} MIME parts; rest ignored")
            return
        if depth > _MAX_DEPTH:
            self.defects.add(f"MIME nesting deeper than {_MAX_DEPTH}; rest ignored")
            return
        for defect in getattr(part, "defects", ()):
            self.defects.add(type(defect).__name__)
        try:
            view = _mime_view(part)
        except Exception as exc:
            self.defects.add(f"unreadable MIME headers: {type(exc).__name__}")
            view = _MimeView("application/octet-stream", None, "attachment", None, None, None)
        payload = part.get_payload() if part.is_multipart() else None
        children = [child for child in payload or () if isinstance(child, Message)]

        if view.type in _FORWARDED_TYPES and children:
            self._add_forwarded(view, children[0], found)
        elif view.type.startswith("multipart/") and part.is_multipart():
            self._walk_multipart(view, children, found, depth=depth, body_allowed=body_allowed)
        elif part.is_multipart():
            # message/delivery-status and friends: keep their text as a file.
            self._add_attachment(self._serialise_children(children), view, found)
        elif view.type.startswith("multipart/"):
            # Boundary missing or broken: the parser left raw text; showing
            # it beats losing it, and the defect list flags the message.
            self.defects.add("multipart part without usable structure")
            if body_allowed:
                found.plain.append(self._text_of(part, view))
            else:
                self._add_attachment(self._payload_bytes(part), view, found)
        elif body_allowed and self._is_body(view):
            text = self._text_of(part, view)
            (found.html if view.type == "text/html" else found.plain).append(text)
        else:
            self._add_attachment(self._payload_bytes(part), view, found)

    def _walk_multipart(
        self,
        view: _MimeView,
        children: list[Message],
        found: _Found,
        *,
        depth: int,
        body_allowed: bool,
    ) -> None:
        subtype = view.type.split("/", 1)[1]
        if subtype == "alternative" and body_allowed:
            self._walk_alternative(children, found, depth=depth)
        elif subtype == "related" and children:
            root_index = self._related_root(children, view.start)
            for index, child in enumerate(children):
                # Non-root parts of multipart/related are resources (cid: images).
                allowed = body_allowed and index == root_index
                self._walk(child, found, depth=depth + 1, body_allowed=allowed)
        else:
            for child in children:
                self._walk(child, found, depth=depth + 1, body_allowed=body_allowed)

    def _walk_alternative(self, children: list[Message], found: _Found, *, depth: int) -> None:
        candidates: list[_Found] = []
        for child in children:
            candidate = _Found()
            self._walk(child, candidate, depth=depth + 1, body_allowed=True)
            candidates.append(candidate)
        # Plain text from the first alternative that has some, HTML from the
        # last (richest) one; resources of every alternative are kept.
        plain = next((c.plain for c in candidates if "".join(c.plain).strip()), [])
        html = next((c.html for c in reversed(candidates) if c.html), [])
        found.plain.extend(plain)
        found.html.extend(html)
        for candidate in candidates:
            found.attachments.extend(candidate.attachments)
            found.forwarded.extend(candidate.forwarded)

    @staticmethod
    def _related_root(children: list[Message], start: str | None) -> int:
        if start:
            wanted = start.strip().strip("<>").strip()
            for index, child in enumerate(children):
                if _content_id_of(child) == wanted:
                    return index
        return 0

    @staticmethod
    def _is_body(view: _MimeView) -> bool:
        return view.type in _BODY_TYPES and view.disposition != "attachment" and not view.filename

    def _text_of(self, part: Message, view: _MimeView) -> str:
        text, problem = _decode_bytes(self._payload_bytes(part), view.charset)
        if problem:
            self.defects.add(f"{view.type}: {problem}")
        return _normalise_body_text(text)

    def _payload_bytes(self, part: Message) -> bytes:
        try:
            payload = part.get_payload(decode=True)
        except Exception as exc:
            self.defects.add(f"undecodable payload: {type(exc).__name__}")
            payload = None
        if isinstance(payload, bytes):
            return payload
        raw = part.get_payload()
        if isinstance(raw, str):
            return raw.encode("utf-8", "surrogateescape")
        return b""

    def _serialise(self, message: Message) -> bytes:
        buffer = io.BytesIO()
        # compat32 writes stored raw header values back untouched, whereas
        # policy.default would re-fold (and may raise on odd headers).
        policy = email_policy.compat32.clone(linesep=self.linesep, max_line_length=None)
        try:
            BytesGenerator(buffer, mangle_from_=False, policy=policy).flatten(message)
        except Exception as exc:
            self.defects.add(f"could not serialise enclosed message: {type(exc).__name__}")
            return b""
        return buffer.getvalue()

    def _serialise_children(self, children: list[Message]) -> bytes:
        return b"".join(self._serialise(child) for child in children)

    def _add_forwarded(self, view: _MimeView, enclosed: Message, found: _Found) -> None:
        self.attachment_count += 1
        name = view.filename
        if not name:
            subject = _guarded(
                self.defects,
                "enclosed Subject",
                "",
                lambda: _subject(_header_map(enclosed), self.defects),
            )
            name = f"{subject[: MAX_FILENAME_CHARS - 4]}.eml" if subject else None
        found.attachments.append(
            ParsedAttachment(
                filename=_sanitise_filename(name, f"attachment-{self.attachment_count}.eml"),
                declared_type=view.type,
                content=self._serialise(enclosed),
                content_id=view.content_id,
                inline=view.disposition == "inline",
            )
        )
        found.forwarded.append(enclosed)

    def _add_attachment(self, content: bytes, view: _MimeView, found: _Found) -> None:
        self.attachment_count += 1
        fallback = f"attachment-{self.attachment_count}{_extension_for(view.type)}"
        found.attachments.append(
            ParsedAttachment(
                filename=_sanitise_filename(view.filename, fallback),
                declared_type=view.type,
                content=content,
                content_id=view.content_id,
                inline=view.disposition == "inline" or (view.disposition is None and view.content_id is not None),
            )
        )

    def forwarded_text(self, enclosed: Message) -> str:
        found = _Found()
        self._walk(enclosed, found, depth=1, body_allowed=True)
        plain = "\n".join(found.plain)
        if plain.strip():
            return plain
        return html_to_text("\n".join(found.html)) if found.html else ""


def _bodies(found: _Found, walker: _Walker, defects: _Defects) -> tuple[str, str | None]:
    html_body = "\n".join(found.html).replace("\x00", "") if found.html else None
    text = "\n".join(found.plain)
    if not text.strip() and html_body:
        if len(html_body) > _MAX_HTML_FOR_TEXT_CHARS:
            defects.add("HTML too large; text derived from its beginning")
        text = html_to_text(html_body[:_MAX_HTML_FOR_TEXT_CHARS])
    if not text.strip() and found.forwarded:
        text = walker.forwarded_text(found.forwarded[0])
    text = _normalise_body_text(text)
    if len(text) > MAX_TEXT_BODY_CHARS:
        defects.add(f"text body truncated to {MAX_TEXT_BODY_CHARS} characters")
        text = text[:MAX_TEXT_BODY_CHARS]
    return text, html_body


# --------------------------------------------------------------------------
# HTML to text
# --------------------------------------------------------------------------
# html.parser is quadratic on inputs such as "<a b=\"" repeated (seconds for
# 60 KB on Python 3.11), so this is a small single-pass scanner instead. It
# only needs to produce readable text, not a DOM.

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
