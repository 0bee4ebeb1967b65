"""XOAUTH2 in the mail library against real peers: an aiosmtpd server and Dovecot's `oauth2` passdb, both
asking the test OAuth server's introspection endpoint about the bearer token."""

import logging
import uuid

import pytest

from coldsend.mail import imap, smtp
from coldsend.mail.xoauth2 import OAuth2, TokenRefused, TokenUnavailable, initial_response
from tests.imap_server import Dovecot
from tests.oauth_provider import OAuthProvider
from tests.smtp_sink import SmtpSink

MESSAGE = b"From: a@example.com\r\nTo: b@example.com\r\nSubject: hi\r\n\r\nhello\r\n"


def _address() -> str:
    return f"mailbox-{uuid.uuid4().hex[:8]}@example.com"


class Source:
    """A token source as the accounts package gives one: the tokens it hands out, and what it was told."""

    def __init__(self, *tokens: str, failure: Exception | None = None) -> None:
        self.tokens = list(tokens)
        self.calls: list[str | None] = []
        self.failure = failure

    async def __call__(self, refused: str | None) -> str:
        self.calls.append(refused)
        if self.failure is not None:
            raise self.failure
        return self.tokens.pop(0)


def _smtp(sink: SmtpSink, user: str, token: str | Source) -> smtp.SmtpEndpoint:
    return smtp.SmtpEndpoint(
        host=sink.host,
        port=sink.port,
        username=user,
        password="",
        security="starttls",
        timeout=5,
        ca_file=str(sink.ca_path),
        oauth2=OAuth2(token),
    )


def _imap(server: Dovecot, user: str, token: str | Source) -> imap.ImapEndpoint:
    return imap.ImapEndpoint(
        host=server.host,
        port=server.port,
        username=user,
        password="",
        security="starttls",
        timeout=5,
        ca_file=str(server.ca_path),
        oauth2=OAuth2(token),
    )


class TestSmtp:
    async def test_a_valid_token_logs_in_and_sends(
        self, oauth_sink: SmtpSink, oauth_provider: OAuthProvider
    ) -> None:
        user = _address()
        access, _refresh = oauth_provider.grant(user)
        await smtp.send_message(
            _smtp(oauth_sink, user, access), mail_from=user, rcpt_to="b@example.com", message=MESSAGE
        )
        assert [item.login for item in oauth_sink.received] == [user]

    async def test_a_refused_token_value_is_an_auth_error(
        self, oauth_sink: SmtpSink, oauth_provider: OAuthProvider
    ) -> None:
        user = _address()
        access, _refresh = oauth_provider.grant(user)
        oauth_provider.expire_access_tokens(user)
        with pytest.raises(smtp.SmtpAuthError, match="535"):
            await smtp.check_login(_smtp(oauth_sink, user, access))

    async def test_a_source_is_asked_again_once_with_the_refused_token(
        self, oauth_sink: SmtpSink, oauth_provider: OAuthProvider
    ) -> None:
        user = _address()
        stale, _refresh = oauth_provider.grant(user)
        oauth_provider.expire_access_tokens(user)
        fresh, _refresh = oauth_provider.grant(user)
        source = Source(stale, fresh)
        await smtp.send_message(
            _smtp(oauth_sink, user, source), mail_from=user, rcpt_to="b@example.com", message=MESSAGE
        )
        assert source.calls == [None, stale]
        assert len(oauth_sink.received) == 1

    async def test_a_second_refusal_is_final(
        self, oauth_sink: SmtpSink, oauth_provider: OAuthProvider
    ) -> None:
        user = _address()
        first, _ = oauth_provider.grant(user)
        second, _ = oauth_provider.grant(user)
        oauth_provider.expire_access_tokens(user)
        source = Source(first, second)
        with pytest.raises(smtp.SmtpAuthError):
            await smtp.check_login(_smtp(oauth_sink, user, source))
        assert source.calls == [None, first]

    async def test_source_failures_are_classified(self, oauth_sink: SmtpSink) -> None:
        refused = Source(failure=TokenRefused("invalid_grant: Token has been expired or revoked."))
        with pytest.raises(smtp.SmtpAuthError, match="invalid_grant"):
            await smtp.check_login(_smtp(oauth_sink, _address(), refused))
        unavailable = Source(failure=TokenUnavailable("the token endpoint did not answer"))
        with pytest.raises(smtp.SmtpConnectionError, match="did not answer"):
            await smtp.check_login(_smtp(oauth_sink, _address(), unavailable))

    async def test_a_server_without_xoauth2_is_an_auth_error(self, smtp_sink_starttls: SmtpSink) -> None:
        with pytest.raises(smtp.SmtpAuthError, match="XOAUTH2"):
            await smtp.check_login(_smtp(smtp_sink_starttls, "sender@example.com", "token"))

    async def test_never_over_a_plain_connection_without_cleartext(self, oauth_sink: SmtpSink) -> None:
        endpoint = _smtp(oauth_sink, _address(), "token")
        plain = smtp.SmtpEndpoint(**{**endpoint.__dict__, "security": "none"})
        with pytest.raises(smtp.SmtpSecurityError):
            await smtp.check_login(plain)


class TestImap:
    async def test_a_valid_token_logs_in(self, oauth_dovecot: Dovecot, oauth_provider: OAuthProvider) -> None:
        user = _address()
        oauth_dovecot.add_user(user, uuid.uuid4().hex)
        access, _refresh = oauth_provider.grant(user)
        async with imap.Mailbox(_imap(oauth_dovecot, user, access)) as mailbox:
            assert await mailbox.select("INBOX") > 0

    async def test_a_refused_token_is_an_auth_error_not_a_hang(
        self, oauth_dovecot: Dovecot, oauth_provider: OAuthProvider
    ) -> None:
        user = _address()
        oauth_dovecot.add_user(user, uuid.uuid4().hex)
        access, _refresh = oauth_provider.grant(user)
        oauth_provider.expire_access_tokens(user)
        with pytest.raises(imap.ImapAuthError, match="AUTHENTICATE XOAUTH2 NO"):
            await imap.check_login(_imap(oauth_dovecot, user, access))

    async def test_a_source_is_asked_again_once_with_the_refused_token(
        self, oauth_dovecot: Dovecot, oauth_provider: OAuthProvider
    ) -> None:
        user = _address()
        oauth_dovecot.add_user(user, uuid.uuid4().hex)
        stale, _ = oauth_provider.grant(user)
        oauth_provider.expire_access_tokens(user)
        fresh, _ = oauth_provider.grant(user)
        source = Source(stale, fresh)
        await imap.check_login(_imap(oauth_dovecot, user, source))
        assert source.calls == [None, stale]

    async def test_source_failures_are_classified(self, oauth_dovecot: Dovecot) -> None:
        refused = Source(failure=TokenRefused("invalid_grant"))
        with pytest.raises(imap.ImapAuthError, match="invalid_grant"):
            await imap.check_login(_imap(oauth_dovecot, _address(), refused))
        unavailable = Source(failure=TokenUnavailable("the token endpoint did not answer"))
        with pytest.raises(imap.ImapConnectionError, match="did not answer"):
            await imap.check_login(_imap(oauth_dovecot, _address(), unavailable))

    async def test_a_server_without_xoauth2_is_an_auth_error(self, dovecot: Dovecot) -> None:
        with pytest.raises(imap.ImapAuthError, match="XOAUTH2"):
            await imap.check_login(_imap(dovecot, _address(), "token"))


async def test_the_token_stays_out_of_the_client_libraries_debug_logs(
    oauth_sink: SmtpSink,
    oauth_dovecot: Dovecot,
    oauth_provider: OAuthProvider,
    caplog: pytest.LogCaptureFixture,
) -> None:
    user = _address()
    oauth_dovecot.add_user(user, uuid.uuid4().hex)
    access, _refresh = oauth_provider.grant(user)
    caplog.set_level(logging.DEBUG)
    await smtp.check_login(_smtp(oauth_sink, user, access))
    await imap.check_login(_imap(oauth_dovecot, user, access))
    ours = [record.getMessage() for record in caplog.records if not record.name.startswith("mail.log")]
    assert any("Sending" in line for line in ours)  # aioimaplib's debug log of what it sends was captured
    secrets = (access, initial_response(user, access))
    assert [line for line in ours if any(secret in line for secret in secrets)] == []
