"""Hostile copy neither stalls the API's event loop nor runs unbounded."""

import asyncio
import time

import httpx
import pytest

from coldsend.mail.html_text import html_to_text
from coldsend.mail.render import TemplateError, render_copy
from tests.conftest import Tenant
from tests.factories import create_sink_account
from tests.smtp_sink import SmtpSink

SENDER = "sender@example.com"
NESTED = "<div>" * 8_000 + "deep" + "</div>" * 8_000
PARAGRAPHS = "<p>Some text, <a href='https://example.com/x'>a link</a> and more.</p>\n" * 5_000


class TestEventLoop:
    async def test_healthz_answers_while_a_hostile_test_email_renders(
        self, tenant: Tenant, anonymous: httpx.AsyncClient, smtp_sink: SmtpSink
    ) -> None:
        await create_sink_account(tenant, smtp_sink, SENDER)
        body = {
            "eaccount": SENDER,
            "to_address_email_list": "lead@example.org",
            "subject": "Preview",
            "body": {"html": NESTED + PARAGRAPHS},
        }
        started = time.monotonic()
        hostile = asyncio.create_task(tenant.client.post("/api/v2/emails/test", json=body))
        answered: list[float] = []
        while not hostile.done():
            assert (await anonymous.get("/healthz")).status_code == 200
            answered.append(time.monotonic())
            await asyncio.sleep(0)  # an ASGI request may finish without ever yielding to the loop
        finished = time.monotonic()
        response = await hostile
        assert response.json() == {"status": "success"}, response.text
        # Concurrency, not speed: no stretch without a /healthz answer lasts half the hostile request.
        marks = [started, *answered, finished]
        longest_stall = max(later - earlier for earlier, later in zip(marks, marks[1:], strict=False))
        assert longest_stall < (finished - started) / 2, (longest_stall, finished - started, len(answered))
        text = smtp_sink.received[0].message.get_body(("plain",))
        assert text is not None
        assert text.get_content().startswith("deep\n\nSome text, a link (https://example.com/x) and more.")

    def test_html_to_text_is_linear_in_nesting(self) -> None:
        # Ten times the nesting may take about ten times as long, not a hundred.
        small, large = "<a href='https://x.org'><div>" * 800, "<a href='https://x.org'><div>" * 8_000
        timings = []
        for html in (small, large):
            started = time.perf_counter()
            html_to_text(html + "x")
            timings.append(time.perf_counter() - started)
        assert timings[1] < timings[0] * 30, timings


class TestTemplateWork:
    def test_loop_iterations_are_counted_over_the_whole_render(self) -> None:
        nested = "{% for i in (1..3) %}{% for j in (1..2) %}{{i}}{{j}} {% endfor %}{% endfor %}"
        assert render_copy("s", nested, {}, seed="x").text == "11 12 21 22 31 32"
        hostile = "{% for i in (1..10000) %}{% endfor %}" * 400
        with pytest.raises(TemplateError, match="iterations in all"):
            render_copy("s", hostile, {}, seed="x")

    def test_render_time_is_bounded(self) -> None:
        # 1,000 loop iterations (well within the count), each doing 3,000 comparisons.
        hostile = "{% for i in (1..1000) %}" + "{% if a == b %}{% endif %}" * 3_000 + "{% endfor %}"
        with pytest.raises(TemplateError, match="took more than"):
            render_copy("s", hostile, {}, seed="x")
