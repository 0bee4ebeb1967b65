"""Operations on many accounts: bulk pause, warmup selections, moves between workspaces of one group."""

import uuid
from collections.abc import Sequence

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from coldsend.accounts import listing
from coldsend.accounts.schemas import WarmupSelection
from coldsend.addresses import normalize_email
from coldsend.clock import utcnow
from coldsend.custom_tag_mappings import service as mapping_service
from coldsend.errors import BadRequest, Conflict, Forbidden, NotFound
from coldsend.models import Account, AccountStatus, GroupMemberStatus, ResourceType, WorkspaceGroupMember

SHOWN = 10


def _named(emails: Sequence[str]) -> str:
    more = f" and {len(emails) - SHOWN} more" if len(emails) > SHOWN else ""
    return ", ".join(emails[:SHOWN]) + more


async def require_existing(session: AsyncSession, *, workspace_id: uuid.UUID, emails: Sequence[str]) -> None:
    """404 naming the addresses that are not accounts of the workspace."""
    found = await _existing(session, workspace_id, emails)
    missing = [email for email in dict.fromkeys(emails) if email not in found]
    if missing:
        raise NotFound(f"Accounts not found in this workspace: {_named(missing)}")


async def _existing(session: AsyncSession, workspace_id: uuid.UUID, emails: Sequence[str]) -> set[str]:
    found: set[str] = set()
    for chunk in mapping_service.batched(set(emails)):
        found.update(
            await session.scalars(
                select(Account.email).where(Account.workspace_id == workspace_id, Account.email.in_(chunk))
            )
        )
    return found


async def pause_many(
    session: AsyncSession, *, workspace_id: uuid.UUID, emails: Sequence[str]
) -> tuple[list[str], list[str]]:
    """(paused, failed): each distinct address once, in the order given; failed = invalid, unknown or
    already paused."""
    paused: list[str] = []
    failed: list[str] = []
    wanted: dict[str, str] = {}
    for raw in dict.fromkeys(emails):
        try:
            wanted[raw] = normalize_email(raw)
        except ValueError:
            failed.append(raw)
    accounts = {
        account.email: account
        for account in await session.scalars(
            select(Account)
            .where(Account.workspace_id == workspace_id, Account.email.in_(set(wanted.values())))
            .with_for_update()
        )
    }
    now = utcnow()
    for raw, email in wanted.items():
        account = accounts.get(email)
        if account is None or account.status == AccountStatus.PAUSED:
            failed.append(raw)
            continue
        account.status = AccountStatus.PAUSED
        account.status_message = None
        account.timestamp_updated = now
        paused.append(raw)
    await session.flush()
    return paused, failed


def check_selection(selection: WarmupSelection) -> None:
    if not selection.include_all_emails and not selection.emails:
        raise BadRequest("body must have required property 'emails' (or include_all_emails set to true)")


async def selected_emails(
    session: AsyncSession, *, workspace_id: uuid.UUID, selection: WarmupSelection
) -> list[str]:
    """The workspace's accounts a warmup request names: its emails, or all matching its filter and search."""
    if not selection.include_all_emails:
        found = await _existing(session, workspace_id, selection.emails or [])
        return [email for email in dict.fromkeys(selection.emails or []) if email in found]
    chosen = selection.filter
    filters = listing.Filters(
        search=selection.search.strip() if selection.search and selection.search.strip() else None,
        filter=chosen.filter if chosen else None,
        tag_ids=(chosen.tag_id,) if chosen and chosen.tag_id else None,
    )
    stmt = select(Account.email).where(*listing.where(workspace_id, filters)).order_by(Account.email)
    excluded = set(selection.excluded_emails or ())
    return [email for email in await session.scalars(stmt) if email not in excluded]


async def _group_of(session: AsyncSession, admin_workspace_id: uuid.UUID) -> set[uuid.UUID]:
    """The admin workspace and the sub workspaces that accepted to join its group."""
    subs = await session.scalars(
        select(WorkspaceGroupMember.sub_workspace_id).where(
            WorkspaceGroupMember.admin_workspace_id == admin_workspace_id,
            WorkspaceGroupMember.status == GroupMemberStatus.ACCEPTED,
        )
    )
    return {admin_workspace_id, *subs}


async def move(
    session: AsyncSession,
    *,
    admin_workspace_id: uuid.UUID,
    emails: Sequence[str],
    source: uuid.UUID,
    destination: uuid.UUID,
) -> int:
    """Move accounts between two workspaces of the key's admin group; every one or none. Their tags
    stay behind (tags belong to a workspace); how many moved."""
    if source == destination:
        raise BadRequest("source_workspace_id and destination_workspace_id must differ")
    group = await _group_of(session, admin_workspace_id)
    if source not in group or destination not in group:
        raise Forbidden(
            "Moving accounts needs an API key of the admin workspace whose group holds both the source "
            "and the destination workspace"
        )
    wanted = list(dict.fromkeys(emails))
    await require_existing(session, workspace_id=source, emails=wanted)
    taken = sorted(await _existing(session, destination, wanted))
    if taken:
        raise Conflict(f"The destination workspace already has accounts with these emails: {_named(taken)}")
    await mapping_service.forget_resource(
        session, workspace_id=source, resource_type=ResourceType.ACCOUNT, resource_ids=wanted
    )
    for chunk in mapping_service.batched(wanted):
        await session.execute(
            update(Account)
            .where(Account.workspace_id == source, Account.email.in_(chunk))
            .values(workspace_id=destination, timestamp_updated=utcnow())
            .execution_options(synchronize_session=False)
        )
    return len(wanted)
