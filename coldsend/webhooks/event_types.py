"""What a webhook can subscribe to: the spec's `event_type` values, and how `event-types` names them."""

from enum import StrEnum


class EventType(StrEnum):
    """A subscription's `event_type`; null (with `custom_interest_value`) is a custom lead label's events."""

    ALL_EVENTS = "all_events"
    EMAIL_SENT = "email_sent"
    EMAIL_OPENED = "email_opened"
    EMAIL_LINK_CLICKED = "email_link_clicked"
    REPLY_RECEIVED = "reply_received"
    EMAIL_BOUNCED = "email_bounced"
    LEAD_UNSUBSCRIBED = "lead_unsubscribed"
    CAMPAIGN_COMPLETED = "campaign_completed"
    ACCOUNT_ERROR = "account_error"
    LEAD_NEUTRAL = "lead_neutral"
    LEAD_INTERESTED = "lead_interested"
    LEAD_NOT_INTERESTED = "lead_not_interested"
    LEAD_MEETING_BOOKED = "lead_meeting_booked"
    LEAD_MEETING_COMPLETED = "lead_meeting_completed"
    LEAD_CLOSED = "lead_closed"
    LEAD_OUT_OF_OFFICE = "lead_out_of_office"
    LEAD_WRONG_PERSON = "lead_wrong_person"
    LEAD_NO_SHOW = "lead_no_show"
    SUPERSEARCH_ENRICHMENT_COMPLETED = "supersearch_enrichment_completed"


LABELS: dict[EventType, str] = {
    EventType.ALL_EVENTS: "All Events",
    EventType.EMAIL_SENT: "Email Sent",
    EventType.EMAIL_OPENED: "Email Opened",
    EventType.EMAIL_LINK_CLICKED: "Link Clicked",
    EventType.REPLY_RECEIVED: "Reply Received",
    EventType.EMAIL_BOUNCED: "Email Bounced",
    EventType.LEAD_UNSUBSCRIBED: "Lead Unsubscribed",
    EventType.CAMPAIGN_COMPLETED: "Campaign Completed",
    EventType.ACCOUNT_ERROR: "Account Error",
    EventType.LEAD_NEUTRAL: "Lead Neutral",
    EventType.LEAD_INTERESTED: "Lead Interested",
    EventType.LEAD_NOT_INTERESTED: "Lead Not Interested",
    EventType.LEAD_MEETING_BOOKED: "Meeting Booked",
    EventType.LEAD_MEETING_COMPLETED: "Meeting Completed",
    EventType.LEAD_CLOSED: "Lead Closed",
    EventType.LEAD_OUT_OF_OFFICE: "Out of Office",
    EventType.LEAD_WRONG_PERSON: "Wrong Person",
    EventType.LEAD_NO_SHOW: "No Show",
    EventType.SUPERSEARCH_ENRICHMENT_COMPLETED: "SuperSearch Enrichment Completed",
}

STANDARD = "standard"
CUSTOM = "custom"
