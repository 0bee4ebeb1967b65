"""Fixtures of the dashboard tests: the browser, the screenshots directory, a served site, and the browser
flow's module fixtures (the SMTP sink, the owner's browser context, what earlier tests made)."""

from tests.web.browser import browser, screenshots  # noqa: F401 (fixtures)
from tests.web.flow import owner, sink, world  # noqa: F401 (fixtures)
from tests.web.site import site  # noqa: F401 (fixture)
