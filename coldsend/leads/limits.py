"""How many custom variables a lead may hold (a PATCH merges its keys into the lead's, so the merged
count is what is checked)."""

from collections.abc import Mapping

from coldsend.config import Settings
from coldsend.errors import BadRequest


def check_custom_variables(where: str, variables: Mapping[str, object] | None, settings: Settings) -> None:
    if variables is not None and len(variables) > settings.max_custom_variables:
        raise BadRequest(f"{where} must NOT have more than {settings.max_custom_variables} properties")
