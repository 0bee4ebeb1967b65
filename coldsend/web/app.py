"""The dashboard app, mounted inside the API app at `/` (below `/api/v2`, `/docs` and the rest)."""

from collections.abc import Awaitable, Callable
from urllib.parse import quote

from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match, Mount
from starlette.types import Scope

from coldsend.errors import ColdsendError
from coldsend.web.context import SignInRequired
from coldsend.web.pages import (
    accounts,
    analytics,
    campaigns,
    deliverability,
    imports,
    leads,
    settings,
    signin,
    unibox,
    webhooks,
)
from coldsend.web.render import STATIC, page, redirect

# No inline script or style anywhere: every script and the stylesheet are files of this package.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}
# Paths the API app answers, 404 and 405 included: never the dashboard's.
API_PREFIXES = ("/api/", "/t/", "/docs", "/openapi.json", "/healthz")


class DashboardMount(Mount):
    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        path: str = scope.get("path", "")
        if scope["type"] == "http" and (path == "/api" or path.startswith(API_PREFIXES)):
            return Match.NONE, {}
        return super().matches(scope)


def _error_page(request: Request, status: int, message: str) -> Response:
    return page("error.html", status=status, status_code=status, message=message, request=request)


async def _coldsend_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ColdsendError)
    return _error_page(request, exc.status_code, exc.message)


async def _sign_in_required(request: Request, _exc: Exception) -> Response:
    if request.method != "GET":
        return _error_page(request, 401, "You are signed out; sign in again")
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return redirect("/sign-in?next=" + quote(target, safe=""))


async def _invalid(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    where = ", ".join(".".join(str(part) for part in error["loc"]) for error in exc.errors()[:3])
    return _error_page(request, 400, f"The request is not valid ({where})")


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    message = "There is no such page" if exc.status_code == 404 else str(exc.detail)
    return _error_page(request, exc.status_code, message)


def create_dashboard(parent: FastAPI) -> FastAPI:
    dashboard = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)
    dashboard.state.core = parent.state
    dashboard.add_exception_handler(ColdsendError, _coldsend_error)
    dashboard.add_exception_handler(SignInRequired, _sign_in_required)
    dashboard.add_exception_handler(RequestValidationError, _invalid)
    dashboard.add_exception_handler(StarletteHTTPException, _http_error)

    @dashboard.middleware("http")
    async def security_headers(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        response = await call_next(request)
        response.headers.update(SECURITY_HEADERS)
        if not request.url.path.startswith("/static/"):
            response.headers["Cache-Control"] = "no-store"
        return response

    for module in (
        signin,
        campaigns,
        imports,
        leads,
        accounts,
        unibox,
        analytics,
        deliverability,
        settings,
        webhooks,
    ):
        dashboard.include_router(module.router)
    dashboard.mount("/static", StaticFiles(directory=STATIC), name="static")
    return dashboard


def install_dashboard(app: FastAPI) -> None:
    """Serve the dashboard at `/`, after every route of the API app."""
    app.router.routes.append(DashboardMount("/", app=create_dashboard(app)))
