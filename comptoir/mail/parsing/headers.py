"""Headers: their raw values, RFC 2047 words, the subject and date, message ids and addresses."""

from __future__ import annotations

import binascii
import re
from collections.abc import Iterable
from datetime import UTC, datetime
from email import policy as email_policy
from email.message import Message
from email.utils import getaddresses, parsedate_to_datetime

from comptoir.mail.parsing.charsets import _CONTROL_CHARS, _decode_bytes, _raw_to_text, _single_line
from comptoir.mail.parsing.limits import (
    _MAX_ADDRESS_PIECES,
    _MAX_DATE_CHARS,
    _MAX_RAW_HEADER_CHARS,
    _MAX_STRUCTURED_ADDRESS_CHARS,
    MAX_ADDRESSES,
    MAX_HEADER_TEXT_CHARS,
    MAX_MESSAGE_IDS,
    MAX_SUBJECT_CHARS,
    _Defects,
)

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


# From: one sender, the same under every reading ------------------------------

# Defects of the strict parser that only concern the display name, which names
# nobody: mailers write "Dr. No" unquoted and encoded words inside quotes.
_HARMLESS_FROM_DEFECTS = frozenset(
    {
        "period in 'phrase'",
        "comment found without atom",
        "encoded word inside quoted string",
        "missing trailing whitespace after encoded-word",
        "missing whitespace before encoded word",
        "whitespace inside encoded word",
        "local-part contains non-ASCII characters)",  # RFC 6532 addresses: the stdlib's own typo
    }
)


def _from_problem(headers: _HeaderMap, from_address: str | None) -> str:
    """Why the From header does not name one sender for sure; "" when it does.

    Receiving servers and DMARC read From with their own parsers. A message is
    attributed only when the strict RFC 5322 reading, a lenient one (what
    email.utils.getaddresses returns, like many mail programs) and ours agree on
    exactly one mailbox: "customer@example.com <attacker@evil.example>" is the
    customer for some readers and the attacker for others, so it is nobody.
    """
    values = headers.get("from", [])
    if not values:
        return ""
    if len(values) > 1:
        return f"{len(values)} From header fields"
    text = _header_text(values[0]).strip()
    if len(text) > MAX_HEADER_TEXT_CHARS:
        return f"From header longer than {MAX_HEADER_TEXT_CHARS} characters"
    try:
        header = email_policy.default.header_factory("from", text)
        groups = getattr(header, "groups", ())
        defects = [str(defect) for defect in header.defects]
    except Exception as error:
        return f"From header unreadable: {type(error).__name__}"
    if any(group.display_name is not None for group in groups):
        return "From header uses group syntax"
    strict = [_normalise_address(a.addr_spec) or a.addr_spec for group in groups for a in group.addresses]
    if len(strict) != 1:
        return f"From header names {len(strict)} mailboxes"
    lenient = _lenient_from(text)
    if lenient != set(strict):
        return f"From read as {strict[0]} strictly but as {', '.join(sorted(lenient)) or 'nobody'} leniently"
    serious = [defect for defect in defects if defect not in _HARMLESS_FROM_DEFECTS]
    if serious:
        return f"From header malformed: {'; '.join(serious)}"
    if from_address != strict[0]:
        return f"From read as {strict[0]} strictly but as {from_address or 'nobody'} by Comptoir"
    return ""


def _lenient_from(text: str) -> set[str]:
    try:
        pairs = getaddresses([text])
    except (RecursionError, ValueError, IndexError):
        return set()
    return {_normalise_address(address) or address for _, address in pairs if address.strip()}
