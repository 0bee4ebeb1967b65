"""The placement tests' session-wide spamd, registered once for every module that uses it."""

from tests.placement.spamd import spamd  # noqa: F401 (fixture)
