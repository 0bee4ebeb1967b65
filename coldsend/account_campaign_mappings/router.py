from datetime import UTC, datetime

from fastapi import APIRouter

from coldsend import errors
from coldsend.account_campaign_mappings import service as mapping_service
from coldsend.account_campaign_mappings.schemas import AccountCampaignMapping
from coldsend.accounts import service as account_service
from coldsend.clock import iso_z
from coldsend.http.auth import Authorized
from coldsend.http.deps import Session
from coldsend.http.pagination import Cursor
from coldsend.http.responses import doc
from coldsend.http.schemas import Page

router = APIRouter(prefix="/api/v2/account-campaign-mappings", tags=["AccountCampaignMapping"])


def _after(raw: str | None) -> datetime | None:
    if raw is None:
        return None
    try:
        moment = datetime.fromisoformat(raw.strip().replace("Z", "+00:00"))
    except ValueError:
        raise errors.BadRequest('querystring/starting_after must match format "date-time"') from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


@router.get(
    "/{email}",
    operation_id="getAccountCampaignMapping",
    response_model=Page[AccountCampaignMapping],
    responses=doc(errors.NotFound),
    openapi_extra={
        "x-coldsend-notes": "Campaigns listing the account in email_list or one of its tags in "
        "email_tag_list, oldest first; cursor = timestamp_created of the last one"
    },
)
async def get_account_campaign_mapping(
    email: str, principal: Authorized, session: Session, cursor: Cursor
) -> Page[AccountCampaignMapping]:
    """Get campaigns associated with an email"""
    after = _after(cursor.starting_after)
    account = await account_service.named(session, workspace_id=principal.workspace_id, email=email)
    rows = await mapping_service.campaigns_of(
        session, workspace_id=principal.workspace_id, email=account.email, after=after
    )
    shown, more = mapping_service.page(rows, cursor.limit)
    items = [
        AccountCampaignMapping(
            campaign_id=row.id,
            campaign_name=row.name,
            timestamp_created=row.timestamp_created,
            status=row.status,
        )
        for row in shown
    ]
    return Page(items=items, next_starting_after=iso_z(shown[-1].timestamp_created) if more else None)
