"""Retries on the schedule, on a hand-moved clock: a receiver down for an hour gets everything once it is
back; one that fails for five days is disabled."""

from datetime import timedelta

from coldsend.models import DeliveryState, WebhookEvent, WebhookStatus
from tests.webhook_delivery.conftest import World
from tests.webhook_receiver import Receiver

EVENTS = 5


def assert_retry_fields(events: list[WebhookEvent], schedule: list[float]) -> None:
    """Attempts 0..n in order: each failed one names the next, made no sooner; only the last succeeded."""
    assert [event.retry_count for event in events] == list(range(len(events)))
    *failed, last = events
    for index, event in enumerate(failed):
        assert event.success is False
        assert event.status_code is None
        assert event.error_message is not None
        assert event.will_retry is True
        assert event.timestamp_next_retry == event.timestamp_created + timedelta(seconds=schedule[index + 1])
        assert events[index + 1].timestamp_created >= event.timestamp_next_retry
        assert event.retry_successful is (None if index == 0 else False)
    assert (last.success, last.status_code, last.will_retry, last.timestamp_next_retry) == (
        True,
        204,
        False,
        None,
    )
    assert last.retry_successful is True


class TestReceiverDown:
    async def test_down_for_an_hour_then_back_gets_every_event_once(
        self, world: World, hooks: Receiver
    ) -> None:
        webhook, secret = await world.webhook(hooks.url("/hooks/flaky"))
        hooks.verify_with("/hooks/flaky", secret)
        hooks.down()
        started = world.clock.now()
        queued = [await world.queue(webhook, lead_email=f"l{n}@leads.test") for n in range(EVENTS)]

        await world.dispatcher.run_until_idle()
        while (due := await world.next_due()) is not None:
            assert due - started < timedelta(hours=12), "still pending after 12 simulated hours"
            if due - started >= timedelta(hours=1):
                hooks.up()
            await world.advance_to(due)

        requests = hooks.requests("/hooks/flaky")
        assert sorted(request.headers["webhook-id"] for request in requests) == sorted(
            str(delivery.id) for delivery in queued
        )
        assert all(request.verified == [True] for request in requests)
        for delivery in queued:
            events = await world.events(delivery.id)
            # At once, 5 s, 5 min and 30 min later fail (35 min in all); 2 h after that it is back.
            assert len(events) == 5
            assert_retry_fields(events, world.settings.webhook_retry_schedule)
            assert {event.lead_email for event in events} == {delivery.lead_email}
        assert {delivery.state for delivery in await world.deliveries(webhook.id)} == {
            DeliveryState.DELIVERED
        }
        row = await world.webhook_row(webhook.id)
        assert (row.status, row.failing_since) == (WebhookStatus.ACTIVE, None)

    async def test_every_attempt_failing_ends_the_delivery(self, world: World, hooks: Receiver) -> None:
        webhook, _ = await world.webhook(hooks.url("/hooks/broken"))
        hooks.answer("/hooks/broken", 500)
        queued = await world.queue(webhook)

        await world.dispatcher.run_until_idle()
        while (due := await world.next_due()) is not None:
            await world.advance_to(due)

        schedule = world.settings.webhook_retry_schedule
        events = await world.events(queued.id)
        assert len(events) == len(schedule) == len(hooks.requests("/hooks/broken"))
        assert all(event.status_code == 500 and event.success is False for event in events)
        assert [event.will_retry for event in events] == [True] * (len(schedule) - 1) + [False]
        assert events[-1].timestamp_next_retry is None
        assert events[-1].error_message == "HTTP 500: ok"
        [delivery] = await world.deliveries(webhook.id)
        assert (delivery.state, delivery.attempts) == (DeliveryState.FAILED, len(schedule))
        spent = events[-1].timestamp_created - events[0].timestamp_created
        assert spent == timedelta(seconds=sum(schedule))
        # A day and a bit of failures: not yet long enough to disable the webhook.
        row = await world.webhook_row(webhook.id)
        assert row.status == WebhookStatus.ACTIVE
        assert row.failing_since == events[0].timestamp_created


class TestFailingForDays:
    async def test_five_days_of_failures_disable_the_webhook(self, world: World, hooks: Receiver) -> None:
        webhook, _ = await world.webhook(hooks.url("/hooks/dead"))
        hooks.answer("/hooks/dead", 503)
        started = world.clock.now()
        limit = timedelta(seconds=world.settings.webhook_disable_after_seconds)

        # A new event every six hours, each retried on its schedule, until the webhook is disabled.
        await world.queue(webhook)
        await world.dispatcher.run_until_idle()
        next_event = started + timedelta(hours=6)
        while (await world.webhook_row(webhook.id)).status == WebhookStatus.ACTIVE:
            assert world.clock.now() - started < limit + timedelta(days=1), "not disabled in time"
            due = await world.next_due()
            if due is None or due >= next_event:
                await world.advance_to(next_event)
                await world.queue(webhook)
                next_event += timedelta(hours=6)
            await world.advance_to(min(due or next_event, next_event))

        row = await world.webhook_row(webhook.id)
        assert row.failing_since == started
        assert row.timestamp_error is not None
        assert row.timestamp_error - started >= limit
        events = [
            event
            for delivery in await world.deliveries(webhook.id)
            for event in await world.events(delivery.id)
        ]
        assert not any(event.success for event in events)
        # Disabled by the first attempt at or past the limit: every attempt before it was inside it.
        before = [
            event.timestamp_created for event in events if event.timestamp_created < row.timestamp_error
        ]
        assert max(before) - started < limit
        assert max(event.timestamp_created for event in events) == row.timestamp_error

        # A disabled webhook's deliveries wait: nothing more is attempted.
        attempts = len(hooks.requests("/hooks/dead"))
        await world.queue(webhook)
        assert await world.advance_to(world.clock.now() + timedelta(days=2)) == 0
        assert len(hooks.requests("/hooks/dead")) == attempts
        pending = [d for d in await world.deliveries(webhook.id) if d.state == DeliveryState.PENDING]
        assert pending
