"""Hostile and malformed e-mail, generated here so that every clone tests with it.

The public mail corpus (tests/corpus.py) is not in the repository; these
messages are. They are built with the standard library's email package where a
well-formed skeleton helps, and written as bytes where the point is what that
package would refuse to write: wrong and unknown charsets, broken transfer
encodings, raw 8-bit and abused RFC 2047 headers, deep nesting, huge and
numerous headers, broken MIME, NUL bytes, robots (auto-replies, lists,
bounces) and a From display name dressed up as another address.

Each ``Hostile`` carries what its test checks beyond "no crash, nothing lost":
the address of a robot, which must never be answered; whether it is a delivery
report, which must be recognised as one; and for a forged display name, the
address the message really comes from.
"""

from __future__ import annotations

import base64
import random
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from functools import cache

SUPPORT = "support@comptoir.localhost"
TO_SUPPORT = b"To: support@comptoir.localhost"
DATE = b"Date: Tue, 03 Jun 2025 10:00:00 +0200"


@dataclass(frozen=True)
class Hostile:
    name: str
    raw: bytes
    # The robot's address (an auto-responder, a list, a mail server, our own): never answered.
    robot: str | None = None
    # The message says a robot wrote it (Auto-Submitted, Precedence, a report...): parse_email must see it.
    auto_submitted: bool = False
    # A delivery status notification: recognised as a bounce, never a ticket.
    bounce: bool = False
    # A From whose display name shows another address: the address it really comes from.
    true_sender: str | None = None


def crlf(text: bytes) -> bytes:
    """Messages here are written with bare newlines; mail uses CRLF."""
    return text.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")


def lines(*items: bytes) -> bytes:
    """Each item, then a line end."""
    return b"".join(item + b"\n" for item in items)


def message_id(name: str) -> bytes:
    return b"Message-ID: <hostile-" + name.encode() + b"@mail.example.net>"


def head(name: str, *, sender: bytes = b"Eve Sender <eve@example.net>", subject: bytes | None = None) -> bytes:
    """The usual headers of a message from a person, one Message-ID per case."""
    subject = subject if subject is not None else f"Hostile message: {name}".encode()
    return lines(b"From: " + sender, TO_SUPPORT, b"Subject: " + subject, DATE, message_id(name), b"MIME-Version: 1.0")


def email_message(name: str, *, sender: str = "Eve Sender <eve@example.net>", subject: str = "") -> EmailMessage:
    """A well-formed skeleton from the email package (CRLF line ends), to be filled by the caller."""
    message = EmailMessage(policy=policy.SMTP)
    message["From"] = sender
    message["To"] = SUPPORT
    message["Subject"] = subject or f"Hostile message: {name}"
    message["Date"] = DATE.decode().partition(": ")[2]
    message["Message-ID"] = message_id(name).decode().partition(": ")[2]
    return message


# --- Charsets and transfer encodings -------------------------------------------------------


def unknown_charset() -> bytes:
    return crlf(
        head("unknown-charset")
        + b'Content-Type: text/plain; charset="x-klingon-9"\n'
        + b"Content-Transfer-Encoding: 8bit\n\n"
        + b"Qapla\xe9! caf\xc3\xa9 \xff\xfe\x80 end\n"
    )


def mislabelled_charsets() -> bytes:
    """Latin-1 declared us-ascii; invalid UTF-8 (overlong, surrogate, cut) declared UTF-8; odd UTF-16."""
    return crlf(
        head("mislabelled-charsets")
        + b"Content-Type: multipart/mixed; boundary=CS\n\n"
        + b"--CS\nContent-Type: text/plain; charset=us-ascii\nContent-Transfer-Encoding: 8bit\n\n"
        + b"Cr\xe8me br\xfbl\xe9e, 12\xa0\x80\n"
        + b"--CS\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n"
        + b"overlong \xc0\xaf surrogate \xed\xa0\x80 cut \xe2\x82 lone \x80\xbf end\n"
        + b"--CS\nContent-Type: text/plain; charset=utf-16\nContent-Transfer-Encoding: 8bit\n\n"
        + b"\xff\xfeh\x00i\x00\x00\xd8odd\n"
        + b"--CS--\n"
    )


def broken_base64() -> bytes:
    return crlf(
        head("broken-base64")
        + b"Content-Type: multipart/mixed; boundary=B64\n\n"
        + b"--B64\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: base64\n\n"
        + b"SGVsbG8g!!!d29y*bGQ=\n====\naGk\n=SGVsbG8\n\xff\xfe\n"
        + b'--B64\nContent-Type: application/pdf; name="report.pdf"\nContent-Transfer-Encoding: base64\n\n'
        + b"JVBERi0xLjQK" * 10
        + b"%%%\n"
        + b"JVBERi0x\n"  # a line that does not end on a 4-character group
        + b"--B64--\n"
    )


def broken_quoted_printable() -> bytes:
    return crlf(
        head("broken-quoted-printable")
        + b"Content-Type: text/plain; charset=iso-8859-1\n"
        + b"Content-Transfer-Encoding: quoted-printable\n\n"
        + b"caf=E9 =ZZ =4 =e9 lower =\n=\n= \nsoft break at the end =\n"
        + b"=" * 500
        + b"\nlast line=3"
    )


def unknown_transfer_encoding() -> bytes:
    return crlf(
        head("unknown-transfer-encoding")
        + b"Content-Type: multipart/mixed; boundary=CTE\n\n"
        + b"--CTE\nContent-Type: text/plain\nContent-Transfer-Encoding: x-klingon\n\nnuqneH\n"
        + b"--CTE\nContent-Type: text/plain\nContent-Transfer-Encoding: base64, quoted-printable\n\nSGk=\n"
        + b"--CTE\nContent-Type: application/octet-stream\nContent-Transfer-Encoding: x-uuencode\n\n"
        + b"begin 644 a.bin\n#86)C\n`\nend\n"
        + b"--CTE--\n"
    )


def eight_bit_headers() -> bytes:
    return crlf(
        lines(
            b"From: Ren\xe9e Dupr\xe9 <renee@example.net>",  # raw Latin-1
            b"To: \xe6\x94\xaf\xe6\x8f\xb4 <support@comptoir.localhost>, \xff\xfe@\xff.example",
            b"Subject: R\xc3\xa9clamation urgente \xe2\x9c\x93 \xf0\x9f\x94\xa5",  # raw UTF-8 (RFC 6532)
            DATE,
            message_id("eight-bit-headers"),
            b"X-Mailer: \x80\x81\x82",
            b"Content-Type: text/plain; charset=utf-8",
            b"",
            b"Le texte est en UTF-8 : \xc3\xa9t\xc3\xa9.",
        )
    )


def rfc2047_abuse() -> bytes:
    # Each byte of "é" (C3 A9) in its own encoded word, two thousand times over.
    split_characters = b" ".join(b"=?utf-8?Q?=C3?= =?utf-8?Q?=A9?=" for _ in range(2_000))
    return crlf(
        lines(
            b"From: =?utf-8?Q?eve=40example.net?= =?utf-8?B?!!!?= <eve@example.net>",
            b"To: =?utf-8?Q?support?=@comptoir.localhost, support@comptoir.localhost",
            b"Subject: =?x-unknown?Q?abc?= =?utf-8?B?!!!not-base64?= =?utf-8?Q?caf=C3 =?utf-8?Q?a=00b?= "
            b"=?utf-8*fr?Q?bonjour?= =?=?utf-8?Q?nested?=?= =??Q?empty-charset?= =?utf-8?Q?"
            + b"=E2=9C=93" * 3_000
            + b"?=",
            b"Comments: " + split_characters,
            DATE,
            message_id("rfc2047-abuse"),
            b'Content-Type: text/plain; charset="=?utf-8?Q?utf-8?="',
            b'Content-Disposition: inline; filename="=?utf-8?B?Li4vLi4vZXRjL3Bhc3N3ZA==?="',
            b"",
            b"Encoded words where they have no business.",
        )
    )


# --- Structure --------------------------------------------------------------------------------


def deep_multipart(depth: int = 400) -> bytes:
    body = b"Content-Type: text/plain; charset=utf-8\n\nAt the bottom of the well.\n"
    for level in range(depth):
        boundary = b"deep-%d" % level
        body = (
            b"Content-Type: multipart/mixed; boundary=" + boundary + b"\n\n"
            b"--" + boundary + b"\n" + body + b"\n--" + boundary + b"--\n"
        )
    return crlf(head("deep-multipart") + body)


def deep_forwarding(depth: int = 80) -> bytes:
    """A forward of a forward of a forward...: message/rfc822 inside message/rfc822."""
    inner = b"From: origin@example.org\nSubject: The original\n\nWhere it all started.\n"
    for level in range(depth):
        inner = (
            lines(
                b"From: forwarder%d@example.org" % level,
                b"Subject: Fwd: level %d" % level,
                b"Content-Type: message/rfc822",
                b"",
            )
            + inner
        )
    return crlf(head("deep-forwarding") + b"Content-Type: message/rfc822\n\n" + inner)


def huge_subject() -> bytes:
    return crlf(head("huge-subject", subject=b"Please help " * 100_000) + b"Content-Type: text/plain\n\nhi\n")


def huge_folded_header() -> bytes:
    references = b"\n\t".join(b"<ref-%d@mail.example.net>" % number for number in range(30_000))
    return crlf(head("huge-folded-header") + b"References: " + references + b"\nContent-Type: text/plain\n\nhi\n")


def many_headers() -> bytes:
    received = lines(*(b"Received: from relay%d.example.net by relay%d.example.net" % (n, n + 1) for n in range(3_000)))
    extra = lines(*(b"X-Hostile-%d: value %d" % (n, n) for n in range(20_000)))
    return crlf(received + head("many-headers") + extra + b"Content-Type: text/plain\n\nSo many headers.\n")


def many_recipients() -> bytes:
    plain = b", ".join(b"person%d@example.net" % n for n in range(5_000))
    named = b", ".join(b'"Name, %d" <cc%d@example.org>' % (n, n) for n in range(5_000))
    return crlf(head("many-recipients") + b"Cc: " + plain + b", " + named + b"\nContent-Type: text/plain\n\nhi\n")


def missing_boundary() -> bytes:
    return crlf(
        head("missing-boundary")
        + b"Content-Type: multipart/mixed\n\n"
        + b"--\nContent-Type: text/plain\n\nThe boundary was never declared.\n--\n"
    )


def unterminated_parts() -> bytes:
    attachment = base64.encodebytes(bytes(range(256)) * 8)
    return crlf(
        head("unterminated-parts")
        + b'Content-Type: multipart/mixed; boundary="never-closed"\n\n'
        + b"--never-closed\nContent-Type: text/plain; charset=utf-8\n\nThe file is attached.\n"
        + b'--never-closed\nContent-Type: application/octet-stream; name="data.bin"\n'
        + b"Content-Transfer-Encoding: base64\n\n"
        + attachment[: len(attachment) // 2 + 3]  # cut in the middle of a line
        + b"\n--never-closed\nContent-Type: text/pl"  # and a last part cut in its headers
    )


def boundary_abuse() -> bytes:
    separator = b"--" + b"b" * 300
    return crlf(
        head("boundary-abuse")
        + lines(
            b'Content-Type: multipart/alternative; boundary="' + separator[2:] + b'"',
            b"",
            separator.upper(),  # not the boundary: its case differs
            b"Content-Type: text/plain",
            b"",
            b"case differs",
            separator,
            b'Content-Type: multipart/mixed; boundary=""',
            b"",
            b"--",
            b"",
            b"empty boundary",
            b"--",
            separator,
            b'Content-Type: multipart/related; boundary="a\x00b"',
            b"",
            b"--a\x00b",
            b"",
            b"nul in the boundary",
            separator + b"--",
        )
    )


def headers_only() -> bytes:
    """No blank line, no body, no final line end."""
    return head("headers-only").rstrip(b"\n").replace(b"\n", b"\r\n") + b"\r\nX-Last: no end"


def null_bytes() -> bytes:
    return crlf(
        lines(
            b"From: Eve\x00 Nul <eve@example.net>",
            TO_SUPPORT,
            b"Subject: nul\x00in\x00the\x00subject",
            DATE,
            message_id("null-bytes"),
            b"X-Nul: \x00",
            b"Content-Type: multipart/mixed; boundary=NUL",
            # Not a header (a NUL in its name): it ends the headers, and starts the preamble.
            b"X-\x00Header\x00: \x00",
        )
        + b"\n--NUL\nContent-Type: text/plain; charset=utf-8\n\nbody\x00with\x00nuls\x00\n"
        + b'--NUL\nContent-Type: application/pdf; name="in\x00voice.pdf"\n'
        + b'Content-Disposition: attachment; filename="in\x00voice.pdf"\n\n%PDF-1.4\x00\x00\x00\n'
        + b"--NUL--\n"
        + b"\x00" * 1_000
    )


def mixed_line_ends() -> bytes:
    return (
        b"From: Eve Sender <eve@example.net>\r" + TO_SUPPORT + b"\n"
        b"Subject: bare CR\r and LF\n mixed\r\n" + message_id("mixed-line-ends") + b"\r"
        b"Content-Type: text/plain\n\r\n"
        b"one\rtwo\nthree\r\nfour\n\rfive"
    )


def hostile_filenames() -> bytes:
    message = email_message("hostile-filenames")
    message.set_content("Files with names meant to escape.\n")
    for filename in (
        "../../etc/passwd",
        "C:\\Windows\\System32\\evil.exe",
        "\u202egnp.exe",  # right-to-left override: shows as "exe.png"
        "CON",
        "a" * 2_000 + ".txt",
        ".htaccess",
        "",
    ):
        message.add_attachment(b"not what it claims\n", "application", "octet-stream", filename=filename)
    return message.as_bytes()


def parameter_storm() -> bytes:
    continued = b"".join(b"; name*%d*=part%d" % (n, n) for n in range(5_000))
    return crlf(
        head("parameter-storm")
        + lines(
            b"Content-Type: multipart/mixed; boundary=P",
            b"",
            b"--P",
            b"Content-Type: application/octet-stream" + continued,
            b"",
            b"x",
            b"--P",
            b"Content-Type: text/plain; charset*=utf-8''%E2%9C%93; " + b"x=y; " * 3_000,
            b"",
            b"hi",
            b"--P--",
        )
    )


def random_garbage() -> bytes:
    return random.Random(20250603).randbytes(50_000)


# --- Robots -------------------------------------------------------------------------------------


def auto_reply(name: str, marker: bytes, *, sender: bytes, subject: bytes) -> bytes:
    return crlf(
        head(name, sender=sender, subject=subject)
        + marker
        + b"\nContent-Type: text/plain; charset=utf-8\n\n"
        + b"I am away until Monday with no access to my e-mail.\n"
    )


def list_message() -> bytes:
    message = email_message(
        "mailing-list", sender="Weekly News <news@lists.example.com>", subject="[news] This week in widgets"
    )
    message["List-Id"] = "Widget news <news.lists.example.com>"
    message["List-Unsubscribe"] = "<mailto:unsubscribe@lists.example.com>"
    message["Precedence"] = "list"
    message.set_content("Ten things you did not know about widgets.\n")
    return message.as_bytes()


def delivery_report(
    name: str, *, sender: bytes, action: bytes, status: bytes, returned: bytes, recipient: bytes = b"nobody@example.org"
) -> bytes:
    """A multipart/report (RFC 3464) about the message whose headers are ``returned``."""
    report = lines(
        b"From: " + sender,
        TO_SUPPORT,
        b"Subject: Delivery Status Notification (" + action + b")",
        DATE,
        message_id(name),
        b"Auto-Submitted: auto-replied",
        b"MIME-Version: 1.0",
        b"Content-Type: multipart/report; report-type=delivery-status; boundary=DSN",
        b"",
        b"--DSN",
        b"Content-Type: text/plain; charset=us-ascii",
        b"",
        b"This is the mail system. Your message could not be delivered.",
        b"--DSN",
        b"Content-Type: message/delivery-status",
        b"",
        b"Reporting-MTA: dns; mx.example.org",
        b"Arrival-Date: " + DATE.partition(b": ")[2],
        b"",
        b"Final-Recipient: rfc822; " + recipient,
        b"Original-Recipient: rfc822;" + recipient,
        b"Action: " + action,
        b"Status: " + status,
        b"Diagnostic-Code: smtp; 550 5.1.1 <" + recipient + b">: Recipient address rejected",
        b"--DSN",
        b"Content-Type: text/rfc822-headers",
        b"",
    )
    return crlf(report + returned + b"--DSN--\n")


def returned_headers(number: int) -> bytes:
    # Headers of a message "from us" whose Message-ID we never issued.
    return lines(
        b"From: " + SUPPORT.encode(),
        b"To: nobody@example.org",
        b"Subject: Your ticket",
        b"Message-ID: <never-sent-%d@comptoir.localhost>" % number,
    )


def broken_delivery_report() -> bytes:
    """A DSN whose returned message is cut in its headers, with NULs and a huge diagnostic."""
    return delivery_report(
        "broken-delivery-report",
        sender=b"Mail Delivery System <MAILER-DAEMON@mx.example.org>",
        action=b"failed",
        status=b"5.0.0 \x00",
        returned=lines(b"From: " + SUPPORT.encode(), b"Subject: cut here\x00") + b"Message-ID: <cut-in-the-mid",
    ).replace(b"Recipient address rejected", b"rejected " + b"x" * 100_000)


def plain_text_bounce() -> bytes:
    """Not RFC 3464: a mail server's prose, recognised by its sender."""
    return crlf(
        head(
            "plain-text-bounce",
            sender=b"Mail Delivery Subsystem <MAILER-DAEMON@mail.example.org>",
            subject=b"Undelivered Mail Returned to Sender",
        )
        + b"Content-Type: text/plain; charset=us-ascii\n\n"
        + b"Delivery to the following recipient failed permanently:\n\n    nobody@example.org\n\n"
        + b"----- Original message -----\n\n"
        + returned_headers(3)
    )


# --- Forged display names ----------------------------------------------------------------------


def display_name_spoof(name: str, display: bytes, *, subject: bytes | None = None) -> bytes:
    return crlf(
        head(name, sender=display + b" <mallory@evil.example>", subject=subject)
        + b"Content-Type: text/plain; charset=utf-8\n\n"
        + b"Please send the invoices to my new address.\n"
    )


@cache
def hostile_messages() -> tuple[Hostile, ...]:
    """Every generated message, built once per process."""
    robots = [
        Hostile(
            "out-of-office-auto-submitted",
            auto_reply(
                "out-of-office-auto-submitted",
                b"Auto-Submitted: auto-replied",
                sender=b"Alice Absent <alice.absent@example.org>",
                subject=b"Out of office: Hostile message",
            ),
            robot="alice.absent@example.org",
            auto_submitted=True,
        ),
        Hostile(
            "x-autoreply",
            auto_reply("x-autoreply", b"X-Autoreply: yes", sender=b"bob.away@example.org", subject=b"Auto: I am away"),
            robot="bob.away@example.org",
            auto_submitted=True,
        ),
        Hostile(
            "precedence-auto-reply",
            auto_reply(
                "precedence-auto-reply",
                b"Precedence: auto_reply",
                sender=b"Carol Holiday <carol.holiday@example.org>",
                subject=b"Re: your message",
            ),
            robot="carol.holiday@example.org",
            auto_submitted=True,
        ),
        Hostile(
            "precedence-bulk",
            auto_reply(
                "precedence-bulk", b"Precedence: bulk", sender=b"offers@shop.example", subject=b"50% off everything"
            ),
            robot="offers@shop.example",
            auto_submitted=True,
        ),
        Hostile(
            "exchange-automatic-reply",
            auto_reply(
                "exchange-automatic-reply",
                b"X-Auto-Response-Suppress: All\nX-MS-Exchange-Inbox-Rules-Loop: dan.leave@example.org",
                sender=b"Dan Leave <dan.leave@example.org>",
                subject=b"Automatic reply: Hostile message",
            ),
            robot="dan.leave@example.org",
            auto_submitted=True,
        ),
        Hostile(
            "vacation-empty-return-path",
            auto_reply(
                "vacation-empty-return-path",
                b"Return-Path: <>",
                sender=b"erin.vacation@example.org",
                subject=b"Vacation",
            ),
            robot="erin.vacation@example.org",
            auto_submitted=True,
        ),
        Hostile("mailing-list", list_message(), robot="news@lists.example.com", auto_submitted=True),
        Hostile(
            "from-our-own-address",
            crlf(head("from-our-own-address", sender=SUPPORT.encode()) + b"Content-Type: text/plain\n\nA loop?\n"),
            robot=SUPPORT,
        ),
    ]
    bounces = [
        Hostile(
            "delivery-report-failed",
            delivery_report(
                "delivery-report-failed",
                sender=b"Mail Delivery System <MAILER-DAEMON@mx.example.org>",
                action=b"failed",
                status=b"5.1.1",
                returned=returned_headers(1),
            ),
            robot="mailer-daemon@mx.example.org",
            auto_submitted=True,
            bounce=True,
        ),
        Hostile(
            "delivery-report-delayed-from-a-plain-address",
            delivery_report(
                "delivery-report-delayed-from-a-plain-address",
                sender=b"Relay <notifications@relay.example.com>",
                action=b"delayed",
                status=b"4.4.1",
                returned=returned_headers(2),
            ),
            robot="notifications@relay.example.com",
            auto_submitted=True,
            bounce=True,
        ),
        Hostile(
            "delivery-report-broken",
            broken_delivery_report(),
            robot="mailer-daemon@mx.example.org",
            auto_submitted=True,
            bounce=True,
        ),
        Hostile(
            "plain-text-bounce",
            plain_text_bounce(),
            robot="mailer-daemon@mail.example.org",
            auto_submitted=True,
            bounce=True,
        ),
    ]
    spoofs = [
        Hostile(
            "display-name-is-our-address",
            display_name_spoof("display-name-is-our-address", b'"' + SUPPORT.encode() + b'"'),
            true_sender="mallory@evil.example",
        ),
        Hostile(
            "display-name-is-a-full-address",
            display_name_spoof("display-name-is-a-full-address", b'"Alice Martin <alice@example.org>"'),
            true_sender="mallory@evil.example",
        ),
        Hostile(
            "display-name-is-an-encoded-address",
            display_name_spoof("display-name-is-an-encoded-address", b"=?utf-8?Q?ceo=40bank=2Eexample?="),
            true_sender="mallory@evil.example",
        ),
    ]
    malformed = [
        Hostile("unknown-charset", unknown_charset()),
        Hostile("mislabelled-charsets", mislabelled_charsets()),
        Hostile("broken-base64", broken_base64()),
        Hostile("broken-quoted-printable", broken_quoted_printable()),
        Hostile("unknown-transfer-encoding", unknown_transfer_encoding()),
        Hostile("eight-bit-headers", eight_bit_headers()),
        Hostile("rfc2047-abuse", rfc2047_abuse()),
        Hostile("deep-multipart", deep_multipart()),
        Hostile("deep-forwarding", deep_forwarding()),
        Hostile("huge-subject", huge_subject()),
        Hostile("huge-folded-header", huge_folded_header()),
        Hostile("many-headers", many_headers()),
        Hostile("many-recipients", many_recipients()),
        Hostile("missing-boundary", missing_boundary()),
        Hostile("unterminated-parts", unterminated_parts()),
        Hostile("boundary-abuse", boundary_abuse()),
        Hostile("headers-only", headers_only()),
        Hostile("null-bytes", null_bytes()),
        Hostile("mixed-line-ends", mixed_line_ends()),
        Hostile("hostile-filenames", hostile_filenames()),
        Hostile("parameter-storm", parameter_storm()),
        Hostile("random-garbage", random_garbage()),
        Hostile("empty", b""),
        Hostile("no-headers", b"Just some text, no headers at all.\r\n"),
    ]
    return (*malformed, *robots, *bounces, *spoofs)
