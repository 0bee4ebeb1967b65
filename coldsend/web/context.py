"""What every page depends on: the unit of work, the signed-in member (their role as scopes, the
workspace worked on), and the CSRF check of a posted form."""

import secrets
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.datastructures import FormData, State

from coldsend.config import Settings
from coldsend.db.session import session_scope
from coldsend.errors import ColdsendError, Forbidden
from coldsend.http.scopes import ACCEPTED_SCOPES
from coldsend.models import DashboardSession, User, Workspace
from coldsend.principal import Principal
from coldsend.web import identity
from coldsend.web.render import page
from coldsend.web.roles import scopes_of
from coldsend.workspace_group_members import service as group_service
from coldsend.workspace_members import service as member_service
from coldsend.workspaces import service as workspace_service

SESSION_COOKIE = "coldsend_session"
ANONYMOUS_CSRF_COOKIE = "coldsend_csrf"


class SignInRequired(Exception):
    """No live session: the page answers with a redirect to the sign-in form."""


def core(request: Request) -> State:
    """The API app's state (settings, sessionmakers): the dashboard is mounted inside that app."""
    state: State = request.app.state.core
    return state


def settings_of(request: Request) -> Settings:
    settings: Settings = core(request).settings
    return settings


async def _db(request: Request) -> AsyncIterator[AsyncSession]:
    async with session_scope(core(request).sessionmaker) as session:
        yield session


Db = Annotated[AsyncSession, Depends(_db, scope="function")]


def client_ip(request: Request) -> str:
    return request.client.host if request.client else ""


@dataclass
class Member:
    """A signed-in person acting in a workspace, with the scopes of their role there."""

    user: User
    row: DashboardSession
    role: str
    workspace: Workspace
    principal: Principal

    def can(self, operation_id: str) -> bool:
        return bool(self.principal.scopes & ACCEPTED_SCOPES[operation_id])

    def require(self, operation_id: str) -> None:
        if not self.can(operation_id):
            raise Forbidden(f"Your role ({self.role}) does not allow this ({operation_id})")

    def notify(self, message: str, *, error: bool = False) -> None:
        """A message the next page shows once."""
        self.row.notice_kind = "error" if error else "ok"
        self.row.notice = message

    def take_notice(self) -> tuple[str, str] | None:
        if not self.row.notice:
            return None
        shown = (self.row.notice_kind or "ok", self.row.notice)
        self.row.notice = self.row.notice_kind = None
        return shown


async def switch_targets(
    session: AsyncSession, user_id: uuid.UUID
) -> dict[uuid.UUID, tuple[uuid.UUID, Workspace]]:
    """Where the user may work, each with the workspace whose membership acts there: the workspaces they
    are a member of, and the sub workspaces of those workspaces' groups (as x-as-workspace allows)."""
    targets: dict[uuid.UUID, uuid.UUID] = {}
    for membership in await identity.memberships(session, user_id):
        targets.setdefault(membership.workspace_id, membership.workspace_id)
        for sub in await group_service.linked_subs(session, admin_workspace_id=membership.workspace_id):
            targets.setdefault(sub, membership.workspace_id)
    found: dict[uuid.UUID, tuple[uuid.UUID, Workspace]] = {}
    for workspace_id, member_workspace_id in targets.items():
        workspace = await workspace_service.get(session, workspace_id)
        if workspace is not None:
            found[workspace_id] = (member_workspace_id, workspace)
    return found


async def _member(request: Request, db: Db) -> Member:
    token = request.cookies.get(SESSION_COOKIE)
    row = await identity.live_session(db, settings_of(request), token) if token else None
    if row is None:
        raise SignInRequired()
    user = await db.get(User, row.user_id)
    membership = await member_service.get_by_email(
        db, workspace_id=row.member_workspace_id, email=user.email if user else ""
    )
    if user is None or membership is None:
        await identity.close_session(db, row)
        raise SignInRequired()
    if (
        row.workspace_id != row.member_workspace_id
        and row.workspace_id
        not in await group_service.linked_subs(db, admin_workspace_id=row.member_workspace_id)
    ):
        # The group link went away: back to the member's own workspace, as x-as-workspace would refuse it.
        row.workspace_id = row.member_workspace_id
    workspace = await workspace_service.get_current(db, row.workspace_id)
    principal = Principal(
        workspace_id=row.workspace_id,
        key_workspace_id=row.member_workspace_id,
        api_key_id=None,
        scopes=scopes_of(membership.role),
        ip_address=client_ip(request),
        user_agent=request.headers.get("user-agent"),
    )
    return Member(user=user, row=row, role=membership.role, workspace=workspace, principal=principal)


CurrentMember = Annotated[Member, Depends(_member)]


def _same(given: Any, expected: str) -> bool:
    return isinstance(given, str) and secrets.compare_digest(given.encode(), expected.encode())


async def _posted(request: Request, member: CurrentMember) -> FormData:
    """The form of a state-changing request, once its CSRF token matched the session's."""
    form = await request.form()
    given = form.get("csrf_token") or request.headers.get("x-csrf-token")
    if not _same(given, member.row.csrf_token):
        raise Forbidden("The form's CSRF token is missing or does not match your session; reload the page")
    return form


Form = Annotated[FormData, Depends(_posted)]


async def anonymous_form(request: Request) -> FormData:
    """A form posted before sign-in: double-submit CSRF (the hidden field equals the cookie set with it)."""
    form = await request.form()
    cookie = request.cookies.get(ANONYMOUS_CSRF_COOKIE)
    if not cookie or not _same(form.get("csrf_token"), cookie):
        raise Forbidden("The form's CSRF token is missing or does not match; reload the page")
    return form


def text(form: FormData, name: str, default: str = "") -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else default


def error_message(exc: ColdsendError) -> str:
    return exc.message


async def show(
    db: AsyncSession, member: Member, template: str, *, status: int = 200, **context: Any
) -> HTMLResponse:
    """A signed-in page: the layout's member, workspaces, CSRF token and pending notice, and `context`."""
    targets = await switch_targets(db, member.user.id)
    return page(
        template,
        status=status,
        member=member,
        csrf=member.row.csrf_token,
        notice=member.take_notice(),
        workspaces=[workspace for _, workspace in targets.values()],
        **context,
    )
