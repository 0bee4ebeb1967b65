"""What each member role may do, as API-key scopes: a page or action opens exactly when a key holding
these scopes would open the API operation it stands for (`coldsend.http.scopes.ACCEPTED_SCOPES`)."""

from coldsend.http.scopes import RESOURCES
from coldsend.models import MemberRole

# The workspace's own administration: keys, people, the workspace itself, its group and integrations.
ADMINISTRATION = frozenset(
    {"api_keys", "audit_logs", "workspace_members", "workspaces", "workspace_group_members"}
    | {"workspace_billing", "webhooks", "webhook_events", "security_tokens", "auth"}
)
EDITOR_SCOPES = frozenset({"all:read"} | {f"{resource}:all" for resource in RESOURCES - ADMINISTRATION})

ROLE_SCOPES: dict[str, frozenset[str]] = {
    MemberRole.OWNER: frozenset({"all:all"}),
    MemberRole.ADMIN: frozenset({"all:all"}),
    MemberRole.EDITOR: EDITOR_SCOPES,
    MemberRole.VIEW: frozenset({"all:read"}),
    MemberRole.CLIENT: frozenset({"all:read"}),
}


def scopes_of(role: str) -> frozenset[str]:
    return ROLE_SCOPES.get(role, frozenset())
