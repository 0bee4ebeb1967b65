import uuid
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from coldsend.accounts import listing
from coldsend.accounts.schemas import AccountFilter
from coldsend.addresses import email_key
from coldsend.custom_tag_mappings.service import batched
from coldsend.models import Account


class AccountTaggable:
    """Accounts for custom tags: the API names an account by its email, so mappings key it by that
    (lower case), which also lets `/custom-tag-mappings?resource_ids=` take account emails."""

    async def resolve(
        self, session: AsyncSession, *, workspace_id: uuid.UUID, resource_ids: Sequence[str]
    ) -> dict[str, str]:
        wanted = {resource_id: email_key(resource_id)[0] for resource_id in resource_ids}
        found: set[str] = set()
        for chunk in batched(set(wanted.values())):
            found.update(
                await session.scalars(
                    select(Account.email).where(
                        Account.workspace_id == workspace_id, Account.email.in_(chunk)
                    )
                )
            )
        return {resource_id: email for resource_id, email in wanted.items() if email in found}

    async def select_all(
        self, session: AsyncSession, *, workspace_id: uuid.UUID, status_filter: str | None, search: str | None
    ) -> list[str]:
        filters = listing.Filters(
            search=search.strip() if search and search.strip() else None,
            filter=AccountFilter(status_filter) if status_filter else None,
        )
        stmt = select(Account.email).where(*listing.where(workspace_id, filters)).order_by(Account.email)
        return list(await session.scalars(stmt))
