"""A requester's copy of their data: one zip of their profile, tickets, public messages and files.

The zip is written to a temporary file, one attachment at a time, so a person
with many screen recordings never fills the web process's memory.
"""

from __future__ import annotations

import json
import re
import shutil
import tempfile
import unicodedata
import zipfile
from typing import IO, Any

from django.db.models import Prefetch, QuerySet
from django.utils.translation import gettext as _

from comptoir.accounts.models import User
from comptoir.ticketforms import validation
from comptoir.ticketforms.models import FieldValue, TicketContext
from comptoir.ticketforms.values import PREFETCHED, values_prefetch
from comptoir.tickets.models import Attachment, AuthorRole, Message, Survey, Ticket

FILENAME_MAX = 100
_UNSAFE = re.compile(r"[^\w.()+ -]+")


def safe_filename(name: str, fallback: str = "file") -> str:
    """A person's file name made harmless inside an archive: no folders, no "..", no control characters."""
    name = unicodedata.normalize("NFC", name)
    name = re.split(r"[/\\]", name)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C")
    name = _UNSAFE.sub("_", name).strip(" .")
    if len(name) > FILENAME_MAX:
        stem, dot, extension = name.rpartition(".")
        extension = extension[:10] if dot else ""
        name = (stem if dot else name)[: FILENAME_MAX - len(extension) - 1] + (f".{extension}" if extension else "")
    return name or fallback


def requester_export_tickets(user: User) -> QuerySet[Ticket]:
    """The person's own tickets, their public messages, those messages' files, the survey answers and the
    values of the ticket fields customers see: five queries.

    With each ticket, in its own query, the technical details its form sent with the person's consent
    (comptoir.ticketforms.models.TicketContext): theirs, so in their copy, though only agents see them
    (when they sent the form: see _context_record).
    """
    attachments = Prefetch("attachments", queryset=Attachment.objects.order_by("id"))
    public = (
        Message.objects.filter(is_public=True)
        .select_related("author")
        .prefetch_related(attachments)
        .order_by("created_at", "id")
    )
    return (
        Ticket.objects.filter(requester=user)
        .select_related("browser_context")
        .order_by("created_at", "id")
        .prefetch_related(
            Prefetch("messages", queryset=public, to_attr="public_messages"),
            values_prefetch(customers=True),
            Prefetch(
                "surveys",
                queryset=Survey.objects.filter(answered_at__isnull=False).order_by("answered_at", "id"),
                to_attr="answered_surveys",
            ),
        )
    )


def _author(message: Message, user: User) -> str:
    if message.author_role == AuthorRole.AGENT:
        name = message.author.get_short_name() if message.author else ""
        return f"{name} ({_('Customer Care')})" if name else _("Customer Care")
    if message.author_role == AuthorRole.SYSTEM or message.author is None:
        return _("System")
    if message.author_id == user.pk:
        return _("You")
    return message.author.get_full_name()


def _when(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def _attachment_path(reference: int, attachment: Attachment) -> str:
    # The id keeps two "screenshot.png" apart; the folder is named by a number only.
    return f"tickets/{reference}/attachments/{attachment.pk}-{safe_filename(attachment.filename)}"


def _context_record(ticket: Ticket, user: User) -> dict[str, Any] | None:
    """What the person's browser sent with the ticket, with their consent; None when nothing was sent.

    Only when they sent it (the ticket's first message is theirs): a ticket an agent gave them later came
    with its former requester's browser, which is not theirs to read.
    """
    messages: list[Message] = ticket.public_messages  # type: ignore[attr-defined]
    if not messages or messages[0].author_id != user.pk:
        return None
    try:
        context: TicketContext = ticket.browser_context
    except TicketContext.DoesNotExist:
        return None
    return {
        "browser": context.browser,
        "operating_system": context.system,
        "screen": context.screen,
        "language": context.language,
        "came_from": {"path": context.came_from, "title": context.came_from_title} if context.came_from else None,
        "last_article_read": (
            {"path": context.article_path, "title": context.article_title} if context.article_path else None
        ),
    }


def _field_records(ticket: Ticket) -> list[dict[str, Any]]:
    """The values the person sees on their ticket (fields visible to customers), with their labels as shown."""
    values: list[FieldValue] = getattr(ticket, PREFETCHED)
    return [
        {
            "key": row.field.key,
            "label": str(row.field.label),
            "value": row.value,
            "shown": validation.shown(row.field, row.value),
        }
        for row in values
    ]


def _ticket_record(ticket: Ticket, user: User) -> dict[str, Any]:
    messages: list[Message] = ticket.public_messages  # type: ignore[attr-defined]
    return {
        "reference": ticket.reference,
        "subject": ticket.subject,
        "status": ticket.status,
        "status_label": str(ticket.get_status_display()),
        "type": ticket.type,
        "channel": ticket.channel,
        "language": ticket.language,
        "created_at": _when(ticket.created_at),
        "updated_at": _when(ticket.updated_at),
        "solved_at": _when(ticket.solved_at),
        "closed_at": _when(ticket.closed_at),
        "fields": _field_records(ticket),
        # The technical details sent with the ticket (the form's "Send technical details"), or null.
        "technical_details": _context_record(ticket, user),
        "survey_answers": [
            {"rating": survey.rating, "comment": survey.comment, "answered_at": _when(survey.answered_at)}
            for survey in ticket.answered_surveys  # type: ignore[attr-defined]
        ],
        "messages": [
            {
                "author": _author(message, user),
                "author_role": message.author_role,
                "channel": message.channel,
                "created_at": _when(message.created_at),
                "body": message.body,
                "attachments": [
                    {
                        "filename": attachment.filename,
                        "path": _attachment_path(ticket.reference, attachment),
                        "content_type": attachment.content_type,
                        "size": attachment.size,
                        "sha256": attachment.sha256,
                    }
                    for attachment in message.attachments.all()
                ],
            }
            for message in messages
        ],
    }


def _ticket_text(record: dict[str, Any]) -> str:
    """The same ticket for reading without tools."""
    lines = [
        f"#{record['reference']} {record['subject']}",
        f"{_('Status')}: {record['status_label']}",
        f"{_('Opened')}: {record['created_at']}",
    ]
    lines += [f"{field['label']}: {field['shown']}" for field in record["fields"]]
    details = record["technical_details"]
    if details is not None:
        pages = [page["path"] for page in (details["came_from"], details["last_article_read"]) if page]
        parts = [details["browser"], details["operating_system"], details["screen"], details["language"], *pages]
        lines.append(f"{_('Technical details sent')}: {' · '.join(part for part in parts if part)}")
    lines.append("")
    for message in record["messages"]:
        lines += [f"--- {message['author']} · {message['created_at']}", "", message["body"], ""]
        lines += [f"[{_('Attachment')}: {item['path']}]" for item in message["attachments"]]
    return "\n".join(lines) + "\n"


def _profile_record(user: User) -> dict[str, Any]:
    return {
        "email": user.email,
        "name": user.name,
        "language": user.language,
        "notification_emails": user.notify_by_email,
        "date_joined": _when(user.date_joined),
    }


def _write_json(archive: zipfile.ZipFile, path: str, value: Any) -> None:
    archive.writestr(path, json.dumps(value, ensure_ascii=False, indent=2) + "\n")


def requester_data_export(*, user: User) -> IO[bytes]:
    """Write the zip into a temporary file and return it open at its start; closing it deletes it."""
    output = tempfile.TemporaryFile(suffix=".zip")  # noqa: SIM115 (the response closes it once sent)
    try:
        with zipfile.ZipFile(output, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            _write_json(archive, "profile.json", _profile_record(user))
            for ticket in requester_export_tickets(user):
                record = _ticket_record(ticket, user)
                _write_json(archive, f"tickets/{ticket.reference}/ticket.json", record)
                archive.writestr(f"tickets/{ticket.reference}/conversation.txt", _ticket_text(record))
                for message in ticket.public_messages:  # type: ignore[attr-defined]
                    for attachment in message.attachments.all():
                        _copy_file(archive, _attachment_path(ticket.reference, attachment), attachment)
    except BaseException:
        output.close()
        raise
    output.seek(0)
    return output


def _copy_file(archive: zipfile.ZipFile, path: str, attachment: Attachment) -> None:
    with attachment.file.open("rb") as source, archive.open(path, "w", force_zip64=True) as target:
        shutil.copyfileobj(source, target, 1024 * 1024)
