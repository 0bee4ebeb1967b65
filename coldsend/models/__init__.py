from coldsend.models.account import Account, AccountStatus, ProviderCode, WarmupStatus
from coldsend.models.analytics import (
    AnalyticsAccountDay,
    AnalyticsDay,
    AnalyticsLeadTally,
    AnalyticsSpan,
    AnalyticsStepDay,
)
from coldsend.models.api_key import ApiKey
from coldsend.models.audit_log import ActivityType, AuditLog
from coldsend.models.background_job import BackgroundJob, EntityType, JobStatus, JobType
from coldsend.models.block_list_entry import BlockListEntry
from coldsend.models.campaign import Campaign, CampaignStatus, NotSendingStatus
from coldsend.models.campaign_subsequence import CampaignSubsequence, DailyLimitMode
from coldsend.models.custom_tag import CustomTag
from coldsend.models.custom_tag_mapping import CustomTagMapping, ResourceType
from coldsend.models.dashboard import DashboardSession, LinkPurpose, SignInLink, UserPassword
from coldsend.models.email import Email, EmailType
from coldsend.models.email_verification import (
    EmailVerification,
    RequestStatus,
    VerificationStatus,
    WebhookState,
)
from coldsend.models.event import Event, EventType
from coldsend.models.inbox_cursor import InboxCursor
from coldsend.models.lead import EnrichmentStatus, Lead, LeadStatus, LeadVerificationStatus, UploadMethod
from coldsend.models.lead_label import InterestStatus, InterestStatusLabel, LeadLabel, ReplyLabelPrediction
from coldsend.models.lead_list import LeadList
from coldsend.models.oauth_session import OAuthSession, OAuthSessionStatus
from coldsend.models.placement import (
    CopyState,
    DeliveryMode,
    PlacementAutomationRun,
    PlacementCopy,
    PlacementReport,
    PlacementRun,
    PlacementSeed,
    PlacementTest,
    PlacementTestStatus,
    PlacementTestType,
    RecordType,
    RunState,
    SendingMethod,
)
from coldsend.models.send import Send, SendState
from coldsend.models.user import User
from coldsend.models.verification_domain import VerificationDomain
from coldsend.models.warmup import Landing, WarmupKind, WarmupMessage, WarmupRamp, WarmupState
from coldsend.models.webhook import (
    DeliveryState,
    Webhook,
    WebhookDelivery,
    WebhookEvent,
    WebhookFact,
    WebhookStatus,
)
from coldsend.models.workspace import Workspace
from coldsend.models.workspace_group_member import GroupMemberStatus, WorkspaceGroupMember
from coldsend.models.workspace_member import MemberPermission, MemberRole, WorkspaceMember

__all__ = [
    "AnalyticsAccountDay",
    "AnalyticsDay",
    "AnalyticsLeadTally",
    "AnalyticsSpan",
    "AnalyticsStepDay",
    "CopyState",
    "DeliveryMode",
    "PlacementAutomationRun",
    "PlacementCopy",
    "PlacementReport",
    "PlacementRun",
    "PlacementSeed",
    "PlacementTest",
    "PlacementTestStatus",
    "PlacementTestType",
    "RecordType",
    "RunState",
    "SendingMethod",
    "Account",
    "AccountStatus",
    "ActivityType",
    "ApiKey",
    "AuditLog",
    "BackgroundJob",
    "BlockListEntry",
    "Campaign",
    "CampaignStatus",
    "CampaignSubsequence",
    "CustomTag",
    "CustomTagMapping",
    "DailyLimitMode",
    "DashboardSession",
    "DeliveryState",
    "Email",
    "EmailType",
    "EmailVerification",
    "EnrichmentStatus",
    "EntityType",
    "Event",
    "EventType",
    "GroupMemberStatus",
    "InboxCursor",
    "InterestStatus",
    "InterestStatusLabel",
    "JobStatus",
    "JobType",
    "Lead",
    "LeadLabel",
    "LeadList",
    "LeadStatus",
    "Landing",
    "LeadVerificationStatus",
    "LinkPurpose",
    "MemberPermission",
    "MemberRole",
    "NotSendingStatus",
    "OAuthSession",
    "OAuthSessionStatus",
    "ProviderCode",
    "ReplyLabelPrediction",
    "RequestStatus",
    "ResourceType",
    "Send",
    "SendState",
    "SignInLink",
    "UploadMethod",
    "User",
    "UserPassword",
    "VerificationDomain",
    "Webhook",
    "WebhookDelivery",
    "WebhookEvent",
    "WebhookFact",
    "WebhookStatus",
    "VerificationStatus",
    "WarmupKind",
    "WarmupMessage",
    "WarmupRamp",
    "WarmupState",
    "WarmupStatus",
    "WebhookState",
    "Workspace",
    "WorkspaceGroupMember",
    "WorkspaceMember",
]
