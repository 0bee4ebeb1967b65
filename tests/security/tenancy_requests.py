"""For each operation of the spec, the requests workspace B makes against workspace A's objects.

Each request has a kind, which says what B may be answered:
  REF   A's object in the path, the body or a filter that names one object: 400/403/404, never a success;
  LIST  a list or a count B may get, filtered by A's objects: a success must show nothing of A's;
  OWN   an operation on B's own workspace that names nothing of A's: a success must show nothing of A's;
  NEW   B creates its own object with a name or value A already uses: it must succeed (uniqueness is per
        workspace, a 409 would tell B what A holds), and is deleted again at `undo` ("{id}": the new id).
Operations missing from the table are called as B with made-up ids and an empty body (kind OWN).
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from tests.analytics.history import SCHEDULE
from tests.security.tenancy_world import World


class Kind(StrEnum):
    REF = "ref"
    LIST = "list"
    OWN = "own"
    NEW = "new"


@dataclass(frozen=True)
class Req:
    kind: Kind
    path: str
    params: dict[str, Any] = field(default_factory=dict)
    json: Any = None
    undo: str | None = None


V2 = "/api/v2"
Requests = Callable[[World], list[Req]]


def ref(path: str, json: Any = None, **params: Any) -> Req:
    return Req(Kind.REF, V2 + path, params, json)


def lst(path: str, json: Any = None, **params: Any) -> Req:
    return Req(Kind.LIST, V2 + path, params, json)


def own(path: str, json: Any = None, **params: Any) -> Req:
    return Req(Kind.OWN, V2 + path, params, json)


def new(path: str, json: Any, undo: str) -> Req:
    return Req(Kind.NEW, V2 + path, {}, json, V2 + undo)


def _message(w: World) -> dict[str, Any]:
    return {"eaccount": w.b_account, "subject": "Hi", "body": {"html": "<p>Hello</p>", "text": "Hello"}}


def _campaign() -> dict[str, Any]:
    return {"name": "Intruder", "campaign_schedule": SCHEDULE}


REQUESTS: dict[str, Requests] = {
    "getAccountCampaignMapping": lambda w: [lst(f"/account-campaign-mappings/{w.account}")],
    "listAccount": lambda w: [
        lst("/accounts", tag_ids=str(w.tag)),
        lst("/accounts", search=w.account),
    ],
    "getAccount": lambda w: [ref(f"/accounts/{w.account}")],
    "patchAccount": lambda w: [ref(f"/accounts/{w.account}", {"first_name": "Mallory"})],
    "deleteAccount": lambda w: [ref(f"/accounts/{w.account}")],
    "enableWarmupForAccounts": lambda w: [ref("/accounts/warmup/enable", {"emails": [w.account]})],
    "disableWarmupForAccounts": lambda w: [ref("/accounts/warmup/disable", {"emails": [w.account]})],
    "getWarmupAnalytics": lambda w: [lst("/accounts/warmup-analytics", {"emails": [w.account]})],
    "getDailyAccountAnalytics": lambda w: [lst("/accounts/analytics/daily", emails=w.account)],
    # The spec answers each address in paused_emails or failed_emails: A's lands in failed_emails.
    "pauseAccounts": lambda w: [lst("/accounts/pause", {"emails": [w.account]})],
    "pauseAccount": lambda w: [ref(f"/accounts/{w.account}/pause")],
    "resumeAccount": lambda w: [ref(f"/accounts/{w.account}/resume")],
    "markAccountFixed": lambda w: [ref(f"/accounts/{w.account}/mark-fixed")],
    "testAccountVitals": lambda w: [ref("/accounts/test/vitals", {"accounts": [w.account]})],
    "moveAccounts": lambda w: [
        ref(
            "/accounts/move",
            {
                "emails": [w.account],
                "source_workspace_id": str(w.a.workspace_id),
                "destination_workspace_id": str(w.b.workspace_id),
            },
        )
    ],
    "createAPIKey": lambda _w: [own("/api-keys", {"name": "intruder", "scopes": ["all:read"]})],
    "deleteAPIKey": lambda w: [ref(f"/api-keys/{w.api_key}")],
    "listBackgroundJob": lambda w: [
        lst("/background-jobs", ids=w.job),
        lst("/background-jobs", entity_id=w.account),
        lst("/background-jobs", entity_id=str(w.campaign)),
    ],
    "listAuditLog": lambda _w: [lst("/audit-logs", search="tenant-a")],
    "createBlockListEntry": lambda _w: [
        new("/block-lists-entries", {"bl_value": "zq-tenant-a.test"}, "/block-lists-entries/{id}")
    ],
    "createCustomTag": lambda _w: [new("/custom-tags", {"label": "zq-tenant-a-tag"}, "/custom-tags/{id}")],
    "getBackgroundJob": lambda w: [ref(f"/background-jobs/{w.job}")],
    "listBlockListEntry": lambda _w: [lst("/block-lists-entries", search="tenant-a")],
    "deleteallBlockListEntry": lambda _w: [lst("/block-lists-entries", search="tenant-a")],
    "getBlockListEntry": lambda w: [ref(f"/block-lists-entries/{w.block}")],
    "patchBlockListEntry": lambda w: [ref(f"/block-lists-entries/{w.block}", {"bl_value": "mallory.test"})],
    "deleteBlockListEntry": lambda w: [ref(f"/block-lists-entries/{w.block}")],
    # Documented: ids of other workspaces are ignored (200 with an empty list); the snapshot checks A's entry.
    "deletebulkBlockListEntry": lambda w: [lst("/block-lists-entries/bulk-delete", {"ids": [str(w.block)]})],
    "downloadBlockListEntry": lambda _w: [lst("/block-lists-entries/download", search="tenant-a")],
    "createCampaign": lambda w: [
        ref("/campaigns", {**_campaign(), "email_list": [w.account]}),
        ref("/campaigns", {**_campaign(), "email_tag_list": [str(w.tag)]}),
    ],
    "listCampaign": lambda w: [lst("/campaigns", tag_ids=str(w.tag)), lst("/campaigns", search="tenant-a")],
    "activateCampaign": lambda w: [ref(f"/campaigns/{w.campaign}/activate")],
    "pauseCampaign": lambda w: [ref(f"/campaigns/{w.campaign}/pause")],
    "getCampaign": lambda w: [ref(f"/campaigns/{w.campaign}")],
    "patchCampaign": lambda w: [
        ref(f"/campaigns/{w.campaign}", {"name": "Mallory"}),
        ref(f"/campaigns/{w.b_campaign}", {"email_list": [w.account]}),
        ref(f"/campaigns/{w.b_campaign}", {"email_tag_list": [str(w.tag)]}),
    ],
    "deleteCampaign": lambda w: [ref(f"/campaigns/{w.campaign}")],
    "searchByContact": lambda w: [lst("/campaigns/search-by-contact", search=w.lead_email)],
    "getCampaignAnalytics": lambda w: [
        ref("/campaigns/analytics", id=str(w.campaign)),
        ref("/campaigns/analytics", ids=str(w.campaign)),
    ],
    "getCampaignAnalyticsOverview": lambda w: [
        ref("/campaigns/analytics/overview", id=str(w.campaign)),
        ref("/campaigns/analytics/overview", ids=str(w.campaign)),
    ],
    "getDailyCampaignAnalytics": lambda w: [ref("/campaigns/analytics/daily", campaign_id=str(w.campaign))],
    "getCampaignStepsAnalytics": lambda w: [ref("/campaigns/analytics/steps", campaign_id=str(w.campaign))],
    "shareCampaign": lambda w: [ref(f"/campaigns/{w.campaign}/share")],
    "createFromExport": lambda w: [ref(f"/campaigns/{w.campaign}/from-export")],
    "exportCampaign": lambda w: [ref(f"/campaigns/{w.campaign}/export")],
    "duplicate": lambda w: [ref(f"/campaigns/{w.campaign}/duplicate")],
    "addVariables": lambda w: [ref(f"/campaigns/{w.campaign}/variables", {"variables": ["mallory"]})],
    "getCampaignSendingStatus": lambda w: [ref(f"/campaigns/{w.campaign}/sending-status")],
    "listCustomTagMapping": lambda w: [
        lst("/custom-tag-mappings", resource_ids=w.account),
        lst("/custom-tag-mappings", resource_ids=str(w.campaign)),
    ],
    "listCustomTag": lambda w: [
        lst("/custom-tags", tag_ids=str(w.tag)),
        lst("/custom-tags", resource_ids=str(w.campaign)),
        lst("/custom-tags", resource_ids=w.account),
    ],
    "getCustomTag": lambda w: [ref(f"/custom-tags/{w.tag}")],
    "patchCustomTag": lambda w: [ref(f"/custom-tags/{w.tag}", {"label": "mallory"})],
    "deleteCustomTag": lambda w: [ref(f"/custom-tags/{w.tag}")],
    "toggleTagResource": lambda w: [
        # Every account of B's gets B's tag; A's account must not.
        lst(
            "/custom-tags/toggle-resource",
            {"tag_ids": [str(w.b_tag)], "resource_type": 1, "selected_all": True, "assign": True},
        ),
        ref(
            "/custom-tags/toggle-resource",
            {
                "tag_ids": [str(w.tag)],
                "resource_type": 2,
                "resource_ids": [str(w.b_campaign)],
                "assign": True,
            },
        ),
        ref(
            "/custom-tags/toggle-resource",
            {
                "tag_ids": [str(w.b_tag)],
                "resource_type": 2,
                "resource_ids": [str(w.campaign)],
                "assign": True,
            },
        ),
        ref(
            "/custom-tags/toggle-resource",
            {"tag_ids": [str(w.tag)], "resource_type": 1, "resource_ids": [w.account], "assign": False},
        ),
    ],
    # Documented: an address that is not one of the workspace's accounts answers {"error": "ACC_NOT_FOUND"}.
    "sendTestEmail": lambda w: [
        lst(
            "/emails/test",
            {**_message(w), "eaccount": w.account, "to_address_email_list": "x@prospect.example.com"},
        )
    ],
    "replyToEmail": lambda w: [ref("/emails/reply", {**_message(w), "reply_to_uuid": str(w.reply)})],
    "forwardEmail": lambda w: [
        ref(
            "/emails/forward",
            {**_message(w), "reply_to_uuid": str(w.reply), "to_address_email_list": "x@y.test"},
        )
    ],
    "listEmail": lambda w: [
        lst("/emails", campaign_id=str(w.campaign)),
        lst("/emails", lead=w.lead_email),
        lst("/emails", eaccount=w.account),
        lst("/emails", search="tenant-a"),
        lst("/emails", list_id=str(w.list_id)),
    ],
    "getEmail": lambda w: [ref(f"/emails/{w.email}"), ref(f"/emails/{w.reply}")],
    "patchEmail": lambda w: [ref(f"/emails/{w.reply}", {"is_unread": 0})],
    "deleteEmail": lambda w: [ref(f"/emails/{w.email}")],
    "countUnreadEmails": lambda _w: [lst("/emails/unread/count")],
    "markThreadAsRead": lambda w: [ref(f"/emails/threads/{w.thread}/mark-as-read")],
    "createLeadLabel": lambda _w: [
        new(
            "/lead-labels",
            {"label": "zq-tenant-a label", "interest_status_label": "positive"},
            "/lead-labels/{id}",
        )
    ],
    "listLeadLabel": lambda _w: [lst("/lead-labels", search="tenant-a")],
    "getLeadLabel": lambda w: [ref(f"/lead-labels/{w.label}")],
    "patchLeadLabel": lambda w: [ref(f"/lead-labels/{w.label}", {"label": "mallory"})],
    "deleteLeadLabel": lambda w: [ref(f"/lead-labels/{w.label}")],
    "testAiReplyLabelLeadLabels": lambda _w: [
        lst("/lead-labels/ai-reply-label", {"reply_text": "Yes, interested"})
    ],
    "createLeadList": lambda _w: [own("/lead-lists", {"name": "Intruder list"})],
    "listLeadList": lambda _w: [lst("/lead-lists", search="tenant-a")],
    "getLeadList": lambda w: [ref(f"/lead-lists/{w.list_id}")],
    "patchLeadList": lambda w: [ref(f"/lead-lists/{w.list_id}", {"name": "Mallory"})],
    "deleteLeadList": lambda w: [ref(f"/lead-lists/{w.list_id}")],
    "getVerificationStats": lambda w: [ref(f"/lead-lists/{w.list_id}/verification-stats")],
    "createLead": lambda w: [
        new("/leads", {"email": w.lead_email, "skip_if_in_workspace": True}, "/leads/{id}"),
        ref("/leads", {"email": "new@prospect.example.com", "campaign": str(w.campaign)}),
        ref("/leads", {"email": "new@prospect.example.com", "list_id": str(w.list_id)}),
    ],
    "bulkDeleteLeads": lambda w: [
        # A's lead ids within B's campaign select nothing (the snapshot checks A's leads).
        lst("/leads", {"campaign_id": str(w.b_campaign), "ids": [str(w.lead), str(w.listed_lead)]}),
        ref("/leads", {"campaign_id": str(w.campaign)}),
        ref("/leads", {"list_id": str(w.list_id)}),
    ],
    "listLeads": lambda w: [
        lst("/leads/list", {"ids": [str(w.lead)]}),
        lst("/leads/list", {"campaign": str(w.campaign)}),
        lst("/leads/list", {"list_id": str(w.list_id)}),
        lst("/leads/list", {"contacts": [w.lead_email]}),
    ],
    "getLead": lambda w: [ref(f"/leads/{w.lead}")],
    "patchLead": lambda w: [ref(f"/leads/{w.lead}", {"first_name": "Mallory"})],
    "deleteLead": lambda w: [ref(f"/leads/{w.lead}")],
    "mergeLeads": lambda w: [
        ref("/leads/merge", {"lead_id": str(w.lead), "destination_lead_id": str(w.b_lead)}),
        ref("/leads/merge", {"lead_id": str(w.b_lead), "destination_lead_id": str(w.lead)}),
    ],
    "updateLeadInterestStatus": lambda w: [
        ref("/leads/update-interest-status", {"lead_email": w.lead_email, "interest_value": 1}),
        ref(
            "/leads/update-interest-status",
            {"lead_email": "victim@prospect.test", "interest_value": 1, "campaign_id": str(w.campaign)},
        ),
    ],
    "removeLeadFromSubsequence": lambda w: [ref("/leads/subsequence/remove", {"id": str(w.lead)})],
    "bulkAssignLeads": lambda w: [
        ref("/leads/bulk-assign", {"organization_user_ids": [str(w.member_user)], "ids": [str(w.b_lead)]}),
        ref(
            "/leads/bulk-assign", {"organization_user_ids": [str(w.member_user)], "campaign": str(w.campaign)}
        ),
    ],
    "moveLeads": lambda w: [
        ref(
            "/leads/move",
            {"ids": [str(w.b_lead)], "campaign": str(w.b_campaign), "to_campaign_id": str(w.campaign)},
        ),
        ref(
            "/leads/move",
            {"ids": [str(w.b_lead)], "campaign": str(w.b_campaign), "to_list_id": str(w.list_id)},
        ),
        ref("/leads/move", {"campaign": str(w.campaign), "to_campaign_id": str(w.b_campaign)}),
    ],
    "moveLeadToSubsequence": lambda w: [
        ref("/leads/subsequence/move", {"id": str(w.lead), "subsequence_id": str(w.b_subsequence)}),
        ref("/leads/subsequence/move", {"id": str(w.b_lead), "subsequence_id": str(w.subsequence)}),
    ],
    "bulkAddLeads": lambda w: [
        ref("/leads/add", {"campaign_id": str(w.campaign), "leads": [{"email": "new@prospect.example.com"}]}),
        ref("/leads/add", {"list_id": str(w.list_id), "leads": [{"email": "new@prospect.example.com"}]}),
    ],
    "createCampaignSubsequence": lambda w: [
        ref(
            "/subsequences",
            {"parent_campaign": str(w.campaign), "name": "x", "conditions": {"crm_status": [1]}},
        )
    ],
    "listCampaignSubsequence": lambda w: [lst("/subsequences", parent_campaign=str(w.campaign))],
    "duplicateSubsequence": lambda w: [
        ref(f"/subsequences/{w.subsequence}/duplicate", {"parent_campaign": str(w.b_campaign), "name": "x"}),
        ref(f"/subsequences/{w.b_subsequence}/duplicate", {"parent_campaign": str(w.campaign), "name": "x"}),
    ],
    "pauseSubsequence": lambda w: [ref(f"/subsequences/{w.subsequence}/pause")],
    "resumeSubsequence": lambda w: [ref(f"/subsequences/{w.subsequence}/resume")],
    "getSubsequenceAnalytics": lambda w: [ref("/subsequences/analytics", campaign_id=str(w.campaign))],
    "getCampaignSubsequence": lambda w: [ref(f"/subsequences/{w.subsequence}")],
    "patchCampaignSubsequence": lambda w: [ref(f"/subsequences/{w.subsequence}", {"name": "Mallory"})],
    "deleteCampaignSubsequence": lambda w: [ref(f"/subsequences/{w.subsequence}")],
    "getSubsequenceStepsAnalytics": lambda w: [ref(f"/subsequences/{w.subsequence}/analytics/steps")],
    "getSubsequenceSendingStatus": lambda w: [ref(f"/subsequences/{w.subsequence}/sending-status")],
    "checkVerificationStatus": lambda w: [lst(f"/email-verification/{w.lead_email}")],
    "createWorkspaceGroupMember": lambda w: [
        ref("/workspace-group-members", {"sub_workspace_id": str(w.a.workspace_id)}),
    ],
    "getWorkspaceGroupMember": lambda w: [ref(f"/workspace-group-members/{w.group_member}")],
    "deleteWorkspaceGroupMember": lambda w: [ref(f"/workspace-group-members/{w.group_member}")],
    "createWorkspaceMember": lambda w: [
        new("/workspace-members", {"email": w.member_email, "role": "view"}, "/workspace-members/{id}")
    ],
    "listWorkspaceMember": lambda _w: [lst("/workspace-members", search="tenant-a")],
    "getWorkspaceMember": lambda w: [ref(f"/workspace-members/{w.member}")],
    "patchWorkspaceMember": lambda w: [ref(f"/workspace-members/{w.member}", {"nickname": "mallory"})],
    "deleteWorkspaceMember": lambda w: [ref(f"/workspace-members/{w.member}")],
    "changeWorkspaceOwner": lambda w: [
        ref("/workspaces/current/change-owner", {"email": w.member_email, "sec": str(w.b.workspace_id)}),
        ref("/workspaces/current/change-owner", {"email": w.member_email, "sec": str(w.a.workspace_id)}),
    ],
    # B's own workspace: removal is scheduled and cancelled again by the next operation.
    "scheduleCurrentWorkspaceRemoval": lambda _w: [own("/workspaces/current/schedule-for-removal")],
    "cancelCurrentWorkspaceRemoval": lambda _w: [own("/workspaces/current/schedule-for-removal")],
}

# owned_by / assigned_to naming a user of A's (a member check, owned by the workspace-admin-model work).
MEMBER_REQUESTS: dict[str, Requests] = {
    "createCampaign": lambda w: [ref("/campaigns", {**_campaign(), "owned_by": str(w.member_user)})],
    "patchCampaign": lambda w: [ref(f"/campaigns/{w.b_campaign}", {"owned_by": str(w.member_user)})],
    "createLeadList": lambda w: [
        ref("/lead-lists", {"name": "Intruder list", "owned_by": str(w.member_user)})
    ],
    "createLead": lambda w: [
        new("/leads", {"email": w.lead_email, "skip_if_in_workspace": True}, "/leads/{id}"),
        ref("/leads", {"email": "new@prospect.example.com", "assigned_to": str(w.member_user)}),
    ],
    "patchLead": lambda w: [ref(f"/leads/{w.b_lead}", {"assigned_to": str(w.member_user)})],
}
