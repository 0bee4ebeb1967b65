"""A lead holds at most COLDSEND_MAX_CUSTOM_VARIABLES custom variables, however they arrive."""

import httpx
from fastapi import FastAPI

from tests.conftest import OverrideSettings, Tenant
from tests.leads.helpers import PATH, create, make_list


def variables(count: int, prefix: str = "v") -> dict[str, str]:
    return {f"{prefix}{n}": "x" for n in range(count)}


def refused(response: httpx.Response, message: str) -> None:
    assert response.status_code == 400, response.text
    assert response.json() == {"statusCode": 400, "error": "Bad Request", "message": message}


class TestCustomVariables:
    async def test_create_add_and_merging_patch(
        self, app: FastAPI, tenant: Tenant, override_settings: OverrideSettings
    ) -> None:
        override_settings(max_custom_variables=5)
        list_id = str(await make_list(app, tenant.workspace_id))
        too_many = "must NOT have more than 5 properties"
        refused(
            await tenant.client.post(
                PATH, json={"email": "a@example.org", "list_id": list_id, "custom_variables": variables(6)}
            ),
            f"body/custom_variables {too_many}",
        )
        leads = [{"email": "b@example.org"}, {"email": "c@example.org", "custom_variables": variables(6)}]
        refused(
            await tenant.client.post(f"{PATH}/add", json={"list_id": list_id, "leads": leads}),
            f"body/leads/1/custom_variables {too_many}",
        )
        lead = await create(tenant, email="d@example.org", list_id=list_id, custom_variables=variables(4))
        # Three new keys merged into four stored ones make seven.
        refused(
            await tenant.client.patch(f"{PATH}/{lead['id']}", json={"custom_variables": variables(3, "w")}),
            f"body/custom_variables {too_many}",
        )
        # Overwriting stored keys does not add any.
        patched = await tenant.client.patch(f"{PATH}/{lead['id']}", json={"custom_variables": variables(5)})
        assert patched.status_code == 200, patched.text
