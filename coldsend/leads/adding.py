"""POST /leads/add: the fast bulk add, each lead counted in exactly one of its counters."""

import uuid
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from coldsend.addresses import normalize_email
from coldsend.audit_logs import service as audit_log_service
from coldsend.block_list_entries import service as block_list_service
from coldsend.ids import new_id_texts
from coldsend.leads import repository as lead_repository
from coldsend.leads.schemas import (
    LeadIn,
    LeadsAdd,
    unstorable_variable,
)
from coldsend.leads.service import SkipFlags, check_container
from coldsend.models import ActivityType
from coldsend.principal import Principal
from coldsend.verification.jobs import enqueue_lead_verification
from coldsend.workspace_members.membership import check_members

# (index in the batch, id, email, first_name, last_name, phone) of a lead uploaded
Uploaded = tuple[int, str, str | None, str | None, str | None, str | None]


@dataclass
class AddResult:
    total_sent: int
    created: list[Uploaded] = field(default_factory=list)
    in_blocklist: int = 0
    duplicated_leads: int = 0
    skipped_count: int = 0
    invalid_email_count: int = 0
    incomplete_count: int = 0
    duplicate_email_count: int = 0
    refused: list[tuple[int, str]] = field(default_factory=list)  # (index, reason), counted as skipped


def _sort_batch(
    add_in: LeadsAdd, result: AddResult
) -> tuple[list[tuple[int, LeadIn, str | None]], list[str]]:
    """The leads worth a look (index, lead, normalised email) and their distinct emails; counts the rest."""
    for_list = add_in.list_id is not None
    kept: list[tuple[int, LeadIn, str | None]] = []
    seen: set[str] = set()
    for index, lead_in in enumerate(add_in.leads):
        if lead_in.custom_variables and (refused := unstorable_variable(lead_in.custom_variables)):
            result.refused.append((index, f"body/leads/{index}/{refused}"))
            result.skipped_count += 1
            continue
        raw = (lead_in.email or "").strip()
        if not raw:
            if for_list and (lead_in.first_name or lead_in.last_name):
                kept.append((index, lead_in, None))
            elif for_list:
                result.incomplete_count += 1
            else:
                result.invalid_email_count += 1
            continue
        try:
            email = normalize_email(raw)
        except ValueError:
            result.invalid_email_count += 1
            continue
        if email in seen:
            result.duplicate_email_count += 1
            continue
        seen.add(email)
        kept.append((index, lead_in, email))
    return kept, list(seen)


async def add_many(session: AsyncSession, principal: Principal, *, add_in: LeadsAdd) -> AddResult:
    """Bulk add: one block-list query, one query for existing leads, one INSERT for the new ones.

    Each lead lands in exactly one counter: invalid (or incomplete, for lists), repeated in the batch,
    in the block list, already in this campaign/list (`duplicated_leads`), skipped by a `skip_if_in_*`
    flag, or uploaded.
    """
    workspace_id = principal.workspace_id
    campaign_id, list_id = add_in.campaign_id, add_in.list_id
    await check_container(session, workspace_id=workspace_id, campaign_id=campaign_id, list_id=list_id)
    assignees = [add_in.assigned_to, *(lead.assigned_to for lead in add_in.leads)]
    await check_members(session, workspace_id=workspace_id, user_ids=assignees, field="body/assigned_to")
    result = AddResult(total_sent=len(add_in.leads))
    kept, emails = _sort_batch(add_in, result)
    blocked = await block_list_service.blocked(session, workspace_id=workspace_id, addresses=emails)
    here: set[str] = set()
    elsewhere: set[str] = set()
    flags = SkipFlags(
        in_workspace=bool(add_in.skip_if_in_workspace),
        in_campaign=bool(add_in.skip_if_in_campaign),
        in_list=bool(add_in.skip_if_in_list),
    )
    candidates = [email for email in emails if email not in blocked]
    wide = flags.any
    await lead_repository.hold_lead_writes(
        session, workspace_id=workspace_id, container_id=campaign_id or list_id, workspace_wide=wide
    )
    for email, lead_campaign, lead_list in await lead_repository.existing(
        session,
        workspace_id=workspace_id,
        emails=candidates,
        campaign_id=None if wide else campaign_id,
        list_id=None if wide else list_id,
    ):
        if (lead_campaign, lead_list) == (campaign_id, list_id):
            here.add(email)
        elif flags.skips(lead_campaign, lead_list):
            elsewhere.add(email)
    rows: list[tuple[Any, ...]] = []
    ids = iter(new_id_texts(len(kept)))
    lead_values, assigned_to = lead_repository.lead_values, add_in.assigned_to
    for index, lead_in, address in kept:
        if address is not None:
            if address in blocked:
                result.in_blocklist += 1
                continue
            if address in here:
                result.duplicated_leads += 1
                continue
            if address in elsewhere:
                result.skipped_count += 1
                continue
        fields = lead_in.__dict__  # pydantic keeps a model's field values there; quicker than getattr
        lead_id = next(ids)
        rows.append((lead_id, *lead_values(fields, email=address, assigned_to=assigned_to)))
        result.created.append(
            (index, lead_id, address, fields["first_name"], fields["last_name"], fields["phone"])
        )
    if rows:
        await lead_repository.insert_many(
            session, rows, workspace_id=workspace_id, campaign_id=campaign_id, list_id=list_id
        )
        if add_in.verify_leads_on_import:
            await enqueue_lead_verification(
                session, workspace_id=workspace_id, lead_ids=[uuid.UUID(row[0]) for row in rows]
            )
        await audit_log_service.record(
            session,
            principal,
            ActivityType.LEAD_ADDED,
            affected_count=len(rows),
            campaign_id=campaign_id,
            list_id=list_id,
        )
    return result
