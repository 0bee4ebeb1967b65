"""The account a finished OAuth session connects: created with the provider's mail servers, or, when the
workspace already has the address, given the new tokens (which ends a connection error). Either way the
session is a success and the activity is in the audit log, as done by the key that started the session."""

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from coldsend import encryption
from coldsend.audit_logs import service as audit_log_service
from coldsend.clock import utcnow
from coldsend.config import Settings
from coldsend.models import Account, AccountStatus, ActivityType, OAuthSession, OAuthSessionStatus
from coldsend.oauth import client, tokens
from coldsend.oauth.providers import Provider
from coldsend.principal import Principal


def _starter(row: OAuthSession) -> Principal:
    return Principal(
        workspace_id=row.workspace_id,
        key_workspace_id=row.key_workspace_id,
        api_key_id=row.api_key_id,
        scopes=frozenset(),
        ip_address=row.ip_address,
        user_agent=row.user_agent,
    )


def _use_provider_servers(settings: Settings, account: Account, provider: Provider) -> None:
    """The provider's SMTP and IMAP servers, logged in to as the mailbox (XOAUTH2: no password)."""
    account.smtp_host, account.smtp_port, account.smtp_tls = (
        provider.smtp.host,
        provider.smtp.port,
        provider.smtp.tls,
    )
    account.imap_host, account.imap_port, account.imap_tls = (
        provider.imap.host,
        provider.imap.port,
        provider.imap.tls,
    )
    account.smtp_username = account.imap_username = account.email
    account.smtp_password_encrypted = encryption.encrypt(settings, "")
    account.imap_password_encrypted = None


def _new_account(row: OAuthSession, provider: Provider, person: client.Identity) -> Account:
    first_name, _, last_name = person.name.strip().partition(" ")
    return Account(
        workspace_id=row.workspace_id,
        email=person.email,
        first_name=first_name,
        last_name=last_name.strip(),
        provider_code=int(provider.code),
        status=AccountStatus.ACTIVE,
    )


async def connect(
    session: AsyncSession,
    settings: Settings,
    row: OAuthSession,
    provider: Provider,
    issued: client.Tokens,
    person: client.Identity,
    *,
    now: datetime,
) -> Account:
    account = await session.scalar(
        select(Account)
        .where(Account.workspace_id == row.workspace_id, Account.email == person.email)
        .with_for_update()
    )
    created = account is None
    if account is None:
        account = _new_account(row, provider, person)
        _use_provider_servers(settings, account, provider)
        session.add(account)
    else:
        if account.oauth_provider != provider.name:
            _use_provider_servers(
                settings, account, provider
            )  # was a password account, or the other provider
        if account.status == AccountStatus.CONNECTION_ERROR:
            account.status = AccountStatus.ACTIVE
            account.status_message = None
        account.provider_code = int(provider.code)
        account.timestamp_updated = utcnow()
    account.oauth_provider = provider.name
    tokens.store(settings, account, issued)
    await session.flush()
    metadata = {"email": account.email, "provider": provider.name, "oauth_session_id": row.id}
    if created:
        await audit_log_service.record(
            session, _starter(row), ActivityType.ACCOUNT_ADDITION, metadata=metadata
        )
    else:
        metadata["action"] = "oauth_reconnect"
        await audit_log_service.record(session, _starter(row), ActivityType.ACCOUNT_UPDATE, metadata=metadata)
    row.status = OAuthSessionStatus.SUCCESS
    row.email, row.name, row.account_id, row.completed_at = account.email, person.name, account.id, now
    return account
