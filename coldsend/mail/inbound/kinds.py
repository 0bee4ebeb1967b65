"""What an inbound message is."""

from enum import StrEnum


class InboundKind(StrEnum):
    REPLY = "reply"
    AUTO_REPLY = "auto_reply"
    BOUNCE = "bounce"
    COMPLAINT = "complaint"  # a spam complaint (an ARF feedback report, a provider's notification)
    DELAY_WARNING = "delay_warning"  # a delivery is late and still being tried
    OTHER = "other"
