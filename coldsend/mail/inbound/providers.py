"""Notifications a sending provider mails as JSON: Amazon SES bounce and complaint notifications, raw or
in an SNS envelope (`{"Type": "Notification", "Message": "<the notification as a JSON string>"}`)."""

import json
from dataclasses import dataclass
from typing import Any

from coldsend.addresses import address_key
from coldsend.mail.failures import Severity, severity
from coldsend.mail.inbound.headers import message_id_tokens, one_line
from coldsend.mail.inbound.report import ENHANCED_STATUS

_MAX_JSON = 262_144
_MAX_DEPTH = 2  # an SNS envelope around the notification, no deeper
_DSN_TYPE = "smtp;"


@dataclass(frozen=True, slots=True)
class Notification:
    kind: str  # "bounce", "complaint" or "other"
    recipient: str | None
    status: str | None = None
    diagnostic: str | None = None
    severity: Severity = Severity.HARD
    feedback_type: str = "abuse"
    user_agent: str | None = None
    message_ids: tuple[str, ...] = ()  # the Message-ID of the message the notification is about


def provider_notification(text: str) -> Notification | None:
    """The notification a body that is a provider's JSON makes, or None if the body is none."""
    data = _json_object(text)
    for _ in range(_MAX_DEPTH):
        if data is None or not isinstance(data.get("Message"), str):
            break
        data = _json_object(data["Message"])
    if data is None:
        return None
    event = data.get("notificationType") or data.get("eventType")
    if not isinstance(event, str):
        return None
    ids = _message_ids(data.get("mail"))
    if event == "Bounce" and isinstance(data.get("bounce"), dict):
        return _bounce(data["bounce"], ids)
    if event == "Complaint" and isinstance(data.get("complaint"), dict):
        return _complaint(data["complaint"], ids)
    return Notification(kind="other", recipient=None, message_ids=ids)


def _json_object(text: str) -> dict[str, Any] | None:
    stripped = text[:_MAX_JSON].lstrip()
    if not stripped.startswith("{"):
        return None
    try:
        value, _ = json.JSONDecoder(strict=False).raw_decode(stripped)  # long lines get wrapped in transit
    except (ValueError, RecursionError):
        return None
    return value if isinstance(value, dict) else None


def _first(items: object) -> dict[str, Any]:
    if isinstance(items, list) and items and isinstance(items[0], dict):
        return items[0]
    return {}


def _text(value: object) -> str | None:
    return one_line(value) if isinstance(value, str) and value.strip() else None


def _message_ids(mail: object) -> tuple[str, ...]:
    if not isinstance(mail, dict):
        return ()
    common = mail.get("commonHeaders")
    found = message_id_tokens(_text(common.get("messageId")) if isinstance(common, dict) else None)
    headers = mail.get("headers")
    for header in headers if isinstance(headers, list) else []:
        if isinstance(header, dict) and str(header.get("name", "")).lower() == "message-id":
            found += message_id_tokens(_text(header.get("value")))
    return tuple(found)


def _bounce(bounce: dict[str, Any], ids: tuple[str, ...]) -> Notification:
    recipient = _first(bounce.get("bouncedRecipients"))
    diagnostic = _text(recipient.get("diagnosticCode"))
    if diagnostic and diagnostic.lower().startswith(_DSN_TYPE):
        diagnostic = diagnostic[len(_DSN_TYPE) :].strip()
    status_found = ENHANCED_STATUS.search(_text(recipient.get("status")) or "") or ENHANCED_STATUS.search(
        diagnostic or ""
    )
    status = status_found.group() if status_found else None
    kind = bounce.get("bounceType")
    found = Severity.SOFT if kind == "Transient" else Severity.HARD
    if kind not in ("Transient", "Permanent"):  # Undetermined: what the code and the text say
        found = severity(status, diagnostic)
    address = _text(recipient.get("emailAddress"))
    return Notification(
        kind="bounce",
        recipient=address_key(address) if address else None,
        status=status,
        diagnostic=diagnostic,
        severity=found,
        message_ids=ids,
    )


def _complaint(complaint: dict[str, Any], ids: tuple[str, ...]) -> Notification:
    address = _text(_first(complaint.get("complainedRecipients")).get("emailAddress"))
    feedback_type = _text(complaint.get("complaintFeedbackType"))
    return Notification(
        kind="complaint",
        recipient=address_key(address) if address else None,
        feedback_type=(feedback_type or "abuse").lower(),
        user_agent=_text(complaint.get("userAgent")),
        message_ids=ids,
    )
