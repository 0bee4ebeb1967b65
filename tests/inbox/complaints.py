"""Spam complaints as mailbox providers' feedback loops send them: an Abuse Reporting Format report
(RFC 5965) returning the message that was marked as spam."""

import secrets

from tests.inbox.messages import ORIGINAL_BODY, ORIGINAL_SUBJECT, now_header, raw_message


def arf_complaint(
    *,
    original_message_id: str,
    recipient: str,
    to_email: str,
    feedback_type: str = "abuse",
    reporter: str = "fbl.example.net",
) -> bytes:
    """A feedback report from `reporter` about the message `original_message_id` that `to_email` sent
    `recipient`, as RFC 5965's example lays it out (the whole message returned as message/rfc822)."""
    boundary = f"part1_{secrets.token_hex(6)}"
    returned = (
        f"From: Sam Sender <{to_email}>\r\n"
        f"To: {recipient}\r\n"
        f"Subject: {ORIGINAL_SUBJECT}\r\n"
        f"Date: {now_header()}\r\n"
        f"Message-ID: {original_message_id}\r\n"
        "MIME-Version: 1.0\r\n"
        "Content-Type: text/plain; charset=UTF-8\r\n"
        "\r\n"
        f"{ORIGINAL_BODY}\r\n"
    )
    body = (
        "This is a multi-part message in MIME format.\r\n\r\n"
        f"--{boundary}\r\n"
        'Content-Type: text/plain; charset="US-ASCII"\r\n'
        "Content-Transfer-Encoding: 7bit\r\n\r\n"
        "This is an email abuse report for an email message received from IP 198.51.100.10 on "
        f"{now_header()}.\r\nFor more information about this format please see "
        "http://tools.ietf.org/html/rfc5965\r\n\r\n"
        f"--{boundary}\r\n"
        "Content-Type: message/feedback-report\r\n\r\n"
        f"Feedback-Type: {feedback_type}\r\n"
        "User-Agent: SomeGenerator/1.0\r\n"
        "Version: 1\r\n"
        f"Original-Mail-From: <{to_email}>\r\n"
        f"Original-Rcpt-To: <{recipient}>\r\n"
        f"Arrival-Date: {now_header()}\r\n"
        f"Reporting-MTA: dns; mail.{reporter}\r\n"
        "Source-IP: 198.51.100.10\r\n\r\n"
        f"--{boundary}\r\n"
        "Content-Type: message/rfc822\r\n"
        "Content-Disposition: inline\r\n\r\n"
        f"{returned}\r\n"
        f"--{boundary}--\r\n"
    )
    headers = [
        ("From", f"<abuse@{reporter}>"),
        ("Date", now_header()),
        ("Subject", "FW: Earn money"),
        ("To", f"<{to_email}>"),
        ("MIME-Version", "1.0"),
        ("Message-ID", f"<{secrets.token_hex(10)}@{reporter}>"),
        ("Content-Type", f'multipart/report; report-type=feedback-report;\r\n\tboundary="{boundary}"'),
    ]
    return raw_message(headers, body)
