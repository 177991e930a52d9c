"""comptoir.mail.quotes: the person's text of a reply, apart from quotes and signatures (pure, no database)."""

from __future__ import annotations

import email
import random
from collections import Counter
from email import policy
from email.message import Message

import pytest

from comptoir.mail.quotes import SplitReply, split_html_reply, split_text_reply
from tests.corpus import CORPUS, corpus_files
from tests.work import assert_linear_work

NBSP = "\xa0"


def squash(text: str) -> str:
    return "".join(text.split())


def assert_text_split(body: str, reply: str, quoted_start: str) -> SplitReply:
    result = split_text_reply(body)
    assert result.reply == reply
    assert result.quoted.startswith(quoted_start)
    assert squash(result.reply + result.quoted) == squash(body)
    return result


def assert_nothing_removed(body: str) -> None:
    assert split_text_reply(body) == SplitReply(reply=body, quoted="")


# --------------------------------------------------------------------------
# Plain text, client by client
# --------------------------------------------------------------------------


def test_it_cuts_at_a_gmail_attribution_in_english():
    body = (
        "Thanks, restarting the router fixed it.\n"
        "\n"
        "On Tue, 3 Mar 2026 at 10:02, Comptoir Support <support@comptoir.example> wrote:\n"
        "\n"
        "> Hello Jane,\n"
        ">\n"
        "> Could you restart the router and tell us if the problem persists?\n"
    )
    result = assert_text_split(body, "Thanks, restarting the router fixed it.", "On Tue, 3 Mar 2026 at 10:02")
    assert result.quoted.endswith("if the problem persists?")


def test_it_cuts_at_a_gmail_attribution_wrapped_onto_two_lines():
    body = (
        "Still broken, see the attached screenshot.\n"
        "\n"
        "On Tue, Mar 3, 2026 at 10:02 AM Comptoir Support Team of Example <\n"
        "support@comptoir.example> wrote:\n"
        "\n"
        "> Does it still happen?\n"
    )
    assert_text_split(body, "Still broken, see the attached screenshot.", "On Tue, Mar 3, 2026 at 10:02 AM")


def test_it_cuts_at_a_gmail_attribution_in_french():
    body = (
        "Merci, c'est réglé.\n"
        "\n"
        f"Le mar. 3 mars 2026 à 10:02, Support Comptoir <support@comptoir.example> a écrit{NBSP}:\n"
        "\n"
        "> Bonjour Marie,\n"
        "> pouvez-vous redémarrer la box ?\n"
    )
    assert_text_split(body, "Merci, c'est réglé.", "Le mar. 3 mars 2026")


def test_it_cuts_at_a_gmail_attribution_in_french_wrapped_onto_two_lines():
    body = (
        "Toujours en panne.\n"
        "\n"
        "Le mar. 3 mars 2026 à 10:02, Service client de la société Exemple <\n"
        "support@comptoir.example> a écrit :\n"
        "\n"
        "> Le problème persiste-t-il ?\n"
    )
    assert_text_split(body, "Toujours en panne.", "Le mar. 3 mars 2026 à 10:02, Service client")


def test_it_cuts_at_an_apple_mail_attribution_in_english():
    body = (
        "Works now, thank you!\n"
        "\n"
        "On 3 Mar 2026, at 10:02, Comptoir Support <support@comptoir.example> wrote:\n"
        "\n"
        "> Please try again.\n"
    )
    assert_text_split(body, "Works now, thank you!", "On 3 Mar 2026, at 10:02")


def test_it_cuts_at_an_apple_mail_attribution_in_french():
    body = (
        "Ça fonctionne, merci !\n"
        "\n"
        "Le 3 mars 2026 à 10:02, Support Comptoir <support@comptoir.example> a écrit :\n"
        "\n"
        "> Pouvez-vous réessayer ?\n"
    )
    assert_text_split(body, "Ça fonctionne, merci !", "Le 3 mars 2026 à 10:02")


def test_it_cuts_an_iphone_reply_with_a_quoted_attribution():
    # iOS Mail quotes its own attribution line and adds its signature above.
    body = (
        "OK for Thursday.\n"
        "\n"
        "Sent from my iPhone\n"
        "\n"
        "> On 3 Mar 2026, at 10:02, Comptoir Support <support@comptoir.example> wrote:\n"
        "> \n"
        "> Would Thursday suit you?\n"
    )
    assert_text_split(body, "OK for Thursday.", "Sent from my iPhone")


def test_it_cuts_at_a_thunderbird_attribution_in_english():
    body = (
        "The invoice number is 2026-0042.\n"
        "\n"
        "On 03/03/2026 10:02, Comptoir Support wrote:\n"
        "> Which invoice is it about?\n"
    )
    assert_text_split(body, "The invoice number is 2026-0042.", "On 03/03/2026 10:02, Comptoir Support wrote:")


def test_it_cuts_at_a_thunderbird_attribution_in_french():
    body = (
        "Il s'agit de la facture 2026-0042.\n"
        "\n"
        "Le 03/03/2026 à 10:02, Support Comptoir a écrit :\n"
        "> De quelle facture s'agit-il ?\n"
    )
    assert_text_split(body, "Il s'agit de la facture 2026-0042.", "Le 03/03/2026 à 10:02")


@pytest.mark.parametrize(
    "attribution",
    [
        "Am 03.03.2026 um 10:02 schrieb Comptoir Support <support@comptoir.example>:",
        "Am Di., 3. März 2026 um 10:02 Uhr schrieb Comptoir Support <support@comptoir.example>:",
        "El mar, 3 mar 2026 a las 10:02, Comptoir Support (<support@comptoir.example>) escribió:",
        "Il giorno mar 3 mar 2026 alle ore 10:02 Comptoir Support <support@comptoir.example> ha scritto:",
        "Op di 3 mrt 2026 om 10:02 schreef Comptoir Support <support@comptoir.example>:",
        "Op 3 mrt. 2026 om 10:02 heeft Comptoir Support <support@comptoir.example> het volgende geschreven:",
        "Em ter., 3 de mar. de 2026 às 10:02, Comptoir Support <support@comptoir.example> escreveu:",
    ],
)
def test_it_cuts_at_attributions_in_other_languages(attribution):
    assert_text_split(f"Danke.\n\n{attribution}\n\n> Hallo\n", "Danke.", attribution)


def test_it_cuts_an_outlook_for_mac_reply_that_indents_instead_of_quoting():
    body = (
        'Done.\n\nOn 03/03/2026, 10:02, "Comptoir Support" <support@comptoir.example> wrote:\n\n    Please confirm.\n'
    )
    assert_text_split(body, "Done.", "On 03/03/2026, 10:02")


@pytest.mark.parametrize("separator", ["-----Original Message-----", "----- Original Message -----"])
def test_it_cuts_at_an_outlook_original_message_line(separator):
    body = (
        "Please cancel my order.\n"
        "\n"
        f"{separator}\n"
        "From: Comptoir Support <support@comptoir.example>\n"
        "Sent: Tuesday, March 3, 2026 10:02 AM\n"
        "To: Jane Doe <jane@example.net>\n"
        "Subject: Your order\n"
        "\n"
        "Hello Jane,\n"
    )
    assert_text_split(body, "Please cancel my order.", separator)


@pytest.mark.parametrize("apostrophe", ["'", "\u2019"])
def test_it_cuts_at_an_outlook_original_message_line_in_french(apostrophe):
    separator = f"-----Message d{apostrophe}origine-----"
    body = (
        "Merci d'annuler ma commande.\n"
        "\n"
        f"{separator}\n"
        "De : Support Comptoir <support@comptoir.example>\n"
        "Envoyé : mardi 3 mars 2026 10:02\n"
        "À : Marie Dupont <marie@example.fr>\n"
        "Objet : Votre commande\n"
    )
    assert_text_split(body, "Merci d'annuler ma commande.", separator)


def test_it_cuts_at_an_outlook_header_block_under_a_rule():
    body = (
        "Yes, that is the right address.\n"
        "\n"
        "Jane\n"
        "\n"
        "________________________________\n"
        "From: Comptoir Support <support@comptoir.example>\n"
        "Sent: Tuesday, March 3, 2026 10:02\n"
        "To: Jane Doe <jane@example.net>\n"
        "Subject: RE: Delivery address\n"
        "\n"
        "Is 4 Main Street still your address?\n"
    )
    assert_text_split(body, "Yes, that is the right address.\n\nJane", "________________________________\nFrom:")


def test_it_cuts_at_a_french_outlook_header_block_under_a_rule():
    body = (
        "Oui, c'est la bonne adresse.\n"
        "\n"
        "________________________________\n"
        f"De{NBSP}: Support Comptoir <support@comptoir.example>\n"
        f"Envoyé{NBSP}: mardi 3 mars 2026 10:02\n"
        f"À{NBSP}: Marie Dupont <marie@example.fr>\n"
        f"Cc{NBSP}: Paul Martin <paul@example.fr>\n"
        f"Objet{NBSP}: RE: Adresse de livraison\n"
        "\n"
        "Habitez-vous toujours au 4 rue Centrale ?\n"
    )
    assert_text_split(body, "Oui, c'est la bonne adresse.", "________________________________\nDe")


def test_it_cuts_at_an_outlook_header_block_without_a_rule():
    body = (
        "See my answers below the line.\n"
        "\n"
        "From: Comptoir Support <support@comptoir.example>\n"
        "Sent: Tuesday, March 3, 2026 10:02 AM\n"
        "To: Jane Doe <jane@example.net>\n"
        "Subject: RE: Delivery address\n"
        "\n"
        "Hello Jane,\n"
    )
    assert_text_split(body, "See my answers below the line.", "From: Comptoir Support")


def test_it_cuts_at_bold_outlook_headers_with_a_date():
    # Outlook for Mac and mobile write "Date:"; converters keep Outlook's bold as stars.
    body = (
        "Confirmed.\n"
        "\n"
        "*From:* Comptoir Support <support@comptoir.example>\n"
        "*Date:* Tuesday, 3 March 2026 at 10:02\n"
        "*To:* Jane Doe <jane@example.net>\n"
        "*Subject:* Appointment\n"
    )
    assert_text_split(body, "Confirmed.", "*From:* Comptoir Support")


def test_it_keeps_a_forwarded_message():
    body = (
        "Could you look at this customer's problem?\n"
        "\n"
        "---------- Forwarded message ---------\n"
        "From: Jane Doe <jane@example.net>\n"
        "Date: Tue, 3 Mar 2026 at 10:02\n"
        "Subject: Broken printer\n"
        "To: <sales@comptoir.example>\n"
        "\n"
        "The printer in room 4 is on fire.\n"
    )
    assert_nothing_removed(body)


def test_it_removes_a_trailing_quote_block_without_attribution():
    body = "I agree.\n\n> Shall we close the ticket?\n> Regards\n\n"
    assert_text_split(body, "I agree.", "> Shall we close the ticket?")


# --------------------------------------------------------------------------
# Plain text: interleaved replies, signatures, fallbacks, false friends
# --------------------------------------------------------------------------


def test_it_keeps_the_answers_of_an_interleaved_reply():
    body = (
        "Hello,\n"
        "\n"
        "On 03/03/2026 10:02, Comptoir Support wrote:\n"
        "> Which version do you use?\n"
        "\n"
        "Version 4.2.\n"
        "\n"
        "> Which browser?\n"
        "\n"
        "Firefox 130.\n"
        "\n"
        "> Best regards,\n"
        "> Comptoir Support\n"
    )
    result = assert_text_split(body, body[: body.index("\n\n> Best regards")], "> Best regards")
    assert "Version 4.2." in result.reply
    assert "Firefox 130." in result.reply


def test_it_keeps_the_answers_of_an_interleaved_french_reply():
    body = (
        "Le 03/03/2026 à 10:02, Support Comptoir a écrit :\n"
        "> Quelle version utilisez-vous ?\n"
        "La 4.2.\n"
        "> Quel navigateur ?\n"
        "Firefox.\n"
    )
    assert_nothing_removed(body)


def test_it_keeps_a_bottom_posted_answer():
    assert_nothing_removed("> Can you send the log?\n\nHere it is: no errors since Monday.\n")


def test_it_removes_an_rfc_3676_signature():
    body = "See you on Thursday.\n\n-- \nJane Doe\nACME Corp, +33 1 23 45 67 89\n"
    assert_text_split(body, "See you on Thursday.", "-- \nJane Doe")


def test_it_removes_a_signature_and_the_quote_below_it():
    body = (
        "Thanks!\n"
        "-- \n"
        "Jane Doe\n"
        "\n"
        "On Tue, 3 Mar 2026 at 10:02, Comptoir Support <support@comptoir.example> wrote:\n"
        "> Done.\n"
    )
    assert_text_split(body, "Thanks!", "-- \nJane Doe\n\nOn Tue")


def test_it_removes_a_signature_after_an_interleaved_reply():
    body = "> Which version?\n4.2.\n\n--\nJane\n"
    assert_text_split(body, "> Which version?\n4.2.", "--\nJane")


@pytest.mark.parametrize(
    "signature",
    [
        "Sent from my iPhone",
        "Sent from my Samsung Galaxy smartphone.",
        "Envoyé de mon iPhone",
        "Envoyé depuis mon appareil mobile",
        "Get Outlook for Android",
        "Get Outlook for iOS<https://aka.ms/o0ukef>",
        "Télécharger Outlook pour Android",
        "Obtenir Outlook pour iOS",
        "Sent from Mail for Windows",
        "Envoyé à partir de Courrier pour Windows",
        "Sent from Yahoo Mail on Android",
    ],
)
def test_it_removes_mobile_signatures(signature):
    assert_text_split(f"On my way.\n\n{signature}\n", "On my way.", signature)


def test_it_handles_crlf_line_ends():
    body = "Fixed, thanks.\r\n\r\nOn 03/03/2026 10:02, Comptoir Support wrote:\r\n> Any news?\r\n"
    assert_text_split(body, "Fixed, thanks.", "On 03/03/2026 10:02")


@pytest.mark.parametrize(
    "body",
    [
        "> The whole message is a quote.\n> Nothing else.\n",
        "On Tue, 3 Mar 2026 at 10:02, Comptoir Support <support@comptoir.example> wrote:\n\n> Hello\n",
        "Sent from my iPhone\n\n> On 3 Mar 2026, at 10:02, Comptoir Support wrote:\n> Hello\n",
        "\n\n-- \nJane Doe\n",
        "-----Original Message-----\nFrom: a@example.net\nSent: Tuesday\nTo: b@example.net\n\nHello\n",
    ],
)
def test_it_returns_the_original_when_nothing_would_be_left(body):
    assert_nothing_removed(body)


@pytest.mark.parametrize(
    "body",
    [
        "",
        "Just a new message.\nNo quote here.\n",
        # Prose that starts like a reply header but is not one.
        "Hello,\n\nOn Monday I wrote:\nthe report is late.\n",
        "Bonjour,\n\nLe client a écrit :\nla facture est fausse.\n",
        "From: the accounting team\nto everyone: the books are closed.\n",
        "Le 3 mars nous avons parlé.\nDe : rien.\n",
        "--- a/file.py\n+++ b/file.py\n",
    ],
)
def test_it_leaves_messages_without_quotes_alone(body):
    assert_nothing_removed(body)


def test_it_cuts_at_the_first_of_several_attributions():
    body = (
        "Top answer.\n"
        "\n"
        "On Wed, 4 Mar 2026 at 09:00, Jane <jane@example.net> wrote:\n"
        "> Older answer.\n"
        ">\n"
        "> On Tue, 3 Mar 2026 at 10:02, Support <support@comptoir.example> wrote:\n"
        ">> Oldest.\n"
    )
    assert_text_split(body, "Top answer.", "On Wed, 4 Mar 2026")


# --------------------------------------------------------------------------
# HTML, client by client
# --------------------------------------------------------------------------

GMAIL_HTML = (
    '<div dir="ltr"><div>Thanks, it works.</div><br clear="all"><br>'
    '<span class="gmail_signature_prefix">-- </span><br>'
    '<div dir="ltr" class="gmail_signature" data-smartmail="gmail_signature">Jane Doe<br>ACME</div></div><br>'
    '<div class="gmail_quote gmail_quote_container"><div dir="ltr" class="gmail_attr">'
    "On Tue, 3 Mar 2026 at 10:02, Comptoir Support &lt;support@comptoir.example&gt; wrote:<br></div>"
    '<blockquote class="gmail_quote" style="margin:0px 0px 0px 0.8ex;border-left:1px solid rgb(204,204,204)">'
    "<div>Hello Jane,</div><div>please try again.</div></blockquote></div>\n"
)


def assert_html_conserved(html: str, result: SplitReply) -> None:
    assert Counter(result.reply + result.quoted) == Counter(html)


def test_it_removes_a_gmail_quote_and_signature():
    result = split_html_reply(GMAIL_HTML)
    assert result.reply == '<div dir="ltr"><div>Thanks, it works.</div><br clear="all"><br>\n'
    assert result.quoted.startswith('<span class="gmail_signature_prefix">')
    assert result.quoted.endswith("please try again.</div></blockquote></div>")
    assert_html_conserved(GMAIL_HTML, result)


def test_it_removes_a_french_gmail_quote():
    html = (
        '<div dir="ltr">Merci, c\'est réglé.</div><br>'
        '<div class="gmail_quote"><div dir="ltr" class="gmail_attr">'
        "Le mar. 3 mars 2026 à 10:02, Support Comptoir &lt;support@comptoir.example&gt; a écrit&nbsp;:<br></div>"
        '<blockquote class="gmail_quote">Bonjour Marie,<br>pouvez-vous réessayer ?</blockquote></div>'
    )
    result = split_html_reply(html)
    assert result.reply == '<div dir="ltr">Merci, c\'est réglé.</div><br>'
    assert result.quoted.startswith('<div class="gmail_quote">')
    assert_html_conserved(html, result)


def test_it_removes_an_old_gmail_extra_block():
    html = (
        '<div dir="ltr">Done.</div><div class="gmail_extra"><br>'
        '<div class="gmail_quote">On Tue, Mar 3, 2026 at 10:02 AM, Support <span dir="ltr">'
        "&lt;support@comptoir.example&gt;</span> wrote:<br>"
        '<blockquote class="gmail_quote">Any news?</blockquote></div><br></div>'
    )
    result = split_html_reply(html)
    assert result.reply == '<div dir="ltr">Done.</div>'
    assert result.quoted.startswith('<div class="gmail_extra">')


def test_it_keeps_the_answers_of_an_interleaved_gmail_reply():
    html = (
        '<div dir="ltr">See below.</div><br><div class="gmail_quote"><div dir="ltr" class="gmail_attr">'
        "On Tue, 3 Mar 2026 at 10:02, Support &lt;support@comptoir.example&gt; wrote:<br></div>"
        '<blockquote class="gmail_quote">Which version?</blockquote><div>Version 4.2.</div>'
        '<blockquote class="gmail_quote">Which browser?</blockquote><div>Firefox.</div>'
        '<blockquote class="gmail_quote">Regards, Support</blockquote></div>'
    )
    result = split_html_reply(html)
    assert "Version 4.2." in result.reply
    assert "Firefox." in result.reply
    assert result.quoted == '<blockquote class="gmail_quote">Regards, Support</blockquote>'
    assert result.reply.endswith("<div>Firefox.</div></div>")


def test_it_removes_a_thunderbird_quote():
    html = (
        "<html><head>"
        '<meta http-equiv="content-type" content="text/html; charset=UTF-8"></head><body>'
        "<p>The invoice number is 2026-0042.</p>"
        '<div class="moz-signature">-- <br>Jane Doe</div>'
        '<div class="moz-cite-prefix">On 03/03/2026 10:02, Comptoir Support wrote:<br></div>'
        '<blockquote type="cite" cite="mid:abc@comptoir.example">Which invoice?</blockquote>'
        "<br></body></html>"
    )
    result = split_html_reply(html)
    assert result.reply.endswith("<p>The invoice number is 2026-0042.</p><br></body></html>")
    assert result.quoted.startswith('<div class="moz-signature">')
    assert result.quoted.endswith("Which invoice?</blockquote>")
    assert_html_conserved(html, result)


def test_it_removes_a_french_thunderbird_quote():
    html = (
        "<p>Il s'agit de la facture 2026-0042.</p>"
        '<div class="moz-cite-prefix">Le 03/03/2026 à 10:02, Support Comptoir a écrit&nbsp;:<br></div>'
        '<blockquote type="cite">De quelle facture s\'agit-il ?</blockquote>'
    )
    result = split_html_reply(html)
    assert result.reply == "<p>Il s'agit de la facture 2026-0042.</p>"


def test_it_keeps_a_bottom_posted_thunderbird_answer_and_removes_its_signature():
    html = (
        '<div class="moz-cite-prefix">On 03/03/2026 10:02, Comptoir Support wrote:<br></div>'
        '<blockquote type="cite">Which invoice?</blockquote>'
        "<p>Invoice 2026-0042.</p>"
        '<pre class="moz-signature" cols="72">-- \nJane</pre>'
    )
    result = split_html_reply(html)
    assert result.reply.endswith("<p>Invoice 2026-0042.</p>")
    assert result.quoted == '<pre class="moz-signature" cols="72">-- \nJane</pre>'


def test_it_removes_an_apple_mail_quote():
    html = (
        '<html><head><meta http-equiv="content-type" content="text/html; charset=utf-8"></head>'
        '<body style="word-wrap: break-word; -webkit-nbsp-mode: space;">'
        "<div>Works now, thank you!</div><div><br>"
        '<blockquote type="cite"><div>On 3 Mar 2026, at 10:02, Comptoir Support '
        '&lt;support@comptoir.example&gt; wrote:</div><br class="Apple-interchange-newline">'
        "<div><div>Please try again.</div></div></blockquote></div><br></body></html>"
    )
    result = split_html_reply(html)
    assert result.reply.endswith("<div>Works now, thank you!</div><div><br></div><br></body></html>")
    assert result.quoted.startswith('<blockquote type="cite">')
    assert_html_conserved(html, result)


def test_it_removes_a_french_iphone_quote_and_signature():
    html = (
        '<html><body dir="auto"><div dir="ltr">C\'est noté pour jeudi.</div>'
        '<div dir="ltr"><br><div id="AppleMailSignature" dir="ltr">Envoyé de mon iPhone</div>'
        '<div dir="ltr"><br><blockquote type="cite">Le 3 mars 2026 à 10:02, Support Comptoir '
        "&lt;support@comptoir.example&gt; a écrit&nbsp;:<br><br></blockquote></div>"
        '<blockquote type="cite"><div dir="ltr">Jeudi vous convient-il ?</div></blockquote></div></body></html>'
    )
    result = split_html_reply(html)
    assert "pour jeudi" in result.reply
    assert "iPhone" not in result.reply
    assert "convient" in result.quoted
    assert_html_conserved(html, result)


OUTLOOK_WEB_HTML = (
    '<html><head><meta http-equiv="Content-Type" content="text/html; charset=utf-8">'
    '<style type="text/css" style="display:none;"> P {margin-top:0;margin-bottom:0;} </style></head>'
    '<body dir="ltr"><div class="elementToProof" style="font-family: Aptos, sans-serif;">'
    "Merci, c'est réglé.</div>"
    '<div id="Signature"><div>Marie Dupont</div></div>'
    '<div id="appendonsend"></div>'
    '<hr style="display:inline-block;width:98%" tabindex="-1">'
    '<div id="divRplyFwdMsg" dir="ltr"><font face="Calibri, sans-serif" style="font-size:11pt" color="#000000">'
    "<b>De&nbsp;:</b> Support Comptoir &lt;support@comptoir.example&gt;<br>"
    "<b>Envoyé&nbsp;:</b> mardi 3 mars 2026 10:02<br><b>À&nbsp;:</b> Marie Dupont<br>"
    "<b>Objet&nbsp;:</b> RE: Panne</font><div>&nbsp;</div></div>"
    '<div class="BodyFragment"><font size="2"><span style="font-size:11pt;">'
    '<div class="PlainText">Bonjour Marie,<br>le problème persiste-t-il ?</div></span></font></div>'
    "</body></html>"
)


def test_it_removes_an_outlook_web_quote_and_signature():
    result = split_html_reply(OUTLOOK_WEB_HTML)
    assert result.reply == (
        '<html><head><meta http-equiv="Content-Type" content="text/html; charset=utf-8">'
        '<style type="text/css" style="display:none;"> P {margin-top:0;margin-bottom:0;} </style></head>'
        '<body dir="ltr"><div class="elementToProof" style="font-family: Aptos, sans-serif;">'
        "Merci, c'est réglé.</div></body></html>"
    )
    assert result.quoted.startswith('<div id="Signature">')
    assert result.quoted.endswith("persiste-t-il ?</div></span></font></div>")
    assert_html_conserved(OUTLOOK_WEB_HTML, result)


def test_it_cuts_at_an_outlook_rule_before_the_reply_header():
    html = (
        "<div>Thanks, it works.</div>"
        '<hr style="display:inline-block;width:98%" tabindex="-1">'
        '<div id="divRplyFwdMsg" dir="ltr"><font face="Calibri"><b>From:</b> Comptoir Support<br>'
        "<b>Sent:</b> Tuesday, March 3, 2026 10:02 AM</font></div><div>Hello Jane</div>"
    )
    result = split_html_reply(html)
    assert result.reply == "<div>Thanks, it works.</div>"
    assert result.quoted.startswith("<hr")


def test_it_removes_an_outlook_desktop_quote_in_french():
    html = (
        '<html><head><style><!-- p.MsoNormal {margin:0cm;} --></style></head><body lang="FR">'
        '<div class="WordSection1"><p class="MsoNormal">Ça marche, merci.<o:p></o:p></p>'
        '<p class="MsoNormal"><o:p>&nbsp;</o:p></p>'
        '<div><div style="border:none;border-top:solid #E1E1E1 1.0pt;padding:3.0pt 0cm 0cm 0cm">'
        '<p class="MsoNormal"><b><span lang="FR">De&nbsp;:</span></b><span lang="FR"> Support Comptoir '
        "&lt;support@comptoir.example&gt; <br><b>Envoyé&nbsp;:</b> mardi 3 mars 2026 10:02<br>"
        "<b>À&nbsp;:</b> Marie Dupont<br><b>Objet&nbsp;:</b> RE: Panne<o:p></o:p></span></p></div></div>"
        '<p class="MsoNormal"><o:p>&nbsp;</o:p></p><p class="MsoNormal">Bonjour Marie,<o:p></o:p></p>'
        "</div></body></html>"
    )
    result = split_html_reply(html)
    assert "Ça marche" in result.reply
    assert "Bonjour Marie" not in result.reply
    assert result.reply.endswith("</body></html>")
    assert result.quoted.startswith('<div style="border:none;border-top:solid')
    assert_html_conserved(html, result)


def test_it_removes_an_outlook_mobile_signature():
    html = (
        '<div dir="auto">On my way.</div><div dir="auto"><br></div>'
        '<div id="ms-outlook-mobile-signature">Get <a href="https://aka.ms/AAb9ysg">Outlook for Android</a></div>'
    )
    result = split_html_reply(html)
    assert result.reply == '<div dir="auto">On my way.</div><div dir="auto"><br></div>'


def test_it_removes_a_yahoo_quote():
    html = (
        '<html><body><div class="ydp4e1c0a2ayahoo-style-wrap"><div>Sounds good.</div></div>'
        '<div id="ydp7f3e9b21yahoo_quoted_1234567890" class="ydp7f3e9b21yahoo_quoted">'
        '<div style="font-family:Helvetica;font-size:13px;color:#26282a;">'
        "<div>On Tuesday, March 3, 2026, 10:02:00 AM GMT+1, Comptoir Support "
        "&lt;support@comptoir.example&gt; wrote:</div><div><br></div><div><br></div>"
        "<div><div>Shall we meet on Thursday?</div></div></div></div></body></html>"
    )
    result = split_html_reply(html)
    assert result.reply == (
        '<html><body><div class="ydp4e1c0a2ayahoo-style-wrap"><div>Sounds good.</div></div></body></html>'
    )
    assert "Thursday" in result.quoted


# --------------------------------------------------------------------------
# HTML: fallbacks and false friends
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "html",
    [
        "",
        "<p>Just a new message.</p>",
        # The person quotes something themselves: not a reply quote.
        "<p>The error says:</p><blockquote>Disk full</blockquote>",
        # A rule that no reply header follows.
        "<p>Part one.</p><hr><p>Part two.</p>",
        # Markers inside comments and scripts are not markup.
        '<p>Hello</p><!-- <div class="gmail_quote">old</div> --><script>"<blockquote type=cite>"</script>',
        # The whole message is a quote.
        '<div class="gmail_quote">On Tue, 3 Mar 2026, Support wrote:<blockquote class="gmail_quote">Hi</blockquote>'
        "</div>",
        '<blockquote type="cite">Only a quote.</blockquote><div>&nbsp;<br></div>',
        # The person answered after the quote.
        '<blockquote type="cite">Which version?</blockquote><div>4.2</div>',
        '<blockquote type="cite">Here is my screenshot:</blockquote><img src="cid:shot">',
    ],
)
def test_it_leaves_html_alone_when_nothing_can_be_removed(html):
    assert split_html_reply(html) == SplitReply(reply=html, quoted="")


def test_it_keeps_the_answers_of_an_interleaved_thunderbird_reply():
    html = (
        "<p>Hello,</p>"
        '<div class="moz-cite-prefix">On 03/03/2026 10:02, Support wrote:<br></div>'
        '<blockquote type="cite">Which version?</blockquote><p>4.2</p>'
        '<blockquote type="cite">Thanks</blockquote>'
    )
    result = split_html_reply(html)
    assert result.reply.endswith("<p>4.2</p>")
    assert result.quoted == '<blockquote type="cite">Thanks</blockquote>'


@pytest.mark.parametrize("lines", [0, 1, 3, 40, 700, 20_000])
def test_it_finds_where_quotes_of_any_length_end(lines):
    # Nested same-name elements and a commented-out end tag, across the scanner's chunk sizes.
    history = "<div><div>A quoted line.</div><!-- </div> --></div>" * lines
    signature = f'<div class="gmail_signature"><div>Jane</div>{history}</div>'
    quote = f'<div class="gmail_quote"><blockquote class="gmail_quote">{history}Hi</blockquote></div>'
    html = f'<div dir="ltr"><div>Top</div>{signature}</div>{quote}'
    # The end tag between signature and quote goes with them; nh3 closes the open <div>.
    expected = SplitReply(reply='<div dir="ltr"><div>Top</div>', quoted=f"{signature}</div>{quote}")
    assert split_html_reply(html) == expected
    answered = f"{html}<div>PS: one more thing.</div>"
    assert split_html_reply(answered) == SplitReply(reply=answered, quoted="")


def test_it_survives_malformed_markup():
    for html in ['<div class="gmail_quote">unclosed', "<p>Hi</p><blockquote type='cite'", "<<<>>><div", "a < b > c"]:
        assert_html_conserved(html, split_html_reply(html))


# --------------------------------------------------------------------------
# Nothing lost, on the public corpus and on shuffled fragments
# --------------------------------------------------------------------------


def _body_parts(content_type: str) -> list[tuple[str, str]]:
    parts = []
    for path in corpus_files():
        message = email.message_from_bytes(path.read_bytes(), policy=policy.compat32)
        for part in message.walk():
            if part.get_content_type() == content_type and not part.is_multipart():
                parts.append((str(path.relative_to(CORPUS)), _decoded(part)))
    return parts


def _decoded(part: Message) -> str:
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        return ""
    try:
        return payload.decode(part.get_content_charset() or "utf-8", errors="replace")
    except LookupError:
        return payload.decode("utf-8", errors="replace")


@pytest.mark.corpus
def test_it_loses_no_character_of_any_corpus_text_part():
    parts = _body_parts("text/plain")
    assert len(parts) > 100
    lost = []
    for name, text in parts:
        result = split_text_reply(text)
        if squash(result.reply + result.quoted) != squash(text) or (result.quoted and not result.reply.strip()):
            lost.append(name)
    assert lost == []


@pytest.mark.corpus
def test_it_loses_no_character_of_any_corpus_html_part():
    parts = _body_parts("text/html")
    assert len(parts) > 100
    lost = []
    for name, html in parts:
        result = split_html_reply(html)
        if Counter(result.reply + result.quoted) != Counter(html) or (result.quoted and not result.reply):
            lost.append(name)
    assert lost == []


TEXT_FRAGMENTS = [
    "Hello,",
    "Thanks, it works.",
    "",
    "   ",
    "> quoted line",
    ">> deeper quote",
    "-- ",
    "--",
    "Sent from my iPhone",
    "Envoyé de mon iPhone",
    "On Tue, 3 Mar 2026 at 10:02, Support <support@comptoir.example> wrote:",
    "On Tue, Mar 3, 2026 at 10:02 AM Support <",
    "support@comptoir.example> wrote:",
    "Le 03/03/2026 à 10:02, Support a écrit :",
    "-----Original Message-----",
    "________________________________",
    "From: Support <support@comptoir.example>",
    "Sent: Tuesday, March 3, 2026 10:02",
    "To: Jane <jane@example.net>",
    "Subject: RE: help",
    "De : Support",
    "Envoyé : mardi",
    "Objet : RE",
    "\r",
]


def test_it_loses_no_character_of_shuffled_reply_fragments():
    generator = random.Random(20260303)
    for _ in range(2000):
        text = "\n".join(generator.choice(TEXT_FRAGMENTS) for _ in range(generator.randint(0, 25)))
        result = split_text_reply(text)
        assert squash(result.reply + result.quoted) == squash(text), text
        assert result.quoted == "" or result.reply.strip(), text


HTML_FRAGMENTS = [
    "<div>Hello</div>",
    "<br>",
    "&nbsp;",
    "</div>",
    '<div class="gmail_quote">',
    '<blockquote type="cite">',
    '<blockquote class="gmail_quote">',
    "</blockquote>",
    '<div class="moz-cite-prefix">On 03/03/2026, Support wrote:</div>',
    '<div id="appendonsend"></div>',
    "<hr>",
    "<b>From:</b> Support",
    '<div id="Signature">Jane</div>',
    "<!-- comment -->",
    "<!--",
    '<img src="cid:x">',
    "<p>",
    "text",
    "<",
]


def test_it_loses_no_character_of_shuffled_html_fragments():
    generator = random.Random(20260303)
    for _ in range(2000):
        html = "".join(generator.choice(HTML_FRAGMENTS) for _ in range(generator.randint(0, 30)))
        result = split_html_reply(html)
        assert Counter(result.reply + result.quoted) == Counter(html), html
        assert result.quoted == "" or result.reply, html


# --------------------------------------------------------------------------
# Large inputs: linear time (a hang detector, not a benchmark)
# --------------------------------------------------------------------------
# Five megabytes must go through; that the work is linear is checked in function
# calls on a smaller input and on twice that (tests/work.py), never in seconds.

FIVE_MB = 5_000_000
WORK_SIZE = 100_000


def _large_text_reply(size: int) -> str:
    answer = "Here is what I found after checking the logs again this morning.\n" * (size // 2 // 66)
    quote = "> The previous message had a very long history of quoted lines.\n" * (size // 2 // 66)
    return f"{answer}\nOn Tue, 3 Mar 2026 at 10:02, Support <support@comptoir.example> wrote:\n\n{quote}"


def _large_html_reply(size: int) -> str:
    answer = "<div><p>Here is <b>what</b> I found in the logs.</p></div>\n" * (size // 2 // 58)
    quote = "<div><div>Quoted <span>history</span> line.</div></div>\n" * (size // 2 // 58)
    return (
        f'<html><body>{answer}<div class="gmail_quote"><div class="gmail_attr">On Tue, Support wrote:</div>'
        f'<blockquote class="gmail_quote">{quote}</blockquote></div></body></html>'
    )


# Each builds an input of about ``size`` characters.
@pytest.mark.parametrize(
    "build",
    [
        pytest.param(_large_text_reply, id="reply-with-long-quote"),
        pytest.param(lambda size: "x" * size, id="one-long-line"),
        pytest.param(lambda size: "\n" * size, id="blank-lines"),
        pytest.param(lambda size: ">" * size, id="one-long-quoted-line"),
        pytest.param(lambda size: "On 1 Mar 2026 " * (size // 14), id="endless-attribution"),
        pytest.param(
            lambda size: ("Le 3 mars a écrit\n" * 3 + "> q\nanswer\n") * (size // 68), id="false-attributions"
        ),
    ],
)
def test_it_splits_large_text_in_linear_time(build):
    body = build(FIVE_MB)
    result = split_text_reply(body)
    assert squash(result.reply + result.quoted) == squash(body)

    assert_linear_work(split_text_reply, build, WORK_SIZE)


@pytest.mark.parametrize(
    "build",
    [
        pytest.param(_large_html_reply, id="reply-with-long-quote"),
        pytest.param(
            lambda size: OUTLOOK_WEB_HTML.replace("Bonjour Marie,", "<p>Bonjour</p>" * (size // 14)), id="outlook"
        ),
        pytest.param(lambda size: "x" * size, id="no-markup"),
        pytest.param(lambda size: '<a b="' * (size // 6), id="unclosed-attributes"),
        pytest.param(lambda size: '<blockquote type="cite">' * (size // 24), id="unclosed-quotes"),
        pytest.param(lambda size: "<!--" + "<div>" * (size // 5), id="unclosed-comment"),
        pytest.param(
            lambda size: '<div class="gmail_quote">' * (size // 50) + "</div>" * (size // 50), id="nested-quotes"
        ),
    ],
)
def test_it_splits_large_html_in_linear_time(build):
    html = build(FIVE_MB)
    result = split_html_reply(html)
    assert Counter(result.reply + result.quoted) == Counter(html)

    assert_linear_work(split_html_reply, build, WORK_SIZE)
