"""Delivering one event: signed, with the webhook's headers, logged; a 410; secret rotation; SSRF at
delivery time."""

from datetime import timedelta

from coldsend import encryption
from coldsend.models import DeliveryState, WebhookStatus
from coldsend.webhooks import signing
from tests.dns_server import serve_dns
from tests.webhook_delivery.conftest import MakeWorld, World
from tests.webhook_receiver import Receiver


class TestDelivered:
    async def test_arrives_once_signed_with_the_webhooks_headers(self, world: World, hooks: Receiver) -> None:
        webhook, secret = await world.webhook(
            hooks.url("/hooks/crm"),
            headers={"X-Api-Key": "k-123", "Content-Type": "text/plain", "webhook-id": "forged"},
        )
        hooks.verify_with("/hooks/crm", secret)
        payload = {"event_type": "reply_received", "lead_email": "ann@leads.test", "firstName": "Ann"}
        queued = await world.queue(webhook, payload=payload, lead_email="ann@leads.test")

        assert await world.dispatcher.run_until_idle() == 1
        assert await world.dispatcher.run_until_idle() == 0

        [request] = hooks.requests("/hooks/crm")
        assert request.verified == [True]
        assert request.json() == payload
        assert request.headers["webhook-id"] == str(queued.id)
        assert request.headers["x-api-key"] == "k-123"
        assert request.headers["content-type"] == "application/json"
        assert request.headers["user-agent"] == "Coldsend-Webhooks"
        assert request.headers["webhook-signature"].startswith("v1,")
        [delivery] = await world.deliveries(webhook.id)
        assert (delivery.state, delivery.attempts) == (DeliveryState.DELIVERED, 1)
        assert delivery.timestamp_delivered == world.clock.now()
        [event] = await world.events(queued.id)
        assert event.success is True
        assert (event.retry_count, event.will_retry, event.retry_successful) == (0, False, None)
        assert (event.status_code, event.error_message, event.timestamp_next_retry) == (204, None, None)
        assert event.lead_email == "ann@leads.test"
        assert event.payload == payload
        assert event.webhook_url == hooks.url("/hooks/crm")
        assert event.webhook_id == webhook.id
        assert event.workspace_id == world.workspace_id
        assert event.timestamp_created == world.clock.now()
        assert event.response_time_ms is not None
        assert event.response_time_ms >= 0


class TestGone:
    async def test_410_disables_the_webhook_at_once_and_resume_lets_the_rest_go(
        self, world: World, hooks: Receiver
    ) -> None:
        webhook, secret = await world.webhook(hooks.url("/hooks/gone"))
        hooks.verify_with("/hooks/gone", secret)
        hooks.answer("/hooks/gone", 410)
        first = await world.queue(webhook)

        assert await world.dispatcher.run_until_idle() == 1
        second = await world.queue(webhook)
        assert await world.advance_to(world.clock.now() + timedelta(days=2)) == 0

        [event] = await world.events(first.id)
        assert (event.success, event.status_code, event.will_retry) == (False, 410, False)
        assert event.timestamp_next_retry is None
        assert event.error_message is not None
        assert event.error_message.startswith("HTTP 410")
        row = await world.webhook_row(webhook.id)
        assert row.status == WebhookStatus.ERROR
        assert row.timestamp_error == event.timestamp_created
        states = {delivery.id: delivery.state for delivery in await world.deliveries(webhook.id)}
        assert states == {first.id: DeliveryState.FAILED, second.id: DeliveryState.PENDING}
        assert len(hooks.requests("/hooks/gone")) == 1

        hooks.answer("/hooks/gone", 200)
        await world.update_webhook(webhook.id, status=WebhookStatus.ACTIVE, timestamp_error=None)
        assert await world.dispatcher.run_until_idle() == 1
        [_, resumed] = hooks.requests("/hooks/gone")
        assert resumed.headers["webhook-id"] == str(second.id)
        assert resumed.verified == [True]


class TestSecretRotation:
    async def test_a_delivery_queued_before_rotation_verifies_with_old_and_new(
        self, world: World, hooks: Receiver
    ) -> None:
        webhook, old = await world.webhook(hooks.url("/hooks/rotated"))
        queued = await world.queue(webhook)
        new = signing.new_secret()
        await world.update_webhook(
            webhook.id,
            secret=encryption.encrypt(world.settings, new),
            previous_secret=encryption.encrypt(world.settings, old),
            previous_secret_until=world.clock.now()
            + timedelta(seconds=world.settings.webhook_secret_overlap_seconds),
        )
        hooks.verify_with("/hooks/rotated", old, new)

        assert await world.dispatcher.run_until_idle() == 1
        [request] = hooks.requests("/hooks/rotated")
        assert request.headers["webhook-id"] == str(queued.id)
        assert request.verified == [True, True]
        assert len(request.headers["webhook-signature"].split(" ")) == 2

        # Once the overlap is over only the new secret signs.
        world.clock.advance(timedelta(seconds=world.settings.webhook_secret_overlap_seconds + 1))
        await world.queue(webhook)
        assert await world.dispatcher.run_until_idle() == 1
        [_, later] = hooks.requests("/hooks/rotated")
        assert later.verified == [False, True]
        assert len(later.headers["webhook-signature"].split(" ")) == 1


class TestUnsafeTargetAtDelivery:
    async def test_a_name_resolving_to_loopback_is_refused_and_retried(
        self, make_world: MakeWorld, hooks: Receiver
    ) -> None:
        with serve_dns() as dns:
            dns.add("hooks.example.test", "A", "127.0.0.1")
            world = make_world(webhook_allow_private=False, dns_nameservers=[dns.nameserver])
            url = hooks.url("/hooks/ssrf", host="hooks.example.test")
            webhook, _ = await world.webhook(url)
            queued = await world.queue(webhook)

            assert await world.dispatcher.run_until_idle() == 1

            [event] = await world.events(queued.id)
            assert (event.success, event.status_code, event.will_retry) == (False, None, True)
            assert event.error_message == "unsafe target: hooks.example.test resolves to a non-public address"
            assert event.timestamp_next_retry == world.clock.now() + timedelta(seconds=5)
            assert event.webhook_url == url
            [delivery] = await world.deliveries(webhook.id)
            assert (delivery.state, delivery.attempts) == (DeliveryState.PENDING, 1)
            assert hooks.requests() == []

            # The same name, where private targets are allowed, reaches the receiver: only the check
            # stopped it.
            allowed = make_world(webhook_allow_private=True, dns_nameservers=[dns.nameserver])
            allowed.clock.current = world.clock.now() + timedelta(seconds=5)
            assert await allowed.dispatcher.run_until_idle() == 1
            [request] = hooks.requests("/hooks/ssrf")
            assert request.headers["webhook-id"] == str(queued.id)


class TestFailedAttempt:
    async def test_a_redirect_is_not_followed(self, world: World, hooks: Receiver) -> None:
        webhook, _ = await world.webhook(hooks.url("/hooks/moved"))
        hooks.answer("/hooks/moved", 307, location=hooks.url("/hooks/elsewhere"))
        queued = await world.queue(webhook)

        assert await world.dispatcher.run_until_idle() == 1

        [event] = await world.events(queued.id)
        assert (event.success, event.status_code, event.will_retry) == (False, 307, True)
        assert [request.path for request in hooks.requests()] == ["/hooks/moved"]

    async def test_a_receiver_slower_than_the_timeout_fails_the_attempt(
        self, make_world: MakeWorld, hooks: Receiver
    ) -> None:
        world = make_world(webhook_timeout_seconds=0.3)
        webhook, _ = await world.webhook(hooks.url("/hooks/slow"))
        hooks.answer("/hooks/slow", 204, delay=2)
        queued = await world.queue(webhook)

        assert await world.dispatcher.run_until_idle() == 1

        [event] = await world.events(queued.id)
        assert (event.success, event.status_code, event.will_retry) == (False, None, True)
        assert event.error_message == "timed out after 0.3 s"
        assert event.response_time_ms is not None
        assert event.response_time_ms >= 300
        [delivery] = await world.deliveries(webhook.id)
        assert delivery.state == DeliveryState.PENDING


class TestConcurrencyPerHost:
    async def test_no_more_than_the_limit_in_flight_to_one_host(
        self, make_world: MakeWorld, hooks: Receiver
    ) -> None:
        world = make_world(webhook_concurrency_per_host=2)
        webhook, _ = await world.webhook(hooks.url("/hooks/busy"))
        hooks.answer("/hooks/busy", 204, delay=0.2)
        for _ in range(6):
            await world.queue(webhook)

        assert await world.dispatcher.run_until_idle() == 6

        assert len(hooks.requests("/hooks/busy")) == 6
        assert hooks.peak("/hooks/busy") == 2
