"""The entry point: raw bytes to a ParsedEmail, every stage guarded so that parse_email never raises."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from email import policy as email_policy
from email.message import Message
from email.parser import BytesParser

from comptoir.mail.parsing.attachments import ParsedAttachment, _mime_view
from comptoir.mail.parsing.bodies import _bodies, _Found, _Walker
from comptoir.mail.parsing.headers import (
    _address_list,
    _addresses,
    _date,
    _envelope_recipients,
    _from_problem,
    _header_map,
    _HeaderMap,
    _id_list,
    _message_id,
    _subject,
)
from comptoir.mail.parsing.limits import _Defects, _guarded
from comptoir.mail.parsing.robots import DeliveryReport, _delivery_report, _is_auto_submitted, body_says_out_of_office


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
    # Why From does not name one sender for sure ("" when it does): several
    # mailboxes or From fields, a malformed address, or readings that disagree
    # (strict RFC 5322, lenient, ours). Such a message is never attributed.
    from_problem: str = ""
    # The first lines read like an out-of-office, though no header or subject
    # says so: weaker than ``auto_submitted``, for a person on holiday may write
    # just that. Nothing automatic answers it; it is still a person's message.
    reads_as_out_of_office: bool = False


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


def _parse_structure(data: bytes, defects: _Defects) -> Message:
    # compat32, never policy.default: every header we read is decoded from its raw value
    # (raw_items, _mime_view's own compat32 view), so policy.default's structured headers were
    # built only for the feed parser's Content-Type lookups (each one parsed again on every
    # lookup): half the time of the whole parse, and seconds on thousands of parts.
    attempts: list[tuple[str, email_policy.Policy, bool]] = [
        ("compat32", email_policy.compat32, False),
        ("headers-only", email_policy.compat32, True),
    ]
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
        reads_as_out_of_office=_guarded(
            defects, "out-of-office detection", False, lambda: body_says_out_of_office(text_body)
        ),
        envelope_recipients=_guarded(defects, "envelope", (), lambda: _envelope_recipients(headers, defects)),
        delivery_report=_guarded(defects, "delivery report", None, lambda: _delivery_report(message, top_type)),
        from_problem=_guarded(
            defects, "From check", "From header unreadable", lambda: _from_problem(headers, from_address)
        ),
        defects=defects.as_tuple(),
    )
