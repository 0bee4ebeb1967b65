"""Header and body size limits, and the API key checked before a body is read."""

from collections.abc import AsyncIterator

import httpx

from tests.conftest import OverrideSettings, Tenant

CAMPAIGNS = "/api/v2/campaigns"
CHUNK = b"x" * 65_536


class Body:
    """A request body that counts how much of it the server pulled."""

    def __init__(self, chunks: int) -> None:
        self.chunks = chunks
        self.pulled = 0

    async def stream(self) -> AsyncIterator[bytes]:
        for _ in range(self.chunks):
            self.pulled += len(CHUNK)
            yield CHUNK

    @property
    def size(self) -> int:
        return self.chunks * len(CHUNK)


def envelope(status: int, error: str, response: httpx.Response) -> None:
    assert response.status_code == status, response.text
    body = response.json()
    assert (body["statusCode"], body["error"]) == (status, error)
    assert body["message"]


class TestAnonymousBody:
    async def test_refused_before_the_body_is_read(self, anonymous: httpx.AsyncClient) -> None:
        body = Body(chunks=160)  # 10 MB
        response = await anonymous.post(
            CAMPAIGNS,
            content=body.stream(),
            headers={"Content-Type": "application/json", "Content-Length": str(body.size)},
        )
        envelope(401, "Unauthorized", response)
        assert body.pulled == 0

    async def test_bad_key_refused_before_the_body_is_read(self, anonymous: httpx.AsyncClient) -> None:
        body = Body(chunks=16)
        response = await anonymous.post(
            CAMPAIGNS,
            content=body.stream(),
            headers={"Authorization": "Bearer not-a-key", "Content-Type": "application/json"},
        )
        envelope(401, "Unauthorized", response)
        assert body.pulled == 0
        # Routes without a key stay open.
        assert (await anonymous.get("/healthz")).status_code == 200
        assert (await anonymous.get("/openapi.json")).status_code == 200


class TestBodySize:
    async def test_declared_length_over_the_limit_is_413_unread(
        self, tenant: Tenant, override_settings: OverrideSettings
    ) -> None:
        override_settings(max_request_bytes=100_000)
        body = Body(chunks=4)
        response = await tenant.client.post(
            CAMPAIGNS,
            content=body.stream(),
            headers={"Content-Type": "application/json", "Content-Length": str(body.size)},
        )
        envelope(413, "Payload Too Large", response)
        assert body.pulled == 0
        # A body within the limit is read and validated as usual.
        envelope(400, "Bad Request", await tenant.client.post(CAMPAIGNS, json={"name": "x" * 90_000}))

    async def test_chunked_body_stops_at_the_limit(
        self, tenant: Tenant, override_settings: OverrideSettings
    ) -> None:
        override_settings(max_request_bytes=100_000)
        body = Body(chunks=64)
        response = await tenant.client.post(
            CAMPAIGNS, content=body.stream(), headers={"Content-Type": "application/json"}
        )
        envelope(413, "Payload Too Large", response)
        assert body.pulled <= 100_000 + len(CHUNK)


class TestHeaderSize:
    async def test_oversized_headers_are_431(self, tenant: Tenant, anonymous: httpx.AsyncClient) -> None:
        huge = {"X-Padding": "y" * 200_000}
        envelope(431, "Request Header Fields Too Large", await tenant.client.get(CAMPAIGNS, headers=huge))
        envelope(431, "Request Header Fields Too Large", await anonymous.get("/healthz", headers=huge))

    async def test_limit_is_a_setting(self, tenant: Tenant, override_settings: OverrideSettings) -> None:
        override_settings(max_header_bytes=2_000)
        envelope(
            431,
            "Request Header Fields Too Large",
            await tenant.client.get(CAMPAIGNS, headers={"X-Padding": "y" * 3_000}),
        )
        assert (await tenant.client.get(CAMPAIGNS, headers={"X-Padding": "y" * 500})).status_code == 200
