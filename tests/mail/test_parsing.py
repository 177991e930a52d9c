"""Tests for comptoir.mail.parsing (pure: no Django, no database)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from comptoir.mail.parsing import (
    MAX_ADDRESSES,
    MAX_FILENAME_CHARS,
    MAX_SUBJECT_CHARS,
    MAX_TEXT_BODY_CHARS,
    ParsedAttachment,
    ParsedEmail,
    parse_email,
)
from tests.corpus import CORPUS, corpus_files, corpus_params
from tests.work import counted_calls

# Empty without the corpus: the tests that read it are marked ``corpus`` and skipped (tests/conftest.py).
CORPUS_FILES = corpus_files()
# The work parse_email may do on one message, in function calls (tests/work.py):
# a fixed part, and a part proportional to its size. The corpus needs at most
# half of it; a parser that went quadratic on some input would need far more.
WORK_PER_MESSAGE_CALLS = 20_000
WORK_PER_BYTE_CALLS = 20


def _mail(text: bytes) -> bytes:
    """Inline messages are written with bare newlines; mail uses CRLF."""
    return text.replace(b"\n", b"\r\n")


def _parse(text: bytes) -> ParsedEmail:
    return parse_email(_mail(text))


def _assert_invariants(parsed: ParsedEmail) -> None:
    assert isinstance(parsed, ParsedEmail)
    assert "\x00" not in parsed.text_body
    assert "\x00" not in parsed.subject
    assert len(parsed.subject) <= MAX_SUBJECT_CHARS
    assert len(parsed.text_body) <= MAX_TEXT_BODY_CHARS
    assert len(parsed.to_addresses) <= MAX_ADDRESSES
    assert len(parsed.cc_addresses) <= MAX_ADDRESSES
    assert parsed.date is None or parsed.date.tzinfo is not None
    for attachment in parsed.attachments:
        assert isinstance(attachment, ParsedAttachment)
        assert isinstance(attachment.content, bytes)
        assert attachment.filename
        assert len(attachment.filename) <= MAX_FILENAME_CHARS
        assert "/" not in attachment.filename
        assert "\\" not in attachment.filename
        assert attachment.declared_type == attachment.declared_type.lower()


# --------------------------------------------------------------------------
# Shared corpus
# --------------------------------------------------------------------------


@pytest.mark.corpus
def test_it_finds_the_shared_corpus() -> None:
    # Guards against the parametrized test silently collecting nothing.
    assert len(CORPUS_FILES) > 500, f"mail corpus missing or incomplete at {CORPUS}"


@pytest.mark.corpus
@pytest.mark.parametrize("path", corpus_params(CORPUS_FILES))
def test_it_parses_every_corpus_message(path: Path) -> None:
    parsed = parse_email(path.read_bytes())

    _assert_invariants(parsed)


@pytest.mark.corpus
def test_it_parses_the_whole_corpus_with_work_bounded_by_each_message_size() -> None:
    # Work counted in calls, not seconds: the same on every machine (tests/work.py).
    parse_email(b"Subject: warm-up\r\n\r\nhi\r\n")
    over_budget = []
    for path in CORPUS_FILES:
        raw = path.read_bytes()
        _, calls = counted_calls(parse_email, raw)
        if calls > WORK_PER_MESSAGE_CALLS + WORK_PER_BYTE_CALLS * len(raw):
            over_budget.append(f"{path.relative_to(CORPUS)}: {calls} calls for {len(raw)} bytes")

    assert CORPUS_FILES
    assert over_budget == []


# --------------------------------------------------------------------------
# Headers
# --------------------------------------------------------------------------


def test_it_decodes_an_iso_8859_1_quoted_printable_subject() -> None:
    parsed = _parse(b"Subject: =?ISO-8859-1?Q?Caf=E9_cr=E8me_br=FBl=E9e?=\n\nhi\n")

    assert parsed.subject == "Caf\u00e9 cr\u00e8me br\u00fbl\u00e9e"


def test_it_decodes_a_utf8_base64_subject() -> None:
    parsed = _parse(b"Subject: =?UTF-8?B?RmFjdHVyZSBuwrA0MiDigJQgw6l0w6kg4pyT?=\n\nhi\n")

    assert parsed.subject == "Facture n\u00b042 \u2014 \u00e9t\u00e9 \u2713"


def test_it_joins_encoded_words_that_split_a_character() -> None:
    # "été" with the two bytes of the first "é" in different encoded words.
    parsed = _parse(b"Subject: =?utf-8?Q?=C3?=\n =?utf-8?Q?=A9t=C3=A9?= ok\n\nhi\n")

    assert parsed.subject == "\u00e9t\u00e9 ok"


def test_it_decodes_raw_8bit_and_mislabelled_subjects() -> None:
    parsed = _parse(b"Subject: caf\xe9 =?x-foo?Q?cr=E8me?=\n\nhi\n")

    assert parsed.subject == "caf\u00e9 cr\u00e8me"


def test_it_caps_a_huge_subject() -> None:
    parsed = _parse(b"Subject: " + b"spam " * 50_000 + b"\n\nhi\n")

    assert len(parsed.subject) <= MAX_SUBJECT_CHARS
    assert parsed.subject.startswith("spam spam")
    assert any("subject truncated" in defect for defect in parsed.defects)


def test_it_collapses_whitespace_and_controls_in_the_subject() -> None:
    parsed = _parse(b"Subject:   Hello\t\x00there\n   folded  line\n\nhi\n")

    assert parsed.subject == "Hello there folded line"


def test_it_gives_an_empty_subject_when_absent() -> None:
    assert _parse(b"From: a@example.com\n\nhi\n").subject == ""


def test_it_parses_in_reply_to_and_references_without_brackets() -> None:
    parsed = _parse(
        b"Message-ID: <  reply-3@example.com >\n"
        b"In-Reply-To: <parent-2@example.com> (sent by Bob)\n"
        b"References: <root-1@example.com>\n"
        b"\t<middle-1@example.org>\n"
        b" <parent-2@example.com> <parent-2@example.com>\n"
        b"\nhi\n"
    )

    assert parsed.message_id == "reply-3@example.com"
    assert parsed.in_reply_to == ("parent-2@example.com",)
    assert parsed.references == (
        "root-1@example.com",
        "middle-1@example.org",
        "parent-2@example.com",
    )


@pytest.mark.parametrize(
    "header",
    [
        pytest.param(b"", id="absent"),
        pytest.param(b"Message-ID: <>\n", id="empty-brackets"),
        pytest.param(b"Message-ID:\n", id="empty-value"),
        pytest.param(b"Message-ID: not an id at all\n", id="prose"),
    ],
)
def test_it_gives_no_message_id_when_missing_or_unusable(header: bytes) -> None:
    parsed = _parse(b"From: a@example.com\n" + header + b"\nhi\n")

    assert parsed.message_id is None


def test_it_parses_addresses() -> None:
    parsed = _parse(
        b"From: =?utf-8?Q?Ren=C3=A9e_Dupont?= <Renee.Dupont@Example.COM>\n"
        b"Reply-To: Support Team <help@example.com>\n"
        b'To: "Doe, Jane" <jane@example.com>, bob@example.org,\n'
        b" undisclosed-recipients:;\n"
        b"Cc: <JANE@example.com>, carol@example.net\n"
        b"\nhi\n"
    )

    assert parsed.from_address == "renee.dupont@example.com"
    assert parsed.from_name == "Ren\u00e9e Dupont"
    assert parsed.reply_to == "help@example.com"
    assert parsed.to_addresses == ("jane@example.com", "bob@example.org")
    assert parsed.cc_addresses == ("jane@example.com", "carol@example.net")


@pytest.mark.parametrize(
    "from_header",
    [b"From: \n", b"From: undisclosed\n", b"From: <@>\n", b"From: a b@c d\n", b""],
)
def test_it_gives_no_from_address_when_unusable(from_header: bytes) -> None:
    parsed = _parse(from_header + b"Subject: x\n\nhi\n")

    assert parsed.from_address is None


def test_it_caps_address_lists() -> None:
    recipients = b", ".join(b"user%d@example.com" % index for index in range(MAX_ADDRESSES * 3))
    parsed = _parse(b"From: a@example.com\nTo: " + recipients + b"\n\nhi\n")

    assert len(parsed.to_addresses) == MAX_ADDRESSES
    assert parsed.to_addresses[0] == "user0@example.com"


def test_it_parses_an_aware_date() -> None:
    parsed = _parse(b"Date: Tue, 07 May 2013 23:11:57 +0200\n\nhi\n")

    assert parsed.date == datetime(2013, 5, 7, 21, 11, 57, tzinfo=UTC)
    assert parsed.date is not None
    assert parsed.date.utcoffset() == timedelta(hours=2)


def test_it_treats_an_unknown_zone_date_as_utc() -> None:
    parsed = _parse(b"Date: Tue, 07 May 2013 23:11:57 -0000\n\nhi\n")

    assert parsed.date == datetime(2013, 5, 7, 23, 11, 57, tzinfo=UTC)


@pytest.mark.parametrize("value", [b"garbage", b"Mon, 32 Jan 2020 25:00:00 +9999", b""])
def test_it_gives_no_date_when_unparseable(value: bytes) -> None:
    assert _parse(b"Date: " + value + b"\n\nhi\n").date is None


# --------------------------------------------------------------------------
# Bodies and charsets
# --------------------------------------------------------------------------


def test_it_falls_back_when_the_declared_charset_is_wrong() -> None:
    parsed = _parse(
        b"Content-Type: text/plain; charset=us-ascii\nContent-Transfer-Encoding: 8bit\n\nCaf\xe9 cr\xe8me\n"
    )

    assert parsed.text_body == "Caf\u00e9 cr\u00e8me\n"
    assert any("charset" in defect for defect in parsed.defects)


def test_it_prefers_utf8_over_a_mislabelled_latin1_charset() -> None:
    parsed = _parse(b"Content-Type: text/plain; charset=iso-8859-1\n\nCaf\xc3\xa9\n")

    assert parsed.text_body == "Caf\u00e9\n"


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        pytest.param(b"Caf\xc3\xa9\n", "Caf\u00e9\n", id="utf8-bytes"),
        pytest.param(b"Caf\xe9\n", "Caf\u00e9\n", id="cp1252-bytes"),
    ],
)
def test_it_falls_back_when_the_charset_is_unknown(body: bytes, expected: str) -> None:
    parsed = _parse(b'Content-Type: text/plain; charset="x-foo"\n\n' + body)

    assert parsed.text_body == expected
    assert any("unknown charset 'x-foo'" in defect for defect in parsed.defects)


def test_it_decodes_a_legacy_asian_charset() -> None:
    body = "\u3042\u3044\u3046\u3048\u304a".encode("shift_jis")
    parsed = _parse(b"Content-Type: text/plain; charset=Shift_JIS\n\n" + body)

    assert parsed.text_body == "\u3042\u3044\u3046\u3048\u304a"


def test_it_removes_nul_bytes_from_text() -> None:
    parsed = _parse(b"Subject: he\x00llo\nContent-Type: text/plain; charset=utf-8\n\nbo\x00dy\x00\n")

    assert parsed.subject == "hello"
    assert parsed.text_body == "body\n"


def test_it_normalises_line_endings_in_the_text_body() -> None:
    parsed = parse_email(b"Subject: x\r\n\r\nline one\r\nline two\rline three\n")

    assert parsed.text_body == "line one\nline two\nline three\n"


def test_it_derives_readable_text_from_an_html_only_message() -> None:
    parsed = _parse(
        b"Content-Type: text/html; charset=utf-8\n"
        b"\n"
        b"<html><head><title>Newsletter</title>\n"
        b"<style>p { color: red; }</style></head>\n"
        b"<body><h1>Bonjour&nbsp;!</h1><p>Votre commande &amp; facture\n"
        b"sont pr\xc3\xaates.</p><script>alert('owned')</script>\n"
        b"<ul><li>Article&nbsp;1</li><li>Article 2</li></ul>\n"
        b"<div>Ligne<br>suivante</div></body></html>\n"
    )

    assert parsed.text_body == (
        "Bonjour !\n\nVotre commande & facture sont pr\u00eates.\n\n- Article 1\n- Article 2\n\nLigne\nsuivante"
    )
    assert "<" not in parsed.text_body
    assert "alert" not in parsed.text_body
    assert "color" not in parsed.text_body
    assert "Newsletter" not in parsed.text_body
    assert parsed.html_body is not None
    assert "<script>alert('owned')</script>" in parsed.html_body


def test_it_keeps_preformatted_indentation_in_derived_text() -> None:
    parsed = _parse(b"Content-Type: text/html\n\n<pre>def f():\n    return 1</pre>")

    assert parsed.text_body == "def f():\n    return 1"


def test_it_prefers_text_plain_in_multipart_alternative() -> None:
    parsed = _parse(
        b"Content-Type: multipart/alternative; boundary=ALT\n"
        b"\n"
        b"--ALT\n"
        b"Content-Type: text/plain; charset=utf-8\n"
        b"\n"
        b"Plain version\n"
        b"--ALT\n"
        b"Content-Type: text/html; charset=utf-8\n"
        b"\n"
        b"<p>HTML <b>version</b></p>\n"
        b"--ALT--\n"
    )

    assert parsed.text_body.strip() == "Plain version"
    assert parsed.html_body is not None
    assert "<b>version</b>" in parsed.html_body
    assert parsed.attachments == ()


def test_it_derives_text_when_the_plain_alternative_is_empty() -> None:
    parsed = _parse(
        b"Content-Type: multipart/alternative; boundary=ALT\n"
        b"\n"
        b"--ALT\n"
        b"Content-Type: text/plain\n"
        b"\n"
        b"\n"
        b"--ALT\n"
        b"Content-Type: text/html\n"
        b"\n"
        b"<p>Only here</p>\n"
        b"--ALT--\n"
    )

    assert parsed.text_body == "Only here"


def test_it_caps_the_text_body() -> None:
    parsed = _parse(b"Subject: big\n\n" + b"x" * (MAX_TEXT_BODY_CHARS + 10))

    assert len(parsed.text_body) == MAX_TEXT_BODY_CHARS
    assert any("text body truncated" in defect for defect in parsed.defects)


# --------------------------------------------------------------------------
# Attachments
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("disposition", "expected"),
    [
        pytest.param(
            b"attachment; filename*=UTF-8''r%C3%A9sum%C3%A9%20final.pdf",
            "r\u00e9sum\u00e9 final.pdf",
            id="rfc2231-utf8",
        ),
        pytest.param(
            b"attachment;\n filename*0*=utf-8''%E6%97%A5;\n filename*1*=%E6%9C%AC.txt",
            "\u65e5\u672c.txt",
            id="rfc2231-continuations",
        ),
        pytest.param(
            b"attachment; filename*=iso-8859-1'fr'caf%E9.txt",
            "caf\u00e9.txt",
            id="rfc2231-latin1",
        ),
        pytest.param(
            b'attachment; filename="=?UTF-8?B?w5Zsw6fDvG0gUmFwb3J1Lnhsc3g=?="',
            "\u00d6l\u00e7\u00fcm Raporu.xlsx",
            id="rfc2047-in-quotes",
        ),
    ],
)
def test_it_decodes_attachment_filenames(disposition: bytes, expected: str) -> None:
    parsed = _parse(
        b"Content-Type: multipart/mixed; boundary=MIX\n"
        b"\n"
        b"--MIX\n"
        b"Content-Type: text/plain\n"
        b"\n"
        b"See attached.\n"
        b"--MIX\n"
        b"Content-Type: application/octet-stream\n"
        b"Content-Disposition: " + disposition + b"\n"
        b"Content-Transfer-Encoding: base64\n"
        b"\n"
        b"aGVsbG8=\n"
        b"--MIX--\n"
    )

    assert parsed.text_body.strip() == "See attached."
    assert len(parsed.attachments) == 1
    attachment = parsed.attachments[0]
    assert attachment.filename == expected
    assert attachment.content == b"hello"
    assert attachment.declared_type == "application/octet-stream"
    assert attachment.inline is False


@pytest.mark.parametrize(
    ("raw_name", "expected"),
    [
        pytest.param(b"../../etc/passwd", "passwd", id="dot-dot-slash"),
        pytest.param(b"C:\\Users\\bob\\evil.exe", "evil.exe", id="windows-path"),
        pytest.param(b"C:\\\\Users\\\\bob\\\\evil.exe", "evil.exe", id="windows-path-quoted-pair"),
        pytest.param(b"C:evil.exe", "evil.exe", id="drive-relative"),
        pytest.param(b"/absolute/path/report.pdf", "report.pdf", id="absolute"),
        pytest.param(b"..", "attachment-1.bin", id="only-dots"),
        pytest.param(b"", "attachment-1.bin", id="empty"),
        pytest.param(b"in\tvoice\x01.pdf", "in voice.pdf", id="controls"),
        pytest.param(b"invoice\xe2\x80\xaefdp.exe", "invoicefdp.exe", id="bidi-override"),
    ],
)
def test_it_sanitises_attachment_filenames(raw_name: bytes, expected: str) -> None:
    parsed = _parse(
        b"Content-Type: multipart/mixed; boundary=MIX\n"
        b"\n"
        b"--MIX\n"
        b'Content-Type: application/octet-stream; name="' + raw_name + b'"\n'
        b'Content-Disposition: attachment; filename="' + raw_name + b'"\n'
        b"\n"
        b"data\n"
        b"--MIX--\n"
    )

    assert [attachment.filename for attachment in parsed.attachments] == [expected]


def test_it_caps_long_filenames_but_keeps_the_extension() -> None:
    parsed = _parse(
        b"Content-Type: multipart/mixed; boundary=MIX\n"
        b"\n"
        b"--MIX\n"
        b'Content-Type: application/pdf; name="' + b"a" * 400 + b'.pdf"\n'
        b"\n"
        b"data\n"
        b"--MIX--\n"
    )

    filename = parsed.attachments[0].filename
    assert len(filename) == MAX_FILENAME_CHARS
    assert filename.endswith("aaa.pdf")


def test_it_names_unnamed_attachments_from_their_type() -> None:
    parsed = _parse(
        b"Content-Type: multipart/mixed; boundary=MIX\n"
        b"\n"
        b"--MIX\n"
        b"Content-Type: text/plain\n"
        b"\n"
        b"body\n"
        b"--MIX\n"
        b"Content-Type: application/pdf\n"
        b"\n"
        b"%PDF\n"
        b"--MIX--\n"
    )

    assert [attachment.filename for attachment in parsed.attachments] == ["attachment-1.pdf"]


def test_it_keeps_an_inline_image_with_content_id() -> None:
    parsed = _parse(
        b"Content-Type: multipart/related; boundary=REL; type=text/html\n"
        b"\n"
        b"--REL\n"
        b"Content-Type: text/html; charset=utf-8\n"
        b"\n"
        b'<p>Logo: <img src="cid:logo@example.com"></p>\n'
        b"--REL\n"
        b"Content-Type: image/png\n"
        b"Content-ID: <logo@example.com>\n"
        b"Content-Transfer-Encoding: base64\n"
        b"\n"
        b"iVBORw0KGgowMDAw\n"
        b"--REL--\n"
    )

    assert parsed.text_body == "Logo:"
    assert parsed.html_body is not None
    assert len(parsed.attachments) == 1
    image = parsed.attachments[0]
    assert image.inline is True
    assert image.content_id == "logo@example.com"
    assert image.declared_type == "image/png"
    assert image.content == b"\x89PNG\r\n\x1a\n0000"
    assert image.filename == "attachment-1.png"


def test_it_keeps_a_tnef_winmail_dat_as_an_attachment() -> None:
    parsed = _parse(
        b"Content-Type: multipart/mixed; boundary=MIX\n"
        b"\n"
        b"--MIX\n"
        b"Content-Type: text/plain\n"
        b"\n"
        b"Outlook says hi\n"
        b"--MIX\n"
        b'Content-Type: application/ms-tnef; name="winmail.dat"\n'
        b'Content-Disposition: attachment; filename="winmail.dat"\n'
        b"Content-Transfer-Encoding: base64\n"
        b"\n"
        b"eJ8+IgAA\n"
        b"--MIX--\n"
    )

    assert [(a.filename, a.declared_type, a.content) for a in parsed.attachments] == [
        ("winmail.dat", "application/ms-tnef", b"x\x9f>\x22\x00\x00"),
    ]


_FORWARDED = (
    b"Message-ID: <outer@example.com>\n"
    b"Subject: Fwd: Printer on fire\n"
    b"From: Alice <alice@example.com>\n"
    b"Content-Type: multipart/mixed; boundary=OUT\n"
    b"\n"
    b"--OUT\n"
    b"Content-Type: text/plain\n"
    b"\n"
    b"OUTER_TEXT\n"
    b"--OUT\n"
    b"Content-Type: message/rfc822\n"
    b"\n"
    b"Message-ID: <inner@example.com>\n"
    b"Subject: Printer on fire\n"
    b"From: Bob <bob@example.com>\n"
    b"Auto-Submitted: auto-generated\n"
    b"Content-Type: text/plain; charset=utf-8\n"
    b"\n"
    b"It is really on fire.\n"
    b"--OUT--\n"
)


def test_it_keeps_a_forwarded_message_as_an_eml_attachment() -> None:
    parsed = _parse(_FORWARDED.replace(b"OUTER_TEXT", b"See below, please help."))

    assert parsed.message_id == "outer@example.com"
    assert parsed.from_address == "alice@example.com"
    assert parsed.text_body.strip() == "See below, please help."
    assert parsed.auto_submitted is False  # the enclosed message's markers do not leak
    assert len(parsed.attachments) == 1
    forwarded = parsed.attachments[0]
    assert forwarded.filename == "Printer on fire.eml"
    assert forwarded.declared_type == "message/rfc822"
    assert b"Subject: Printer on fire" in forwarded.content
    assert b"It is really on fire." in forwarded.content
    enclosed = parse_email(forwarded.content)
    assert enclosed.message_id == "inner@example.com"
    assert enclosed.text_body.strip() == "It is really on fire."


def test_it_uses_the_forwarded_text_when_the_outer_message_has_none() -> None:
    parsed = _parse(_FORWARDED.replace(b"OUTER_TEXT", b""))

    assert parsed.text_body.strip() == "It is really on fire."
    assert [attachment.filename for attachment in parsed.attachments] == ["Printer on fire.eml"]


# --------------------------------------------------------------------------
# Auto-submitted detection
# --------------------------------------------------------------------------

_PERSONAL = (
    b"From: Alice <alice@example.com>\n"
    b"To: support@example.net\n"
    b"Subject: My printer\n"
    b"Return-Path: <alice@example.com>\n"
    b"Message-ID: <personal@example.com>\n"
)


@pytest.mark.parametrize(
    "extra_header",
    [
        pytest.param(b"Auto-Submitted: auto-replied\n", id="auto-submitted-replied"),
        pytest.param(b"Auto-Submitted: auto-generated; owner-email=x@y\n", id="auto-submitted-generated"),
        pytest.param(b"Precedence: bulk\n", id="precedence-bulk"),
        pytest.param(b"Precedence: junk\n", id="precedence-junk"),
        pytest.param(b"Precedence: list\n", id="precedence-list"),
        pytest.param(b"Precedence: auto_reply\n", id="precedence-auto-reply"),
        pytest.param(b"X-Autoreply: yes\n", id="x-autoreply"),
        pytest.param(b"X-Auto-Response-Suppress: All\n", id="x-auto-response-suppress"),
        pytest.param(b"List-Id: Users <users.lists.example.com>\n", id="list-id"),
    ],
)
def test_it_detects_auto_submitted_headers(extra_header: bytes) -> None:
    parsed = _parse(_PERSONAL + extra_header + b"\nHello\n")

    assert parsed.auto_submitted is True


def test_it_detects_an_empty_return_path() -> None:
    parsed = _parse(b"Return-Path: <>\nFrom: alice@example.com\nSubject: x\n\nHello\n")

    assert parsed.auto_submitted is True


@pytest.mark.parametrize(
    "sender",
    [b"MAILER-DAEMON@mx.example.com", b"Mail Delivery System <Postmaster@example.com>", b"MAILER-DAEMON"],
)
def test_it_detects_robot_senders(sender: bytes) -> None:
    parsed = _parse(b"From: " + sender + b"\nSubject: Undelivered Mail\n\nSorry\n")

    assert parsed.auto_submitted is True


def test_it_detects_a_multipart_report() -> None:
    parsed = _parse(
        b"From: Mail System <bounces@example.com>\n"
        b"Subject: Delivery Status Notification\n"
        b"Content-Type: multipart/report; report-type=delivery-status; boundary=REP\n"
        b"\n"
        b"--REP\n"
        b"Content-Type: text/plain\n"
        b"\n"
        b"Your message could not be delivered.\n"
        b"--REP\n"
        b"Content-Type: message/delivery-status\n"
        b"\n"
        b"Reporting-MTA: dns; mx.example.com\n"
        b"\n"
        b"Final-Recipient: rfc822; nobody@example.org\n"
        b"Action: failed\n"
        b"Status: 5.1.1\n"
        b"--REP--\n"
    )

    assert parsed.auto_submitted is True
    assert parsed.text_body.strip() == "Your message could not be delivered."
    assert [attachment.declared_type for attachment in parsed.attachments] == ["message/delivery-status"]
    assert b"Status: 5.1.1" in parsed.attachments[0].content


@pytest.mark.parametrize(
    "extra_header",
    [
        pytest.param(b"", id="plain"),
        pytest.param(b"Auto-Submitted: no\n", id="auto-submitted-no"),
        pytest.param(b"Precedence: first-class\n", id="other-precedence"),
    ],
)
def test_it_does_not_flag_a_personal_mail_as_auto_submitted(extra_header: bytes) -> None:
    parsed = _parse(_PERSONAL + extra_header + b"\nHello\n")

    assert parsed.auto_submitted is False
    assert parsed.defects == ()


# --------------------------------------------------------------------------
# Robustness
# --------------------------------------------------------------------------


def _nested_multiparts(depth: int) -> bytes:
    body = b"Content-Type: text/plain\n\ndeep\n"
    for level in range(depth):
        boundary = b"B%d" % level
        header = b"Content-Type: multipart/mixed; boundary=" + boundary + b"\n\n"
        body = header + b"--" + boundary + b"\n" + body + b"\n--" + boundary + b"--\n"
    return body


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param(b"", id="empty"),
        pytest.param(b"\x00" * 1000, id="nul-bytes"),
        pytest.param(bytes(range(256)) * 200, id="binary"),
        pytest.param(b"Content-Type:x;ar\x1b*=\x00O'#a\xff\xff\xffi\xff\xff'us", id="nul-in-charset-param"),
        pytest.param(b"Content-Type:;i*", id="truncated-param"),
        pytest.param(b"From: " + b"(" * 5000 + b"\n\nx", id="nested-comments"),
        pytest.param(b"To: " + b'"' * 100_000 + b"\n\nx", id="quote-storm"),
        pytest.param(b"From: a@b\nContent-Type: text/html\n\n" + b'<a b="' * 50_000, id="html-quote-storm"),
        pytest.param(b"Content-Type: text/html\n\n" + b"<head>" * 100_000, id="html-head-storm"),
        pytest.param(b"Content-Type: text/plain; " + b"a*0*=x;" * 20_000 + b"\n\nx", id="param-storm"),
        pytest.param(_nested_multiparts(1_200), id="deep-nesting"),
        pytest.param(
            b"Content-Type: multipart/mixed; boundary=M\n\n" + b"--M\nContent-Type: image/png\n\nx\n" * 5_000,
            id="many-parts",
        ),
    ],
)
def test_it_never_raises_or_hangs_on_hostile_input(raw: bytes) -> None:
    # Returning is the point (a hang never returns); ingest adds a time limit as a backstop
    # (tests/mail/test_timelimit.py), and tests/mail/test_hostile_messages.py more such input.
    parsed = parse_email(_mail(raw))

    _assert_invariants(parsed)


def test_it_records_defects_for_broken_structure() -> None:
    parsed = _parse(b"Content-Type: multipart/mixed; boundary=NEVER\n\nThis body never uses its boundary.\n")

    assert parsed.defects
    assert "This body never uses its boundary." in parsed.text_body
