import uuid
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling: an API key, acting on `workspace_id` (its own, or a sub workspace).

    `api_key_id` is None only for the operator's own `coldsend` CLI, which holds no key.
    """

    workspace_id: uuid.UUID
    key_workspace_id: uuid.UUID
    api_key_id: uuid.UUID | None
    scopes: frozenset[str]
    ip_address: str
    user_agent: str | None
    # The admin workspace that minted the key inside its sub workspace (see ApiKey.admin_workspace_id).
    key_admin_workspace_id: uuid.UUID | None = None

    @property
    def acting_as_admin(self) -> bool:
        """Whether an admin workspace's key acts here through x-as-workspace."""
        return self.workspace_id != self.key_workspace_id

    @property
    def granted_by_admin(self) -> uuid.UUID | None:
        """The admin workspace behind this call, whose group link anything it creates here depends on."""
        return self.key_workspace_id if self.acting_as_admin else self.key_admin_workspace_id
