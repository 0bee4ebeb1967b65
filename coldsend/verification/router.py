from typing import Annotated

from fastapi import APIRouter, Path, Request

from coldsend import errors
from coldsend.addresses import InvalidAddress, parse_address
from coldsend.config import Settings
from coldsend.http.auth import Authorized
from coldsend.http.deps import Session
from coldsend.http.responses import doc
from coldsend.outbound import literal_target_allowed
from coldsend.verification import flows as verification_flows
from coldsend.verification import service as verification_service
from coldsend.verification.schemas import EmailVerification, EmailVerificationCreate

router = APIRouter(prefix="/api/v2/email-verification", tags=["EmailVerification"])

NOTES = (
    "Checks syntax, DNS (MX, A/AAAA fallback, null MX), disposable and role addresses, then probes the "
    "MX host over SMTP (RCPT TO, never DATA) and a random address for catch-all. `verified` means the "
    "server accepts the address (risky ones included); an address no server would answer for ends "
    "`invalid` with status `error`. The webhook is sent only when the answer was `pending`."
)


@router.post(
    "",
    operation_id="createEmailVerification",
    response_model=EmailVerification,
    responses=doc(errors.BadRequest, errors.PaymentRequired),
    openapi_extra={"x-coldsend-notes": NOTES},
)
async def create_email_verification(
    body: EmailVerificationCreate, request: Request, principal: Authorized, session: Session
) -> EmailVerification:
    """Create email verification"""
    settings: Settings = request.app.state.settings
    if body.webhook_url is not None and not literal_target_allowed(
        body.webhook_url, allow_private=settings.webhook_allow_private
    ):
        raise errors.BadRequest("body/webhook_url must not point at a loopback or private address")
    return await verification_flows.create(
        session,
        workspace_id=principal.workspace_id,
        email=body.email,
        webhook_url=body.webhook_url,
        settings=settings,
        sessionmaker=request.app.state.sessionmaker,
    )


@router.get(
    "/{email}",
    operation_id="checkVerificationStatus",
    response_model=EmailVerification,
    responses=doc(errors.BadRequest, errors.NotFound),
)
async def check_verification_status(
    email: Annotated[str, Path(description="The email address to verify")],
    request: Request,
    principal: Authorized,
    session: Session,
) -> EmailVerification:
    """Check an email verification status"""
    try:
        address = parse_address(email)
    except InvalidAddress:
        raise errors.BadRequest('params/email must match format "email"') from None
    row = await verification_service.get(session, workspace_id=principal.workspace_id, email=address.email)
    if row is None:
        raise errors.NotFound()
    settings: Settings = request.app.state.settings
    left = await verification_service.credits_left(
        session, workspace_id=principal.workspace_id, settings=settings
    )
    return verification_service.shown(row, credits=left, credits_used=1)
