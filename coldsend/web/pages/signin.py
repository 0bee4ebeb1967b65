"""Sign in with email and password, set a password through a one-time link, switch workspace, sign out."""

import secrets
import uuid

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse

from coldsend.errors import BadRequest, NotFound
from coldsend.models import SignInLink, User
from coldsend.web import identity
from coldsend.web.context import (
    ANONYMOUS_CSRF_COOKIE,
    SESSION_COOKIE,
    CurrentMember,
    Db,
    Form,
    anonymous_form,
    client_ip,
    core,
    settings_of,
    switch_targets,
    text,
)
from coldsend.web.render import page, redirect
from coldsend.web.throttle import LoginThrottle

router = APIRouter()

WRONG = "Wrong email or password"
THROTTLED = "Too many failed sign-ins; wait a few minutes and try again"


def _secure(request: Request) -> bool:
    return settings_of(request).effective_public_url().startswith("https://")


def _throttle(request: Request) -> LoginThrottle:
    state = core(request)
    throttle: LoginThrottle | None = getattr(state, "login_throttle", None)
    if throttle is None:
        settings = settings_of(request)
        throttle = LoginThrottle(
            per_address=settings.login_attempts_per_address,
            per_ip=settings.login_attempts_per_ip,
            window=settings.login_window_seconds,
        )
        state.login_throttle = throttle
    return throttle


def _anonymous_page(request: Request, template: str, *, status: int = 200, **context: object) -> HTMLResponse:
    """A page with a form posted before sign-in: its CSRF value, in the form and in a cookie."""
    token = request.cookies.get(ANONYMOUS_CSRF_COOKIE) or secrets.token_urlsafe(32)
    response = page(template, status=status, csrf_token=token, **context)
    response.set_cookie(
        ANONYMOUS_CSRF_COOKIE, token, httponly=True, samesite="lax", secure=_secure(request), path="/"
    )
    return response


def _local(target: str) -> str:
    """Where to go after sign-in: a path of this site only."""
    return target if target.startswith("/") and not target.startswith(("//", "/\\")) else "/"


async def _signed_in(request: Request, db: Db, user_email: str, target: str) -> Response:
    user = await identity.user_by_email(db, user_email)
    assert user is not None
    memberships = await identity.memberships(db, user.id)
    if not memberships:
        raise BadRequest("You are not a member of any workspace")
    opened = await identity.open_session(
        db,
        settings_of(request),
        user=user,
        workspace_id=memberships[0].workspace_id,
        ip_address=client_ip(request),
        user_agent=request.headers.get("user-agent"),
    )
    response = redirect(_local(target))
    response.set_cookie(
        SESSION_COOKIE, opened.token, httponly=True, samesite="lax", secure=_secure(request), path="/"
    )
    return response


@router.get("/")
async def home() -> Response:
    return redirect("/campaigns")


@router.get("/sign-in")
async def sign_in_form(request: Request, next: str = "/") -> HTMLResponse:
    return _anonymous_page(request, "sign_in.html", next=_local(next), error=None, email="")


@router.post("/sign-in")
async def sign_in(request: Request, db: Db) -> Response:
    form = await anonymous_form(request)
    email, password, target = text(form, "email"), str(form.get("password") or ""), text(form, "next", "/")
    throttle, ip = _throttle(request), client_ip(request)
    if throttle.blocked(email, ip):
        return _anonymous_page(request, "sign_in.html", status=429, next=target, error=THROTTLED, email=email)
    user = await identity.check_credentials(db, email, password)
    if user is None:
        throttle.failed(email, ip)
        return _anonymous_page(request, "sign_in.html", status=400, next=target, error=WRONG, email=email)
    throttle.succeeded(email)
    return await _signed_in(request, db, user.email, target)


async def _link(db: Db, token: str) -> SignInLink:
    link = await identity.live_link(db, token)
    if link is None:
        raise NotFound("This sign-in link was used already or has expired; ask for a new one")
    return link


@router.get("/sign-in/link/{token}")
async def link_form(request: Request, token: str, db: Db) -> HTMLResponse:
    link = await _link(db, token)
    user = await db.get(User, link.user_id)
    assert user is not None
    return _anonymous_page(request, "set_password.html", link=link, email=user.email, error=None)


@router.post("/sign-in/link/{token}")
async def use_link(request: Request, token: str, db: Db) -> Response:
    form = await anonymous_form(request)
    link = await _link(db, token)
    password = str(form.get("password") or "")
    chosen = text(form, "email") or None
    try:
        identity.check_password_rules(password, str(form.get("confirmation") or ""))
        user = await identity.use_link(db, link, password=password, email=chosen)
    except BadRequest as exc:
        owner = await db.get(User, link.user_id)
        shown = chosen or (owner.email if owner else "")
        return _anonymous_page(
            request, "set_password.html", status=400, link=link, email=shown, error=exc.message
        )
    return await _signed_in(request, db, user.email, "/")


@router.post("/sign-out")
async def sign_out(member: CurrentMember, _form: Form, db: Db) -> Response:
    await identity.close_session(db, member.row)
    response = redirect("/sign-in")
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.post("/workspace")
async def switch_workspace(member: CurrentMember, form: Form, db: Db) -> Response:
    """Work in another workspace: one the person is a member of, or a sub workspace of its group."""
    try:
        wanted = uuid.UUID(text(form, "workspace_id"))
    except ValueError:
        raise BadRequest("Choose a workspace") from None
    target = (await switch_targets(db, member.user.id)).get(wanted)
    if target is None:
        raise NotFound()
    member.row.member_workspace_id, member.row.workspace_id = target[0], wanted
    await db.flush()
    return redirect("/campaigns")
