"""What a message found in an account's INBOX does: a reply, auto-reply or bounce to a send of ours is
recorded (Email row, event, lead counters) and stops the lead's sequence when the campaign says so; a
hard bounce stops the lead, a soft one sends the step again later (see `sends.bounces`); a spam
complaint unsubscribes the lead, as its unsubscribe link would.

A message is tied to a send by the Message-IDs it points at (In-Reply-To and References of a reply, the
returned headers of a bounce or complaint); a bounce or complaint naming no Message-ID of ours falls back
to the newest send from this account to the address it names.
"""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from coldsend.addresses import email_key
from coldsend.config import Settings
from coldsend.events import record_event
from coldsend.ids import new_id
from coldsend.leads.lifecycle import stop_lead
from coldsend.mail.failures import Severity
from coldsend.mail.inbound import Inbound, InboundKind
from coldsend.models import Account, Campaign, Email, EmailType, EventType, Lead, LeadStatus, Send, SendState
from coldsend.sends.bounces import Bounced, Recorded, SoftBounceRetry, record_bounce
from coldsend.subsequences import triggers
from coldsend.tracking.service import unsubscribe
from coldsend.warmup import recognise

DELIVERED = (SendState.SENT, SendState.COMMITTED)
# A reply from one of these does not speak for everybody else at the same domain.
SHARED_MAIL_DOMAINS = frozenset(
    {
        "gmail.com", "googlemail.com", "outlook.com", "hotmail.com", "live.com", "msn.com", "yahoo.com",
        "ymail.com", "icloud.com", "me.com", "mac.com", "aol.com", "proton.me", "protonmail.com",
        "gmx.com", "gmx.de", "gmx.net", "web.de", "mail.com", "yandex.ru", "mail.ru", "qq.com", "163.com",
        "zoho.com", "fastmail.com",
    }
)  # fmt: skip
# Lead statuses a reply completes.
REPLY_STOPPABLE = (LeadStatus.ACTIVE, LeadStatus.PAUSED)


# Column sizes of the Email row (longer values, which only broken or hostile mail has, are cut).
ADDRESS_LENGTH = 320
MESSAGE_ID_LENGTH = 998


def _clip(value: str | None, length: int) -> str | None:
    return None if value is None else value[:length]


class Outcome(StrEnum):
    REPLY = "reply"
    AUTO_REPLY = "auto_reply"
    BOUNCE = "bounce"
    SOFT_BOUNCE = "soft_bounce"  # the step is sent again later
    COMPLAINT = "complaint"
    ALREADY_SEEN = "already_seen"
    UNRELATED = "unrelated"  # concerns no send of ours
    WARMUP = "warmup"  # warmup mail, an answer to it or a report about it: the warmup loop's business


# Outcomes that leave nothing recorded.
NOT_HANDLED = (Outcome.ALREADY_SEEN, Outcome.UNRELATED, Outcome.WARMUP)


async def _send_by_message_ids(
    session: AsyncSession, workspace_id: uuid.UUID, message_ids: Sequence[str]
) -> Send | None:
    """The delivered send named first in `message_ids` (most specific first)."""
    if not message_ids:
        return None
    found = {
        send.message_id: send
        for send in await session.scalars(
            select(Send).where(
                Send.workspace_id == workspace_id,
                Send.message_id.in_(list(message_ids)),
                Send.state.in_(DELIVERED),
            )
        )
    }
    return next((found[message_id] for message_id in message_ids if message_id in found), None)


async def _send_to_address(session: AsyncSession, account: Account, address: str) -> Send | None:
    newest: Send | None = await session.scalar(
        select(Send)
        .join(Lead, Lead.id == Send.lead_id)
        .where(Send.account_id == account.id, Send.state.in_(DELIVERED), Lead.email == address)
        .order_by(Send.sent_at.desc())
        .limit(1)
    )
    return newest


async def _matching_send(session: AsyncSession, account: Account, message: Inbound) -> Send | None:
    send = await _send_by_message_ids(session, account.workspace_id, message.referenced)
    named = message.bounce or message.complaint
    if send is None and named is not None and named.recipient:
        send = await _send_to_address(session, account, named.recipient)
    return send


async def _stop_company(session: AsyncSession, lead: Lead, *, now: datetime) -> None:
    """`stop_for_company`: the campaign's other leads at the replier's company domain stop too."""
    domain = (lead.company_domain or (email_key(lead.email)[1] if lead.email else "")).lower()
    if not domain or domain in SHARED_MAIL_DOMAINS or lead.campaign_id is None:
        return
    colleagues = await session.scalars(
        select(Lead.id).where(
            Lead.campaign_id == lead.campaign_id,
            Lead.id != lead.id,
            Lead.company_domain == domain,
            Lead.status.in_([int(status) for status in REPLY_STOPPABLE]),
        )
    )
    for colleague in colleagues:
        await stop_lead(session, colleague, LeadStatus.COMPLETED, now=now, replacing=REPLY_STOPPABLE)


async def _already_recorded(session: AsyncSession, account: Account, message_id: str) -> bool:
    found = await session.scalar(
        select(Email.id).where(
            Email.workspace_id == account.workspace_id,
            Email.message_id == message_id,
            Email.eaccount == account.email,
            Email.ue_type == EmailType.RECEIVED,
        )
    )
    return found is not None


@dataclass(frozen=True, slots=True)
class Answered:
    """The send a message answers, from which account, to which lead."""

    account: Account
    send: Send
    lead: Lead


async def _record_email(
    session: AsyncSession, answered: Answered, message: Inbound, message_id: str, now: datetime
) -> uuid.UUID:
    account, send, lead = answered.account, answered.send, answered.lead
    thread_id = await session.scalar(select(Email.thread_id).where(Email.send_id == send.id))
    email = Email(
        id=new_id(),
        workspace_id=account.workspace_id,
        timestamp_email=message.date or now,
        message_id=message_id,
        subject=message.subject,
        from_address_email=_clip(message.from_email, ADDRESS_LENGTH),
        to_address_email_list=",".join(message.to_emails),
        cc_address_email_list=",".join(message.cc_emails) or None,
        reply_to=_clip(message.reply_to, ADDRESS_LENGTH),
        body={"text": message.text, "html": message.html or None},
        campaign_id=send.campaign_id,
        subsequence_id=send.subsequence_id,
        lead=lead.email,
        lead_id=lead.id,
        eaccount=account.email,
        ue_type=EmailType.RECEIVED,
        is_unread=1,
        is_auto_reply=int(message.kind is InboundKind.AUTO_REPLY),
        thread_id=thread_id or str(send.id),
        in_reply_to=_clip(message.in_reply_to, MESSAGE_ID_LENGTH),
        references=" ".join(message.references) or None,
        content_preview=message.preview,
        from_address_json=[{"address": message.from_email, "name": message.from_name or ""}],
        to_address_json=[{"address": address, "name": ""} for address in message.to_emails],
        cc_address_json=[{"address": address, "name": ""} for address in message.cc_emails] or None,
        timestamp_created=now,
        timestamp_updated=now,
    )
    session.add(email)
    await session.flush()
    return email.id


async def _reply(
    session: AsyncSession, answered: Answered, message: Inbound, message_id: str, now: datetime
) -> Outcome:
    send, lead = answered.send, answered.lead
    automatic = message.kind is InboundKind.AUTO_REPLY
    email_id = await _record_email(session, answered, message, message_id, now)
    await record_event(
        session,
        send,
        EventType.AUTO_REPLIED if automatic else EventType.REPLIED,
        now=now,
        webhook_detail={"reply_email_id": email_id},
    )
    campaign = await session.get(Campaign, send.campaign_id)
    stops = campaign is not None and (
        bool(campaign.stop_on_auto_reply) if automatic else campaign.stop_on_reply is not False
    )
    if stops:
        await stop_lead(session, lead.id, LeadStatus.COMPLETED, now=now, replacing=REPLY_STOPPABLE)
        if campaign is not None and campaign.stop_for_company and not automatic:
            await _stop_company(session, lead, now=now)
    values: dict[str, object] = {"timestamp_last_touch": now, "timestamp_updated": now}
    if not automatic:
        values |= {
            "email_reply_count": Lead.email_reply_count + 1,
            # Never later than now: a subsequence entered on this reply must not see it as a later one.
            "timestamp_last_reply": min(message.date or now, now),
            "email_replied_step": send.step,
            "email_replied_variant": send.variant,
        }
    await session.execute(
        update(Lead).where(Lead.id == lead.id).values(**values).execution_options(synchronize_session=False)
    )
    if not automatic:
        await triggers.on_reply(session, lead, message.new_text, now)
    return Outcome.AUTO_REPLY if automatic else Outcome.REPLY


_BOUNCE_OUTCOMES = {
    Recorded.RETRIED: Outcome.SOFT_BOUNCE,
    Recorded.STOPPED: Outcome.BOUNCE,
    Recorded.NOTHING: Outcome.ALREADY_SEEN,
}


async def _bounce(
    session: AsyncSession, answered: Answered, message: Inbound, retry: SoftBounceRetry, now: datetime
) -> Outcome:
    send, lead = answered.send, answered.lead
    bounce = message.bounce
    if bounce is not None and bounce.recipient and bounce.recipient != lead.email:
        # Not the lead's address: a cc or bcc copy failed, or the lead's mailbox forwarded the mail
        # (Final-Recipient then names the forward) and the lead is gone all the same.
        campaign = await session.get(Campaign, send.campaign_id)
        copies = [*(campaign.cc_list or []), *(campaign.bcc_list or [])] if campaign else []
        if bounce.recipient in {address.strip().lower() for address in copies}:
            return Outcome.UNRELATED
    if lead.status == LeadStatus.BOUNCED:
        return Outcome.ALREADY_SEEN  # this bounce, read again, or another for the same lead
    detail = " ".join(part for part in (bounce.status, bounce.diagnostic) if part) if bounce else None
    bounced = Bounced(bounce.severity if bounce else Severity.HARD, detail or None)
    # A soft bounce is tried again only from the sent state: a report read twice, or one for a try
    # that is already planned again, changes nothing.
    recorded = await record_bounce(session, send, bounced, retry, now=now, where=Send.state == SendState.SENT)
    return _BOUNCE_OUTCOMES[recorded]


async def _complaint(session: AsyncSession, answered: Answered, message: Inbound, now: datetime) -> Outcome:
    """A spam complaint: recorded, and the lead unsubscribed (and blocked, as the workspace says)."""
    complaint = message.complaint
    detail = (
        " ".join(part for part in (complaint.feedback_type, complaint.user_agent) if part)
        if complaint
        else None
    )
    if not await record_event(session, answered.send, EventType.COMPLAINED, now=now, detail=detail):
        return Outcome.ALREADY_SEEN
    reason = {
        "unsubscribe_reason": "spam_complaint",
        "feedback_type": complaint.feedback_type if complaint else None,
    }
    await unsubscribe(session, answered.send, now=now, webhook_detail=reason)
    return Outcome.COMPLAINT


async def handle(
    session: AsyncSession,
    account: Account,
    message: Inbound,
    *,
    message_id: str,
    retry: SoftBounceRetry,
    now: datetime,
    settings: Settings,
    warmup_token: str | None = None,
) -> Outcome:
    """Record what `message` (found in `account`'s INBOX, identified by `message_id`) means for our sends.

    A reply or auto-reply already recorded (same Message-ID in this mailbox) changes nothing twice.
    Warmup mail (`warmup_token` is its header, if any) and what refers to it are left alone: never a
    reply, a bounce or a Unibox email (a bounce of it slows its sender's warmup).
    """
    ignored = message.kind in (InboundKind.OTHER, InboundKind.DELAY_WARNING)
    if (warmup_token or not ignored) and await recognise.is_warmup(
        session,
        settings,
        token=warmup_token,
        message_id=message.message_id,
        referenced=message.referenced,
        bounce=message.kind is InboundKind.BOUNCE,
    ):
        return Outcome.WARMUP
    if ignored or message.from_email == account.email:
        return Outcome.UNRELATED
    send = await _matching_send(session, account, message)
    if send is None:
        return Outcome.UNRELATED
    lead = await session.get(Lead, send.lead_id)
    if lead is None:
        return Outcome.UNRELATED
    answered = Answered(account=account, send=send, lead=lead)
    if message.kind is InboundKind.BOUNCE:
        return await _bounce(session, answered, message, retry, now)
    if message.kind is InboundKind.COMPLAINT:
        return await _complaint(session, answered, message, now)
    if await _already_recorded(session, account, message_id):
        return Outcome.ALREADY_SEEN
    return await _reply(session, answered, message, message_id, now)
