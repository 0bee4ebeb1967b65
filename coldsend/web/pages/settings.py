"""Settings: API keys (created with scopes, shown once; revoked), members (invited with a one-time link, role,
removed), the block list, custom tags and lead labels; each through its resource's service."""

import uuid
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse

from coldsend.api_keys import service as api_key_service
from coldsend.api_keys.schemas import APIKeyCreate
from coldsend.audit_logs import service as audit_log_service
from coldsend.block_list_entries import service as block_list_service
from coldsend.block_list_entries.schemas import BlockListEntryCreate
from coldsend.custom_tags import service as tag_service
from coldsend.custom_tags.schemas import CustomTagCreate
from coldsend.errors import Forbidden, NotFound
from coldsend.http.operations import GRANTABLE_SCOPES
from coldsend.http.scopes import ungranted
from coldsend.lead_labels import service as label_service
from coldsend.lead_labels.schemas import LeadLabelCreate
from coldsend.models import ActivityType, LinkPurpose, MemberRole
from coldsend.web import identity
from coldsend.web.context import CurrentMember, Db, Form, Member, core, settings_of, show, text
from coldsend.web.forms import checked
from coldsend.web.render import redirect
from coldsend.workspace_members import service as member_service
from coldsend.workspace_members.schemas import WorkspaceMemberCreate, WorkspaceMemberUpdate

router = APIRouter(prefix="/settings")

ROLES = (MemberRole.ADMIN, MemberRole.EDITOR, MemberRole.VIEW)
LISTED = 500


def _id(raw: str) -> uuid.UUID:
    try:
        return uuid.UUID(raw)
    except ValueError:
        raise NotFound() from None


@router.get("")
async def overview() -> Response:
    return redirect("/settings/api-keys")


# API keys


async def _keys_page(
    db: Db, member: Member, *, created: str | None = None, status: int = 200
) -> HTMLResponse:
    member.require("listAPIKey")
    keys, _ = await api_key_service.list_page(
        db, workspace_id=member.principal.workspace_id, limit=LISTED, after=None
    )
    return await show(
        db,
        member,
        "settings/api_keys.html",
        status=status,
        section="settings",
        tab="api-keys",
        keys=keys,
        created=created,
        scopes=sorted(GRANTABLE_SCOPES),
        masked=api_key_service.MASK,
    )


@router.get("/api-keys")
async def api_keys(member: CurrentMember, db: Db) -> HTMLResponse:
    return await _keys_page(db, member)


@router.post("/api-keys")
async def create_api_key(member: CurrentMember, form: Form, db: Db) -> HTMLResponse:
    """The new key is on this response only (not stored, not redirected to)."""
    member.require("createAPIKey")
    scopes = [scope for scope in form.getlist("scopes") if isinstance(scope, str)]
    body = checked(APIKeyCreate, {"name": text(form, "name"), "scopes": scopes})
    beyond = ungranted(body.scopes, member.principal.scopes)
    if beyond:
        raise Forbidden(f"An API key can only grant scopes your role holds; not held: {', '.join(beyond)}")
    key, secret = await api_key_service.create(
        db,
        workspace_id=member.principal.workspace_id,
        name=body.name,
        scopes=body.scopes,
        admin_workspace_id=member.principal.granted_by_admin,
    )
    await audit_log_service.record(
        db,
        member.principal,
        ActivityType.API_KEY_CREATED,
        metadata={"api_key_id": str(key.id), "name": key.name},
    )
    return await _keys_page(db, member, created=secret)


@router.post("/api-keys/{key_id}/revoke")
async def revoke_api_key(
    request: Request, key_id: str, member: CurrentMember, _form: Form, db: Db
) -> Response:
    member.require("deleteAPIKey")
    key = await api_key_service.get(db, workspace_id=member.principal.workspace_id, key_id=_id(key_id))
    if key is None:
        raise NotFound()
    await api_key_service.revoke(db, key)
    core(request).key_cache.forget(key.key_hash)
    await audit_log_service.record(
        db,
        member.principal,
        ActivityType.API_KEY_DELETED,
        metadata={"api_key_id": str(key.id), "name": key.name},
    )
    member.notify(f"API key {key.name} revoked")
    return redirect("/settings/api-keys")


# Members


async def _members_page(db: Db, member: Member, *, link: str | None = None) -> HTMLResponse:
    member.require("listWorkspaceMember")
    rows, _ = await member_service.list_page(
        db, workspace_id=member.principal.workspace_id, limit=LISTED, after=None
    )
    return await show(
        db,
        member,
        "settings/members.html",
        section="settings",
        tab="members",
        members=rows,
        roles=ROLES,
        link=link,
    )


@router.get("/members")
async def members(member: CurrentMember, db: Db) -> HTMLResponse:
    return await _members_page(db, member)


async def _invite_link(request: Request, db: Db, member: Member, email: str) -> str | None:
    """A one-time link for a person without a password; someone who has one signs in with it instead."""
    user = await identity.user_by_email(db, email)
    assert user is not None
    if await identity.has_password(db, user):
        member.notify(
            f"{email} has a dashboard password already: they sign in with it and find this workspace"
        )
        return None
    path = await identity.create_link(
        db,
        settings_of(request),
        user=user,
        workspace_id=member.principal.workspace_id,
        purpose=LinkPurpose.INVITE,
    )
    return settings_of(request).effective_public_url() + path


@router.post("/members")
async def invite_member(request: Request, member: CurrentMember, form: Form, db: Db) -> HTMLResponse:
    """The invitation's one-time sign-in link is on this response only: hand it to the person."""
    member.require("createWorkspaceMember")
    body = checked(WorkspaceMemberCreate, {"email": text(form, "email"), "role": text(form, "role")})
    created = await member_service.create(db, workspace_id=member.principal.workspace_id, member_in=body)
    return await _members_page(db, member, link=await _invite_link(request, db, member, created.email))


async def _member_row(db: Db, member: Member, member_id: str) -> Any:
    found = await member_service.get(db, workspace_id=member.principal.workspace_id, member_id=_id(member_id))
    if found is None:
        raise NotFound()
    return found


@router.post("/members/{member_id}/link")
async def new_link(
    request: Request, member_id: str, member: CurrentMember, _form: Form, db: Db
) -> HTMLResponse:
    member.require("createWorkspaceMember")
    found = await _member_row(db, member, member_id)
    return await _members_page(db, member, link=await _invite_link(request, db, member, found.email))


@router.post("/members/{member_id}/role")
async def change_role(member_id: str, member: CurrentMember, form: Form, db: Db) -> Response:
    member.require("patchWorkspaceMember")
    found = await _member_row(db, member, member_id)
    body = checked(WorkspaceMemberUpdate, {"role": text(form, "role")})
    await member_service.update(db, found, changes=body.model_dump(exclude_unset=True))
    member.notify(f"{found.email} is now {found.role}")
    return redirect("/settings/members")


@router.post("/members/{member_id}/remove")
async def remove_member(member_id: str, member: CurrentMember, _form: Form, db: Db) -> Response:
    member.require("deleteWorkspaceMember")
    found = await _member_row(db, member, member_id)
    await member_service.delete(db, found)
    member.notify(f"{found.email} removed")
    return redirect("/settings/members")


# Block list, custom tags, lead labels


@router.get("/block-list")
async def block_list(member: CurrentMember, db: Db, search: str = "") -> HTMLResponse:
    member.require("listBlockListEntry")
    rows, more = await block_list_service.list_page(
        db,
        workspace_id=member.principal.workspace_id,
        filters=block_list_service.Filters(search=search.strip() or None),
        limit=LISTED,
        after=None,
    )
    return await show(
        db,
        member,
        "settings/block_list.html",
        section="settings",
        tab="block-list",
        rows=rows,
        more=more,
        search=search,
    )


@router.post("/block-list")
async def block(member: CurrentMember, form: Form, db: Db) -> Response:
    member.require("createBlockListEntry")
    body = checked(BlockListEntryCreate, {"bl_value": text(form, "bl_value")})
    entry = await block_list_service.create(
        db, workspace_id=member.principal.workspace_id, bl_value=body.bl_value
    )
    member.notify(f"{entry.bl_value} is blocked")
    return redirect("/settings/block-list")


@router.post("/block-list/{entry_id}/remove")
async def unblock(entry_id: str, member: CurrentMember, _form: Form, db: Db) -> Response:
    member.require("deleteBlockListEntry")
    entry = await block_list_service.get(
        db, workspace_id=member.principal.workspace_id, entry_id=_id(entry_id)
    )
    if entry is None:
        raise NotFound()
    await block_list_service.remove(db, entry)
    member.notify(f"{entry.bl_value} removed from the block list")
    return redirect("/settings/block-list")


@router.get("/tags")
async def tags(member: CurrentMember, db: Db) -> HTMLResponse:
    member.require("listCustomTag")
    tag_rows, _ = await tag_service.list_page(
        db, workspace_id=member.principal.workspace_id, limit=LISTED, after=None
    )
    label_rows, _ = await label_service.list_page(
        db, workspace_id=member.principal.workspace_id, limit=LISTED
    )
    return await show(
        db,
        member,
        "settings/tags.html",
        section="settings",
        tab="tags",
        tags=tag_rows,
        labels=label_rows,
    )


@router.post("/tags")
async def create_tag(member: CurrentMember, form: Form, db: Db) -> Response:
    member.require("createCustomTag")
    body = checked(
        CustomTagCreate, {"label": text(form, "label"), "description": text(form, "description") or None}
    )
    tag = await tag_service.create(db, workspace_id=member.principal.workspace_id, tag_in=body)
    member.notify(f"Tag {tag.label} created")
    return redirect("/settings/tags")


@router.post("/tags/{tag_id}/remove")
async def delete_tag(tag_id: str, member: CurrentMember, _form: Form, db: Db) -> Response:
    member.require("deleteCustomTag")
    tag = await tag_service.get(db, workspace_id=member.principal.workspace_id, tag_id=_id(tag_id))
    if tag is None:
        raise NotFound()
    await tag_service.delete(db, tag)
    member.notify(f"Tag {tag.label} deleted")
    return redirect("/settings/tags")


@router.post("/labels")
async def create_label(member: CurrentMember, form: Form, db: Db) -> Response:
    member.require("createLeadLabel")
    body = checked(
        LeadLabelCreate,
        {"label": text(form, "label"), "interest_status_label": text(form, "interest_status_label")}
        | ({"description": text(form, "description")} if text(form, "description") else {}),
    )
    label = await label_service.create(db, workspace_id=member.principal.workspace_id, label_in=body)
    member.notify(f"Lead label {label.label} created")
    return redirect("/settings/tags")


@router.post("/labels/{label_id}/remove")
async def delete_label(label_id: str, member: CurrentMember, _form: Form, db: Db) -> Response:
    member.require("deleteLeadLabel")
    label = await label_service.get(db, workspace_id=member.principal.workspace_id, label_id=_id(label_id))
    if label is None:
        raise NotFound()
    await label_service.delete(db, label, reassigned_status=None)
    member.notify(f"Lead label {label.label} deleted")
    return redirect("/settings/tags")
