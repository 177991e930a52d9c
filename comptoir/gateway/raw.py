"""Raw messages as they arrive: what makes two deliveries one message, and what is kept of one too large to read.

Pure functions on bytes, linear in the size of the message; ingest() stores
what they return.
"""

from __future__ import annotations

import hashlib
import re
from typing import BinaryIO

HEADER_END = re.compile(rb"\r?\n\r?\n")
_LINE_END = re.compile(rb"\r?\n")
# Where the header block is looked for: a message whose first megabyte holds no
# blank line has no header block worth the name.
_HEADER_SEARCH_BYTES = 1_000_000
# What is kept of a message over the size limit: its header block, cut here.
KEPT_HEADER_BYTES = 256 * 1024
_READ_CHUNK_BYTES = 1024 * 1024

# The fields the author of a message writes. Relays add and rewrite others on
# the way (Received, Delivered-To, Return-Path, authentication and spam
# verdicts, ARC and DKIM signatures...), so the same message delivered by two
# routes, or through IMAP and through the MTA pipe, differs only there.
_AUTHOR_FIELDS = frozenset(
    {
        b"from",
        b"sender",
        b"reply-to",
        b"to",
        b"cc",
        b"subject",
        b"date",
        b"message-id",
        b"in-reply-to",
        b"references",
        b"auto-submitted",
        b"mime-version",
        b"content-type",
        b"content-transfer-encoding",
    }
)


def _header_end(raw: bytes) -> re.Match[bytes] | None:
    return HEADER_END.search(raw, 0, _HEADER_SEARCH_BYTES)


def content_digest(raw: bytes) -> str:
    """SHA-256 of what the author wrote: the author's header fields (unfolded) and the body, line ends unified.

    Two deliveries of one message have the same digest whatever relays added;
    two different messages that share a Message-ID (a broken mailer, or someone
    reusing an id on purpose) do not. Without a header block, the bytes' own hash.
    """
    end = _header_end(raw)
    if end is None:
        return hashlib.sha256(raw).hexdigest()
    digest = hashlib.sha256()
    # Each field as its lines: a folded field is joined once, not line by line.
    fields: list[list[bytes]] = []
    for line in _LINE_END.split(raw[: end.start()]):
        if line[:1] in (b" ", b"\t") and fields:
            fields[-1].append(line)
        else:
            fields.append([line])
    for lines in fields:
        name, colon, value = lines[0].partition(b":")
        name = name.strip().lower()
        if colon and name in _AUTHOR_FIELDS:
            unfolded = b" ".join([value, *lines[1:]])
            digest.update(name + b":" + b" ".join(unfolded.split()) + b"\n")
    digest.update(b"\n")
    digest.update(raw[end.end() :].replace(b"\r\n", b"\n").rstrip(b"\n"))
    return digest.hexdigest()


def header_block(raw: bytes) -> bytes:
    """The message's header block with the blank line that ends it, at most KEPT_HEADER_BYTES."""
    end = HEADER_END.search(raw, 0, KEPT_HEADER_BYTES)
    return raw[: end.end()] if end is not None else raw[:KEPT_HEADER_BYTES]


def read_at_most(stream: BinaryIO, limit: int) -> tuple[bytes, int]:
    """Up to limit + 1 bytes of the stream, and its whole size: the rest is read and dropped, never held.

    limit + 1 bytes tell a message over the limit from one exactly at it; the
    rest is drained so that the sender (a mail server writing into our pipe)
    sees its message taken, and its size is known.
    """
    head = stream.read(limit + 1)
    size = len(head)
    if size > limit:
        while chunk := stream.read(_READ_CHUNK_BYTES):
            size += len(chunk)
    return head, size
