import uuid
from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from coldsend import errors
from coldsend.config import Settings
from coldsend.http.auth import Authorized
from coldsend.http.deps import Session
from coldsend.http.pagination import Cursor
from coldsend.http.responses import doc
from coldsend.http.schemas import Page
from coldsend.lead_labels import service as lead_label_service
from coldsend.lead_labels.classifier import ClassificationError, built_in_labels, classifier_for
from coldsend.lead_labels.schemas import (
    LeadLabel,
    LeadLabelCreate,
    LeadLabelDelete,
    LeadLabelUpdate,
    ReplyLabelRequest,
    ReplyLabelResult,
)
from coldsend.models import InterestStatusLabel
from coldsend.models import LeadLabel as LeadLabelRow

router = APIRouter(prefix="/api/v2/lead-labels", tags=["LeadLabel"])

# What `result` says when no label fits: a lead without interest status is a plain "Lead".
NO_LABEL = "Lead"
CLASSIFIER_HEADER = "X-Coldsend-Classifier"
REPLY_LABEL_NOTES = (
    "Classifier: offline keyword rules by default; an OpenAI-compatible model when "
    "COLDSEND_REPLY_CLASSIFIER_URL and _MODEL are set (response header X-Coldsend-Classifier). "
    'No fitting label gives result "Lead". Provider failure: 500 envelope, message "Classification failed".'
)

CREATE_NOTES = (
    "interest_status is allocated by sentiment: positive 5, 6, ... (to 19999); neutral 20000, 20001, ...; "
    "negative -5, -6, ... Labels need not be unique."
)
DELETE_NOTES = (
    "reassigned_status must be a built-in interest status or another label's interest_status (else 400); "
    "moving leads and emails to it arrives with the leads resource."
)


class ClassificationFailed(errors.ColdsendError):
    """The spec's 500 for this operation, in the usual envelope."""

    status_code = 500
    default_message = "Classification failed"


async def _label(session: Session, principal: Authorized, id: uuid.UUID) -> LeadLabelRow:
    label = await lead_label_service.get(session, workspace_id=principal.workspace_id, label_id=id)
    if label is None:
        raise errors.NotFound()
    return label


def _cursor(starting_after: str | None) -> tuple[uuid.UUID | None, datetime | None]:
    """The spec calls the cursor a timestamp but returns ids: accept either."""
    if starting_after is None:
        return None, None
    try:
        return uuid.UUID(starting_after), None
    except ValueError:
        pass
    try:
        moment = datetime.fromisoformat(starting_after)
    except ValueError:
        raise errors.BadRequest('querystring/starting_after must match format "uuid"') from None
    return None, moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@router.post(
    "",
    operation_id="createLeadLabel",
    response_model=LeadLabel,
    responses=doc(errors.BadRequest),
    openapi_extra={"x-coldsend-notes": CREATE_NOTES},
)
async def create_lead_label(body: LeadLabelCreate, principal: Authorized, session: Session) -> LeadLabel:
    """Create lead label"""
    label = await lead_label_service.create(session, workspace_id=principal.workspace_id, label_in=body)
    return LeadLabel.model_validate(label)


@router.get("", operation_id="listLeadLabel", response_model=Page[LeadLabel])
async def list_lead_labels(
    principal: Authorized,
    session: Session,
    cursor: Cursor,
    search: Annotated[
        str | None, Query(max_length=200, description="The search query to filter lead labels.")
    ] = None,
    interest_status: Annotated[
        InterestStatusLabel | None, Query(description="The interest status to filter lead labels by.")
    ] = None,
) -> Page[LeadLabel]:
    """List lead label"""
    after_id, created_after = _cursor(cursor.starting_after)
    labels, more = await lead_label_service.list_page(
        session,
        workspace_id=principal.workspace_id,
        limit=cursor.limit,
        after_id=after_id,
        created_after=created_after,
        search=search,
        sentiment=interest_status,
    )
    return Page(
        items=[LeadLabel.model_validate(label) for label in labels],
        next_starting_after=str(labels[-1].id) if more else None,
    )


@router.post(
    "/ai-reply-label",
    operation_id="testAiReplyLabelLeadLabels",
    response_model=ReplyLabelResult,
    responses=doc(errors.BadRequest, errors.RateLimited, ClassificationFailed),
    openapi_extra={"x-coldsend-notes": REPLY_LABEL_NOTES},
)
async def test_ai_reply_label(
    body: ReplyLabelRequest, principal: Authorized, session: Session, request: Request, response: Response
) -> ReplyLabelResult:
    """Test AI reply label prediction"""
    settings: Settings = request.app.state.settings
    if not await lead_label_service.spend_prediction(
        session,
        workspace_id=principal.workspace_id,
        budget=settings.reply_label_budget,
        window=timedelta(days=settings.reply_label_budget_days),
    ):
        raise errors.RateLimited()
    custom = await lead_label_service.ai_labels(session, workspace_id=principal.workspace_id)
    classifier = classifier_for(settings)
    try:
        chosen = await classifier.classify(body.reply_text, [*custom, *built_in_labels()])
    except ClassificationError as exc:
        raise ClassificationFailed() from exc
    response.headers[CLASSIFIER_HEADER] = classifier.name
    return ReplyLabelResult(
        result=chosen.name if chosen else NO_LABEL, custom_labels_considered=[label.name for label in custom]
    )


@router.get("/{id}", operation_id="getLeadLabel", response_model=LeadLabel, responses=doc(errors.NotFound))
async def get_lead_label(id: uuid.UUID, principal: Authorized, session: Session) -> LeadLabel:
    """Get lead label"""
    return LeadLabel.model_validate(await _label(session, principal, id))


@router.patch(
    "/{id}",
    operation_id="patchLeadLabel",
    response_model=LeadLabel,
    responses=doc(errors.BadRequest, errors.NotFound),
)
async def patch_lead_label(
    id: uuid.UUID, body: LeadLabelUpdate, principal: Authorized, session: Session
) -> LeadLabel:
    """Patch lead label"""
    label = await lead_label_service.update(session, await _label(session, principal, id), label_in=body)
    return LeadLabel.model_validate(label)


@router.delete(
    "/{id}",
    operation_id="deleteLeadLabel",
    response_model=LeadLabel,
    responses=doc(errors.BadRequest, errors.NotFound),
    openapi_extra={"x-coldsend-notes": DELETE_NOTES},
)
async def delete_lead_label(
    id: uuid.UUID, principal: Authorized, session: Session, body: LeadLabelDelete | None = None
) -> LeadLabel:
    """Delete lead label"""
    label = await _label(session, principal, id)
    shown = LeadLabel.model_validate(label)
    await lead_label_service.delete(
        session, label, reassigned_status=body.reassigned_status if body else None
    )
    return shown
