"""Who signs in to the dashboard: Argon2id passwords, one-time sign-in links, server-side sessions."""

import functools
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from coldsend.addresses import normalize_email
from coldsend.api_key_secrets import hash_key
from coldsend.clock import utcnow
from coldsend.config import Settings
from coldsend.errors import BadRequest
from coldsend.models import (
    DashboardSession,
    LinkPurpose,
    MemberRole,
    SignInLink,
    User,
    UserPassword,
    WorkspaceMember,
)

MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 1000
LINK_PATH = "/sign-in/link/"
_hasher = PasswordHasher()  # argon2-cffi's defaults: Argon2id, RFC 9106's low-memory profile


@functools.cache
def _dummy_hash() -> str:
    """Compared against when the address is unknown, so an unknown address costs the same time as a wrong
    password. Made on first use, not at import: every `coldsend` command imports this module."""
    return _hasher.hash(secrets.token_urlsafe(16))


def check_password_rules(password: str, confirmation: str) -> None:
    if password != confirmation:
        raise BadRequest("The two passwords differ")
    if not MIN_PASSWORD_LENGTH <= len(password) <= MAX_PASSWORD_LENGTH:
        raise BadRequest(f"A password has {MIN_PASSWORD_LENGTH} to {MAX_PASSWORD_LENGTH} characters")


def _matches(stored: str, password: str) -> bool:
    try:
        return _hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


async def set_password(session: AsyncSession, user: User, password: str) -> None:
    row = await session.scalar(select(UserPassword).where(UserPassword.user_id == user.id))
    if row is None:
        session.add(UserPassword(user_id=user.id, password_hash=_hasher.hash(password)))
    else:
        row.password_hash = _hasher.hash(password)
    # A new password ends every session signed in with the old one.
    await session.execute(delete(DashboardSession).where(DashboardSession.user_id == user.id))
    await session.flush()


async def has_password(session: AsyncSession, user: User) -> bool:
    return await session.scalar(select(UserPassword.id).where(UserPassword.user_id == user.id)) is not None


async def user_by_email(session: AsyncSession, email: str) -> User | None:
    try:
        address = normalize_email(email)
    except ValueError:
        return None
    user: User | None = await session.scalar(select(User).where(User.email == address))
    return user


async def check_credentials(session: AsyncSession, email: str, password: str) -> User | None:
    """The user when the address has this password; None otherwise (in the same time either way)."""
    user = await user_by_email(session, email)
    stored = None
    if user is not None:
        stored = await session.scalar(
            select(UserPassword.password_hash).where(UserPassword.user_id == user.id)
        )
    if not _matches(stored or _dummy_hash(), password) or user is None or stored is None:
        return None
    if _hasher.check_needs_rehash(stored):
        await set_password(session, user, password)
    return user


async def memberships(session: AsyncSession, user_id: uuid.UUID) -> list[WorkspaceMember]:
    """The user's memberships, the workspace they own first."""
    rows = await session.scalars(
        select(WorkspaceMember).where(WorkspaceMember.user_id == user_id).order_by(WorkspaceMember.id)
    )
    return sorted(rows, key=lambda member: member.role != MemberRole.OWNER)


# One-time links


async def create_link(
    session: AsyncSession, settings: Settings, *, user: User, workspace_id: uuid.UUID, purpose: LinkPurpose
) -> str:
    """A new link's path (the token is in it, shown once); earlier unused links of the user stop working."""
    await session.execute(
        delete(SignInLink).where(SignInLink.user_id == user.id, SignInLink.used_at.is_(None))
    )
    token = secrets.token_urlsafe(32)
    session.add(
        SignInLink(
            token_hash=hash_key(token),
            user_id=user.id,
            workspace_id=workspace_id,
            purpose=purpose,
            expires_at=utcnow() + timedelta(hours=settings.sign_in_link_hours),
        )
    )
    await session.flush()
    return LINK_PATH + token


async def live_link(session: AsyncSession, token: str) -> SignInLink | None:
    link: SignInLink | None = await session.scalar(
        select(SignInLink).where(SignInLink.token_hash == hash_key(token))
    )
    if link is None or link.used_at is not None or _aware(link.expires_at) <= utcnow():
        return None
    return link


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=utcnow().tzinfo)


async def use_link(
    session: AsyncSession, link: SignInLink, *, password: str, email: str | None = None
) -> User:
    """Set the password through the link (the setup link may also choose the sign-in address); the link
    is spent, and an invited member counts as joined."""
    user = await session.get(User, link.user_id)
    assert user is not None
    if link.purpose == LinkPurpose.INVITE and await has_password(session, user):
        # A workspace's admin holds the invitation link: it must not set the password of someone who
        # already signs in elsewhere (their other workspaces would be the admin's).
        raise BadRequest("You have a password already: sign in with it to work in this workspace")
    if email is not None and link.purpose == LinkPurpose.SETUP:
        await _change_email(session, user, email)
    await set_password(session, user, password)
    link.used_at = utcnow()
    member = await session.scalar(
        select(WorkspaceMember).where(
            WorkspaceMember.user_id == user.id, WorkspaceMember.workspace_id == link.workspace_id
        )
    )
    if member is not None and not member.accepted:
        member.accepted = True
    await session.flush()
    return user


async def _change_email(session: AsyncSession, user: User, email: str) -> None:
    try:
        address = normalize_email(email)
    except ValueError:
        raise BadRequest("That is not an email address") from None
    if address == user.email:
        return
    if await session.scalar(select(User.id).where(User.email == address)) is not None:
        raise BadRequest(f"{address} already belongs to another person")
    user.email = address
    members = await session.scalars(select(WorkspaceMember).where(WorkspaceMember.user_id == user.id))
    for member in members:
        member.email = member.user_email = address


# Sessions


@dataclass(frozen=True, slots=True)
class Opened:
    token: str  # for the cookie, never stored
    row: DashboardSession


async def open_session(
    session: AsyncSession,
    settings: Settings,
    *,
    user: User,
    workspace_id: uuid.UUID,
    ip_address: str | None,
    user_agent: str | None,
) -> Opened:
    token = secrets.token_urlsafe(32)
    now = utcnow()
    row = DashboardSession(
        token_hash=hash_key(token),
        user_id=user.id,
        member_workspace_id=workspace_id,
        workspace_id=workspace_id,
        csrf_token=secrets.token_urlsafe(32),
        last_seen_at=now,
        expires_at=now + timedelta(days=settings.dashboard_session_days),
        ip_address=ip_address,
        user_agent=(user_agent or "")[:500] or None,
    )
    session.add(row)
    await session.flush()
    return Opened(token=token, row=row)


async def live_session(session: AsyncSession, settings: Settings, token: str) -> DashboardSession | None:
    """The session of a cookie, unless it expired (idle or absolute); its last use noted."""
    row: DashboardSession | None = await session.scalar(
        select(DashboardSession).where(DashboardSession.token_hash == hash_key(token))
    )
    if row is None:
        return None
    now = utcnow()
    idle = timedelta(minutes=settings.dashboard_idle_minutes)
    if _aware(row.expires_at) <= now or _aware(row.last_seen_at) + idle <= now:
        await session.delete(row)
        await session.flush()
        return None
    if now - _aware(row.last_seen_at) > timedelta(minutes=1):
        row.last_seen_at = now
        await session.flush()
    return row


async def close_session(session: AsyncSession, row: DashboardSession) -> None:
    await session.delete(row)
    await session.flush()
