"""Files uploaded ahead of their message: checked on arrival, kept a day, attached once by their uploader.

A program sending a large screen recording wants to send it once, then write
the message (and retry the message, not the file). POST /api/v1/uploads/
checks the file with the web's rules (comptoir.tickets.files: type from the
content, size limit) and answers a key; a message or a new ticket names it in
``attachments``. The key is its uploader's only: quoted by anyone else it is
unknown, as it is once used or KEPT_FOR old. Taking an upload deletes its row
in the message's transaction, and its file once that commits.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import timedelta
from typing import IO

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext, ngettext
from rest_framework.exceptions import ValidationError

from comptoir.accounts.models import User
from comptoir.api.models import Upload
from comptoir.tickets.files import CheckedFile, NewAttachment, check_file, max_files

KEPT_FOR = timedelta(hours=24)
KEY_PREFIX = "upl_"


def max_waiting() -> int:
    """Uploads a person may hold unsent at once: enough for a few messages, not a free file store."""
    return max_files() * 5


def live_uploads(owner: User) -> QuerySet[Upload]:
    return Upload.objects.filter(owner=owner, created_at__gte=timezone.now() - KEPT_FOR)


@transaction.atomic
def upload_store(*, owner: User, stream: IO[bytes], filename: str, size: int) -> Upload:
    """Check the file as the web would and keep it for its owner; a refusal names the rule (ValidationError).

    The owner's row is locked while their uploads are counted and the new one written, so that requests
    sent at once cannot each find room under the cap.
    """
    list(User.objects.select_for_update().filter(pk=owner.pk).values_list("pk", flat=True))
    waiting = live_uploads(owner).count()
    if waiting >= max_waiting():
        raise ValidationError(
            {
                "file": [
                    ngettext(
                        "You have %(count)d file uploaded and not yet sent; send it with a message first.",
                        "You have %(count)d files uploaded and not yet sent; send them with a message first.",
                        waiting,
                    )
                    % {"count": waiting}
                ]
            }
        )
    checked = _checked(stream, filename, size)
    upload = Upload(
        key=KEY_PREFIX + secrets.token_urlsafe(24),
        owner=owner,
        filename=checked.filename,
        content_type=checked.content_type,
        size=checked.size,
        sha256=checked.sha256,
    )
    stream.seek(0)
    upload.file.save(checked.filename, stream, save=False)
    upload.save()
    return upload


def _checked(stream: IO[bytes], filename: str, size: int) -> CheckedFile:
    try:
        return check_file(stream, filename, size)
    except DjangoValidationError as error:
        raise ValidationError({"file": error.messages}) from None


def uploads_take(*, owner: User, keys: Sequence[str]) -> list[NewAttachment]:
    """The owner's uploads named by ``keys``, as attachments to be, gone once the caller's transaction commits.

    Call it in the transaction that writes the message: rolled back, the
    uploads are still there to retry with. An unknown, expired, used or another
    person's key is refused, naming it, and nothing is taken.
    """
    assert transaction.get_connection().in_atomic_block, "take uploads in the transaction that attaches them"
    if not keys:
        return []
    wanted = list(dict.fromkeys(keys))
    found = {upload.key: upload for upload in live_uploads(owner).select_for_update().filter(key__in=wanted)}
    missing = [key for key in wanted if key not in found]
    if missing:
        raise ValidationError(
            {
                "attachments": [
                    gettext("“%(key)s” is no upload of yours that is waiting: upload the file again.") % {"key": key}
                    for key in missing
                ]
            }
        )
    taken = [found[key] for key in wanted]
    Upload.objects.filter(pk__in=[upload.pk for upload in taken]).delete()
    names = [upload.file.name for upload in taken]
    storage = Upload._meta.get_field("file").storage

    def delete_files() -> None:
        for name in names:
            if name:
                storage.delete(name)

    transaction.on_commit(delete_files)
    return [
        NewAttachment(
            checked=CheckedFile(
                filename=upload.filename, content_type=upload.content_type, size=upload.size, sha256=upload.sha256
            ),
            content=upload.file.open("rb"),
        )
        for upload in taken
    ]


def uploads_purge() -> int:
    """Delete the uploads nobody sent within KEPT_FOR, files included; how many."""
    expired = list(Upload.objects.filter(created_at__lt=timezone.now() - KEPT_FOR))
    for upload in expired:
        upload.file.delete(save=False)
    Upload.objects.filter(pk__in=[upload.pk for upload in expired]).delete()
    return len(expired)
