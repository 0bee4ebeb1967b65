"""Raw inbound messages as real mail servers and clients write them (CRLF line ends): replies,
auto-replies, DSN and plain-text bounces. Each carries a fresh Message-ID and the current time."""

import base64
import secrets
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta, timezone
from email.header import Header
from email.utils import format_datetime
from html import escape

CRLF = "\r\n"
# Replies come from people in other time zones: the Date header is not in UTC.
SENDER_ZONE = timezone(timedelta(hours=2))
ORIGINAL_SUBJECT = "Hello"
ORIGINAL_BODY = "Hi,\n\nI wanted to reach out about your outbound pipeline.\n\nBest,\nSam"
OUT_OF_OFFICE_BODY = (
    "Thank you for your email. I am out of the office until Monday with limited access to email.\n"
    "For urgent matters please contact office@example.org."
)


def raw_message(headers: Sequence[tuple[str, str]], body: str) -> bytes:
    """`Name: value` lines, a blank line and the body, all with CRLF line ends."""
    head = "".join(f"{name}: {value}{CRLF}" for name, value in headers)
    return (head + CRLF + crlf(body)).encode()


def crlf(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\n", CRLF)


def new_message_id(domain: str) -> str:
    return f"<{secrets.token_hex(12)}.{secrets.token_hex(4)}@{domain}>"


def now_header() -> str:
    return format_datetime(datetime.now(UTC).astimezone(SENDER_ZONE).replace(microsecond=0))


def now_stamp() -> str:
    return datetime.now(UTC).strftime("%Y%m%d%H%M%S")


def domain_of(address: str) -> str:
    return address.rpartition("@")[2]


def display_name(address: str) -> str:
    """`ada.lovelace@x` -> `Ada Lovelace`."""
    local = address.rpartition("@")[0]
    return " ".join(word.capitalize() for word in local.replace("_", ".").split(".") if word)


def subject_header(subject: str) -> str:
    return subject if subject.isascii() else Header(subject, "utf-8").encode()


def text_part_body(text: str) -> tuple[list[tuple[str, str]], str]:
    """Content headers and body of a UTF-8 text/plain part: 7bit if ASCII, else base64."""
    return _encoded_part("text/plain", text)


def _encoded_part(content_type: str, content: str) -> tuple[list[tuple[str, str]], str]:
    headers = [("Content-Type", f'{content_type}; charset="UTF-8"')]
    if content.isascii():
        return [*headers, ("Content-Transfer-Encoding", "7bit")], content
    encoded = base64.encodebytes(crlf(content).encode()).decode()
    return [*headers, ("Content-Transfer-Encoding", "base64")], encoded


def _part(headers: list[tuple[str, str]], body: str) -> str:
    return "".join(f"{name}: {value}\n" for name, value in headers) + "\n" + body.rstrip("\n") + "\n"


def _multipart(boundary: str, parts: list[str], preamble: str = "") -> str:
    body = preamble + "\n" if preamble else ""
    for part in parts:
        body += f"--{boundary}\n{part}"
    return body + f"--{boundary}--\n"


def _boundary() -> str:
    return f"000000000000{secrets.token_hex(10)}"


def _quoted_original(to_email: str) -> str:
    quoted = "\n".join(f"> {line}".rstrip() for line in ORIGINAL_BODY.split("\n"))
    return f"On {now_header()}, {to_email} wrote:\n{quoted}\n"


def _quoted_original_html(to_email: str) -> str:
    original = "<br>".join(escape(line) for line in ORIGINAL_BODY.split("\n"))
    return (
        f'<div class="gmail_quote"><div dir="ltr" class="gmail_attr">On {escape(now_header())}, '
        f"&lt;{escape(to_email)}&gt; wrote:<br></div>"
        '<blockquote class="gmail_quote" style="margin:0px 0px 0px 0.8ex;border-left:1px solid '
        f'rgb(204,204,204);padding-left:1ex">{original}</blockquote></div>'
    )


def _received(from_email: str, to_email: str) -> str:
    return (
        f"from mail.{domain_of(from_email)} (mail.{domain_of(from_email)} [203.0.113.25])\r\n"
        f"\tby mx.{domain_of(to_email)} (Postfix) with ESMTPS id 4Xq{secrets.token_hex(4).upper()}\r\n"
        f"\tfor <{to_email}>; {now_header()}"
    )


def _thread_headers(to_message_id: str, references: list[str] | None = None) -> list[tuple[str, str]]:
    chain = [*(references or []), to_message_id]
    return [("In-Reply-To", to_message_id), ("References", "\r\n ".join(chain))]


def reply(
    *,
    to_message_id: str,
    from_email: str,
    to_email: str,
    body: str = "Sounds interesting, tell me more.",
    subject: str = "Re: Hello",
    references: list[str] | None = None,
    html: bool = False,
) -> bytes:
    """A person's reply to `to_message_id`, quoting it below an "On <date>, <to_email> wrote:" line;
    `html` makes it multipart/alternative (text and HTML) as Gmail writes it."""
    headers = [
        ("Return-Path", f"<{from_email}>"),
        ("Received", _received(from_email, to_email)),
        ("MIME-Version", "1.0"),
        ("Date", now_header()),
        ("Message-ID", new_message_id(domain_of(from_email))),
        ("From", f"{display_name(from_email)} <{from_email}>"),
        ("To", f"<{to_email}>"),
        ("Subject", subject_header(subject)),
        *_thread_headers(to_message_id, references),
    ]
    text = f"{body}\n\n{_quoted_original(to_email)}"
    if not html:
        content_headers, content = text_part_body(text)
        return raw_message([*headers, *content_headers], content)
    html_body = f'<div dir="ltr">{escape(body)}</div><br>{_quoted_original_html(to_email)}'
    boundary = _boundary()
    parts = [_part(*_encoded_part("text/plain", text)), _part(*_encoded_part("text/html", html_body))]
    content_type = ("Content-Type", f'multipart/alternative; boundary="{boundary}"')
    return raw_message([*headers, content_type], _multipart(boundary, parts))


def auto_reply(*, to_message_id: str, from_email: str, to_email: str, style: str = "rfc3834") -> bytes:
    """An out-of-office answer to `to_message_id`. Styles: "rfc3834" (`Auto-Submitted: auto-replied`, a
    plain subject), "outlook" ("Automatic reply: ..." with `X-Auto-Response-Suppress: All`), "subject"
    (only an "Out of Office: ..." subject)."""
    headers = [
        ("Return-Path", f"<{from_email}>"),
        ("Received", _received(from_email, to_email)),
        ("Date", now_header()),
        ("Message-ID", new_message_id(domain_of(from_email))),
        ("From", f"{display_name(from_email)} <{from_email}>"),
        ("To", f"<{to_email}>"),
        *_thread_headers(to_message_id),
        ("MIME-Version", "1.0"),
    ]
    if style == "rfc3834":
        headers += [("Subject", "Thank you for your message"), ("Auto-Submitted", "auto-replied")]
    elif style == "outlook":
        headers += [
            ("Subject", f"Automatic reply: {ORIGINAL_SUBJECT}"),
            ("Thread-Topic", ORIGINAL_SUBJECT),
            ("Thread-Index", "AQHbP0xkVx2yQm3b0kqK3Jd1vW5bXg=="),
            ("X-MS-Has-Attach", ""),
            ("X-Auto-Response-Suppress", "All"),
            ("X-MS-Exchange-Inbox-Rules-Loop", from_email),
            ("Content-Language", "en-US"),
        ]
    elif style == "subject":
        headers.append(("Subject", f"Out of Office: {ORIGINAL_SUBJECT}"))
    else:
        raise ValueError(f"unknown auto-reply style {style!r}")
    content_headers, content = text_part_body(OUT_OF_OFFICE_BODY)
    return raw_message([*headers, *content_headers], content)


def _original_headers(original_message_id: str, sender: str, recipient: str) -> str:
    return (
        f"Return-Path: <{sender}>\n"
        f"Received: from app.{domain_of(sender)} (app.{domain_of(sender)} [198.51.100.10])\n"
        f"\tby mail.{domain_of(sender)} (Postfix) with ESMTPSA id 4XqAB12CDz;\n\t{now_header()}\n"
        "DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=example.com; s=cs;\n"
        "\th=from:to:subject:date:message-id; bh=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=;\n"
        "\tb=dGVzdA==\n"
        f"From: Sam Sender <{sender}>\n"
        f"To: {recipient}\n"
        f"Subject: {ORIGINAL_SUBJECT}\n"
        f"Date: {now_header()}\n"
        f"Message-ID: {original_message_id}\n"
        "MIME-Version: 1.0\n"
        'Content-Type: text/plain; charset="UTF-8"\n'
        "Content-Transfer-Encoding: 7bit\n"
    )


def _dsn_notification(reporting_mta: str, recipient: str, action: str, diagnostic: str) -> str:
    if action == "failed":
        opening = (
            "I'm sorry to have to inform you that your message could not\n"
            "be delivered to one or more recipients. It's attached below."
        )
    else:
        opening = (
            "####################################################################\n"
            "# THIS IS A WARNING ONLY.  YOU DO NOT NEED TO RESEND YOUR MESSAGE. #\n"
            "####################################################################\n\n"
            "Your message could not be delivered for 4 hours.\n"
            "It will be retried until it is 5 days old."
        )
    return (
        f"This is the mail system at host {reporting_mta}.\n\n{opening}\n\n"
        "For further assistance, please send mail to postmaster.\n\n"
        "If you do so, please include this problem report. You can\n"
        "delete your own text from the attached returned message.\n\n"
        "                   The mail system\n\n"
        f"<{recipient}>: host mx.{domain_of(recipient)}[203.0.113.7] said: {diagnostic}\n"
        "    (in reply to RCPT TO command)\n"
    )


def dsn_bounce(
    *,
    original_message_id: str,
    recipient: str,
    reporting_mta: str = "mx.example.net",
    status: str = "5.1.1",
    action: str = "failed",
    diagnostic: str = "550 5.1.1 <{recipient}>: Recipient address rejected: User unknown",
    to_email: str = "sender@example.com",
    headers_part: str = "text/rfc822-headers",
) -> bytes:
    """A Postfix delivery status notification (RFC 3464 multipart/report) about `recipient`, returning
    the original's headers as `headers_part` ("text/rfc822-headers" or, with its body, "message/rfc822")."""
    diagnostic = diagnostic.replace("{recipient}", recipient)
    queue_id = f"4Xq{secrets.token_hex(4).upper()}"
    boundary = f"{queue_id}.{secrets.token_hex(5)}/{reporting_mta}"
    subject = (
        "Undelivered Mail Returned to Sender" if action == "failed" else "Delayed Mail (still being retried)"
    )
    delivery_status = (
        f"Reporting-MTA: dns; {reporting_mta}\n"
        f"X-Postfix-Queue-ID: {queue_id}\n"
        f"X-Postfix-Sender: rfc822; {to_email}\n"
        f"Arrival-Date: {now_header()}\n\n"
        f"Final-Recipient: rfc822; {recipient}\n"
        f"Original-Recipient: rfc822;{recipient}\n"
        f"Action: {action}\n"
        f"Status: {status}\n"
        f"Remote-MTA: dns; mx.{domain_of(recipient)}\n"
        f"Diagnostic-Code: smtp; {diagnostic}\n"
    )
    if action == "delayed":
        delivery_status += f"Will-Retry-Until: {now_header()}\n"
    original = _original_headers(original_message_id, to_email, recipient)
    if headers_part == "message/rfc822":
        returned = _part(
            [("Content-Description", "Undelivered Message"), ("Content-Type", "message/rfc822")],
            original + "\n" + ORIGINAL_BODY,
        )
    elif headers_part == "text/rfc822-headers":
        description = "Undelivered Message Headers" if action == "failed" else "Delayed Message Headers"
        returned = _part(
            [("Content-Description", description), ("Content-Type", "text/rfc822-headers")], original
        )
    else:
        raise ValueError(f"unknown headers part {headers_part!r}")
    parts = [
        _part(
            [("Content-Description", "Notification"), ("Content-Type", "text/plain; charset=us-ascii")],
            _dsn_notification(reporting_mta, recipient, action, diagnostic),
        ),
        _part(
            [("Content-Description", "Delivery report"), ("Content-Type", "message/delivery-status")],
            delivery_status,
        ),
        returned,
    ]
    headers = [
        ("Return-Path", "<>"),
        ("Received", f"by {reporting_mta} (Postfix)\r\n\tid {queue_id}; {now_header()}"),
        ("Date", now_header()),
        ("From", f"MAILER-DAEMON@{reporting_mta} (Mail Delivery System)"),
        ("Subject", subject),
        ("To", to_email),
        ("Auto-Submitted", "auto-replied"),
        ("MIME-Version", "1.0"),
        ("Content-Type", f'multipart/report; report-type=delivery-status;\r\n\tboundary="{boundary}"'),
        ("Content-Transfer-Encoding", "8bit"),
        ("Message-Id", f"<{now_stamp()}.{queue_id}@{reporting_mta}>"),
    ]
    return raw_message(headers, _multipart(boundary, parts, "This is a MIME-encapsulated message.\n"))


def plain_bounce(*, original_message_id: str, recipient: str, to_email: str = "sender@example.com") -> bytes:
    """An Exim bounce without a DSN: the failure and the returned message (headers and body) as plain text."""
    reporting_mta = "mx.example.net"
    exim_id = f"1t{secrets.token_hex(3)}-000{secrets.randbelow(1000):03d}-Ab"
    body = (
        "This message was created automatically by mail delivery software.\n\n"
        "A message that you sent could not be delivered to one or more of its\n"
        "recipients. This is a permanent error. The following address(es) failed:\n\n"
        f"<{recipient}>: 550 5.1.1 <{recipient}>: Recipient address rejected:"
        " User unknown in virtual mailbox table\n\n"
        "------ This is a copy of the message, including all the headers. ------\n\n"
        + _original_headers(original_message_id, to_email, recipient)
        + "\n"
        + ORIGINAL_BODY
        + "\n"
    )
    headers = [
        ("Return-Path", "<>"),
        (
            "Received",
            f"from mailnull by {reporting_mta} with local (Exim 4.96)\r\n\tid {exim_id}\r\n"
            f"\tfor {to_email}; {now_header()}",
        ),
        ("X-Failed-Recipients", recipient),
        ("Auto-Submitted", "auto-replied"),
        ("From", f"Mail Delivery System <Mailer-Daemon@{reporting_mta}>"),
        ("To", to_email),
        ("Subject", "Mail delivery failed: returning message to sender"),
        ("Message-Id", f"<E{exim_id}@{reporting_mta}>"),
        ("Date", now_header()),
        ("MIME-Version", "1.0"),
        ("Content-Type", "text/plain; charset=us-ascii"),
    ]
    return raw_message(headers, body)
