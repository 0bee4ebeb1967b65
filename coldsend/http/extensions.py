"""Operations of Coldsend's own, beyond the Instantly API V2; listed in docs/compatibility.md (Extensions)."""

from coldsend.http.operations import Operation

EXTENSION_KEY = "x-coldsend-extension"

EXTENSIONS: tuple[Operation, ...] = (
    Operation(
        operation_id="acceptWorkspaceGroupMember",
        method="POST",
        path="/api/v2/workspace-group-members/{id}/accept",
        tag="WorkspaceGroupMember",
        scope="workspace_group_members:update",
        summary="Accept an invitation into an admin workspace's group",
    ),
    Operation(
        operation_id="rejectWorkspaceGroupMember",
        method="POST",
        path="/api/v2/workspace-group-members/{id}/reject",
        tag="WorkspaceGroupMember",
        scope="workspace_group_members:update",
        summary="Reject an invitation into an admin workspace's group",
    ),
    Operation(
        operation_id="getWarmupPool",
        method="GET",
        path="/api/v2/accounts/warmup/pool",
        tag="Account",
        scope="accounts:read",
        summary="Report the warmup pool: size, domains, providers, pairs met, warnings",
    ),
    Operation(
        operation_id="getWebhookSecret",
        method="GET",
        path="/api/v2/webhooks/{id}/secret",
        tag="Webhook",
        scope="webhooks:read",
        summary="Get the signing secret of a webhook",
    ),
    Operation(
        operation_id="rotateWebhookSecret",
        method="POST",
        path="/api/v2/webhooks/{id}/secret/rotate",
        tag="Webhook",
        scope="webhooks:update",
        summary="Rotate the signing secret of a webhook",
    ),
    Operation(
        operation_id="replayWebhook",
        method="POST",
        path="/api/v2/webhooks/{id}/replay",
        tag="Webhook",
        scope="webhooks:update",
        summary="Queue a webhook's failed deliveries again",
    ),
)

EXTENSIONS_BY_ID: dict[str, Operation] = {op.operation_id: op for op in EXTENSIONS}
