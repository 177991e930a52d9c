"""Turn raw RFC 5322 bytes into a plain, immutable value.

This package is deliberately pure: bytes in, ``ParsedEmail`` out, no Django
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
* The MIME structure is parsed with the ``compat32`` policy (the headers-only
  parse as a fallback), never ``policy.default``, whose structured headers
  cost half the parse and are not read: headers are always decoded from their
  raw values (``raw_items``), which lets us apply our own charset fallback
  chain instead of the stdlib's replacement characters.

Forwarded messages (``message/rfc822`` parts) are kept whole as an attachment
named after the declared filename or ``<subject>.eml``: this preserves the
forwarded headers and attachments byte-for-byte-ish and keeps foreign
Message-IDs and auto-reply markers out of the ticket thread. Only when the
outer message has no text of its own (Outlook's "forward as attachment") is
the first forwarded message's text used for ``text_body``.
"""

from __future__ import annotations

from comptoir.mail.parsing.attachments import ParsedAttachment
from comptoir.mail.parsing.headers import CONTROL_HEADER_PREFIX
from comptoir.mail.parsing.html_text import html_to_text
from comptoir.mail.parsing.limits import (
    MAX_ADDRESSES,
    MAX_DEFECTS,
    MAX_FILENAME_CHARS,
    MAX_HEADER_TEXT_CHARS,
    MAX_MESSAGE_IDS,
    MAX_SUBJECT_CHARS,
    MAX_TEXT_BODY_CHARS,
)
from comptoir.mail.parsing.message import ParsedEmail, parse_email
from comptoir.mail.parsing.robots import DeliveryReport

__all__ = [
    "CONTROL_HEADER_PREFIX",
    "MAX_ADDRESSES",
    "MAX_DEFECTS",
    "MAX_FILENAME_CHARS",
    "MAX_HEADER_TEXT_CHARS",
    "MAX_MESSAGE_IDS",
    "MAX_SUBJECT_CHARS",
    "MAX_TEXT_BODY_CHARS",
    "DeliveryReport",
    "ParsedAttachment",
    "ParsedEmail",
    "html_to_text",
    "parse_email",
]
