"""Webhook targets are resolved when a webhook is created or its URL changes: these tests resolve them
through a DNS server on loopback, offline and the same on every machine."""

from collections.abc import Iterator

import pytest

from tests.conftest import OverrideSettings
from tests.dns_server import DnsServer, serve_dns

PUBLIC_HOST = "hooks.example.com"  # tests/factories.py HOOK_URL
PUBLIC_ADDRESS = "93.184.215.14"


@pytest.fixture(autouse=True)
def hook_dns(override_settings: OverrideSettings) -> Iterator[DnsServer]:
    with serve_dns() as dns:
        dns.add(PUBLIC_HOST, "A", PUBLIC_ADDRESS)
        override_settings(dns_nameservers=[dns.nameserver], webhook_allow_private=False)
        yield dns
