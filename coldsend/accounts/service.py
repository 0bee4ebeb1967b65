"""Sending accounts: create, read, list, change, pause/resume and delete. Keyed by email in a workspace."""

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from coldsend import encryption as secrets
from coldsend.accounts import health, login_check
from coldsend.accounts.mailbox_settings import Sessions
from coldsend.accounts.schemas import AccountCreate, AccountUpdate
from coldsend.addresses import normalize_email
from coldsend.clock import utcnow
from coldsend.config import Settings
from coldsend.custom_tag_mappings import service as mapping_service
from coldsend.errors import BadRequest, NotFound
from coldsend.mail.tls import implicit_tls_mode
from coldsend.models import Account, AccountStatus, ResourceType

DUPLICATE = "An account with this email already exists in this workspace"
ERROR_STATUSES = frozenset(
    {AccountStatus.CONNECTION_ERROR, AccountStatus.SOFT_BOUNCE_ERROR, AccountStatus.SENDING_ERROR}
)
# Body fields stored as they come (the others are secrets, mail server settings or flags).
PLAIN_FIELDS = (
    "first_name",
    "last_name",
    "daily_limit",
    "tracking_domain_name",
    "tracking_domain_status",
    "enable_slow_ramp",
    "inbox_placement_test_limit",
    "sending_gap",
    "signature",
    "reply_to",
)
SERVER_FIELDS = ("host", "port", "username")


async def get(session: AsyncSession, *, workspace_id: uuid.UUID, email: str) -> Account | None:
    """The workspace's account with this (normalised) address; another workspace's is as good as missing."""
    account: Account | None = await session.scalar(
        select(Account).where(Account.workspace_id == workspace_id, Account.email == email)
    )
    return account


async def named(session: AsyncSession, *, workspace_id: uuid.UUID, email: str) -> Account:
    """The workspace's account named by a path's (URL-decoded) email: 400 if malformed, 404 if unknown."""
    try:
        address = normalize_email(email)
    except ValueError:
        raise BadRequest('params/email must match format "email"') from None
    account = await get(session, workspace_id=workspace_id, email=address)
    if account is None:
        raise NotFound()
    return account


def _warmup(warmup: dict[str, Any] | None, custom_ftag: str | None) -> dict[str, Any] | None:
    if custom_ftag is not None:
        warmup = {**(warmup or {}), "warmup_custom_ftag": custom_ftag}
    return warmup


async def create(
    session: AsyncSession,
    settings: Settings,
    sessions: Sessions,
    *,
    workspace_id: uuid.UUID,
    account_in: AccountCreate,
) -> Account:
    if await get(session, workspace_id=workspace_id, email=account_in.email) is not None:
        raise BadRequest(DUPLICATE)
    given = account_in.model_dump(include=set(PLAIN_FIELDS), exclude_unset=True)
    warmup = account_in.warmup.model_dump(exclude_none=True) if account_in.warmup else None
    account = Account(
        workspace_id=workspace_id,
        email=account_in.email,
        provider_code=int(account_in.provider_code),
        status=AccountStatus.ACTIVE,
        warmup=_warmup(warmup, account_in.warmup_custom_ftag),
        smtp_host=account_in.smtp_host,
        smtp_port=account_in.smtp_port,
        smtp_username=account_in.smtp_username,
        smtp_password_encrypted=secrets.encrypt(settings, account_in.smtp_password),
        smtp_tls=account_in.smtp_tls or implicit_tls_mode(account_in.smtp_port),
        imap_host=account_in.imap_host,
        imap_port=account_in.imap_port,
        imap_username=account_in.imap_username,
        imap_password_encrypted=secrets.encrypt(settings, account_in.imap_password),
        imap_tls=account_in.imap_tls or implicit_tls_mode(account_in.imap_port),
        **given,
    )
    failing = await login_check.apply(account, settings, sessions)
    session.add(account)
    try:
        await session.flush()
    except IntegrityError:
        raise BadRequest(DUPLICATE) from None
    if failing:
        await health.note_account_error(session, account)
    return account


def _server_changes(settings: Settings, account_in: AccountUpdate) -> dict[str, Any]:
    """Mail server settings sent in a PATCH; a new port without a TLS mode re-infers the mode."""
    sent = account_in.model_fields_set
    changes: dict[str, Any] = {}
    for protocol in ("smtp", "imap"):
        for name in SERVER_FIELDS:
            if f"{protocol}_{name}" in sent:
                changes[f"{protocol}_{name}"] = getattr(account_in, f"{protocol}_{name}")
        if f"{protocol}_password" in sent:
            password = getattr(account_in, f"{protocol}_password")
            changes[f"{protocol}_password_encrypted"] = secrets.encrypt(settings, password)
        if f"{protocol}_tls" in sent:
            changes[f"{protocol}_tls"] = getattr(account_in, f"{protocol}_tls")
        elif f"{protocol}_port" in sent:
            changes[f"{protocol}_tls"] = implicit_tls_mode(getattr(account_in, f"{protocol}_port"))
    return changes


async def update(
    session: AsyncSession,
    settings: Settings,
    sessions: Sessions,
    account: Account,
    *,
    account_in: AccountUpdate,
) -> list[str]:
    """Apply the sent fields; the names of those that changed (secrets named, never shown)."""
    changes = account_in.model_dump(include=set(PLAIN_FIELDS) & account_in.model_fields_set)
    if "warmup" in account_in.model_fields_set and account_in.warmup is not None:
        changes["warmup"] = {**(account.warmup or {}), **account_in.warmup.model_dump(exclude_none=True)}
    if account_in.remove_tracking_domain:
        changes["tracking_domain_name"] = None
        changes["tracking_domain_status"] = None
    server_changes = _server_changes(settings, account_in)
    changes.update(server_changes)
    changed = []
    for name, value in changes.items():
        if name.endswith("_encrypted") or getattr(account, name) != value:
            setattr(account, name, value)
            changed.append(name.removesuffix("_encrypted"))
    failing = bool(server_changes) and await login_check.apply(account, settings, sessions)
    if changed:
        account.timestamp_updated = utcnow()
        await session.flush()
    if failing:
        await health.note_account_error(session, account)
    return sorted(changed)


async def delete(session: AsyncSession, account: Account) -> None:
    """The account and its tag assignments."""
    await mapping_service.forget_resource(
        session,
        workspace_id=account.workspace_id,
        resource_type=ResourceType.ACCOUNT,
        resource_ids=[account.email],
    )
    await session.delete(account)
    await session.flush()


async def set_status(session: AsyncSession, account: Account, status: AccountStatus) -> bool:
    """Whether the status changed; leaving an error status clears its message."""
    if account.status == status:
        return False
    account.status = status
    if status not in ERROR_STATUSES:
        account.status_message = None
    account.timestamp_updated = utcnow()
    await session.flush()
    return True


async def pause(session: AsyncSession, account: Account) -> bool:
    return await set_status(session, account, AccountStatus.PAUSED)


async def resume(session: AsyncSession, account: Account) -> bool:
    """Back to active from paused, maintenance or an error status."""
    return await set_status(session, account, AccountStatus.ACTIVE)


async def mark_fixed(session: AsyncSession, account: Account) -> bool:
    """An account in an error status (connection, soft bounce, sending) goes back to active."""
    if account.status not in ERROR_STATUSES:
        return False
    return await set_status(session, account, AccountStatus.ACTIVE)
