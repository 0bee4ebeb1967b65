"""Who warms up with whom: a pool is one workspace's accounts with warmup on, or (with
COLDSEND_WARMUP_GROUP_POOL) an admin workspace's and those of its group's sub workspaces together.

A member sends and receives warmup mail while its warmup is on (warmup_status 1) and the account is active:
an account in connection error, paused, or whose spam folder cannot be found (-2) takes no part until that
changes. Each member's mailbox provider is found from its domain's MX hosts (Google, Microsoft, or other),
falling back to the account's provider_code, and kept on its ramp row.
"""

import uuid
from collections.abc import Sequence

from sqlalchemy import exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from coldsend.addresses import email_key
from coldsend.config import Settings
from coldsend.dns import mx_hosts
from coldsend.models import (
    Account,
    AccountStatus,
    GroupMemberStatus,
    PlacementSeed,
    ProviderCode,
    WarmupRamp,
    WarmupStatus,
    WorkspaceGroupMember,
)
from coldsend.warmup.plan import Member

GOOGLE = "google"
MICROSOFT = "microsoft"
OTHER = "other"
_MX_SUFFIXES = {
    GOOGLE: ("google.com", "googlemail.com"),
    MICROSOFT: ("outlook.com", "office365.com", "hotmail.com", "microsoft.com"),
}
_BY_CODE = {ProviderCode.GOOGLE: GOOGLE, ProviderCode.MICROSOFT: MICROSOFT}
# Warmup statuses that keep a mailbox in the pool's reads (a -2 mailbox is read to see if its spam
# folder came back).
READ_STATUSES = (WarmupStatus.ACTIVE, WarmupStatus.SPAM_FOLDER_UNKNOWN)


def domain_of(email: str) -> str:
    return email_key(email)[1].lower()


async def pool_of(session: AsyncSession, workspace_id: uuid.UUID, settings: Settings) -> uuid.UUID:
    """The pool a workspace's accounts warm up in: its own, or its admin workspace's when groups share."""
    if not settings.warmup_group_pool:
        return workspace_id
    admin = await session.scalar(
        select(WorkspaceGroupMember.admin_workspace_id).where(
            WorkspaceGroupMember.sub_workspace_id == workspace_id,
            WorkspaceGroupMember.status == GroupMemberStatus.ACCEPTED,
        )
    )
    return admin or workspace_id


async def workspaces_of(session: AsyncSession, pool_id: uuid.UUID, settings: Settings) -> list[uuid.UUID]:
    """The workspaces whose accounts make up the pool."""
    found = [pool_id]
    if settings.warmup_group_pool:
        subs = await session.scalars(
            select(WorkspaceGroupMember.sub_workspace_id).where(
                WorkspaceGroupMember.admin_workspace_id == pool_id,
                WorkspaceGroupMember.status == GroupMemberStatus.ACCEPTED,
            )
        )
        found.extend(subs)
    return found


async def active_pools(session: AsyncSession, settings: Settings) -> list[uuid.UUID]:
    """Every pool with at least one account whose warmup is on."""
    workspaces = await session.scalars(
        select(Account.workspace_id).where(Account.warmup_status == WarmupStatus.ACTIVE).distinct()
    )
    pools = {await pool_of(session, workspace_id, settings) for workspace_id in workspaces}
    return sorted(pools)


async def accounts_of(
    session: AsyncSession, workspace_ids: Sequence[uuid.UUID], *, all_enabled: bool = False
) -> list[Account]:
    """The pool's members (warmup on, account active, IMAP set), or with `all_enabled` every account
    of the pool whose warmup is on or in a warmup error, whatever its status. Inbox placement seeds
    never warm up."""
    conditions = (
        [Account.warmup_status != WarmupStatus.PAUSED]
        if all_enabled
        else [
            Account.warmup_status == WarmupStatus.ACTIVE,
            Account.status == AccountStatus.ACTIVE,
            Account.imap_host.is_not(None),
        ]
    )
    rows = await session.scalars(
        select(Account)
        .where(
            Account.workspace_id.in_(list(workspace_ids)),
            ~exists().where(PlacementSeed.account_id == Account.id),
            *conditions,
        )
        .order_by(Account.email)
    )
    return list(rows)


def classify(hosts: Sequence[str], provider_code: int) -> str:
    for provider, suffixes in _MX_SUFFIXES.items():
        if any(host == suffix or host.endswith("." + suffix) for host in hosts for suffix in suffixes):
            return provider
    codes = {int(code): provider for code, provider in _BY_CODE.items()}
    return codes.get(provider_code, OTHER)


async def ramp_of(session: AsyncSession, account_id: uuid.UUID) -> WarmupRamp:
    """The account's ramp row, created on first use."""
    ramp = await session.get(WarmupRamp, account_id)
    if ramp is None:
        ramp = WarmupRamp(account_id=account_id, days=0, volume=0, slow_days=0)
        session.add(ramp)
        await session.flush()
    return ramp


async def members(session: AsyncSession, accounts: Sequence[Account], settings: Settings) -> list[Member]:
    """The accounts as pairing sees them, each provider looked up once (by MX) and kept."""
    found = []
    for account in accounts:
        ramp = await ramp_of(session, account.id)
        if ramp.provider is None:
            hosts = await mx_hosts(domain_of(account.email), nameservers=settings.dns_nameservers)
            ramp.provider = classify(hosts, account.provider_code)
        found.append(Member(account.id, account.email, domain_of(account.email), ramp.provider))
    return found
