"""The IMAP feeder: polls each Mailbox and hands every message to ingest().

A message is fetched with BODY.PEEK[], which leaves it unread, and is marked
read, moved or deleted on the server only once ingest() has returned, that is
once the database has committed it. A worker killed in between leaves the
message on the server: the next run fetches it again, ingest() recognises it
(by Message-ID or hash) and the message is stored once, then marked.

fetch_mailbox() must run outside any transaction (the Celery task and the
fetch_mail command do), or "committed" would not mean committed.
"""

from __future__ import annotations

import contextlib
import imaplib
import logging
import re
import ssl
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import DatabaseError, transaction
from django.db.models import Q
from django.utils import timezone

from comptoir.gateway.inbound import TemporaryFailure, ingest
from comptoir.mail.models import AfterImport, Mailbox, MailboxSecurity

logger = logging.getLogger(__name__)

MAX_MESSAGES_PER_RUN = 200
SOCKET_TIMEOUT_SECONDS = 60
# A run takes no new message after RUN_SECONDS. The claim lasts longer, with a
# margin for the message in hand, so it never expires under a working run.
RUN_SECONDS = 10 * 60
CLAIM_SECONDS = 15 * 60
FIRST_PAUSE = timedelta(minutes=5)
LONGEST_PAUSE = timedelta(hours=6)


class MailboxError(Exception):
    """The mailbox cannot be polled: settings we refuse, or a command the server refused."""


@dataclass
class FetchResult:
    mailbox: str
    # Messages downloaded.
    fetched: int = 0
    # New to Comptoir: stored and acted on (ticket or quarantine) by this run.
    ingested: int = 0
    # Already stored by an earlier run (say, a worker killed before marking): only marked now.
    duplicates: int = 0
    # Left on the server because our side failed (TemporaryFailure); retried next run.
    failed: int = 0
    temporary_failure: bool = False
    # Why the mailbox could not be polled; counts towards pausing it.
    error: str = ""
    # Why the mailbox was not polled at all (paused, disabled, another worker has it).
    skipped: str = ""


def pause_after(failures: int) -> timedelta | None:
    """How long polling stops after this many failures in a row: 5 min, doubling, at most 6 h."""
    threshold: int = settings.COMPTOIR_IMAP_PAUSE_AFTER_FAILURES
    if failures < threshold:
        return None
    # The exponent is capped so that months of failures do not build a huge number.
    factor: int = 2 ** min(failures - threshold, 10)
    return min(FIRST_PAUSE * factor, LONGEST_PAUSE)


def mailbox_claim(mailbox: Mailbox) -> datetime | None:
    """Take the mailbox for one run: the claim's expiry, or None when it is not ours to poll.

    One conditional UPDATE, so only one worker wins, whatever process or machine it runs on.
    """
    now = timezone.now()
    until = now + timedelta(seconds=CLAIM_SECONDS)
    claimed = (
        Mailbox.objects.filter(pk=mailbox.pk, enabled=True)
        .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lte=now))
        .filter(Q(paused_until__isnull=True) | Q(paused_until__lte=now))
        .update(claimed_until=until)
    )
    return until if claimed else None


def mailbox_release(mailbox: Mailbox, claim: datetime) -> None:
    # Only our own claim: had it expired, the mailbox may now be another worker's.
    Mailbox.objects.filter(pk=mailbox.pk, claimed_until=claim).update(claimed_until=None)


def fetch_all() -> list[FetchResult]:
    """Poll every enabled mailbox that is not paused, one after the other."""
    now = timezone.now()
    due = Mailbox.objects.filter(enabled=True).filter(Q(paused_until__isnull=True) | Q(paused_until__lte=now))
    results = []
    for mailbox in due:
        try:
            results.append(fetch_mailbox(mailbox))
        except Exception as error:
            # One broken mailbox, or a database hiccup while handling it, never stops the others.
            logger.exception("IMAP mailbox %s could not be polled", mailbox.name)
            results.append(
                FetchResult(mailbox.name, error=_describe(error), temporary_failure=isinstance(error, DatabaseError))
            )
    return results


def fetch_mailbox(mailbox: Mailbox) -> FetchResult:
    """Poll one mailbox, unless it is paused, disabled or being polled by another worker."""
    if transaction.get_connection().in_atomic_block:
        raise RuntimeError("fetch_mailbox() must run outside a transaction: messages are marked after the commit")
    result = FetchResult(mailbox.name)
    claim = mailbox_claim(mailbox)
    if claim is None:
        result.skipped = _why_not_polled(mailbox)
        return result
    try:
        mailbox.refresh_from_db()
        _poll(mailbox, result)
    except DatabaseError:
        # Ours, not the mailbox's: it does not count towards pausing it.
        raise
    except Exception as error:
        # Connection, TLS, login or protocol trouble, or settings we refuse.
        if not isinstance(error, OSError | imaplib.IMAP4.error | MailboxError):
            logger.exception("Unexpected error while polling IMAP mailbox %s", mailbox.name)
        result.error = _describe(error)
        _record_failure(mailbox, result.error)
    else:
        if not result.temporary_failure:
            _record_success(mailbox)
    finally:
        mailbox_release(mailbox, claim)
    return result


def _why_not_polled(mailbox: Mailbox) -> str:
    current = Mailbox.objects.filter(pk=mailbox.pk).first()
    if current is None or not current.enabled:
        return "disabled"
    if current.paused_until is not None and current.paused_until > timezone.now():
        return f"paused until {timezone.localtime(current.paused_until):%Y-%m-%d %H:%M %Z}"
    return "being polled by another worker"


def _record_failure(mailbox: Mailbox, error: str) -> None:
    mailbox.consecutive_failures += 1
    mailbox.last_error = error
    pause = pause_after(mailbox.consecutive_failures)
    if pause is not None:
        mailbox.paused_until = timezone.now() + pause
    mailbox.save(update_fields=["consecutive_failures", "last_error", "paused_until"])
    logger.warning(
        "IMAP mailbox %s failed (%d in a row)%s: %s",
        mailbox.name,
        mailbox.consecutive_failures,
        f", paused until {mailbox.paused_until:%Y-%m-%d %H:%M}" if pause is not None else "",
        error,
    )


def _record_success(mailbox: Mailbox) -> None:
    mailbox.consecutive_failures = 0
    mailbox.paused_until = None
    mailbox.last_error = ""
    mailbox.last_success_at = timezone.now()
    mailbox.save(update_fields=["consecutive_failures", "paused_until", "last_error", "last_success_at"])


def _describe(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"[:2000]


# --- Talking to the server ----------------------------------------------------


def _poll(mailbox: Mailbox, result: FetchResult) -> None:
    # "imap:<name>" fits InboundEmail.source: Mailbox.name is at most 15 characters.
    source = f"imap:{mailbox.name}"
    deadline = time.monotonic() + RUN_SECONDS
    connection = _connect(mailbox)
    try:
        if not mailbox.password.isascii():
            # IMAP LOGIN sends ASCII only; checked here so that the error never quotes the password.
            raise MailboxError("the password holds characters other than ASCII, which IMAP LOGIN cannot send")
        connection.login(_quote(mailbox.username), mailbox.password)
        capabilities = _capabilities(connection)
        _check(connection.select(_quote(mailbox.folder)), f"SELECT {mailbox.folder}")
        # With "seen" the flag is the only record of what was imported; "move" and
        # "delete" take every message out of the folder, read or not.
        criterion = "UNSEEN" if mailbox.after_import == AfterImport.SEEN else "ALL"
        uids = _check(connection.uid("SEARCH", criterion), "SEARCH")[0].split()
        uids = [uid.decode("ascii") for uid in uids[:MAX_MESSAGES_PER_RUN]]
        move_to = ""
        if uids and mailbox.after_import == AfterImport.MOVE:
            move_to = _ensure_folder(connection, mailbox.move_to)
        for uid in uids:
            if time.monotonic() > deadline:
                break
            fetched = _fetch(connection, uid)
            if fetched is None:
                continue  # expunged meanwhile by another client
            raw, size = fetched
            result.fetched += 1
            started = timezone.now()
            try:
                row = ingest(raw, source=source, size=size)
            except TemporaryFailure as error:
                # Our side failed: this message and the rest stay untouched for the next run.
                logger.warning("IMAP mailbox %s: message left on the server, ingest failed: %s", mailbox.name, error)
                result.failed += 1
                result.temporary_failure = True
                return
            # processed_at is set by the call that acted on the message: an older
            # one means an earlier run stored it and died before marking it.
            if row.processed_at is not None and row.processed_at >= started:
                result.ingested += 1
            else:
                result.duplicates += 1
            _after_import(connection, mailbox, uid, capabilities, move_to)
    finally:
        with contextlib.suppress(Exception):
            connection.logout()


def _connect(mailbox: Mailbox) -> imaplib.IMAP4:
    host, port, timeout = mailbox.host, mailbox.port, SOCKET_TIMEOUT_SECONDS
    if mailbox.security == MailboxSecurity.TLS:
        return imaplib.IMAP4_SSL(host, port, ssl_context=_tls_context(), timeout=timeout)
    if mailbox.security == MailboxSecurity.STARTTLS:
        connection = imaplib.IMAP4(host, port, timeout=timeout)
        try:
            # Raises when the server does not offer STARTTLS: never fall back to plain text.
            connection.starttls(ssl_context=_tls_context())
        except Exception:
            connection.shutdown()
            raise
        return connection
    if mailbox.security == MailboxSecurity.NONE and mailbox.allow_insecure:
        return imaplib.IMAP4(host, port, timeout=timeout)
    raise MailboxError(
        f"security {mailbox.security!r} refused: plain text is allowed only with “Allow insecure” ticked"
    )


def _tls_context() -> ssl.SSLContext:
    # The system's trusted CAs, or one CA file (a private CA; the tests' own).
    return ssl.create_default_context(cafile=settings.COMPTOIR_IMAP_CA_FILE or None)


def _check(response: tuple[str, list[Any]], what: str) -> list[Any]:
    status, data = response
    if status != "OK":
        raise MailboxError(f"{what}: {status} {data!r}"[:500])
    return data


def _quote(text: str) -> str:
    """An IMAP quoted string (names with spaces, or with quotes, survive)."""
    if not text.isascii():
        raise MailboxError(f"{text!r}: only ASCII user and folder names are supported")
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _capabilities(connection: imaplib.IMAP4) -> set[str]:
    # imaplib keeps what the server announced before login; MOVE and UIDPLUS usually come after it.
    data = _check(connection.capability(), "CAPABILITY")
    return set(data[0].decode("ascii", errors="replace").upper().split()) if data and data[0] else set()


_LIST_DELIMITER = re.compile(rb'^\([^)]*\) (?:"(\\?.)"|NIL) ')


def _ensure_folder(connection: imaplib.IMAP4, path: str) -> str:
    """The server's name for the folder "A/B", created if missing.

    Servers separate levels with their own character ("/" for Gmail, "." for a
    default Dovecot or Courier); LIST "" "" says which.
    """
    status, data = connection.list('""', '""')
    match = _LIST_DELIMITER.match(data[0]) if status == "OK" and data and isinstance(data[0], bytes) else None
    if match is not None and match.group(1) is not None:
        path = path.replace("/", match.group(1).decode("ascii")[-1])
    quoted = _quote(path)
    status, data = connection.list('""', quoted)
    if status != "OK" or not data or data[0] is None:
        _check(connection.create(quoted), f"CREATE {path}")
    return quoted


_SIZE = re.compile(rb"RFC822\.SIZE (\d+)")


def _fetch(connection: imaplib.IMAP4, uid: str) -> tuple[bytes, int] | None:
    """The message, or its first COMPTOIR_INBOUND_MAX_BYTES + 1 bytes when it is larger; and its size.

    The range keeps a message over the limit out of memory (ingest() keeps its
    header block); one command, so an ordinary message costs no extra round trip.
    PEEK: reading the message must not mark it; only _after_import does, after the commit.
    """
    limit: int = settings.COMPTOIR_INBOUND_MAX_BYTES
    data = _check(connection.uid("FETCH", uid, f"(RFC822.SIZE BODY.PEEK[]<0.{limit + 1}>)"), f"FETCH {uid}")
    raw: bytes | None = None
    size = 0
    for item in data:
        # The server may put RFC822.SIZE before the literal or after it.
        line = item[0] if isinstance(item, tuple) else item
        found = _SIZE.search(line) if isinstance(line, bytes) else None
        size = int(found.group(1)) if found is not None else size
        if isinstance(item, tuple) and b"BODY[]" in item[0]:
            raw = item[1]
    return (raw, max(size, len(raw))) if raw is not None else None


def _after_import(connection: imaplib.IMAP4, mailbox: Mailbox, uid: str, capabilities: set[str], move_to: str) -> None:
    if mailbox.after_import == AfterImport.SEEN:
        _check(connection.uid("STORE", uid, "+FLAGS.SILENT", r"(\Seen)"), f"STORE {uid} \\Seen")
        return
    if mailbox.after_import == AfterImport.MOVE:
        if "MOVE" in capabilities:
            _check(connection.uid("MOVE", uid, move_to), f"MOVE {uid}")
            return
        # No MOVE (RFC 6851): copy, then delete the original.
        _check(connection.uid("COPY", uid, move_to), f"COPY {uid}")
    _check(connection.uid("STORE", uid, "+FLAGS.SILENT", r"(\Deleted)"), f"STORE {uid} \\Deleted")
    if "UIDPLUS" in capabilities:
        # This message only: others may carry \Deleted from someone's mail client.
        _check(connection.uid("EXPUNGE", uid), f"EXPUNGE {uid}")
    else:
        _check(connection.expunge(), "EXPUNGE")
