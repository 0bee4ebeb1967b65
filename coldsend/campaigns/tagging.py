import uuid
from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from coldsend.models import Campaign


def _uuid(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


class CampaignTaggable:
    """Campaigns for custom tags: mappings key a campaign by `str(id)`."""

    async def resolve(
        self, session: AsyncSession, *, workspace_id: uuid.UUID, resource_ids: Sequence[str]
    ) -> dict[str, str]:
        wanted = {resource_id: parsed for resource_id in resource_ids if (parsed := _uuid(resource_id))}
        if not wanted:
            return {}
        found = set(
            await session.scalars(
                select(Campaign.id).where(
                    Campaign.workspace_id == workspace_id, Campaign.id.in_(set(wanted.values()))
                )
            )
        )
        return {resource_id: str(parsed) for resource_id, parsed in wanted.items() if parsed in found}

    async def select_all(
        self, session: AsyncSession, *, workspace_id: uuid.UUID, status_filter: str | None, search: str | None
    ) -> list[str]:
        """Every campaign whose name contains `search`; the account status filters do not apply to
        campaigns, so `status_filter` is ignored."""
        del status_filter
        stmt = select(Campaign.id).where(Campaign.workspace_id == workspace_id).order_by(Campaign.id)
        if search:
            stmt = stmt.where(func.lower(Campaign.name).contains(search.strip().lower(), autoescape=True))
        return [str(campaign_id) for campaign_id in await session.scalars(stmt)]
