"""Seed mailboxes: the user's own test addresses at the providers they care about. A seed is one of the
workspace's accounts marked as a seed (read over the account's IMAP settings; it then never warms up and
never sends campaign mail), or a mailbox registered with its IMAP access only. Its provider comes from
its domain's MX hosts, its region and type from the user (type defaults by domain: Personal at consumer
providers, else Professional)."""

import uuid
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from coldsend import encryption as secrets
from coldsend.accounts import service as account_service
from coldsend.accounts.mailbox_settings import Sessions, imap_endpoint_for
from coldsend.addresses import email_key, normalize_email
from coldsend.config import Settings
from coldsend.db.repository import keyset_page
from coldsend.dns import mx_hosts
from coldsend.errors import BadRequest, Conflict
from coldsend.inbox_placement import providers
from coldsend.inbox_placement.schemas import EspOption, RecipientLabel, SeedCreate
from coldsend.mail.imap import ImapEndpoint
from coldsend.mail.tls import TLS_MODES, TlsMode
from coldsend.models import Account, PlacementSeed

IMAP_FIELDS = "imap_host, imap_port, imap_username and imap_password"


def domain_of(email: str) -> str:
    return email_key(email)[1].lower()


async def create(
    session: AsyncSession, settings: Settings, *, workspace_id: uuid.UUID, seed_in: SeedCreate
) -> PlacementSeed:
    try:
        email = normalize_email(seed_in.email)
    except ValueError:
        raise BadRequest('body/email must match format "email"') from None
    if await session.scalar(
        select(PlacementSeed.id).where(
            PlacementSeed.workspace_id == workspace_id, PlacementSeed.email == email
        )
    ):
        raise Conflict(f"{email} is a seed already")
    seed = PlacementSeed(
        workspace_id=workspace_id,
        email=email,
        region=seed_in.region,
        sub_region=seed_in.sub_region,
        type=seed_in.type or providers.default_type(domain_of(email)),
        esp=seed_in.esp
        or providers.classify(await mx_hosts(domain_of(email), nameservers=settings.dns_nameservers)),
    )
    if seed_in.imap_given():
        if not (seed_in.imap_host and seed_in.imap_port and seed_in.imap_password):
            raise BadRequest(f"a seed reached over IMAP needs {IMAP_FIELDS}")
        seed.imap_host, seed.imap_port = seed_in.imap_host, seed_in.imap_port
        seed.imap_username = seed_in.imap_username or email
        seed.imap_password_encrypted = secrets.encrypt(settings, seed_in.imap_password)
        seed.imap_tls = seed_in.imap_tls or "ssl"
    else:
        account = await account_service.get(session, workspace_id=workspace_id, email=email)
        if account is None:
            raise BadRequest(
                f"{email} is not an account of this workspace: mark an account as a seed by its address, "
                f"or give {IMAP_FIELDS} of the seed mailbox"
            )
        if not account.imap_host:
            raise BadRequest(f"the account {email} has no IMAP settings to read the seed over")
        seed.account_id = account.id
    session.add(seed)
    await session.flush()
    return seed


async def list_page(
    session: AsyncSession, *, workspace_id: uuid.UUID, limit: int, after: uuid.UUID | None
) -> tuple[Sequence[PlacementSeed], bool]:
    stmt = select(PlacementSeed).where(PlacementSeed.workspace_id == workspace_id)
    return await keyset_page(session, stmt, key=PlacementSeed.id, limit=limit, after=after)


async def of_workspace(session: AsyncSession, workspace_id: uuid.UUID) -> list[PlacementSeed]:
    return list(
        await session.scalars(
            select(PlacementSeed)
            .where(PlacementSeed.workspace_id == workspace_id)
            .order_by(PlacementSeed.email)
        )
    )


def option_of(seed: PlacementSeed) -> EspOption:
    return EspOption(region=seed.region, sub_region=seed.sub_region, type=seed.type, esp=seed.esp)


async def esp_options(session: AsyncSession, workspace_id: uuid.UUID) -> list[EspOption]:
    """What the workspace's seeds offer: each (region, sub-region, type, provider) once."""
    options = [option_of(seed) for seed in await of_workspace(session, workspace_id)]
    found = {(option.region, option.sub_region, option.esp, option.type): option for option in options}
    return [found[key] for key in sorted(found)]


def matches(seed: PlacementSeed, labels: Sequence[RecipientLabel]) -> bool:
    """Whether a seed is among the recipients the labels pick (every seed when there are none)."""
    if not labels:
        return True
    return any(
        label.esp.lower() == seed.esp.lower()
        and label.type.lower() == seed.type.lower()
        and label.region.lower() == seed.region.lower()
        and label.sub_region.lower() == seed.sub_region.lower()
        for label in labels
    )


async def recipients(
    session: AsyncSession, workspace_id: uuid.UUID, labels: Sequence[RecipientLabel]
) -> list[PlacementSeed]:
    return [seed for seed in await of_workspace(session, workspace_id) if matches(seed, labels)]


def for_sender(seeds: Sequence[PlacementSeed], sender_email: str) -> list[PlacementSeed]:
    """The seeds a sender's copies go to: never the sender itself, nor a seed on its own domain."""
    domain = domain_of(sender_email)
    return [seed for seed in seeds if seed.email != sender_email.lower() and domain_of(seed.email) != domain]


def imap_endpoint(
    seed: PlacementSeed, account: Account | None, settings: Settings, sessions: Sessions
) -> ImapEndpoint:
    """How the seed is read: its account's IMAP login (password or OAuth), or its own IMAP settings.
    `InvalidToken` if the key changed."""
    if account is not None:
        return imap_endpoint_for(account, settings, sessions)
    security: TlsMode = seed.imap_tls if seed.imap_tls in TLS_MODES else "ssl"
    return ImapEndpoint(
        host=seed.imap_host or "",
        port=seed.imap_port or 993,
        username=seed.imap_username or seed.email,
        password=secrets.decrypt(settings, seed.imap_password_encrypted or ""),
        security=security,
        timeout=settings.imap_timeout_seconds,
        ca_file=str(settings.imap_ca_file) if settings.imap_ca_file else None,
    )
