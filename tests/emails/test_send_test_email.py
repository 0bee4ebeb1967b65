"""POST /emails/test: a real send through an account, to the SMTP sink on loopback."""

from typing import Any

from tests.conftest import MakeTenant, Tenant
from tests.factories import create_offline_account, create_sink_account
from tests.smtp_sink import SmtpSink, free_port

PATH = "/api/v2/emails/test"
SENDER = "sender@example.com"


def preview(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "eaccount": SENDER,
        "to_address_email_list": "Lead@Example.org",
        "subject": "Preview of step 1",
        "body": {"html": "<p>Hello there,<br/>a test.</p>"},
    }
    body.update(overrides)
    return body


async def send(tenant: Tenant, **overrides: Any) -> dict[str, Any]:
    response = await tenant.client.post(PATH, json=preview(**overrides))
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


class TestSendTestEmail:
    async def test_the_sink_receives_exactly_the_message(self, tenant: Tenant, smtp_sink: SmtpSink) -> None:
        await create_sink_account(tenant, smtp_sink, SENDER, first_name="Sam")
        assert await send(tenant, eaccount="Sender@Example.com") == {"status": "success"}
        assert len(smtp_sink.received) == 1
        received = smtp_sink.received[0]
        assert (received.login, received.mail_from, received.rcpt_tos) == (
            SENDER,
            SENDER,
            ["lead@example.org"],
        )
        message = received.message
        assert message["Subject"] == "Preview of step 1"
        assert message["From"] == f"Sam Sender <{SENDER}>"
        assert message["To"] == "lead@example.org"
        assert message["Message-ID"].endswith("@example.com>")
        html = message.get_body(("html",))
        text = message.get_body(("plain",))
        assert html is not None
        assert text is not None
        assert html.get_content().strip() == "<p>Hello there,<br/>a test.</p>"
        assert text.get_content().strip() == "Hello there,\na test."
        # A test email leaves nothing behind: no Email row, no analytics.
        assert (await tenant.client.get("/api/v2/emails")).json() == {"items": []}

    async def test_one_message_per_recipient(self, tenant: Tenant, smtp_sink: SmtpSink) -> None:
        await create_sink_account(tenant, smtp_sink, SENDER)
        assert await send(tenant, to_address_email_list="a@example.org, b@example.org,a@example.org") == {
            "status": "success"
        }
        assert [item.rcpt_tos for item in smtp_sink.received] == [["a@example.org"], ["b@example.org"]]
        assert len(set(smtp_sink.message_ids())) == 2

    async def test_wrong_password_is_acc_auth_error(self, tenant: Tenant, smtp_sink: SmtpSink) -> None:
        await create_sink_account(tenant, smtp_sink, SENDER, smtp_password="wrong")
        assert (await send(tenant))["error"] == "ACC_AUTH_ERROR"
        assert smtp_sink.received == []

    async def test_unknown_account_is_acc_not_found(
        self, tenant: Tenant, make_tenant: MakeTenant, smtp_sink: SmtpSink
    ) -> None:
        other = await make_tenant()
        await create_sink_account(other, smtp_sink, SENDER)
        assert (await send(tenant))["error"] == "ACC_NOT_FOUND"
        assert (await send(tenant, eaccount="not an address"))["error"] == "ACC_NOT_FOUND"
        assert smtp_sink.received == []

    async def test_other_failures_are_acc_unknown_error(self, tenant: Tenant, smtp_sink: SmtpSink) -> None:
        await create_sink_account(tenant, smtp_sink, SENDER)
        smtp_sink.answer_rcpt("lead@example.org", "550 5.1.1 User unknown")
        assert (await send(tenant))["error"] == "ACC_UNKNOWN_ERROR"
        assert smtp_sink.received == []
        await create_offline_account(tenant, "nobody@example.com", smtp_port=free_port())  # nothing there
        assert (await send(tenant, eaccount="nobody@example.com"))["error"] == "ACC_UNKNOWN_ERROR"

    async def test_bad_bodies_are_400(self, tenant: Tenant) -> None:
        not_addresses = "body/to_address_email_list must be a comma-separated list of email addresses"
        two_lines = "body/subject must not contain line breaks or NUL characters"
        for body, message in [
            (
                {},
                "body must have required property 'eaccount', body must have required property "
                "'to_address_email_list', body must have required property 'subject', "
                "body must have required property 'body'",
            ),
            (preview(body={}), "body/body must have required property 'html'"),
            (preview(to_address_email_list="x@"), not_addresses),
            (preview(to_address_email_list=" , "), not_addresses),
            (
                preview(to_address_email_list=",".join(f"r{n}@example.org" for n in range(11))),
                "body/to_address_email_list must NOT have more than 10 addresses",
            ),
            (preview(subject="Hi\r\nBcc: x@example.org"), two_lines),
        ]:
            response = await tenant.client.post(PATH, json=body)
            assert response.status_code == 400, body
            assert response.json()["message"] == message

    async def test_ten_a_minute_per_workspace(self, tenant: Tenant, make_tenant: MakeTenant) -> None:
        for _ in range(10):
            assert (await send(tenant, eaccount="missing@example.com"))["error"] == "ACC_NOT_FOUND"
        response = await tenant.client.post(PATH, json=preview())
        assert response.status_code == 429
        assert response.json() == {
            "statusCode": 429,
            "error": "Too Many Requests",
            "message": "Rate limit exceeded",
        }
        other = await make_tenant()
        assert (await send(other, eaccount="missing@example.com"))["error"] == "ACC_NOT_FOUND"
