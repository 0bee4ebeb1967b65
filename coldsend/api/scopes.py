from coldsend.api.operations import OPERATIONS_BY_ID, SCOPE_ACTIONS


def accepted_scopes(operation_id: str) -> frozenset[str]:
    """The four scopes that each open an operation: `X:act`, `X:all`, `all:act`, `all:all`."""
    resource, action = OPERATIONS_BY_ID[operation_id].scope.split(":")
    return frozenset({f"{resource}:{action}", f"{resource}:all", f"all:{action}", "all:all"})


def is_valid_scope(scope: str) -> bool:
    resource, _, action = scope.partition(":")
    return bool(resource) and action in SCOPE_ACTIONS


ACCEPTED_SCOPES: dict[str, frozenset[str]] = {op_id: accepted_scopes(op_id) for op_id in OPERATIONS_BY_ID}
