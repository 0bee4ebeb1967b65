"""Classifying inbound mail: replies, auto-replies, bounces (DSN and plain text), and input that is broken."""

import random
from datetime import UTC, datetime

import pytest

from coldsend.mail.inbound import Bounce, Inbound, InboundKind, Severity, parse
from tests.inbox.messages import auto_reply, dsn_bounce, plain_bounce, raw_message, reply, subject_header

ORIGINAL = "<0001.abcd@sender.example.com>"
FOLLOW_UP = "<0002.ef01@sender.example.com>"
LEAD = "ada.lovelace@example.org"
ACCOUNT = "sender@example.com"
DSN_DIAGNOSTIC = "550 5.1.1 <lead@example.org>: Recipient address rejected: User unknown"


def header_of(raw: bytes, name: str) -> str:
    """A header's raw value, read without the parser under test."""
    prefix = f"{name}: ".encode()
    line = next(line for line in raw.split(b"\r\n") if line.startswith(prefix))
    return line[len(prefix) :].decode()


def message(*headers: tuple[str, str], body: str = "Hello there.") -> bytes:
    """A text/plain message from the lead to the account; `headers` replace the defaults or add to them."""
    defaults = [
        ("From", f"Ada Lovelace <{LEAD}>"),
        ("To", ACCOUNT),
        ("Date", "Mon, 02 Mar 2026 11:15:00 +0200"),
        ("Message-ID", "<inbound.1@example.org>"),
        ("MIME-Version", "1.0"),
        ("Content-Type", 'text/plain; charset="UTF-8"'),
    ]
    replaced = {name.lower() for name, _ in headers}
    return raw_message([*(h for h in defaults if h[0].lower() not in replaced), *headers], body)


def reply_headers(subject: str = "Re: Hello") -> tuple[tuple[str, str], ...]:
    return ("Subject", subject_header(subject)), ("In-Reply-To", ORIGINAL), ("References", ORIGINAL)


def assert_recent(inbound: Inbound, before: datetime) -> None:
    assert inbound.date is not None
    assert inbound.date.utcoffset() is not None
    assert inbound.date.utcoffset() == UTC.utcoffset(None)
    assert before <= inbound.date <= datetime.now(UTC)


# --- replies --------------------------------------------------------------------------------------------


def test_plain_reply() -> None:
    before = datetime.now(UTC).replace(microsecond=0)
    raw = reply(to_message_id=ORIGINAL, from_email="Ada.Lovelace@Example.org", to_email=ACCOUNT)
    inbound = parse(raw)
    assert inbound.kind is InboundKind.REPLY
    assert inbound.message_id == header_of(raw, "Message-ID")
    assert inbound.from_email == LEAD
    assert inbound.from_name == "Ada Lovelace"
    assert inbound.to_emails == [ACCOUNT]
    assert inbound.cc_emails == []
    assert inbound.reply_to is None
    assert inbound.subject == "Re: Hello"
    assert_recent(inbound, before)
    assert inbound.in_reply_to == ORIGINAL
    assert inbound.references == [ORIGINAL]
    assert inbound.referenced == [ORIGINAL]
    assert inbound.text.startswith("Sounds interesting, tell me more.\n\nOn ")
    assert inbound.text.endswith(
        "wrote:\n> Hi,\n>\n> I wanted to reach out about your outbound pipeline.\n>\n> Best,\n> Sam"
    )
    assert inbound.html == ""
    assert inbound.preview == "Sounds interesting, tell me more."
    assert inbound.bounce is None


def test_html_alternative_reply_reads_the_text_part() -> None:
    raw = reply(
        to_message_id=ORIGINAL, from_email=LEAD, to_email=ACCOUNT, body="Oui, très intéressant !", html=True
    )
    inbound = parse(raw)
    assert inbound.kind is InboundKind.REPLY
    assert inbound.referenced == [ORIGINAL]
    assert inbound.text.startswith("Oui, très intéressant !\n\nOn ")
    assert inbound.html.startswith(
        '<div dir="ltr">Oui, très intéressant !</div><br><div class="gmail_quote">'
    )
    assert inbound.preview == "Oui, très intéressant !"


def test_html_only_reply_is_read_as_text() -> None:
    html = (
        '<div dir="ltr">Let&#39;s talk <b>Tuesday</b>.</div><br>'
        '<div class="gmail_quote"><div class="gmail_attr">On Mon, Mar 2, 2026 at 9:00 AM Sam &lt;'
        f"{ACCOUNT}&gt; wrote:<br></div><blockquote>Hi,<br>I wanted to reach out</blockquote></div>"
    )
    raw = message(*reply_headers(), ("Content-Type", 'text/html; charset="UTF-8"'), body=html)
    inbound = parse(raw)
    assert inbound.kind is InboundKind.REPLY
    assert inbound.html == html
    assert inbound.text == (
        f"Let's talk Tuesday.\n\nOn Mon, Mar 2, 2026 at 9:00 AM Sam <{ACCOUNT}> wrote:\n\n"
        "Hi,\nI wanted to reach out"
    )
    assert inbound.preview == "Let's talk Tuesday."


def test_reply_to_a_follow_up_points_at_the_follow_up_first() -> None:
    raw = reply(to_message_id=FOLLOW_UP, from_email=LEAD, to_email=ACCOUNT, references=[ORIGINAL])
    inbound = parse(raw)
    assert inbound.kind is InboundKind.REPLY
    assert inbound.in_reply_to == FOLLOW_UP
    assert inbound.references == [ORIGINAL, FOLLOW_UP]
    assert inbound.referenced == [FOLLOW_UP, ORIGINAL]


def test_referenced_is_in_reply_to_then_references_from_last_and_deduplicated() -> None:
    raw = message(
        ("Subject", "Re: Hello"),
        ("In-Reply-To", "<c@x>"),
        ("References", "<a@x> <b@x>\r\n <c@x>"),
    )
    inbound = parse(raw)
    assert inbound.references == ["<a@x>", "<b@x>", "<c@x>"]
    assert inbound.referenced == ["<c@x>", "<b@x>", "<a@x>"]


def test_bare_message_ids_are_bracketed() -> None:
    inbound = parse(message(("Subject", "Re: Hello"), ("In-Reply-To", "0001.abcd@sender.example.com")))
    assert inbound.kind is InboundKind.REPLY
    assert inbound.in_reply_to == ORIGINAL
    assert inbound.referenced == [ORIGINAL]


def test_cc_reply_to_and_a_mixed_multipart_with_an_attachment() -> None:
    boundary = "b1"
    body = (
        f"--{boundary}\n"
        'Content-Type: text/plain; charset="UTF-8"\n\nSee attached.\n'
        f"--{boundary}\n"
        'Content-Type: text/plain; name="notes.txt"\n'
        'Content-Disposition: attachment; filename="notes.txt"\n\n'
        "Attached notes.\n"
        f"--{boundary}--\n"
    )
    raw = message(
        *reply_headers(),
        ("Cc", '"Bob B." <Bob@Example.org>, carol@example.net'),
        ("Reply-To", "Ada at home <ADA@home.example>"),
        ("Content-Type", f'multipart/mixed; boundary="{boundary}"'),
        body=body,
    )
    inbound = parse(raw)
    assert inbound.cc_emails == ["bob@example.org", "carol@example.net"]
    assert inbound.reply_to == "ada@home.example"
    assert inbound.text == "See attached."


@pytest.mark.parametrize(
    ("body", "preview"),
    [
        ("Yes.\n\n-----Original Message-----\nFrom: Sam\nHi", "Yes."),
        (
            "Call me.\n\n________________________________\nFrom: Sam Sender <sender@example.com>\n"
            "Sent: Monday, March 2, 2026 9:00 AM\nTo: Ada\nSubject: Hello\n\nHi",
            "Call me.",
        ),
        ("Ok\n\n*From:* Sam\n*Sent:* Monday\n*Subject:* Hello", "Ok"),
        (
            "Sure.\n\nOn Mon, Mar 2, 2026 at 9:00 AM Sam Sender <\nsender@example.com> wrote:\n\n> Hi",
            "Sure.",
        ),
        ("Gerne.\n\nAm 02.03.2026 um 09:00 schrieb Sam Sender <sender@example.com>:\n> Hi", "Gerne."),
        (
            "Avec plaisir.\n\nLe lun. 2 mars 2026 à 09:00, Sam <sender@example.com> a écrit :\n> Hi",
            "Avec plaisir.",
        ),
        ("Sam wrote:\nHi", ""),
        ("  Line one\n\n  line   two \n> quoted", "Line one line two"),
        ("word " * 100, ("word " * 40).strip()),
    ],
)
def test_preview_is_the_new_part_on_one_line(body: str, preview: str) -> None:
    assert parse(message(*reply_headers(), body=body)).preview == preview


# --- auto-replies --------------------------------------------------------------------------------------


@pytest.mark.parametrize("style", ["rfc3834", "outlook", "subject"])
def test_auto_reply_styles(style: str) -> None:
    raw = auto_reply(to_message_id=ORIGINAL, from_email=LEAD, to_email=ACCOUNT, style=style)
    inbound = parse(raw)
    assert inbound.kind is InboundKind.AUTO_REPLY
    assert inbound.from_email == LEAD
    assert inbound.referenced == [ORIGINAL]
    assert inbound.bounce is None
    assert inbound.preview.startswith("Thank you for your email. I am out of the office until Monday")


@pytest.mark.parametrize(
    "headers",
    [
        (("Subject", "Re: Hello"), ("Auto-Submitted", "auto-generated")),
        (("Subject", "Re: Hello"), ("Auto-Submitted", "Auto-Replied (vacation)")),
        (("Subject", "Re: Hello"), ("X-Autoreply", "yes")),
        (("Subject", "Re: Hello"), ("X-Autorespond", "Vacation")),
        (("Subject", "Re: Hello"), ("X-Autoresponder", "1")),
        (("Subject", "Re: Hello"), ("Precedence", "auto_reply")),
        (
            ("Subject", "I am away from the office"),
            ("X-Auto-Response-Suppress", "DR, RN, NRN, OOF, AutoReply"),
        ),
        (("Subject", "On vacation until Monday"), ("X-Auto-Response-Suppress", "All")),
        (("Subject", "Auto: Hello"),),
        (("Subject", "Automatic reply: Hello"),),
        (("Subject", "AutoReply: Hello"),),
        (("Subject", "Auto-Reply: Hello"),),
        (("Subject", "RE: Out of the office"),),
        (("Subject", "out of office - back on the 10th"),),
        (("Subject", subject_header("AW: Abwesenheitsnotiz: Hello")),),
        (("Subject", subject_header("Réponse automatique : Hello")),),
        (("Subject", subject_header("Respuesta automática: Hello")),),
        (("Subject", "Risposta automatica: Hello"),),
        (("Subject", "Automatisch antwoord: Hello"),),
    ],
)
def test_auto_reply_signals(headers: tuple[tuple[str, str], ...]) -> None:
    raw = message(*headers, ("In-Reply-To", ORIGINAL))
    assert parse(raw).kind is InboundKind.AUTO_REPLY


@pytest.mark.parametrize(
    "headers",
    [
        (("Auto-Submitted", "no"),),
        (("X-Auto-Response-Suppress", "All"),),
        (("X-MS-Exchange-Inbox-Rules-Loop", LEAD),),
        (("Precedence", "bulk"),),
        (("Precedence", "list"),),
    ],
)
def test_not_auto_reply_signals_leave_a_reply(headers: tuple[tuple[str, str], ...]) -> None:
    raw = message(*reply_headers(), *headers)
    assert parse(raw).kind is InboundKind.REPLY


def test_bulk_newsletter_that_references_nothing_is_other() -> None:
    raw = message(
        ("Subject", "Our March newsletter"),
        ("Precedence", "bulk"),
        ("List-Unsubscribe", "<https://news.example.org/u/123>"),
        body="News from us.",
    )
    inbound = parse(raw)
    assert inbound.kind is InboundKind.OTHER
    assert inbound.referenced == []
    assert inbound.bounce is None


def test_read_receipt_is_other() -> None:
    boundary = "rr"
    body = (
        f"--{boundary}\nContent-Type: text/plain\n\nYour message was read.\n"
        f"--{boundary}\nContent-Type: message/disposition-notification\n\n"
        f"Final-Recipient: rfc822; {LEAD}\nOriginal-Message-ID: {ORIGINAL}\n"
        "Disposition: manual-action/MDN-sent-manually; displayed\n"
        f"--{boundary}--\n"
    )
    raw = message(
        *reply_headers("Read: Hello"),
        ("Content-Type", f'multipart/report; report-type=disposition-notification; boundary="{boundary}"'),
        body=body,
    )
    assert parse(raw).kind is InboundKind.OTHER


# --- bounces -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("headers_part", ["text/rfc822-headers", "message/rfc822"])
def test_dsn_failure_is_a_bounce(headers_part: str) -> None:
    raw = dsn_bounce(original_message_id=ORIGINAL, recipient="lead@example.org", headers_part=headers_part)
    inbound = parse(raw)
    assert inbound.kind is InboundKind.BOUNCE
    assert inbound.bounce == Bounce(recipient="lead@example.org", status="5.1.1", diagnostic=DSN_DIAGNOSTIC)
    assert inbound.referenced == [ORIGINAL]
    assert inbound.from_email == "mailer-daemon@mx.example.net"
    assert inbound.to_emails == [ACCOUNT]
    assert inbound.subject == "Undelivered Mail Returned to Sender"
    assert inbound.text.startswith("This is the mail system at host mx.example.net.")


def test_dsn_fields_are_normalised() -> None:
    raw = dsn_bounce(
        original_message_id=ORIGINAL,
        recipient="Lead.Person@Example.ORG",
        status="5.2.2 (mailbox full)",
        diagnostic="552 5.2.2 Mailbox full",
        reporting_mta="mail.example.net",
    )
    inbound = parse(raw)
    assert inbound.bounce == Bounce(
        recipient="lead.person@example.org",
        status="5.2.2",
        diagnostic="552 5.2.2 Mailbox full",
        severity=Severity.SOFT,
    )
    assert inbound.referenced[0] == ORIGINAL


@pytest.mark.parametrize(
    ("action", "status", "kind"),
    [
        ("failed", "4.4.7", InboundKind.BOUNCE),  # Postfix gave up on a deferred message
        ("delayed", "4.4.7", InboundKind.DELAY_WARNING),
        ("delivered", "2.0.0", InboundKind.OTHER),
        ("relayed", "2.0.0", InboundKind.OTHER),
        ("expanded", "2.0.0", InboundKind.OTHER),
    ],
)
def test_dsn_action_decides(action: str, status: str, kind: InboundKind) -> None:
    diagnostic = "421 4.4.7 Message expired" if status.startswith("4") else "250 2.0.0 Ok"
    raw = dsn_bounce(
        original_message_id=ORIGINAL,
        recipient="lead@example.org",
        action=action,
        status=status,
        diagnostic=diagnostic,
    )
    inbound = parse(raw)
    assert inbound.kind is kind
    assert inbound.bounce == (
        Bounce(recipient="lead@example.org", status=status, diagnostic=diagnostic, severity=Severity.SOFT)
        if kind is InboundKind.BOUNCE
        else None
    )


def test_dsn_without_action_fails_on_a_permanent_status() -> None:
    raw = dsn_bounce(original_message_id=ORIGINAL, recipient="lead@example.org").replace(
        b"Action: failed\r\n", b""
    )
    inbound = parse(raw)
    assert inbound.kind is InboundKind.BOUNCE
    assert inbound.bounce == Bounce(recipient="lead@example.org", status="5.1.1", diagnostic=DSN_DIAGNOSTIC)


def test_delayed_dsn_is_not_a_bounce() -> None:
    raw = dsn_bounce(
        original_message_id=ORIGINAL,
        recipient="lead@example.org",
        action="delayed",
        status="4.4.7",
        diagnostic="421 4.4.7 <{recipient}>: temporary failure",
    )
    inbound = parse(raw)
    assert inbound.kind is InboundKind.DELAY_WARNING
    assert inbound.bounce is None
    assert inbound.subject == "Delayed Mail (still being retried)"


def test_plain_text_bounce() -> None:
    raw = plain_bounce(original_message_id=ORIGINAL, recipient="lead@example.org")
    inbound = parse(raw)
    assert inbound.kind is InboundKind.BOUNCE
    assert inbound.bounce == Bounce(
        recipient="lead@example.org",
        status="5.1.1",
        diagnostic="550 5.1.1 <lead@example.org>: Recipient address rejected:"
        " User unknown in virtual mailbox table",
    )
    assert inbound.referenced == [ORIGINAL]
    assert inbound.from_email == "mailer-daemon@mx.example.net"
    assert inbound.from_name == "Mail Delivery System"


QMAIL = (
    "Hi. This is the qmail-send program at mx.example.net.\n"
    "I'm afraid I wasn't able to deliver your message to the following addresses.\n"
    "This is a permanent error; I've given up. Sorry it didn't work out.\n\n"
    "<lead@example.org>:\n"
    "203.0.113.7 does not like recipient.\n"
    "Remote host said: 550 5.1.1 User unknown\n"
    "Giving up on 203.0.113.7.\n\n"
    "--- Below this line is a copy of the message.\n\n"
    f"Return-Path: <{ACCOUNT}>\nMessage-ID: {ORIGINAL}\nTo: lead@example.org\n"
)
EXIM = (
    "This message was created automatically by mail delivery software.\n\n"
    "A message that you sent could not be delivered to one or more of its\n"
    "recipients. This is a permanent error. The following address(es) failed:\n\n"
    "  Lead@Example.org\n"
    "    host mx.example.org [203.0.113.7]\n"
    "    SMTP error from remote mail server after RCPT TO:<Lead@Example.org>:\n"
    "    550 5.1.1 <Lead@Example.org>: Recipient address rejected: User unknown\n\n"
    "------ This is a copy of the message, including all the headers. ------\n\n"
    f"Message-ID:\n {ORIGINAL}\nFrom: Sam <{ACCOUNT}>\n"
)
YAHOO = (
    "Sorry, we were unable to deliver your message to the following address.\n\n"
    "<lead@example.org>:\n"
    "554: delivery error: dd This user doesn't have a example.org account (lead@example.org) [0]"
    " - mta1.example.org\n\n"
    "--- Below this line is a copy of the message.\n\n"
    f"Received: from [198.51.100.10] by mta1.example.org\nMessage-ID: {ORIGINAL}\n"
)


@pytest.mark.parametrize(
    ("sender", "subject", "body", "bounce"),
    [
        (
            "MAILER-DAEMON@mx.example.net",
            "failure notice",
            QMAIL,
            Bounce(recipient="lead@example.org", status="5.1.1", diagnostic="550 5.1.1 User unknown"),
        ),
        (
            "Mail Delivery System <Mailer-Daemon@mx.example.net>",
            "Mail delivery failed: returning message to sender",
            EXIM,
            Bounce(
                recipient="lead@example.org",
                status="5.1.1",
                diagnostic="550 5.1.1 <Lead@Example.org>: Recipient address rejected: User unknown",
            ),
        ),
        (
            "MAILER-DAEMON@yahoo.example",
            "Failure Notice",
            YAHOO,
            Bounce(
                recipient="lead@example.org",
                status=None,
                diagnostic="554: delivery error: dd This user doesn't have a example.org account "
                "(lead@example.org) [0] - mta1.example.org",
            ),
        ),
        (
            "postmaster@example.net",
            "Undeliverable: Hello",
            "Delivery has failed to these recipients or groups:\n\nlead@example.org\n"
            "The email address you entered couldn't be found.\n\n"
            "Remote Server returned '550 5.1.10 RESOLVER.ADR.RecipientNotFound; not found'\n",
            Bounce(
                recipient="lead@example.org",
                status="5.1.10",
                diagnostic="550 5.1.10 RESOLVER.ADR.RecipientNotFound; not found'",
            ),
        ),
        (
            "MAILER-DAEMON@mx.example.net",
            "Delivery report",  # no bounce-like subject: the sender is enough
            QMAIL,
            Bounce(recipient="lead@example.org", status="5.1.1", diagnostic="550 5.1.1 User unknown"),
        ),
        (
            "System Administrator <postmaster@example.net>",
            "Undeliverable: Hello",
            "Your message did not reach some or all of the intended recipients.\n\n"
            "      Subject:  Hello\n      Sent:     3/2/2026 9:00 AM\n\n"
            "The following recipient(s) cannot be reached:\n\n"
            "      Lead@Example.org on 3/2/2026 9:00 AM\n"
            "            550 5.1.1 User unknown\n",
            Bounce(recipient="lead@example.org", status="5.1.1", diagnostic="550 5.1.1 User unknown"),
        ),
    ],
    ids=["qmail", "exim", "yahoo", "exchange", "sender-only", "old-exchange"],
)
def test_plain_text_bounce_formats(sender: str, subject: str, body: str, bounce: Bounce) -> None:
    raw = raw_message(
        [
            ("From", sender),
            ("To", ACCOUNT),
            ("Subject", subject),
            ("Date", "Mon, 02 Mar 2026 09:15:00 +0000"),
        ],
        body,
    )
    inbound = parse(raw)
    assert inbound.kind is InboundKind.BOUNCE
    assert inbound.bounce == bounce
    assert inbound.referenced == ([ORIGINAL] if ORIGINAL in body else [])


@pytest.mark.parametrize(
    ("sender", "subject", "body", "kind"),
    [
        (
            "MAILER-DAEMON@mx.example.net",
            "Warning: message delayed",
            "Still trying; 421 4.7.0 try again later.",
            InboundKind.DELAY_WARNING,
        ),
        ("Ada <ada@example.org>", "Undeliverable: Hello", "I could not open the link.", InboundKind.OTHER),
    ],
)
def test_bounce_senders_or_subjects_without_a_permanent_failure_are_no_bounce(
    sender: str, subject: str, body: str, kind: InboundKind
) -> None:
    inbound = parse(message(("From", sender), ("Subject", subject), body=body))
    assert inbound.kind is kind
    assert inbound.bounce is None


def test_mail_system_notices_are_neither_replies_nor_auto_replies() -> None:
    raw = message(
        *reply_headers("Delayed Mail (still being retried)"),
        ("From", "MAILER-DAEMON@mx.example.net (Mail Delivery System)"),
        ("Auto-Submitted", "auto-replied"),
        body="THIS IS A WARNING ONLY. Your message could not be delivered for 4 hours.",
    )
    assert parse(raw).kind is InboundKind.DELAY_WARNING
    notice = message(
        *reply_headers("Mail system notice"),
        ("From", "MAILER-DAEMON@mx.example.net (Mail Delivery System)"),
        ("Auto-Submitted", "auto-replied"),
        body="Your mailbox settings were updated.",
    )
    assert parse(notice).kind is InboundKind.OTHER


def test_a_person_quoting_an_smtp_error_is_a_reply() -> None:
    raw = message(*reply_headers(), body="Our server said 550 5.1.1 when I wrote to you, odd.")
    assert parse(raw).kind is InboundKind.REPLY


# --- decoding ------------------------------------------------------------------------------------------


def test_encoded_headers_and_a_latin1_body() -> None:
    head = (
        "From: =?utf-8?q?J=C3=BCrgen_M=C3=BCller?= <juergen@example.de>\r\n"
        f"To: {ACCOUNT}\r\n"
        "Subject: =?iso-8859-1?q?Gr=FC=DFe?= aus\r\n =?UTF-8?B?TcO8bmNoZW4=?=\r\n"
        "Date: Mon, 02 Mar 2026 11:15:00 +0200\r\n"
        "MIME-Version: 1.0\r\n"
        "Content-Type: text/plain; charset=iso-8859-1\r\n"
        "Content-Transfer-Encoding: 8bit\r\n\r\n"
    )
    inbound = parse(head.encode() + "Grüße aus München, ça va ?\r\n".encode("latin-1"))
    assert inbound.from_name == "Jürgen Müller"
    assert inbound.from_email == "juergen@example.de"
    assert inbound.subject == "Grüße aus München"
    assert inbound.text == "Grüße aus München, ça va ?"
    assert inbound.date == datetime(2026, 3, 2, 9, 15, tzinfo=UTC)


def test_raw_utf8_headers_and_quoted_printable_body() -> None:
    head = (
        "From: José <jose@example.es>\r\nSubject: Café mañana\r\n"
        "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n"
    )
    inbound = parse(head.encode() + b"Caf=C3=A9 ma=C3=B1ana, =\r\nvale.\r\n")
    assert inbound.subject == "Café mañana"
    assert inbound.from_name == "José"
    assert inbound.text == "Café mañana, vale."


def test_unknown_charset_falls_back_to_utf8() -> None:
    raw = message(("Content-Type", "text/plain; charset=x-no-such-charset"), body="naïve")
    assert parse(raw).text == "naïve"


def test_wrong_charset_bytes_are_replaced() -> None:
    head = b"Subject: hi\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
    assert parse(head + b"caf\xe9").text == "caf\ufffd"


@pytest.mark.parametrize(
    ("date", "parsed"),
    [
        ("Mon, 02 Mar 2026 11:15:00 +0200", datetime(2026, 3, 2, 9, 15, tzinfo=UTC)),
        ("2 Mar 2026 09:15:00 -0000", datetime(2026, 3, 2, 9, 15, tzinfo=UTC)),
        ("Mon, 2 Mar 2026 04:15:00 EST", datetime(2026, 3, 2, 9, 15, tzinfo=UTC)),
        ("not a date", None),
        ("Mon, 32 Foo 2026 99:99:99 +9999", None),
    ],
)
def test_date_is_utc_or_none(date: str, parsed: datetime | None) -> None:
    assert parse(message(("Date", date))).date == parsed


# --- malformed input -----------------------------------------------------------------------------------


def nested_multiparts(depth: int) -> bytes:
    parts = "".join(
        f"--b{i}\r\nContent-Type: multipart/mixed; boundary=b{i + 1}\r\n\r\n" for i in range(depth)
    )
    return f"Subject: deep\r\nContent-Type: multipart/mixed; boundary=b0\r\n\r\n{parts}".encode()


GARBAGE = [
    b"",
    b"\x00",
    b"\xff\xfe\x00garbage\r\n\r\n\xff",
    bytes(random.Random(7).randrange(256) for _ in range(4096)),
    b"no colon at all\r\njust lines\r\n",
    b"Content-Type: multipart/mixed; boundary=\r\n\r\n--\r\n--",
    b"Content-Type: multipart/report; report-type=delivery-status; boundary=x\r\n\r\n--x\r\n"
    b"Content-Type: message/delivery-status\r\n\r\n\xff\xff: \x00\r\n\r\nAction: \xff\r\n--x",
    b"Content-Type: text/plain; charset=base64\r\nContent-Transfer-Encoding: base64\r\n\r\n!!!notbase64",
    nested_multiparts(3000),
    b"From: "
    + b"(" * 50_000
    + b"\r\nTo: "
    + b'"' * 50_000
    + b"\r\nSubject: "
    + b"=?utf-8?q?" * 10_000
    + b"\r\n\r\n",
    b"To: " + b", ".join(b"user%d@example.com" % i for i in range(30_000)) + b"\r\n\r\nbody",
]


@pytest.mark.parametrize("raw", GARBAGE, ids=range(len(GARBAGE)))
def test_garbage_never_raises(raw: bytes) -> None:
    inbound = parse(raw)
    assert inbound.kind is InboundKind.OTHER
    assert inbound.message_id is None
    assert inbound.from_email is None
    assert inbound.date is None
    assert inbound.bounce is None


def test_mangled_dsn_that_says_failed_is_a_bounce_with_what_it_tells() -> None:
    raw = (
        b"Content-Type: multipart/report; report-type=delivery-status; boundary=x\r\n\r\n--x\r\n"
        b"Content-Type: message/delivery-status\r\n\r\n\xff\xff: \x00\r\n\r\n"
        b"Final-Recipient: \xff\r\nAction: failed\r\nStatus: 5.x\r\n--x"
    )
    inbound = parse(raw)
    assert inbound.kind is InboundKind.BOUNCE
    assert inbound.bounce == Bounce(recipient=None, status=None, diagnostic=None)


def test_broken_headers_still_tell_what_they_can() -> None:
    raw = (
        b"Message-ID: <<<\r\n"
        b"Date: not a date\r\n"
        b'From: "unterminated\r\n'
        b"To: , ,<>, lead@\r\n"
        b"Subject: =?utf-8?q?broken\r\n"
        b"In-Reply-To: " + ORIGINAL.encode() + b"\r\n"
        b'Content-Type: text/plain; charset="\r\n\r\n'
        b"Thanks!\r\n"
    )
    inbound = parse(raw)
    assert inbound.kind is InboundKind.REPLY
    assert inbound.message_id is None
    assert inbound.date is None
    assert inbound.from_email is None
    assert inbound.to_emails == []
    assert inbound.subject == "=?utf-8?q?broken"
    assert inbound.referenced == [ORIGINAL]
    assert inbound.text == "Thanks!"


def test_new_text_is_what_the_sender_wrote_above_the_quote() -> None:
    message = parse(
        reply(
            to_message_id="<a1@sender.test>",
            from_email="ann@lead.test",
            to_email="me@sender.test",
            body="Yes, send the pricing.\n\nThanks,\nAnn",
        )
    )
    assert message.new_text == "Yes, send the pricing.\n\nThanks,\nAnn"
    assert "wrote:" in message.text
    assert message.preview == "Yes, send the pricing. Thanks, Ann"
