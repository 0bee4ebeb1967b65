import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from coldsend import addresses, dns
from coldsend.errors import BadRequest, NotFound
from coldsend.ids import new_id
from coldsend.models import MemberRole, User, Workspace, WorkspaceMember

# A workspace created without an owner's email gets an owner of its own (owner+<workspace id>@localhost):
# one owner shared by unrelated workspaces would let each pass for the other's owner.
DEFAULT_OWNER_DOMAIN = "localhost"
VERIFICATION_PREFIX = "_coldsend-verification"
VERIFICATION_VALUE_PREFIX = "coldsend-verification="


async def get_or_create_user(session: AsyncSession, email: str) -> User:
    user = await session.scalar(select(User).where(User.email == email.lower()))
    if user is None:
        user = User(email=email.lower())
        session.add(user)
        await session.flush()
    return user


async def create(session: AsyncSession, *, name: str, owner_email: str | None = None) -> Workspace:
    """A workspace with its owner as an accepted `owner` member; without `owner_email`, a new user."""
    workspace_id = new_id()
    owner = await get_or_create_user(session, owner_email or f"owner+{workspace_id}@{DEFAULT_OWNER_DOMAIN}")
    workspace = Workspace(id=workspace_id, name=name, owner_id=owner.id)
    session.add(workspace)
    await session.flush()
    session.add(
        WorkspaceMember(
            workspace_id=workspace.id,
            user_id=owner.id,
            email=owner.email,
            user_email=owner.email,
            role=MemberRole.OWNER,
            accepted=True,
        )
    )
    await session.flush()
    return workspace


async def get(session: AsyncSession, workspace_id: uuid.UUID) -> Workspace | None:
    return await session.get(Workspace, workspace_id)


async def any_exists(session: AsyncSession) -> bool:
    return await session.scalar(select(Workspace.id).limit(1)) is not None


async def resolve_for_cli(session: AsyncSession, workspace: str | None) -> uuid.UUID:
    """The workspace an operator named, or the only one there is."""
    if workspace:
        try:
            found = await get(session, uuid.UUID(workspace))
        except ValueError:
            found = None
        if found is None:
            raise LookupError(f"no workspace with id {workspace}")
        return found.id
    ids = (await session.scalars(select(Workspace.id).limit(2))).all()
    if len(ids) != 1:
        raise LookupError("name the workspace with --workspace (there is not exactly one)")
    return ids[0]


async def get_current(session: AsyncSession, workspace_id: uuid.UUID) -> Workspace:
    """The workspace a request acts on; it can only be missing if it was purged meanwhile."""
    workspace = await get(session, workspace_id)
    if workspace is None:
        raise NotFound()
    return workspace


async def update(session: AsyncSession, workspace: Workspace, *, changes: dict[str, Any]) -> Workspace:
    for field, value in changes.items():
        setattr(workspace, field, value)
    await session.flush()
    return workspace


def normalize_domain(domain: str) -> str:
    """A lower-case ASCII host name (IDNs in punycode), or BadRequest."""
    try:
        return addresses.normalize_domain(domain)
    except ValueError:
        raise BadRequest('body/domain must match format "hostname"') from None


async def set_whitelabel_domain(session: AsyncSession, workspace: Workspace, *, domain: str) -> Workspace:
    """Setting the same domain again keeps its token, so a published TXT record stays valid."""
    name = normalize_domain(domain)
    if name != workspace.org_client_domain or not workspace.whitelabel_verification_token:
        workspace.org_client_domain = name
        workspace.whitelabel_verification_token = secrets.token_hex(16)
        await session.flush()
    return workspace


async def clear_whitelabel_domain(session: AsyncSession, workspace: Workspace) -> Workspace:
    workspace.org_client_domain = None
    workspace.whitelabel_verification_token = None
    await session.flush()
    return workspace


@dataclass(frozen=True, slots=True)
class VerificationRecord:
    """The TXT record at `name` whose `value` proves control of the whitelabel `domain`."""

    domain: str
    name: str
    value: str


def whitelabel_record(workspace: Workspace) -> VerificationRecord:
    if not workspace.org_client_domain or not workspace.whitelabel_verification_token:
        raise NotFound("No whitelabel domain is set for this workspace")
    return VerificationRecord(
        domain=workspace.org_client_domain,
        name=f"{VERIFICATION_PREFIX}.{workspace.org_client_domain}",
        value=VERIFICATION_VALUE_PREFIX + workspace.whitelabel_verification_token,
    )


async def is_published(record: VerificationRecord, *, nameservers: Sequence[str]) -> bool:
    return record.value in await dns.txt_records(record.name, nameservers=nameservers)


async def change_owner(
    session: AsyncSession, workspace: Workspace, *, email: str, confirmation: str
) -> Workspace:
    """Hand the workspace to an accepted member; the previous owner stays on as an admin."""
    if confirmation.strip().lower() != str(workspace.id):
        raise BadRequest("body/sec must be the id of this workspace, to confirm the change of owner")
    in_workspace = select(WorkspaceMember).where(WorkspaceMember.workspace_id == workspace.id)
    new_owner = await session.scalar(in_workspace.where(WorkspaceMember.email == email.lower()))
    if new_owner is None:
        raise NotFound(f"{email} is not a member of this workspace; invite them first")
    if not new_owner.accepted:
        raise BadRequest(f"{email} has not accepted the invitation to this workspace yet")
    if new_owner.user_id == workspace.owner_id:
        return workspace
    previous = await session.scalar(in_workspace.where(WorkspaceMember.user_id == workspace.owner_id))
    if previous is None:
        owner = await session.get(User, workspace.owner_id)
        assert owner is not None
        previous = WorkspaceMember(
            workspace_id=workspace.id,
            user_id=owner.id,
            email=owner.email,
            user_email=owner.email,
            accepted=True,
        )
        session.add(previous)
    previous.role = MemberRole.ADMIN
    new_owner.role = MemberRole.OWNER
    workspace.owner_id = new_owner.user_id
    await session.flush()
    return workspace
