import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse
from pydantic import ValidationError

from coldsend import errors
from coldsend.accounts import bulk, jobs, listing, tracking_domain, vitals
from coldsend.accounts import service as account_service
from coldsend.accounts.schemas import (
    Account,
    AccountCreate,
    AccountFilter,
    AccountsMove,
    AccountsPause,
    AccountTag,
    AccountUpdate,
    CtdStatus,
    MoveResult,
    PauseResult,
    SortColumn,
    VitalsRequest,
    VitalsResult,
    WarmupSelection,
)
from coldsend.accounts.warmup_notes import STATUS_NOTES, WARMUP_FIELD_NOTES
from coldsend.audit_logs import service as audit_log_service
from coldsend.background_jobs import service as background_job_service
from coldsend.background_jobs.schemas import BackgroundJob
from coldsend.config import Settings
from coldsend.http.auth import Authorized
from coldsend.http.deps import Session, Sessionmaker
from coldsend.http.pagination import Cursor
from coldsend.http.query import comma_list, trimmed
from coldsend.http.responses import doc, error_body
from coldsend.http.schemas import Page
from coldsend.models import Account as AccountRow
from coldsend.models import AccountStatus, ActivityType, EntityType, ProviderCode
from coldsend.principal import Principal

router = APIRouter(prefix="/api/v2/accounts", tags=["Account"])

CREATE_NOTES = (
    "Both logins (SMTP and IMAP) are checked at once, within COLDSEND_ACCOUNT_CHECK_SECONDS: the account "
    "is saved either way, and a failure is status -1 (connection error) with a status_message (code, "
    "e_message naming the protocol and why, command). TLS is "
    "required: from the port (465/993 implicit TLS, otherwise STARTTLS, and no password to a server that "
    "does not offer it) unless the extension fields smtp_tls/imap_tls say otherwise: ssl, starttls, none "
    "(plain, never a password: an SMTP relay without AUTH) or cleartext (plain, password in the clear). "
    "Empty smtp_username/smtp_password: no AUTH (a relay). Passwords are stored encrypted, never returned. "
    "A tracking_domain_name must CNAME to this server unless skip_cname_check; the open pixel, click and "
    "unsubscribe links of the account's mail then use that host."
) + WARMUP_FIELD_NOTES
LIST_NOTES = (
    'Oldest first; cursor "<timestamp_created>&<email>" (a plain ISO timestamp is accepted); with sort_by, '
    "offset paging by skip and no cursor. ACC_FILTER_PW_ACCOUNTS matches nothing (no pre-warmed accounts)."
) + STATUS_NOTES
PATCH_NOTES = (
    "Also accepts the create body's smtp_*/imap_* settings and smtp_tls/imap_tls (extension) to fix "
    "a mailbox's connection without re-creating it; changed mail settings have both logins checked as on "
    "create (a failure is status -1 with a status_message; success ends a connection error)."
) + WARMUP_FIELD_NOTES
WARMUP_NOTES = (
    "Runs as an `update-warmup-accounts` job that sets warmup_status (1 on, 0 off; timestamp_warmup_start "
    "on the first enable). Accounts with warmup on exchange real warmup mail with the other mailboxes of "
    "the workspace's pool (docs/warmup.md); turning it off and on again keeps the ramp where it was. "
    "Unknown emails are a 404."
)
VITALS_NOTES = (
    "Per account (not per domain): real MX/SPF/DKIM/DMARC lookups plus SMTP and IMAP logins; extra fields "
    "email, smtp, imap and messages (why a check failed: the outcome, never what the server sent). Unknown "
    "accounts are a 404."
)
CTD_NOTES = (
    "CNAME checked in DNS against public_url's host; ssl is a verified TLS handshake on port 443, tried only "
    "at public addresses unless COLDSEND_TRACKING_DOMAIN_ALLOW_PRIVATE."
)
MOVE_NOTES = (
    "Needs the admin workspace's key; both workspaces in its group. All accounts or none move (404 unknown, "
    "409 already in the destination); their tags stay behind."
)


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


AppSettings = Annotated[Settings, Depends(_settings)]


async def account_of(email: str, principal: Authorized, session: Session) -> AccountRow:
    """The workspace's account named by the path's (URL-decoded) email: 400 if malformed, 404 if unknown."""
    return await account_service.named(session, workspace_id=principal.workspace_id, email=email)


AccountOf = Annotated[AccountRow, Depends(account_of)]


def shown(account: AccountRow, tags: list[AccountTag] | None = None) -> Account:
    view = Account.model_validate(account)
    view.tags = tags
    return view


async def _audit(
    session: Session, principal: Principal, activity: ActivityType, email: str, **metadata: object
) -> None:
    await audit_log_service.record(session, principal, activity, metadata={"email": email, **metadata})


async def _check_tracking_domain(settings: Settings, host: str | None, skip: bool | None) -> None:
    if host is None or skip:
        return
    found = await tracking_domain.status(host, settings)
    if not found.cname:
        target = tracking_domain.cname_target(settings) or "this server"
        raise errors.BadRequest(
            f"tracking_domain_name {host} has no CNAME record pointing to {target}; "
            "add it, or send skip_cname_check: true"
        )


def _uuids(name: str, value: str | None) -> tuple[uuid.UUID, ...] | None:
    parts = comma_list(value) or None
    if parts is None:
        return None
    try:
        return tuple(uuid.UUID(part) for part in parts)
    except ValueError:
        raise errors.BadRequest(
            f'querystring/{name} must be comma-separated values of format "uuid"'
        ) from None


async def _filters(
    search: Annotated[str | None, Query(description="Email or name contains (case-insensitive)")] = None,
    status: Annotated[AccountStatus | None, Query(description="Only accounts with this status")] = None,
    provider_code: Annotated[ProviderCode | None, Query(description="Only this provider")] = None,
    tag_ids: Annotated[str | None, Query(description="Comma-separated tag ids; accounts with any")] = None,
    tag_ids_all: Annotated[
        str | None, Query(description="Comma-separated tag ids; accounts with all")
    ] = None,
    filter: Annotated[AccountFilter | None, Query(description="The filter to apply to the accounts.")] = None,
) -> listing.Filters:
    return listing.Filters(
        search=trimmed(search),
        status=status,
        provider_code=provider_code,
        tag_ids=_uuids("tag_ids", tag_ids),
        tag_ids_all=_uuids("tag_ids_all", tag_ids_all),
        filter=filter,
    )


Filters = Annotated[listing.Filters, Depends(_filters)]


@router.post(
    "",
    operation_id="createAccount",
    response_model=Account,
    responses=doc(errors.BadRequest),
    openapi_extra={"x-coldsend-notes": CREATE_NOTES},
)
async def create_account(
    body: AccountCreate,
    principal: Authorized,
    session: Session,
    settings: AppSettings,
    sessions: Sessionmaker,
) -> Account:
    """Create account (a sending mailbox with its SMTP and IMAP settings)"""
    await _check_tracking_domain(settings, body.tracking_domain_name, body.skip_cname_check)
    account = await account_service.create(
        session, settings, sessions, workspace_id=principal.workspace_id, account_in=body
    )
    await _audit(session, principal, ActivityType.ACCOUNT_ADDITION, account.email)
    return shown(account)


@router.get(
    "",
    operation_id="listAccount",
    response_model=Page[Account],
    openapi_extra={"x-coldsend-notes": LIST_NOTES},
)
async def list_accounts(
    principal: Authorized,
    session: Session,
    cursor: Cursor,
    filters: Filters,
    include_tags: Annotated[bool, Query(description="Include each account's tags")] = False,
    sort_by: Annotated[SortColumn | None, Query(description="Column to sort results by.")] = None,
    sort_order: Annotated[Literal["asc", "desc"] | None, Query(description="Sort direction")] = None,
    skip: Annotated[int, Query(ge=0, le=10**9, description="Items to skip (offset paging)")] = 0,
) -> Page[Account]:
    """List accounts"""
    after = listing.parse_cursor(cursor.starting_after) if cursor.starting_after is not None else None
    if after is not None and sort_by is not None:
        raise errors.BadRequest("querystring/starting_after cannot be combined with sort_by: page with skip")
    rows, more = await listing.list_page(
        session,
        workspace_id=principal.workspace_id,
        filters=filters,
        limit=cursor.limit,
        cursor=after,
        sort_by=sort_by,
        descending=sort_order != "asc",
        skip=skip,
    )
    tags = (
        await listing.tags_of(
            session, workspace_id=principal.workspace_id, emails=[row.email for row in rows]
        )
        if include_tags
        else {}
    )
    items = [shown(row, tags.get(row.email) if include_tags else None) for row in rows]
    next_cursor = listing.cursor_of(rows[-1]) if more and sort_by is None else None
    return Page(items=items, next_starting_after=next_cursor)


@router.get(
    "/ctd/status",
    operation_id="getCtdStatus",
    response_model=CtdStatus,
    responses={400: {"description": "Bad Request"}},
    openapi_extra={"x-coldsend-notes": CTD_NOTES},
)
async def get_ctd_status(
    principal: Authorized,
    settings: AppSettings,
    host: Annotated[str, Query(max_length=300, description="Custom tracking domain host")],
) -> CtdStatus | JSONResponse:
    """Check a custom tracking domain's CNAME"""
    del principal
    try:
        name = AccountUpdate.model_validate({"tracking_domain_name": host}).tracking_domain_name
    except ValidationError:
        name = None
    if name is None:
        message = "querystring/host must be a host name"
        body = {**error_body(400, message), "status": "error", "host": host}
        return JSONResponse(body, status_code=400)
    return await tracking_domain.status(name, settings)


@router.post(
    "/test/vitals",
    operation_id="testAccountVitals",
    response_model=VitalsResult,
    responses=doc(errors.BadRequest, errors.NotFound),
    openapi_extra={"x-coldsend-notes": VITALS_NOTES},
)
async def check_account_vitals(
    principal: Authorized,
    session: Session,
    settings: AppSettings,
    sessions: Sessionmaker,
    body: VitalsRequest | None = None,
) -> VitalsResult:
    """Test account vitals (DNS records, SMTP and IMAP logins)"""
    emails = list(dict.fromkeys(body.accounts or [])) if body else []
    if not emails:
        raise errors.BadRequest("Bad request - no emails sent")
    await bulk.require_existing(session, workspace_id=principal.workspace_id, emails=emails)
    accounts = [
        account
        for email in emails
        if (account := await account_service.get(session, workspace_id=principal.workspace_id, email=email))
    ]
    results = await vitals.check_accounts(accounts, settings, sessions)
    return VitalsResult(
        status="success",
        success_list=[result for result in results if result.allPass],
        failure_list=[result for result in results if not result.allPass],
    )


async def _warmup_job(
    body: WarmupSelection, principal: Principal, session: Session, *, enable: bool
) -> BackgroundJob:
    bulk.check_selection(body)
    if not body.include_all_emails:
        await bulk.require_existing(session, workspace_id=principal.workspace_id, emails=body.emails or [])
    job = await background_job_service.enqueue(
        session,
        workspace_id=principal.workspace_id,
        type=jobs.UPDATE_WARMUP_ACCOUNTS,
        entity_type=EntityType.WORKSPACE,
        entity_id=str(principal.workspace_id),
        data={"request": body.model_dump(mode="json", exclude_none=True), "enable": enable},
    )
    await audit_log_service.record(
        session,
        principal,
        ActivityType.ACCOUNT_UPDATE,
        metadata={"warmup": "enable" if enable else "disable", "background_job_id": job.id},
    )
    return BackgroundJob.model_validate(job)


@router.post(
    "/warmup/enable",
    operation_id="enableWarmupForAccounts",
    response_model=BackgroundJob,
    responses=doc(errors.BadRequest, errors.NotFound),
    openapi_extra={"x-coldsend-notes": WARMUP_NOTES},
)
async def enable_warmup(body: WarmupSelection, principal: Authorized, session: Session) -> BackgroundJob:
    """Enable warmup for accounts (background job)"""
    return await _warmup_job(body, principal, session, enable=True)


@router.post(
    "/warmup/disable",
    operation_id="disableWarmupForAccounts",
    response_model=BackgroundJob,
    responses=doc(errors.BadRequest, errors.NotFound),
    openapi_extra={"x-coldsend-notes": WARMUP_NOTES},
)
async def disable_warmup(body: WarmupSelection, principal: Authorized, session: Session) -> BackgroundJob:
    """Disable warmup for accounts (background job)"""
    return await _warmup_job(body, principal, session, enable=False)


@router.post("/pause", operation_id="pauseAccounts", response_model=PauseResult)
async def pause_accounts(body: AccountsPause, principal: Authorized, session: Session) -> PauseResult:
    """Pause up to 100 accounts"""
    paused, failed = await bulk.pause_many(session, workspace_id=principal.workspace_id, emails=body.emails)
    if paused:
        await audit_log_service.record(
            session,
            principal,
            ActivityType.ACCOUNT_UPDATE,
            affected_count=len(paused),
            metadata={"action": "pause", "emails": paused},
        )
    return PauseResult(paused_emails=paused, failed_emails=failed)


@router.post(
    "/move",
    operation_id="moveAccounts",
    response_model=MoveResult,
    responses=doc(errors.BadRequest, errors.Forbidden, errors.NotFound, errors.Conflict),
    openapi_extra={"x-coldsend-notes": MOVE_NOTES},
)
async def move_accounts(body: AccountsMove, principal: Authorized, session: Session) -> MoveResult:
    """Move accounts between workspaces of one admin group"""
    moved = await bulk.move(
        session,
        admin_workspace_id=principal.key_workspace_id,
        emails=body.emails,
        source=body.source_workspace_id,
        destination=body.destination_workspace_id,
    )
    await audit_log_service.record(
        session,
        principal,
        ActivityType.ACCOUNT_UPDATE,
        affected_count=moved,
        metadata={
            "action": "move",
            "emails": list(dict.fromkeys(body.emails)),
            "source_workspace_id": str(body.source_workspace_id),
            "destination_workspace_id": str(body.destination_workspace_id),
        },
    )
    return MoveResult(status="success")


@router.get(
    "/{email}",
    operation_id="getAccount",
    response_model=Account,
    responses=doc(errors.NotFound),
    openapi_extra={"x-coldsend-notes": STATUS_NOTES.strip()},
)
async def get_account(account: AccountOf) -> Account:
    """Get account"""
    return shown(account)


@router.patch(
    "/{email}",
    operation_id="patchAccount",
    response_model=Account,
    responses=doc(errors.BadRequest, errors.NotFound),
    openapi_extra={"x-coldsend-notes": PATCH_NOTES},
)
async def patch_account(
    email: str,
    body: AccountUpdate,
    principal: Authorized,
    session: Session,
    settings: AppSettings,
    sessions: Sessionmaker,
) -> Account:
    """Patch account"""
    account = await account_of(email, principal, session)
    if "tracking_domain_name" in body.model_fields_set and not body.remove_tracking_domain:
        await _check_tracking_domain(settings, body.tracking_domain_name, body.skip_cname_check)
    changed = await account_service.update(session, settings, sessions, account, account_in=body)
    if changed:
        await _audit(session, principal, ActivityType.ACCOUNT_UPDATE, account.email, fields=changed)
    return shown(account)


@router.delete(
    "/{email}", operation_id="deleteAccount", response_model=Account, responses=doc(errors.NotFound)
)
async def delete_account(account: AccountOf, principal: Authorized, session: Session) -> Account:
    """Delete account, with its tag assignments"""
    result = shown(account)
    await _audit(session, principal, ActivityType.ACCOUNT_DELETION, account.email)
    await account_service.delete(session, account)
    return result


async def _status_change(
    account: AccountRow, principal: Principal, session: Session, changed: bool, action: str
) -> Account:
    if changed:
        await _audit(session, principal, ActivityType.ACCOUNT_UPDATE, account.email, action=action)
    return shown(account)


@router.post(
    "/{email}/pause",
    operation_id="pauseAccount",
    response_model=Account,
    responses=doc(errors.NotFound),
)
async def pause_account(account: AccountOf, principal: Authorized, session: Session) -> Account:
    """Pause account: nothing is sent from it until it is resumed"""
    changed = await account_service.pause(session, account)
    return await _status_change(account, principal, session, changed, "pause")


@router.post(
    "/{email}/resume",
    operation_id="resumeAccount",
    response_model=Account,
    responses=doc(errors.NotFound),
)
async def resume_account(account: AccountOf, principal: Authorized, session: Session) -> Account:
    """Resume account (from paused or an error status)"""
    changed = await account_service.resume(session, account)
    return await _status_change(account, principal, session, changed, "resume")


@router.post(
    "/{email}/mark-fixed",
    operation_id="markAccountFixed",
    response_model=Account,
    responses=doc(errors.NotFound),
)
async def mark_account_fixed(account: AccountOf, principal: Authorized, session: Session) -> Account:
    """Mark an account in an error status as fixed: it becomes active again"""
    changed = await account_service.mark_fixed(session, account)
    return await _status_change(account, principal, session, changed, "mark-fixed")
