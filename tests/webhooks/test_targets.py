"""Where a webhook may post: refused at create and at every URL change when the host is, or resolves to, a
non-public address, unless COLDSEND_WEBHOOK_ALLOW_PRIVATE."""

import httpx
import pytest

from tests.conftest import OverrideSettings, Tenant
from tests.dns_server import DnsServer
from tests.factories import HOOK_URL, WEBHOOKS, create_webhook

LITERAL = "body/target_hook_url must not point at a loopback, private or other non-public address"
NON_PUBLIC_LITERALS = [
    "http://127.0.0.1:8080/hook",
    "http://127.1.2.3/hook",
    "http://10.0.0.5/hook",
    "http://172.16.4.4/hook",
    "http://192.168.1.10/hook",
    "http://169.254.169.254/latest/meta-data",
    "http://100.64.0.1/hook",
    "http://0.0.0.0/hook",
    "http://224.0.0.1/hook",
    "http://[::1]/hook",
    "http://[fd00::1]/hook",
    "http://[::ffff:127.0.0.1]/hook",
    "http://localhost:3000/hook",
    "http://api.localhost/hook",
]
INTERNAL_HOST = "internal.example.com"


def assert_refused(response: httpx.Response, message: str) -> None:
    assert response.status_code == 400, response.text
    assert response.json() == {"statusCode": 400, "error": "Bad Request", "message": message}


def body(url: str) -> dict[str, str]:
    return {"target_hook_url": url, "event_type": "email_sent"}


@pytest.mark.parametrize("url", NON_PUBLIC_LITERALS)
async def test_non_public_literal_refused_at_create_and_patch(tenant: Tenant, url: str) -> None:
    assert_refused(await tenant.client.post(WEBHOOKS, json=body(url)), LITERAL)
    webhook = await create_webhook(tenant)
    assert_refused(
        await tenant.client.patch(f"{WEBHOOKS}/{webhook['id']}", json={"target_hook_url": url}), LITERAL
    )
    assert (await tenant.client.get(f"{WEBHOOKS}/{webhook['id']}")).json()["target_hook_url"] == HOOK_URL


@pytest.mark.parametrize("address", ["127.0.0.1", "10.1.2.3", "169.254.169.254", "100.64.1.1"])
async def test_name_resolving_to_a_non_public_address_is_refused(
    tenant: Tenant, hook_dns: DnsServer, address: str
) -> None:
    hook_dns.add(INTERNAL_HOST, "A", address)
    message = f"body/target_hook_url is refused: {INTERNAL_HOST} resolves to a non-public address"
    assert_refused(await tenant.client.post(WEBHOOKS, json=body(f"https://{INTERNAL_HOST}/hook")), message)
    webhook = await create_webhook(tenant)
    response = await tenant.client.patch(
        f"{WEBHOOKS}/{webhook['id']}", json={"target_hook_url": f"https://{INTERNAL_HOST}/hook"}
    )
    assert_refused(response, message)


async def test_one_non_public_address_among_public_ones_is_enough(
    tenant: Tenant, hook_dns: DnsServer
) -> None:
    hook_dns.add(INTERNAL_HOST, "A", "93.184.215.15")
    hook_dns.add(INTERNAL_HOST, "AAAA", "::1")
    response = await tenant.client.post(WEBHOOKS, json=body(f"https://{INTERNAL_HOST}/hook"))
    assert_refused(
        response, f"body/target_hook_url is refused: {INTERNAL_HOST} resolves to a non-public address"
    )


async def test_name_that_does_not_resolve_is_refused(tenant: Tenant) -> None:
    response = await tenant.client.post(WEBHOOKS, json=body("https://nowhere.example.com/hook"))
    assert_refused(response, "body/target_hook_url is refused: nowhere.example.com does not resolve")


async def test_public_targets_are_accepted(tenant: Tenant, hook_dns: DnsServer) -> None:
    hook_dns.add("v6.example.com", "AAAA", "2606:2800:21f:cb07:6820:80da:af6b:8b2c")
    for url in (HOOK_URL, "http://93.184.215.14:8080/in", "https://v6.example.com/hook"):
        assert (await create_webhook(tenant, target_hook_url=url))["target_hook_url"] == url


async def test_allow_private_lifts_the_refusal(
    tenant: Tenant, hook_dns: DnsServer, override_settings: OverrideSettings
) -> None:
    hook_dns.add(INTERNAL_HOST, "A", "127.0.0.1")
    override_settings(webhook_allow_private=True)
    urls = [url for url in NON_PUBLIC_LITERALS if "localhost" not in url]  # no such name in the test DNS
    for url in [*urls, f"https://{INTERNAL_HOST}/hook"]:
        assert (await create_webhook(tenant, target_hook_url=url))["target_hook_url"] == url
    webhook = await create_webhook(tenant)
    response = await tenant.client.patch(
        f"{WEBHOOKS}/{webhook['id']}", json={"target_hook_url": "http://10.0.0.5/hook"}
    )
    assert response.status_code == 200, response.text


async def test_unchanged_url_is_not_resolved_again(tenant: Tenant, hook_dns: DnsServer) -> None:
    """A PATCH of other fields does not refuse a webhook whose host stopped resolving (delivery checks it)."""
    webhook = await create_webhook(tenant)
    hook_dns.remove("hooks.example.com")
    queries = len(hook_dns.records.queries)
    response = await tenant.client.patch(f"{WEBHOOKS}/{webhook['id']}", json={"name": "Renamed"})
    assert response.status_code == 200, response.text
    assert len(hook_dns.records.queries) == queries
