"""Settings → Webhooks: subscriptions (create, test, resume, delete) and the delivery log, through the
webhook services of /webhooks and /webhook-events."""

import uuid

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse

from coldsend.analytics.dates import Instants
from coldsend.audit_logs import service as audit_log_service
from coldsend.errors import NotFound
from coldsend.models import ActivityType, Webhook
from coldsend.web.context import CurrentMember, Db, Form, Member, settings_of, show, text
from coldsend.web.forms import checked
from coldsend.web.render import redirect
from coldsend.webhook_events import service as webhook_event_service
from coldsend.webhooks import service as webhook_service
from coldsend.webhooks import testing
from coldsend.webhooks.schemas import WebhookCreate

router = APIRouter(prefix="/settings/webhooks")

LISTED = 200
LOGGED = 100


@router.get("")
async def webhooks(member: CurrentMember, db: Db, failed: str = "") -> HTMLResponse:
    member.require("listWebhook")
    workspace_id = member.principal.workspace_id
    rows, _ = await webhook_service.list_page(db, workspace_id=workspace_id, limit=LISTED, after=None)
    log: list[object] = []
    if member.can("listWebhookEvent"):
        found, _ = await webhook_event_service.list_page(
            db,
            workspace_id=workspace_id,
            limit=LOGGED,
            after=None,
            window=Instants(),
            success=False if failed else None,
        )
        log = list(found)
    return await show(
        db,
        member,
        "settings/webhooks.html",
        section="settings",
        tab="webhooks",
        webhooks=rows,
        log=log,
        event_types=await webhook_service.event_types(db, workspace_id=workspace_id),
        failed=failed,
    )


@router.post("")
async def create_webhook(request: Request, member: CurrentMember, form: Form, db: Db) -> Response:
    member.require("createWebhook")
    body: dict[str, object] = {"target_hook_url": text(form, "target_hook_url")}
    for name in ("name", "event_type", "campaign"):
        if text(form, name):
            body[name] = text(form, name)
    webhook = await webhook_service.create(
        db,
        settings_of(request),
        workspace_id=member.principal.workspace_id,
        webhook_in=checked(WebhookCreate, body),
    )
    await audit_log_service.record(
        db,
        member.principal,
        ActivityType.WEBHOOK_CREATED,
        webhook_id=webhook.id,
        campaign_id=webhook.campaign_id,
    )
    member.notify(f"Webhook to {webhook.target_hook_url} created")
    return redirect("/settings/webhooks")


async def _webhook(db: Db, member: Member, webhook_id: str) -> Webhook:
    try:
        wanted = uuid.UUID(webhook_id)
    except ValueError:
        raise NotFound() from None
    webhook = await webhook_service.get(db, workspace_id=member.principal.workspace_id, webhook_id=wanted)
    if webhook is None:
        raise NotFound()
    return webhook


@router.post("/{webhook_id}/test")
async def try_webhook(
    request: Request, webhook_id: str, member: CurrentMember, _form: Form, db: Db
) -> Response:
    """What POST /webhooks/{id}/test does: a signed sample posted now, one row of the delivery log."""
    member.require("testWebhook")
    webhook = await _webhook(db, member, webhook_id)
    result = await testing.send_test(db, settings_of(request), webhook)
    answer = f"HTTP {result.status_code}" if result.status_code is not None else "no answer"
    detail = f"{answer}, {result.response_time_ms} ms" + (f": {result.error}" if result.error else "")
    member.notify(f"{result.message} ({detail})", error=not result.success)
    return redirect("/settings/webhooks")


@router.post("/{webhook_id}/resume")
async def resume_webhook(webhook_id: str, member: CurrentMember, _form: Form, db: Db) -> Response:
    member.require("resumeWebhook")
    webhook = await webhook_service.resume(db, await _webhook(db, member, webhook_id))
    member.notify(f"Webhook to {webhook.target_hook_url} resumed")
    return redirect("/settings/webhooks")


@router.post("/{webhook_id}/delete")
async def delete_webhook(webhook_id: str, member: CurrentMember, _form: Form, db: Db) -> Response:
    member.require("deleteWebhook")
    webhook = await _webhook(db, member, webhook_id)
    await webhook_service.delete(db, webhook)
    member.notify(f"Webhook to {webhook.target_hook_url} deleted")
    return redirect("/settings/webhooks")
