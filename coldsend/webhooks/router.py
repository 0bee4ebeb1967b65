import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Request

from coldsend import errors
from coldsend.audit_logs import service as audit_log_service
from coldsend.clock import utcnow
from coldsend.config import Settings
from coldsend.http.auth import Authorized
from coldsend.http.deps import Session
from coldsend.http.extensions import EXTENSION_KEY
from coldsend.http.pagination import Cursor
from coldsend.http.responses import doc
from coldsend.http.schemas import Page
from coldsend.models import ActivityType
from coldsend.models import Webhook as WebhookRow
from coldsend.principal import Principal
from coldsend.webhooks import service as webhook_service
from coldsend.webhooks.event_types import EventType
from coldsend.webhooks.schemas import (
    EventTypes,
    ReplayResult,
    Webhook,
    WebhookCreate,
    WebhookReplay,
    WebhookSecret,
    WebhookUpdate,
)

router = APIRouter(prefix="/api/v2/webhooks", tags=["Webhook"])

NOTES_KEY = "x-coldsend-notes"
SIGNED = (
    "Every delivery is signed with the webhook's own secret (Standard Webhooks: webhook-id, the same on "
    "each retry, webhook-timestamp and webhook-signature); read it with GET /webhooks/{id}/secret."
)
CREATE_NOTES = (
    "target_hook_url must be http(s) and its host must resolve; a host that is, or resolves to, a loopback, "
    "private, link-local, CGNAT, multicast or unspecified address is refused (400) unless "
    "COLDSEND_WEBHOOK_ALLOW_PRIVATE, and checked again at each delivery. Exactly one of event_type and "
    "custom_interest_value (the interest_status of one of the workspace's lead labels); campaign must be "
    "the workspace's. headers: string values of printable ASCII; Host, Content-Length, Transfer-Encoding, "
    "Connection, other hop-by-hop headers and webhook-* are refused. " + SIGNED
)
PATCH_NOTES = (
    "The rules of create hold for the webhook as patched; a changed target_hook_url is checked again. "
    "Moving to a custom label means event_type null and custom_interest_value in one request."
)
DELETE_NOTES = "Deliveries still queued for it are dropped; its delivery log (webhook events) stays."
LIST_NOTES = "Oldest first."
EVENT_TYPES_NOTES = (
    "The spec's event types (type standard), then each custom lead label of the workspace (type custom, "
    "id = its interest_status: the custom_interest_value that subscribes to it)."
)
RESUME_NOTES = (
    "status 1, timestamp_error null, and the failure window starts over; deliveries that failed meanwhile "
    "are not sent again (POST /webhooks/{id}/replay does that)."
)
SECRET_NOTES = (
    "Coldsend extension: the webhook's signing secret, `whsec_` and the base64 of the key, as Standard "
    "Webhooks libraries take it: webhook-signature is `v1,` and the base64 HMAC-SHA256 of "
    "`{webhook-id}.{webhook-timestamp}.{body}`."
)
ROTATE_NOTES = (
    "Coldsend extension: a new secret, answered here and by GET /secret from then on. The previous one "
    "keeps signing beside it for COLDSEND_WEBHOOK_SECRET_OVERLAP_SECONDS (24 h), so deliveries queued "
    "before the rotation still verify with it."
)
REPLAY_NOTES = (
    "Coldsend extension (Svix's recover): the webhook's deliveries that failed for good and were created at "
    "or after `since` are queued again, due at once with a fresh retry schedule and the webhook-id they had "
    "(receivers deduplicate on it); answers how many. 409 when the webhook is disabled (resume it first)."
)


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def _found(session: Session, principal: Principal, webhook_id: uuid.UUID) -> WebhookRow:
    webhook = await webhook_service.get(session, workspace_id=principal.workspace_id, webhook_id=webhook_id)
    if webhook is None:
        raise errors.NotFound()
    return webhook


@router.post(
    "",
    operation_id="createWebhook",
    response_model=Webhook,
    responses=doc(errors.BadRequest),
    openapi_extra={NOTES_KEY: CREATE_NOTES},
)
async def create_webhook(
    body: WebhookCreate, request: Request, principal: Authorized, session: Session
) -> Webhook:
    """Create webhook"""
    webhook = await webhook_service.create(
        session, _settings(request), workspace_id=principal.workspace_id, webhook_in=body
    )
    await audit_log_service.record(
        session,
        principal,
        ActivityType.WEBHOOK_CREATED,
        webhook_id=webhook.id,
        campaign_id=webhook.campaign_id,
    )
    return Webhook.model_validate(webhook)


@router.get(
    "", operation_id="listWebhook", response_model=Page[Webhook], openapi_extra={NOTES_KEY: LIST_NOTES}
)
async def list_webhooks(
    principal: Authorized,
    session: Session,
    cursor: Cursor,
    campaign: Annotated[uuid.UUID | None, Query(description="Filter by campaign ID")] = None,
    event_type: Annotated[
        EventType | None,
        Query(description="Filter by event type (e.g., email_sent, lead_interested, all_events)"),
    ] = None,
) -> Page[Webhook]:
    """List webhooks"""
    webhooks, more = await webhook_service.list_page(
        session,
        workspace_id=principal.workspace_id,
        limit=cursor.limit,
        after=cursor.after_uuid(),
        campaign_id=campaign,
        event_type=event_type,
    )
    return Page(
        items=[Webhook.model_validate(webhook) for webhook in webhooks],
        next_starting_after=str(webhooks[-1].id) if more else None,
    )


@router.get(
    "/event-types",
    operation_id="listWebhookEventTypes",
    response_model=EventTypes,
    openapi_extra={NOTES_KEY: EVENT_TYPES_NOTES},
)
async def list_webhook_event_types(principal: Authorized, session: Session) -> EventTypes:
    """List available event types"""
    return EventTypes(
        event_types=await webhook_service.event_types(session, workspace_id=principal.workspace_id)
    )


@router.get("/{id}", operation_id="getWebhook", response_model=Webhook, responses=doc(errors.NotFound))
async def get_webhook(id: uuid.UUID, principal: Authorized, session: Session) -> Webhook:
    """Get webhook"""
    return Webhook.model_validate(await _found(session, principal, id))


@router.patch(
    "/{id}",
    operation_id="patchWebhook",
    response_model=Webhook,
    responses=doc(errors.BadRequest, errors.NotFound),
    openapi_extra={NOTES_KEY: PATCH_NOTES},
)
async def patch_webhook(
    id: uuid.UUID, body: WebhookUpdate, request: Request, principal: Authorized, session: Session
) -> Webhook:
    """Patch webhook"""
    webhook = await webhook_service.update(
        session, _settings(request), await _found(session, principal, id), webhook_in=body
    )
    await audit_log_service.record(
        session,
        principal,
        ActivityType.WEBHOOK_UPDATED,
        webhook_id=webhook.id,
        metadata={"fields": sorted(body.model_fields_set)},
    )
    return Webhook.model_validate(webhook)


@router.delete(
    "/{id}",
    operation_id="deleteWebhook",
    response_model=Webhook,
    responses=doc(errors.NotFound),
    openapi_extra={NOTES_KEY: DELETE_NOTES},
)
async def delete_webhook(id: uuid.UUID, principal: Authorized, session: Session) -> Webhook:
    """Delete webhook"""
    webhook = await _found(session, principal, id)
    shown = Webhook.model_validate(webhook)
    await webhook_service.delete(session, webhook)
    return shown


@router.post(
    "/{id}/resume",
    operation_id="resumeWebhook",
    response_model=Webhook,
    responses=doc(errors.NotFound),
    openapi_extra={NOTES_KEY: RESUME_NOTES},
)
async def resume_webhook(id: uuid.UUID, principal: Authorized, session: Session) -> Webhook:
    """Resume a webhook"""
    webhook = await webhook_service.resume(session, await _found(session, principal, id))
    await audit_log_service.record(session, principal, ActivityType.WEBHOOK_RESUMED, webhook_id=webhook.id)
    return Webhook.model_validate(webhook)


@router.get(
    "/{id}/secret",
    operation_id="getWebhookSecret",
    response_model=WebhookSecret,
    responses=doc(errors.NotFound, errors.Conflict),
    openapi_extra={EXTENSION_KEY: True, NOTES_KEY: SECRET_NOTES},
)
async def get_webhook_secret(
    id: uuid.UUID, request: Request, principal: Authorized, session: Session
) -> WebhookSecret:
    """Get the signing secret of a webhook"""
    webhook = await _found(session, principal, id)
    return WebhookSecret(secret=webhook_service.read_secret(_settings(request), webhook))


@router.post(
    "/{id}/secret/rotate",
    operation_id="rotateWebhookSecret",
    response_model=WebhookSecret,
    responses=doc(errors.NotFound),
    openapi_extra={EXTENSION_KEY: True, NOTES_KEY: ROTATE_NOTES},
)
async def rotate_webhook_secret(
    id: uuid.UUID, request: Request, principal: Authorized, session: Session
) -> WebhookSecret:
    """Rotate the signing secret of a webhook"""
    webhook = await _found(session, principal, id)
    secret = await webhook_service.rotate_secret(session, _settings(request), webhook, now=utcnow())
    await audit_log_service.record(
        session,
        principal,
        ActivityType.WEBHOOK_UPDATED,
        webhook_id=webhook.id,
        metadata={"secret_rotated": True},
    )
    return WebhookSecret(secret=secret)


@router.post(
    "/{id}/replay",
    operation_id="replayWebhook",
    response_model=ReplayResult,
    responses=doc(errors.BadRequest, errors.NotFound, errors.Conflict),
    openapi_extra={EXTENSION_KEY: True, NOTES_KEY: REPLAY_NOTES},
)
async def replay_webhook(
    id: uuid.UUID, body: WebhookReplay, principal: Authorized, session: Session
) -> ReplayResult:
    """Queue a webhook's failed deliveries again"""
    webhook = await _found(session, principal, id)
    queued = await webhook_service.replay(session, webhook, since=body.since, now=utcnow())
    return ReplayResult(queued=queued)
