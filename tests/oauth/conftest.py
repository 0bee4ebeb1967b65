"""The app set up for OAuth (tests/oauth/world.py), with its peers."""

from collections.abc import Iterator

import pytest
from fastapi import FastAPI

from tests.conftest import OverrideSettings
from tests.imap_server import Dovecot
from tests.oauth.world import OAuthWorld, oauth_settings
from tests.oauth_provider import OAuthProvider
from tests.smtp_sink import SmtpSink


@pytest.fixture
def world(
    app: FastAPI,
    override_settings: OverrideSettings,
    oauth_provider: OAuthProvider,
    oauth_sink: SmtpSink,
    oauth_dovecot: Dovecot,
) -> Iterator[OAuthWorld]:
    settings = override_settings(**oauth_settings(oauth_provider, oauth_sink, oauth_dovecot))
    oauth_provider.access_token_seconds = 3600
    oauth_provider.id_tokens = True
    try:
        yield OAuthWorld(app, oauth_provider, oauth_sink, oauth_dovecot, settings)
    finally:
        oauth_provider.access_token_seconds = 3600
        oauth_provider.id_tokens = True
