"""The MIME tree walked: the text and HTML bodies, the attachments, and forwarded messages kept whole."""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from email import policy as email_policy
from email.generator import BytesGenerator
from email.message import Message

from comptoir.mail.parsing.attachments import (
    ParsedAttachment,
    _content_id_of,
    _extension_for,
    _mime_view,
    _MimeView,
    _sanitise_filename,
)
from comptoir.mail.parsing.charsets import _decode_bytes, _normalise_body_text
from comptoir.mail.parsing.headers import _header_map, _subject
from comptoir.mail.parsing.html_text import html_to_text
from comptoir.mail.parsing.limits import (
    _MAX_DEPTH,
    _MAX_HTML_FOR_TEXT_CHARS,
    _MAX_PARTS,
    MAX_FILENAME_CHARS,
    MAX_TEXT_BODY_CHARS,
    _Defects,
    _guarded,
)


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
