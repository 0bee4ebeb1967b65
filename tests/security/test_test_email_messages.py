"""POST /emails/test keeps the spec's error code and adds a message that says what went wrong."""

from typing import Any

from tests.conftest import Tenant
from tests.factories import create_offline_account, create_sink_account
from tests.smtp_sink import SmtpSink, free_port

PATH = "/api/v2/emails/test"
SENDER = "sender@example.com"


async def send_test_email(tenant: Tenant, eaccount: str = SENDER) -> dict[str, Any]:
    body = {
        "eaccount": eaccount,
        "to_address_email_list": "lead@example.org",
        "subject": "Preview",
        "body": {"html": "<p>Hi</p>"},
    }
    response = await tenant.client.post(PATH, json=body)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


class TestTestEmailMessages:
    async def test_refused_login_names_the_account_server_and_reply(
        self, tenant: Tenant, smtp_sink: SmtpSink
    ) -> None:
        await create_sink_account(tenant, smtp_sink, SENDER, smtp_password="wrong")
        assert await send_test_email(tenant) == {
            "error": "ACC_AUTH_ERROR",
            "message": f"The SMTP server {smtp_sink.host}:{smtp_sink.port} refused the login of {SENDER} "
            f"(smtp_username {SENDER}): 535 5.7.8 Authentication credentials invalid",
        }

    async def test_unknown_account_says_eaccount_must_be_one_of_the_workspace(self, tenant: Tenant) -> None:
        assert await send_test_email(tenant, "nobody@example.net") == {
            "error": "ACC_NOT_FOUND",
            "message": "nobody@example.net is not an account of this workspace: "
            "eaccount must be the email of one of its accounts",
        }

    async def test_other_failures_carry_the_server_answer(self, tenant: Tenant, smtp_sink: SmtpSink) -> None:
        await create_sink_account(tenant, smtp_sink, SENDER)
        smtp_sink.answer_rcpt("lead@example.org", "550 5.1.1 User unknown")
        assert await send_test_email(tenant) == {
            "error": "ACC_UNKNOWN_ERROR",
            "message": f"Sending from {SENDER} through {smtp_sink.host}:{smtp_sink.port} failed: "
            "550 5.1.1 User unknown",
        }
        port = free_port()  # nothing listens there
        await create_offline_account(tenant, "down@example.com", smtp_port=port)
        result = await send_test_email(tenant, "down@example.com")
        assert result["error"] == "ACC_UNKNOWN_ERROR"
        assert result["message"].startswith(
            f"Sending from down@example.com through 127.0.0.1:{port} failed: "
        )
