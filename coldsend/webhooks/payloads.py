"""The JSON a webhook receives for a fact, flat as Instantly posts it.

Always: `timestamp`, `event_type`, `workspace`, `campaign_id`, `campaign_name`. Where they apply:
`lead_email`, `email_account`, `step` and `variant` (1-based), `is_first`, `email_id` (the email to
answer with `reply_to_uuid`: the reply itself for reply events), `email_subject`, `email_text`,
`email_html`, and for replies `reply_text_snippet`, `reply_subject`, `reply_text`, `reply_html` and
`unibox_url`. Then every custom variable of the lead as a top-level key (the fields above win a clash).
"""

import uuid
from dataclasses import dataclass, field
from typing import Any

from coldsend.clock import iso_z
from coldsend.models import Campaign, Email, Lead, WebhookFact
from coldsend.webhooks.facts import CUSTOM_LABEL

# What a subscription name is called in the payload, where the two differ.
PAYLOAD_NAMES = {"email_link_clicked": "link_clicked"}
REPLY_EVENTS = frozenset({"reply_received", "auto_reply_received"})


@dataclass
class Context:
    """The rows a batch of facts refers to, loaded once per batch."""

    public_url: str
    campaigns: dict[uuid.UUID, Campaign] = field(default_factory=dict)
    leads: dict[uuid.UUID, Lead] = field(default_factory=dict)
    emails: dict[uuid.UUID, Email] = field(default_factory=dict)
    labels: dict[tuple[uuid.UUID, int], str] = field(default_factory=dict)  # (workspace, value) -> name


def payload_event_type(fact: WebhookFact, context: Context) -> str:
    if fact.event_type == CUSTOM_LABEL and fact.interest_value is not None:
        return context.labels.get((fact.workspace_id, fact.interest_value), CUSTOM_LABEL)
    return PAYLOAD_NAMES.get(fact.event_type, fact.event_type)


def payload(fact: WebhookFact, context: Context) -> dict[str, Any]:
    campaign = context.campaigns.get(fact.campaign_id) if fact.campaign_id else None
    lead = context.leads.get(fact.lead_id) if fact.lead_id else None
    sent = context.emails.get(fact.email_id) if fact.email_id else None
    reply = context.emails.get(fact.reply_email_id) if fact.reply_email_id else None
    body: dict[str, Any] = {
        "timestamp": iso_z(fact.timestamp),
        "event_type": payload_event_type(fact, context),
        "workspace": str(fact.workspace_id),
        "campaign_id": str(fact.campaign_id) if fact.campaign_id else None,
        "campaign_name": campaign.name if campaign else None,
    }
    if lead is not None:
        body["lead_email"] = lead.email
    account = fact.account_email or (sent.eaccount if sent else None)
    if account:
        body["email_account"] = account
    if fact.step is not None:
        body["step"] = fact.step + 1
        body["variant"] = (fact.variant or 0) + 1
    if fact.is_first is not None:
        body["is_first"] = fact.is_first
    if sent is not None:
        body |= _email_fields(sent)
    if reply is not None:
        body |= _reply_fields(reply, context.public_url)
    if fact.interest_value is not None:
        body["interest_value"] = fact.interest_value
    body |= {key: value for key, value in (fact.detail or {}).items() if key not in body}
    variables = lead.payload if lead is not None and isinstance(lead.payload, dict) else {}
    return {**{key: value for key, value in variables.items() if key not in body}, **body}


def _email_fields(email: Email) -> dict[str, Any]:
    content = email.body or {}
    return {
        "email_id": str(email.id),
        "email_subject": email.subject,
        "email_text": content.get("text"),
        "email_html": content.get("html"),
    }


def _reply_fields(reply: Email, public_url: str) -> dict[str, Any]:
    content = reply.body or {}
    return {
        "email_id": str(reply.id),  # what /emails/reply takes as reply_to_uuid
        "reply_text_snippet": reply.content_preview,
        "reply_subject": reply.subject,
        "reply_text": content.get("text"),
        "reply_html": content.get("html"),
        "unibox_url": f"{public_url}/unibox?email_id={reply.id}",
    }
