"""Stored verifications: the per-workspace cache, leases on pending ones, results, credits, and leads."""

import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import and_, case, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from coldsend.clock import utcnow
from coldsend.config import Settings
from coldsend.errors import PaymentRequired
from coldsend.ids import new_id
from coldsend.models import (
    EmailVerification,
    Lead,
    LeadVerificationStatus,
    RequestStatus,
    VerificationStatus,
    WebhookState,
)
from coldsend.verification.probe.outcome import Outcome, Reachability, Reason
from coldsend.verification.schemas import EmailVerification as EmailVerificationShown

_AWAITED_WEBHOOK_DUE = case(
    (EmailVerification.webhook_status == WebhookState.AWAITING, WebhookState.PENDING),
    else_=EmailVerification.webhook_status,
)


@dataclass(frozen=True, slots=True)
class Verdict:
    verification_status: VerificationStatus
    status: RequestStatus
    catch_all: bool


def verdict(outcome: Outcome) -> Verdict:
    """Instantly's three fields for a final outcome: a risky address is deliverable, so it is verified.

    An unknown one (the servers never gave an answer) is not verified: status `error` says why.
    """
    catch_all = bool(outcome.catch_all)
    if outcome.reachability in (Reachability.SAFE, Reachability.RISKY):
        return Verdict(VerificationStatus.VERIFIED, RequestStatus.SUCCESS, catch_all)
    if outcome.reachability is Reachability.INVALID:
        return Verdict(VerificationStatus.INVALID, RequestStatus.SUCCESS, catch_all)
    return Verdict(VerificationStatus.INVALID, RequestStatus.ERROR, catch_all)


def lead_status(outcome: Outcome) -> LeadVerificationStatus:
    if outcome.reachability is Reachability.SAFE:
        return LeadVerificationStatus.VERIFIED
    if outcome.reachability is Reachability.INVALID:
        return LeadVerificationStatus.INVALID
    if outcome.reason is Reason.CATCH_ALL:
        return LeadVerificationStatus.CATCH_ALL
    return LeadVerificationStatus.RISKY


async def apply_to_leads(session: AsyncSession, workspace_id: uuid.UUID, email: str, result: Outcome) -> int:
    """Set `verification_status` on the workspace's leads with this (normalised) address; how many."""
    updated = await session.execute(
        update(Lead)
        .where(Lead.workspace_id == workspace_id, Lead.email == email)
        .values(verification_status=int(lead_status(result)), timestamp_updated=utcnow())
        .returning(Lead.id)
        .execution_options(synchronize_session=False)
    )
    return len(updated.all())


def shown(row: EmailVerification, *, credits: int | None, credits_used: int | None) -> EmailVerificationShown:
    pending = row.verification_status == VerificationStatus.PENDING
    return EmailVerificationShown(
        status=RequestStatus(row.status) if row.status else RequestStatus.SUCCESS,
        email=row.email,
        verification_status=VerificationStatus(row.verification_status),
        catch_all="pending" if pending or row.catch_all is None else row.catch_all,
        credits=credits,
        credits_used=credits_used,
    )


async def get(session: AsyncSession, *, workspace_id: uuid.UUID, email: str) -> EmailVerification | None:
    found: EmailVerification | None = await session.scalar(
        select(EmailVerification).where(
            EmailVerification.workspace_id == workspace_id, EmailVerification.email == email
        )
    )
    return found


async def credits_left(session: AsyncSession, *, workspace_id: uuid.UUID, settings: Settings) -> int | None:
    """What the workspace's allowance leaves; None when it is unlimited."""
    if settings.verify_credits is None:
        return None
    used = await session.scalar(
        select(func.coalesce(func.sum(EmailVerification.credits_used), 0)).where(
            EmailVerification.workspace_id == workspace_id
        )
    )
    return max(0, settings.verify_credits - int(used or 0))


def is_fresh(row: EmailVerification, settings: Settings) -> bool:
    if row.verification_status == VerificationStatus.PENDING:
        return True
    ttl = timedelta(seconds=settings.verify_result_ttl_seconds)
    return row.verified_at is not None and row.verified_at + ttl > utcnow()


async def begin(
    session: AsyncSession,
    *,
    workspace_id: uuid.UUID,
    email: str,
    webhook_url: str | None,
    settings: Settings,
    owner: str,
) -> EmailVerification:
    """A new verification under `owner`'s lease, replacing any expired result; charges one credit.

    Two requests racing for the same address both end up on the one row (insert-or-update).
    """
    left = await credits_left(session, workspace_id=workspace_id, settings=settings)
    if left is not None and left < 1:
        raise PaymentRequired("No email verification credits left in this workspace")
    now = utcnow()
    values: dict[str, Any] = {
        "verification_status": VerificationStatus.PENDING.value,
        "status": None,
        "catch_all": None,
        "reachability": None,
        "reason": None,
        "details": {},
        "attempts": 0,
        "next_attempt_at": now,
        "lease_owner": owner,
        "lease_expires_at": now + timedelta(seconds=settings.verify_lease_seconds),
        "verified_at": None,
        "webhook_url": webhook_url,
        "webhook_status": None,
        "webhook_attempts": 0,
        "webhook_next_at": None,
        "timestamp_updated": now,
    }
    return await _upsert(session, workspace_id=workspace_id, email=email, values=values)


async def _upsert(
    session: AsyncSession,
    *,
    workspace_id: uuid.UUID,
    email: str,
    values: dict[str, Any],
    on_update: dict[str, Any] | None = None,
) -> EmailVerification:
    """Insert the address's row or overwrite it with `values`, charging one credit either way."""
    dialect = postgresql if session.bind.dialect.name == "postgresql" else sqlite
    stmt = dialect.insert(EmailVerification).values(
        id=new_id(),
        workspace_id=workspace_id,
        email=email,
        credits_used=1,
        timestamp_created=utcnow(),
        **values,
    )
    row: EmailVerification = await session.scalar(
        stmt.on_conflict_do_update(
            index_elements=[EmailVerification.workspace_id, EmailVerification.email],
            set_={**values, **(on_update or {}), "credits_used": EmailVerification.credits_used + 1},
        )
        .returning(EmailVerification)
        .execution_options(populate_existing=True)
    )
    return row


async def store_final(session: AsyncSession, *, workspace_id: uuid.UUID, outcome: Outcome) -> None:
    """A result found outside the API (a lead verification job) joins the workspace's cache."""
    now = utcnow()
    found = verdict(outcome)
    values: dict[str, Any] = {
        "verification_status": found.verification_status.value,
        "status": found.status.value,
        "catch_all": found.catch_all,
        "reachability": outcome.reachability.value,
        "reason": outcome.reason.value,
        "details": outcome.as_details(),
        "attempts": int(str(outcome.details.get("attempts", 1))),
        "next_attempt_at": None,
        "lease_owner": None,
        "lease_expires_at": None,
        "verified_at": now,
        "timestamp_updated": now,
    }
    # A POST still waiting on this address gets its webhook with this result.
    on_update = {"webhook_status": _AWAITED_WEBHOOK_DUE, "webhook_next_at": now}
    await _upsert(session, workspace_id=workspace_id, email=outcome.email, values=values, on_update=on_update)


def outcome_of(row: EmailVerification) -> Outcome:
    """The richer result stored with a row (its reachability and reason set)."""
    details = row.details or {}
    return Outcome(
        row.email,
        Reachability(row.reachability or Reachability.UNKNOWN),
        Reason(row.reason or Reason.SMTP_ERROR),
        catch_all=row.catch_all,
        disposable=bool(details.get("disposable")),
        role=bool(details.get("role")),
        mx_host=details.get("mx_host"),
        smtp_code=details.get("smtp_code"),
        smtp_message=details.get("smtp_message"),
    )


async def add_webhook(session: AsyncSession, row: EmailVerification, webhook_url: str) -> None:
    """A verification already running gets the caller's webhook too (one per address: the latest)."""
    await session.execute(
        update(EmailVerification)
        .where(EmailVerification.id == row.id)
        .values(webhook_url=webhook_url, webhook_status=None, webhook_attempts=0)
        .execution_options(synchronize_session=False)
    )


async def answered_pending(session: AsyncSession, row_id: uuid.UUID) -> None:
    """POST answered `pending`: the webhook, if one was given, goes out when the result is known (or now)."""
    await session.execute(
        update(EmailVerification)
        .where(EmailVerification.id == row_id, EmailVerification.webhook_url.is_not(None))
        .values(
            webhook_status=case(
                (EmailVerification.verification_status == VerificationStatus.PENDING, WebhookState.AWAITING),
                else_=WebhookState.PENDING,
            ),
            webhook_next_at=utcnow(),
        )
        .execution_options(synchronize_session=False)
    )


async def record(
    session: AsyncSession,
    *,
    row_id: uuid.UUID,
    owner: str,
    outcome: Outcome,
    attempts: int,
    final: bool,
    retry_in: float,
    keep_lease_for: float | None,
) -> EmailVerification | None:
    """Store an attempt, if `owner` still holds the row: the final result (and the leads'), or a retry time.

    None when the lease was lost: another worker took the row over, and its result counts.
    """
    now = utcnow()
    values: dict[str, Any] = {
        "attempts": attempts,
        "reachability": outcome.reachability.value,
        "reason": outcome.reason.value,
        "details": {**outcome.as_details(), "attempts": attempts},
        "timestamp_updated": now,
    }
    if final:
        found = verdict(outcome)
        values |= {
            "verification_status": found.verification_status.value,
            "status": found.status.value,
            "catch_all": found.catch_all,
            "verified_at": now,
            "next_attempt_at": None,
            "lease_owner": None,
            "lease_expires_at": None,
            "webhook_status": _AWAITED_WEBHOOK_DUE,
            "webhook_next_at": now,
        }
    elif keep_lease_for is not None:
        values |= {"next_attempt_at": now + timedelta(seconds=retry_in)}
        values |= {"lease_expires_at": now + timedelta(seconds=retry_in + keep_lease_for)}
    else:
        values |= {"next_attempt_at": now + timedelta(seconds=retry_in), "lease_owner": None}
        values |= {"lease_expires_at": None}
    row: EmailVerification | None = await session.scalar(
        update(EmailVerification)
        .where(EmailVerification.id == row_id, EmailVerification.lease_owner == owner)
        .values(**values)
        .returning(EmailVerification)
        .execution_options(synchronize_session=False, populate_existing=True)
    )
    if row is not None and final:
        await apply_to_leads(session, row.workspace_id, row.email, outcome)
    return row


def _due(now: Any) -> Any:
    return and_(
        EmailVerification.verification_status == VerificationStatus.PENDING,
        EmailVerification.next_attempt_at <= now,
        or_(EmailVerification.lease_expires_at.is_(None), EmailVerification.lease_expires_at < now),
    )


async def any_due(session: AsyncSession) -> bool:
    """A read first, so an idle poll never opens a write transaction (SQLite has one writer)."""
    found = await session.scalar(select(EmailVerification.id).where(_due(utcnow())).limit(1))
    return found is not None


async def claim_due(
    session: AsyncSession, *, owner: str, limit: int, lease_seconds: float
) -> list[EmailVerification]:
    """Pending verifications due for an attempt whose lease is free or expired, now leased to `owner`."""
    now = utcnow()
    pick = (
        select(EmailVerification.id)
        .where(_due(now))
        .order_by(EmailVerification.next_attempt_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    rows = await session.scalars(
        update(EmailVerification)
        .where(EmailVerification.id.in_(pick.scalar_subquery()), _due(now))
        .values(lease_owner=owner, lease_expires_at=now + timedelta(seconds=lease_seconds))
        .returning(EmailVerification)
        .execution_options(synchronize_session=False)
    )
    return list(rows.all())


async def release(session: AsyncSession, *, owner: str) -> None:
    """Give back the leases of a stopping process, so another takes its pending rows at once."""
    await session.execute(
        update(EmailVerification)
        .where(
            EmailVerification.lease_owner == owner,
            EmailVerification.verification_status == VerificationStatus.PENDING,
        )
        .values(lease_owner=None, lease_expires_at=None)
        .execution_options(synchronize_session=False)
    )
