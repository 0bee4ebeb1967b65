"""Mapping rows as toggle-resource will write them once accounts and campaigns exist.

Until then no resource can be tagged over HTTP, so tests that need mappings store them directly.
"""

import uuid

from fastapi import FastAPI

from coldsend.db.session import session_scope
from coldsend.models import CustomTagMapping, ResourceType


async def insert_mappings(
    app: FastAPI,
    workspace_id: uuid.UUID,
    tag_id: str,
    resource_ids: list[str],
    resource_type: ResourceType = ResourceType.CAMPAIGN,
) -> None:
    async with session_scope(app.state.sessionmaker) as session:
        session.add_all(
            CustomTagMapping(
                workspace_id=workspace_id,
                tag_id=uuid.UUID(tag_id),
                resource_type=resource_type,
                resource_id=resource_id,
            )
            for resource_id in resource_ids
        )
