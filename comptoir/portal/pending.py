"""Files of a ticket form refused for another field: kept on the server, so nobody chooses them again.

A form refused for its subject, a custom field or anything but its files still
carried files already checked (chosen, dropped, pasted, captured or recorded:
they all travel in the same input). They are stored under pending/<random>/
and the page that comes back lists them as ticked boxes named "pending_file",
each holding a signed, timed note of where its file lies and what the checks
found. Sent again, the form takes the ticked ones back; an unticked one is left
for the purge. The signature is what makes a note trustworthy: nobody can name
another person's file or any other file in storage. The purge deletes what is
older than KEPT_FOR, used or not.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from django.core import signing
from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from comptoir.tickets.files import CheckedFile, NewAttachment

KEPT_FOR = timedelta(hours=2)
FOLDER = "pending"
_SALT = "comptoir.portal.pending"


@dataclass(frozen=True)
class PendingFile:
    """A checked file waiting for its form to be sent again; ``token`` is what the page sends back."""

    token: str
    storage_name: str
    checked: CheckedFile


def pending_keep(files: Sequence[NewAttachment]) -> list[PendingFile]:
    """Store the form's accepted files for a short while; the notes the page sends back for them."""
    folder = f"{FOLDER}/{secrets.token_urlsafe(18)}"
    kept = []
    for index, item in enumerate(files):
        item.content.seek(0)
        # The stored name is ours; the person's file name travels in the signed note only.
        storage_name = default_storage.save(f"{folder}/{index}", File(item.content))
        note = {
            "path": storage_name,
            "name": item.checked.filename,
            "type": item.checked.content_type,
            "size": item.checked.size,
            "sha256": item.checked.sha256,
        }
        kept.append(
            PendingFile(
                token=signing.dumps(note, salt=_SALT, compress=True),
                storage_name=storage_name,
                checked=item.checked,
            )
        )
    return kept


def pending_read(tokens: Sequence[str]) -> list[PendingFile]:
    """The files the page sent back; one expired or gone is refused, asking for it again.

    A note that was not signed here is dropped without a word: only a forger sends one.
    """
    found: list[PendingFile] = []
    for token in dict.fromkeys(tokens):
        try:
            note = signing.loads(token, salt=_SALT, max_age=KEPT_FOR)
        except signing.SignatureExpired:
            raise ValidationError(
                _("A file kept from your first try was deleted after a while: please choose it again."),
                code="pending_expired",
            ) from None
        except signing.BadSignature:
            continue
        checked = CheckedFile(
            filename=note["name"], content_type=note["type"], size=note["size"], sha256=note["sha256"]
        )
        if not default_storage.exists(note["path"]):
            raise ValidationError(
                _("“%(name)s” is no longer kept: please choose it again.") % {"name": checked.filename},
                code="pending_gone",
            )
        found.append(PendingFile(token=token, storage_name=note["path"], checked=checked))
    return found


def pending_take(files: Sequence[PendingFile]) -> list[NewAttachment]:
    """The kept files, open for the ticket to copy; deleted once the caller's transaction commits."""
    if not files:
        return []
    names = [item.storage_name for item in files]

    def delete() -> None:
        for name in names:
            default_storage.delete(name)

    transaction.on_commit(delete)
    return [
        NewAttachment(checked=item.checked, content=default_storage.open(item.storage_name, "rb")) for item in files
    ]


def pending_purge() -> int:
    """Delete the kept files older than KEPT_FOR, used or forgotten; how many."""
    if not default_storage.exists(FOLDER):
        return 0
    cutoff = timezone.now() - KEPT_FOR
    deleted = 0
    folders, _files = default_storage.listdir(FOLDER)
    for folder in folders:
        _nested, names = default_storage.listdir(f"{FOLDER}/{folder}")
        for name in names:
            path = f"{FOLDER}/{folder}/{name}"
            if default_storage.get_modified_time(path) < cutoff:
                default_storage.delete(path)
                deleted += 1
    return deleted
