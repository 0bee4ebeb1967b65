import uuid
from enum import StrEnum

from sqlalchemy import JSON, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from coldsend.db.base import RecordModel


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


class MemberRole(StrEnum):
    OWNER = "owner"
    ADMIN = "admin"
    EDITOR = "editor"
    VIEW = "view"
    CLIENT = "client"


class WorkspaceMember(RecordModel):
    __tablename__ = "workspace_member"
    __table_args__ = (UniqueConstraint("workspace_id", "email"),)

    workspace_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("workspace.id"), index=True)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("user.id"))
    email: Mapped[str] = mapped_column(String(320))
    user_email: Mapped[str | None] = mapped_column(String(320))
    nickname: Mapped[str | None] = mapped_column(String(80))
    role: Mapped[str] = mapped_column(String(20))
    accepted: Mapped[bool] = mapped_column(default=False)
    issuer_id: Mapped[uuid.UUID | None]
    permissions: Mapped[list[str] | None] = mapped_column(JSON)
