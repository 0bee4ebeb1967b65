"""What a bounce does to a send and its lead, whether the server refused the recipient during the SMTP
transaction or a delivery report came back later.

A hard bounce (no such user or domain, the address moved, a permanent refusal of the address) stops the
lead as bounced at once. A soft one (mailbox full, message too large, a temporary policy, the delivery
expired) sends the same step again after `soft_bounce_retry_seconds`, with the same Message-ID, up to
`soft_bounce_retries` times; the next soft bounce after that stops the lead as bounced too. Each soft
bounce that is tried again is one `soft_bounced` event of the step (its count says how often); the
`bounced` event that stops a lead says which kind stopped it.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import ColumnElement, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from coldsend.campaigns import flows
from coldsend.config import Settings
from coldsend.events import event_row
from coldsend.events import record as record_events
from coldsend.leads.lifecycle import stop_lead
from coldsend.mail.failures import Severity, reply_severity
from coldsend.models import Email, EventType, Lead, LeadStatus, Send, SendState

# Lead statuses a bounce overrides: a lead that unsubscribed or was skipped keeps saying so.
BOUNCEABLE = (LeadStatus.ACTIVE, LeadStatus.PAUSED, LeadStatus.COMPLETED)


@dataclass(frozen=True, slots=True)
class SoftBounceRetry:
    retries: int  # soft bounces of one step that are tried again; the next one stops the lead
    delay: timedelta

    @classmethod
    def from_settings(cls, settings: Settings) -> "SoftBounceRetry":
        return cls(settings.soft_bounce_retries, timedelta(seconds=settings.soft_bounce_retry_seconds))


@dataclass(frozen=True, slots=True)
class Bounced:
    """One bounce of a send: its kind, and what to record (`status diagnostic`, or the SMTP reply)."""

    severity: Severity
    detail: str | None
    account_email: str | None = None  # the sending account, when the send row may not name it yet

    @classmethod
    def refusal(cls, reply: str, account_email: str) -> "Bounced":
        """The server refused the recipient during the SMTP transaction with `reply`."""
        return cls(reply_severity(reply), reply, account_email)


class Recorded(StrEnum):
    RETRIED = "retried"  # a soft bounce: the step goes again later
    STOPPED = "stopped"  # the lead stopped as bounced
    NOTHING = "nothing"  # the send was no longer in the expected state: another party recorded it first


async def record_bounce(
    session: AsyncSession,
    send: Send,
    bounced: Bounced,
    retry: SoftBounceRetry,
    *,
    now: datetime,
    where: ColumnElement[bool],
) -> Recorded:
    """A bounce of `send`, while it is in the state `where` describes: tried again later (a soft bounce
    under the bound) or the lead stopped as bounced."""
    if bounced.severity is Severity.SOFT and send.soft_bounces < retry.retries:
        retried = await _try_again(session, send, bounced, retry, now=now, where=where)
        return Recorded.RETRIED if retried else Recorded.NOTHING
    stopped = await _stop(session, send, bounced, now=now, where=where)
    return Recorded.STOPPED if stopped else Recorded.NOTHING


async def _try_again(
    session: AsyncSession,
    send: Send,
    bounced: Bounced,
    retry: SoftBounceRetry,
    *,
    now: datetime,
    where: ColumnElement[bool],
) -> bool:
    moved = await _transition(
        session,
        send,
        where,
        state=SendState.RETRY,
        due_at=now + retry.delay,
        attempts=0,
        soft_bounces=Send.soft_bounces + 1,
        sent_at=None,
        lease_owner=None,
        lease_expires_at=None,
        last_error=bounced.detail,
    )
    if not moved:
        return False
    await _record(session, send, EventType.SOFT_BOUNCED, bounced, now)
    # The step is owed again: a lead (and a campaign) that this step completed is active until it goes.
    if send.subsequence_id is None:
        await flows.reopen(session, send.campaign_id)
    await session.execute(
        update(Lead)
        .where(Lead.id == send.lead_id, Lead.status == LeadStatus.COMPLETED, Lead.email_reply_count == 0)
        .values(status=LeadStatus.ACTIVE, timestamp_updated=now)
        .execution_options(synchronize_session=False)
    )
    return True


async def _stop(
    session: AsyncSession, send: Send, bounced: Bounced, *, now: datetime, where: ColumnElement[bool]
) -> bool:
    """The lead stops as bounced. A send still in the SMTP transaction ends bounced; one that went out and
    bounced later keeps its sent state (its Email row says what went)."""
    in_transaction = (SendState.SENDING, SendState.COMMITTED)
    if send.state in in_transaction:
        moved = await _transition(
            session,
            send,
            where,
            state=SendState.BOUNCED,
            sent_at=None,
            lease_owner=None,
            lease_expires_at=None,
            last_error=bounced.detail,
        )
        if not moved:
            return False
    await _record(session, send, EventType.BOUNCED, bounced, now)
    await stop_lead(session, send.lead_id, LeadStatus.BOUNCED, now=now, replacing=BOUNCEABLE)
    return True


async def _transition(
    session: AsyncSession, send: Send, where: ColumnElement[bool], **values: object
) -> bool:
    result = await session.execute(
        update(Send)
        .where(Send.id == send.id, where)
        .values(**values)
        .returning(Send.id)
        .execution_options(synchronize_session=False)
    )
    return result.scalar_one_or_none() is not None


async def _record(
    session: AsyncSession, send: Send, event_type: str, bounced: Bounced, now: datetime
) -> None:
    email_id = await session.scalar(select(Email.id).where(Email.send_id == send.id).limit(1))
    row = event_row(
        send,
        event_type,
        timestamp=now,
        email_id=email_id,
        account_email=bounced.account_email,
        detail=bounced.detail,
        severity=bounced.severity,
    )
    await record_events(session, [row])
