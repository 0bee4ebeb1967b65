"""Fixtures of the dashboard tests: the browser, the screenshots directory and a served site."""

from tests.web.browser import browser, screenshots  # noqa: F401 (fixtures)
from tests.web.site import site  # noqa: F401 (fixture)
