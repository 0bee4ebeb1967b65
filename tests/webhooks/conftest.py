"""Webhook targets are resolved when a webhook is created or its URL changes: these tests resolve them
through a DNS server on loopback, offline and the same on every machine."""

from collections.abc import Iterator

import pytest

from tests.conftest import OverrideSettings
from tests.dns_server import DnsServer, serve_dns

PUBLIC_HOST = "hooks.example.com"  # tests/factories.py HOOK_URL
PUBLIC_ADDRESS = "93.184.215.14"
# The spec's Webhook.event_type enum, in its order.
SPEC_EVENT_TYPES = [
    "all_events",
    "email_sent",
    "email_opened",
    "email_link_clicked",
    "reply_received",
    "email_bounced",
    "lead_unsubscribed",
    "campaign_completed",
    "account_error",
    "lead_neutral",
    "lead_interested",
    "lead_not_interested",
    "lead_meeting_booked",
    "lead_meeting_completed",
    "lead_closed",
    "lead_out_of_office",
    "lead_wrong_person",
    "lead_no_show",
    "supersearch_enrichment_completed",
]


@pytest.fixture(autouse=True)
def hook_dns(override_settings: OverrideSettings) -> Iterator[DnsServer]:
    with serve_dns() as dns:
        dns.add(PUBLIC_HOST, "A", PUBLIC_ADDRESS)
        override_settings(dns_nameservers=[dns.nameserver], webhook_allow_private=False)
        yield dns
