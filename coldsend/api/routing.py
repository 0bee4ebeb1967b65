from fastapi import APIRouter, Depends, FastAPI
from fastapi.routing import APIRoute
from starlette.routing import BaseRoute

from coldsend.errors import NotAvailable
from coldsend.http.auth import authorize
from coldsend.http.operations import OPERATIONS, Operation
from coldsend.http.responses import doc
from coldsend.tracking import tokens

NOT_AVAILABLE = "not-available"


# The tracking links' routes share no path with any other, and come at the rate mail is read: tried first,
# before the API's 180 (Starlette tries routes in order, measured 0.15 ms to reach the last).
_TRACKING = (tokens.OPEN_PATH, tokens.CLICK_PATH, tokens.UNSUBSCRIBE_PATH)


def _specificity(route: BaseRoute) -> tuple[int, ...]:
    """Tracking first, then static segments before parameters, so `/campaigns/analytics` wins over
    `/campaigns/{id}`."""
    path: str = getattr(route, "path", "")
    tracking = 0 if path.startswith(_TRACKING) else 1
    return (tracking, *(1 if "{" in segment else 0 for segment in path.split("/")))


def mount_routers(app: FastAPI, routers: list[APIRouter]) -> None:
    """Put the routers' routes on the app itself (FastAPI's include_router nests them lazily),
    so that route ordering, the operation sweep and OpenAPI all see every APIRoute."""
    for router in routers:
        app.router.routes.extend(router.routes)


def sort_routes(app: FastAPI) -> None:
    app.router.routes.sort(key=_specificity)


def unavailable_message(op: Operation) -> str:
    return f"{op.operation_id} ({op.method} {op.path}) is not available on this Coldsend server"


def _unavailable_endpoint(op: Operation):  # type: ignore[no-untyped-def]
    async def endpoint() -> None:
        raise NotAvailable(unavailable_message(op))

    return endpoint


def add_unavailable_routes(app: FastAPI) -> None:
    """Every spec operation without a handler still authenticates, then answers 501 in the envelope."""
    served = {route.operation_id for route in app.routes if isinstance(route, APIRoute)}
    for op in OPERATIONS:
        if op.operation_id in served:
            continue
        app.add_api_route(
            op.path,
            _unavailable_endpoint(op),
            methods=[op.method],
            operation_id=op.operation_id,
            summary=op.summary,
            tags=[op.tag],
            dependencies=[Depends(authorize)],
            responses=doc(NotAvailable),
            openapi_extra={"x-coldsend-state": NOT_AVAILABLE},
        )


def route_state(route: APIRoute) -> str:
    extra = route.openapi_extra or {}
    return str(extra.get("x-coldsend-state", "implemented"))
