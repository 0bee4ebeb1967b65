from collections.abc import Iterable

from coldsend.http.extensions import EXTENSIONS_BY_ID
from coldsend.http.operations import GRANTABLE_SCOPES, OPERATIONS_BY_ID, SCOPE_ACTIONS


def accepted_scopes(operation_id: str) -> frozenset[str]:
    """The four scopes that each open an operation: `X:act`, `X:all`, `all:act`, `all:all`."""
    op = OPERATIONS_BY_ID.get(operation_id) or EXTENSIONS_BY_ID[operation_id]
    resource, action = op.scope.split(":")
    return frozenset({f"{resource}:{action}", f"{resource}:all", f"all:{action}", "all:all"})


ACCEPTED_SCOPES: dict[str, frozenset[str]] = {
    op_id: accepted_scopes(op_id) for op_id in (*OPERATIONS_BY_ID, *EXTENSIONS_BY_ID)
}

SPECIFIC_ACTIONS = tuple(action for action in SCOPE_ACTIONS if action != "all")
RESOURCES = frozenset(scope.partition(":")[0] for scope in GRANTABLE_SCOPES) - {"all"}


def _covered(scope: str) -> frozenset[tuple[str, str]]:
    """The (resource, action) pairs a scope opens, `all` on either side standing for every one."""
    resource, _, action = scope.partition(":")
    resources = RESOURCES if resource == "all" else {resource}
    actions = SPECIFIC_ACTIONS if action == "all" else (action,)
    return frozenset((r, a) for r in resources for a in actions)


def ungranted(wanted: Iterable[str], held: Iterable[str]) -> list[str]:
    """The scopes of `wanted` that open something `held` does not: a key may only pass on what it holds."""
    holds = frozenset().union(*(_covered(scope) for scope in held))
    return [scope for scope in wanted if not _covered(scope) <= holds]
