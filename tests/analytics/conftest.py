"""The constructed history (tests/analytics/world.py) as a module-scoped fixture."""

from tests.analytics.world import world  # noqa: F401 (fixture)
