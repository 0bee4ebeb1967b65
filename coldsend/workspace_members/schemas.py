import uuid
from enum import StrEnum

from pydantic import EmailStr, Field

from coldsend.http.schemas import PatchModel, RequestModel, ResponseModel, Timestamp, refuse_null


class MemberRole(StrEnum):
    OWNER = "owner"
    ADMIN = "admin"
    EDITOR = "editor"
    VIEW = "view"
    CLIENT = "client"


class MemberPermission(StrEnum):
    DASHBOARD_VIEW = "dashboard.view"
    CAMPAIGNS_VIEW = "campaigns.view"
    CAMPAIGNS_CREATE = "campaigns.create"
    CAMPAIGNS_EDIT = "campaigns.edit"
    CAMPAIGNS_DELETE = "campaigns.delete"
    ORGANIZATION_MANAGE = "organization.manage"
    ORGANIZATION_INTEGRATIONS = "organization.integrations"
    ORGANIZATION_BILLING = "organization.billing"
    ORGANIZATION_USERS_MANAGE = "organization.users.manage"
    LEAD_FINDER_VIEW = "leadFinder.view"
    CUSTOM_LEAD_LABELS_CREATE = "customLeadLabels.create"
    CUSTOM_LEAD_LABELS_EDIT = "customLeadLabels.edit"
    CUSTOM_LEAD_LABELS_DELETE = "customLeadLabels.delete"
    UNIBOX_ALL = "unibox.all"
    ANALYTICS_VIEW = "analytics.view"
    WEBSITE_CHAT_VIEW = "websiteChat.view"
    WEBSITE_CHAT_MANAGE = "websiteChat.manage"
    AGENCY_MANAGE = "agency.manage"
    ACCOUNTS_VIEW = "accounts.view"
    ACCOUNTS_MANAGE = "accounts.manage"
    LEAD_MANAGEMENT_VIEW = "leadManagement.view"
    LEADS_MOVE = "leads.move"
    CRM_VIEW = "crm.view"
    WEBSITE_VISITORS_VIEW = "websiteVisitors.view"
    BLOCKLIST_MANAGE = "blocklist.manage"
    PREFERENCES_MANAGE = "preferences.manage"
    INBOX_PLACEMENT_VIEW = "inboxPlacement.view"
    AI_AGENTS_MANAGE = "aiAgents.manage"
    WORKSPACE_GROUP_MEMBERS_INVITE = "workspaceGroupMembers.invite"
    WORKSPACE_GROUP_MEMBERS_REMOVE = "workspaceGroupMembers.remove"
    WORKSPACE_GROUP_MEMBERS_LEAVE = "workspaceGroupMembers.leave"


NICKNAME_MAX_LENGTH = 80


class MemberName(ResponseModel):
    first: str
    last: str


class WorkspaceMember(ResponseModel):
    id: uuid.UUID
    email: str
    user_id: uuid.UUID
    user_email: str | None
    nickname: str | None
    name: MemberName
    role: MemberRole
    timestamp_created: Timestamp
    workspace_id: uuid.UUID
    accepted: bool
    issuer_id: uuid.UUID | None
    permissions: list[MemberPermission] | None


class WorkspaceMemberCreate(RequestModel):
    email: EmailStr
    user_email: EmailStr | None = None
    nickname: str | None = Field(default=None, max_length=NICKNAME_MAX_LENGTH)
    role: MemberRole
    permissions: list[MemberPermission] | None = None


class WorkspaceMemberUpdate(PatchModel):
    nickname: str | None = Field(default=None, max_length=NICKNAME_MAX_LENGTH)
    role: MemberRole | None = None

    _role_not_null = refuse_null("role")
