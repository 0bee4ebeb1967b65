from tests.webhooks.conftest import hook_dns  # noqa: F401 (fixture: webhooks are created through the API)
