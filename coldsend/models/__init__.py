from coldsend.models.account import Account
from coldsend.models.api_key import ApiKey
from coldsend.models.audit_log import AuditLog
from coldsend.models.background_job import BackgroundJob
from coldsend.models.block_list_entry import BlockListEntry
from coldsend.models.campaign import Campaign
from coldsend.models.campaign_subsequence import CampaignSubsequence
from coldsend.models.custom_tag import CustomTag
from coldsend.models.custom_tag_mapping import CustomTagMapping
from coldsend.models.email import Email, EmailType
from coldsend.models.email_verification import EmailVerification
from coldsend.models.event import Event, EventType
from coldsend.models.inbox_cursor import InboxCursor
from coldsend.models.lead import Lead
from coldsend.models.lead_label import LeadLabel, ReplyLabelPrediction
from coldsend.models.lead_list import LeadList
from coldsend.models.send import Send, SendState
from coldsend.models.user import User
from coldsend.models.verification_domain import VerificationDomain
from coldsend.models.workspace import Workspace
from coldsend.models.workspace_group_member import WorkspaceGroupMember
from coldsend.models.workspace_member import WorkspaceMember

__all__ = [
    "Account",
    "ApiKey",
    "AuditLog",
    "BackgroundJob",
    "BlockListEntry",
    "Campaign",
    "CampaignSubsequence",
    "CustomTag",
    "CustomTagMapping",
    "Email",
    "EmailType",
    "EmailVerification",
    "Event",
    "EventType",
    "InboxCursor",
    "Lead",
    "LeadLabel",
    "LeadList",
    "ReplyLabelPrediction",
    "Send",
    "SendState",
    "User",
    "VerificationDomain",
    "Workspace",
    "WorkspaceGroupMember",
    "WorkspaceMember",
]
