"""Mail from robots: delivery status notifications (RFC 3464) and auto-replies (RFC 3834 and practice)."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from email.message import Message
from email.utils import getaddresses

from comptoir.mail.parsing.charsets import _single_line
from comptoir.mail.parsing.headers import (
    _extract_ids,
    _header_text,
    _HeaderMap,
    _normalise_address,
    _split_address_list,
    _subject,
)
from comptoir.mail.parsing.limits import (
    _MAX_RAW_HEADER_CHARS,
    _MAX_STRUCTURED_ADDRESS_CHARS,
    MAX_HEADER_TEXT_CHARS,
    _Defects,
)


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
    if _has_robot_sender(headers):
        return True
    return subject_says_out_of_office(_subject(headers, _Defects()))


def _has_robot_sender(headers: _HeaderMap) -> bool:
    for name in ("from", "sender"):
        for raw in headers.get(name, []):
            for piece in _split_address_list(_header_text(raw)):
                for _, addr in getaddresses([piece[:_MAX_STRUCTURED_ADDRESS_CHARS]]):
                    if addr.split("@", 1)[0].strip().lower() in _ROBOT_LOCAL_PARTS:
                        return True
    return False


# Out-of-office replies that carry none of the headers above ---------------------
#
# Outlook's client-side rules, older Exchange servers and many hosting panels
# mark their answers with nothing but a subject prefix. Only phrases that
# autoresponders write, at the very start of the subject, count: a person who
# writes "I was out of office last week, here is the log" stays a person. The
# languages are our users' (French, English) and the common European ones.

# "<phrase>: <the subject answered>", or the phrase alone as the whole subject.
_OUT_OF_OFFICE_PHRASES = (
    # English (Outlook, Exchange, cPanel, Zimbra...)
    "out of office", "out of the office", "out of office autoreply", "out of office reply",
    "automatic reply", "automatic response", "auto reply", "auto-reply", "autoreply",
    "auto response", "auto-response", "autoresponse", "autoresponder",
    # French
    "réponse automatique", "réponse automatique d'absence du bureau", "absent du bureau",
    "absente du bureau", "absent(e) du bureau", "absence du bureau", "message d'absence",
    "notification d'absence", "répondeur automatique", "réponse automatique d'absence",
    # German
    "abwesenheitsnotiz", "automatische antwort", "abwesend", "abwesenheitsmeldung",
    "automatische abwesenheitsnotiz", "nicht im büro",
    # Spanish
    "respuesta automática", "fuera de la oficina", "fuera de oficina", "respuesta automática de ausencia",
    # Italian
    "risposta automatica", "fuori ufficio", "fuori sede", "risposta automatica fuori sede",
    # Dutch
    "automatisch antwoord", "afwezig", "afwezigheidsmelding", "niet op kantoor",
    # Portuguese
    "resposta automática", "ausente do escritório",
)  # fmt: skip
_PHRASE = "|".join(
    re.escape(phrase).replace(r"\ ", r"\s+") for phrase in sorted(_OUT_OF_OFFICE_PHRASES, key=len, reverse=True)
)
# "Automatic reply: ...", "Réponse automatique : ...", "Abwesenheitsnotiz", "[Auto-Reply] ...".
_OUT_OF_OFFICE_SUBJECT = re.compile(rf"^(?:(?:{_PHRASE})\s*(?::|\uff1a|$)|\[\s*(?:{_PHRASE})\s*\])")
# IBM Notes: "AUTO: Jane Doe is out of the office (returning 06/12/2025)".
_NOTES_AUTO_SUBJECT = re.compile(
    r"^auto\s*:.*\b(?:is out of (?:the )?office|ist außer haus|ist nicht im büro|est absente?|n'est pas au bureau)\b"
)

# A body alone says out-of-office only when it both announces an absence and
# defers the answer, near its top: "I am out of the office until Monday. I will
# reply on my return." A person mentioning an absence rarely does both.
_ABSENCE = re.compile(
    r"\b(?:"
    r"i(?: am|'m| will be) (?:currently |now )?(?:out of (?:the )?office|away from (?:the|my) (?:office|desk)"
    r"|on (?:annual |parental |sick |maternity |paternity )?(?:leave|holidays?|vacation)|absent)"
    r"|je (?:suis|serai) (?:actuellement )?(?:absente?|en congés?|en vacances|hors du bureau|en déplacement)"
    r"|ich bin (?:derzeit |zurzeit |momentan |bis .{1,40}? )?"
    r"(?:nicht im (?:büro|hause?)|abwesend|außer haus|im urlaub)"
    r"|ich befinde mich (?:derzeit |zurzeit |momentan |bis .{1,40}? )?(?:im urlaub|nicht im büro|außer haus)"
    r"|(?:estoy|estaré) (?:actualmente )?(?:fuera de la oficina|ausente|de vacaciones)"
    r"|(?:sono|sarò) (?:attualmente )?(?:fuori (?:ufficio|sede)|assente|in ferie)"
    r"|ik ben (?:momenteel |tot .{1,40}? )?(?:afwezig|niet (?:op kantoor|aanwezig)|met vakantie|op vakantie)"
    r")"
)
_DEFERRAL = re.compile(
    r"(?:"
    r"\b(?:upon|on) my return\b|\bwhen i (?:return|am back|get back)\b|\b(?:limited|no) access to (?:my )?e-?mails?\b"
    r"|\bfor (?:urgent|immediate) (?:matters|assistance|enquiries|inquiries|requests|issues)\b"
    r"|\bà mon retour\b|\ben cas d'urgence\b|\bpour toute (?:urgence|demande urgente)\b"
    r"|\bnach meiner rückkehr\b|\bin dringenden fällen\b|\bbitte wenden sie sich\b|\bwerden nicht weitergeleitet\b"
    r"|\ba mi (?:regreso|vuelta)\b|\ben caso de urgencia\b|\bpara (?:asuntos|temas) urgentes\b"
    r"|\bal mio (?:rientro|ritorno)\b|\bper (?:urgenze|questioni urgenti)\b"
    r"|\bna mijn terugkeer\b|\bbij (?:mijn )?terugkomst\b|\bvoor dringende (?:zaken|vragen)\b|\bin dringende gevallen\b"
    r")"
)
# An out-of-office says what it has to say in its first lines.
_OUT_OF_OFFICE_BODY_CHARS = 1_000


def _folded(text: str) -> str:
    # Typographic apostrophes made straight, one space, lower case (not casefold: it turns ß into ss).
    text = unicodedata.normalize("NFC", text).replace("\u2019", "'").lower()
    return " ".join(text.split())


def subject_says_out_of_office(subject: str) -> bool:
    """An autoresponder's answer recognised by its subject alone (it carries no RFC 3834 header)."""
    folded_subject = _folded(subject[:300])
    return bool(_OUT_OF_OFFICE_SUBJECT.match(folded_subject) or _NOTES_AUTO_SUBJECT.match(folded_subject))


def body_says_out_of_office(text_body: str) -> bool:
    """The first lines read like an out-of-office that kept the subject it answers ("Re: ...").

    Weaker than the subject: a person on holiday may write just that and mean
    it. The caller only keeps its own automatic e-mails from such a message
    (comptoir.gateway.inbound); the message itself is written as a person's.
    """
    top = _folded(text_body[:_OUT_OF_OFFICE_BODY_CHARS])
    absence = _ABSENCE.search(top)
    return absence is not None and _DEFERRAL.search(top) is not None
