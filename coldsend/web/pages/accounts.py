"""Accounts: add an SMTP/IMAP mailbox (its logins checked as it is saved), check its DNS and logins, pause,
resume, mark fixed, daily limit and gap, warmup on or off with its measured health."""

from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse

from coldsend.accounts import bulk, jobs, listing, vitals
from coldsend.accounts import service as account_service
from coldsend.accounts.schemas import AccountCreate, AccountUpdate, WarmupSelection
from coldsend.analytics import accounts as account_analytics
from coldsend.audit_logs import service as audit_log_service
from coldsend.background_jobs import service as background_job_service
from coldsend.clock import utcnow
from coldsend.config import Settings
from coldsend.errors import BadRequest
from coldsend.models import Account, AccountStatus, ActivityType, EntityType
from coldsend.oauth import providers
from coldsend.oauth import service as oauth_service
from coldsend.oauth.providers import PROVIDER_NAMES
from coldsend.web.context import CurrentMember, Db, Form, Member, core, settings_of, show, text
from coldsend.web.forms import checked, filled
from coldsend.web.render import redirect

router = APIRouter(prefix="/accounts")

STATUS_NAMES = {status.value: status.name.replace("_", " ").lower() for status in AccountStatus}
MAIL_FIELDS: tuple[str, ...] = ("smtp_host", "smtp_port", "smtp_username", "smtp_password", "smtp_tls")
MAIL_FIELDS += ("imap_host", "imap_port", "imap_username", "imap_password", "imap_tls")
NUMBERS = ("smtp_port", "imap_port", "daily_limit", "sending_gap", "provider_code")


def plain_status(account: Account) -> str:
    """The account's status, and in an error status what went wrong, in the words the check gave."""
    shown = STATUS_NAMES.get(account.status, str(account.status))
    reason = (account.status_message or {}).get("e_message")
    return f"{shown}: {reason}" if reason else shown


async def _audit(db: Db, member: Member, activity: ActivityType, email: str, **metadata: object) -> None:
    await audit_log_service.record(db, member.principal, activity, metadata={"email": email, **metadata})


async def _accounts(db: Db, member: Member) -> list[Account]:
    rows, _ = await listing.list_page(
        db,
        workspace_id=member.principal.workspace_id,
        filters=listing.Filters(),
        limit=1000,
        cursor=None,
        sort_by=None,
        descending=False,
        skip=0,
    )
    return list(rows)


async def account_emails(db: Db, member: Member) -> list[str]:
    return [account.email for account in await _accounts(db, member)]


@router.get("")
async def list_accounts(member: CurrentMember, db: Db) -> HTMLResponse:
    member.require("listAccount")
    accounts = await _accounts(db, member)
    health = await _warmup_health(db, member, [account.email for account in accounts])
    return await show(
        db,
        member,
        "accounts/list.html",
        section="accounts",
        accounts=accounts,
        plain_status=plain_status,
        health=health,
    )


async def _warmup_health(db: Db, member: Member, emails: list[str]) -> dict[str, Any]:
    if not emails or not member.can("getWarmupAnalytics"):
        return {}
    found = await account_analytics.warmup(
        db, workspace_id=member.principal.workspace_id, emails=emails, today=utcnow().date()
    )
    return dict(found.aggregate_data)


def connectable(settings: Settings) -> list[str]:
    """The OAuth providers this server has an app for: "Connect Google" / "Connect Microsoft"."""
    configured: list[str] = []
    for name in PROVIDER_NAMES:
        try:
            providers.provider(settings, name)
        except BadRequest:
            continue
        configured.append(name)
    return configured


@router.get("/new")
async def new_account(request: Request, member: CurrentMember, db: Db) -> HTMLResponse:
    member.require("createAccount")
    return await show(
        db,
        member,
        "accounts/new.html",
        section="accounts",
        values={},
        error=None,
        oauth=connectable(settings_of(request)),
    )


@router.post("/connect/{name}")
async def connect(request: Request, name: str, member: CurrentMember, _form: Form, db: Db) -> Response:
    """An OAuth session as POST /oauth/{name}/init starts one; the browser goes on to the provider, whose
    consent comes back to /oauth/callback/{name} (the API app's page), which connects the mailbox."""
    member.require("initGoogleOAuth" if name == "google" else "initMicrosoftOAuth")
    settings = settings_of(request)
    provider = providers.provider(settings, name)
    _row, url = await oauth_service.start(db, settings, member.principal, provider, now=utcnow())
    # A page that moves on, not a redirect: the CSP's form-action 'self' would stop a form's redirect there.
    return await show(db, member, "accounts/connect.html", section="accounts", provider=name, url=url)


@router.post("/new")
async def create_account(request: Request, member: CurrentMember, form: Form, db: Db) -> Response:
    member.require("createAccount")
    values = filled(
        form, "email", "first_name", "last_name", *MAIL_FIELDS, "daily_limit", "sending_gap", numbers=NUMBERS
    )
    values.setdefault("first_name", "")
    values.setdefault("last_name", "")
    body = {"provider_code": 1, **values}
    try:
        account = await account_service.create(
            db,
            settings_of(request),
            core(request).sessionmaker,
            workspace_id=member.principal.workspace_id,
            account_in=checked(AccountCreate, body),
        )
    except BadRequest as exc:
        shown = {k: v for k, v in values.items() if not k.endswith("password")}
        return await show(
            db,
            member,
            "accounts/new.html",
            status=400,
            section="accounts",
            values=shown,
            error=exc.message,
            oauth=connectable(settings_of(request)),
        )
    await _audit(db, member, ActivityType.ACCOUNT_ADDITION, account.email)
    member.notify(f"Account {account.email} added: {plain_status(account)}", error=account.status < 0)
    return redirect(f"/accounts/{account.email}")


async def _account(db: Db, member: Member, email: str) -> Account:
    return await account_service.named(db, workspace_id=member.principal.workspace_id, email=email)


@router.get("/{email}")
async def show_account(email: str, member: CurrentMember, db: Db) -> HTMLResponse:
    member.require("getAccount")
    account = await _account(db, member, email)
    health = await _warmup_health(db, member, [account.email])
    return await show(
        db,
        member,
        "accounts/detail.html",
        section="accounts",
        account=account,
        plain_status=plain_status,
        health=health.get(account.email),
        checks=None,
    )


@router.post("/{email}/check")
async def check_account(
    request: Request, email: str, member: CurrentMember, _form: Form, db: Db
) -> HTMLResponse:
    """The live check: MX, SPF, DKIM and DMARC of the domain, and the SMTP and IMAP logins."""
    member.require("testAccountVitals")
    account = await _account(db, member, email)
    results = await vitals.check_accounts([account], settings_of(request), core(request).sessionmaker)
    health = await _warmup_health(db, member, [account.email])
    return await show(
        db,
        member,
        "accounts/detail.html",
        section="accounts",
        account=account,
        plain_status=plain_status,
        health=health.get(account.email),
        checks=results[0] if results else None,
    )


@router.post("/{email}/status")
async def change_status(email: str, member: CurrentMember, form: Form, db: Db) -> Response:
    action = text(form, "action")
    steps = {
        "pause": ("pauseAccount", account_service.pause),
        "resume": ("resumeAccount", account_service.resume),
        "mark-fixed": ("markAccountFixed", account_service.mark_fixed),
    }
    if action not in steps:
        raise BadRequest("Unknown action")
    operation, change = steps[action]
    member.require(operation)
    account = await _account(db, member, email)
    if await change(db, account):
        await _audit(db, member, ActivityType.ACCOUNT_UPDATE, account.email, action=action)
    member.notify(f"{account.email}: {STATUS_NAMES.get(account.status, account.status)}")
    return redirect(f"/accounts/{account.email}")


@router.post("/{email}/settings")
async def change_settings(
    request: Request, email: str, member: CurrentMember, form: Form, db: Db
) -> Response:
    member.require("patchAccount")
    account = await _account(db, member, email)
    body = filled(form, "daily_limit", "sending_gap", "first_name", "last_name", numbers=NUMBERS)
    try:
        changed = await account_service.update(
            db,
            settings_of(request),
            core(request).sessionmaker,
            account,
            account_in=checked(AccountUpdate, body),
        )
    except BadRequest as exc:
        member.notify(exc.message, error=True)
        return redirect(f"/accounts/{email}")
    if changed:
        await _audit(db, member, ActivityType.ACCOUNT_UPDATE, account.email, fields=changed)
    member.notify("Saved" if changed else "Nothing changed")
    return redirect(f"/accounts/{account.email}")


@router.post("/{email}/warmup")
async def change_warmup(email: str, member: CurrentMember, form: Form, db: Db) -> Response:
    """Warmup on or off, by the background job POST /accounts/warmup/enable and /disable queue."""
    enable = text(form, "warmup") == "on"
    member.require("enableWarmupForAccounts" if enable else "disableWarmupForAccounts")
    account = await _account(db, member, email)
    selection = WarmupSelection(emails=[account.email])
    bulk.check_selection(selection)
    job = await background_job_service.enqueue(
        db,
        workspace_id=member.principal.workspace_id,
        type=jobs.UPDATE_WARMUP_ACCOUNTS,
        entity_type=EntityType.WORKSPACE,
        entity_id=str(member.principal.workspace_id),
        data={"request": selection.model_dump(mode="json", exclude_none=True), "enable": enable},
    )
    await audit_log_service.record(
        db,
        member.principal,
        ActivityType.ACCOUNT_UPDATE,
        metadata={"warmup": "enable" if enable else "disable", "background_job_id": job.id},
    )
    member.notify(f"Warmup {'enabled' if enable else 'disabled'} (applied in a moment)")
    return redirect(f"/accounts/{account.email}")


@router.post("/{email}/delete")
async def delete_account(email: str, member: CurrentMember, _form: Form, db: Db) -> Response:
    member.require("deleteAccount")
    account = await _account(db, member, email)
    await _audit(db, member, ActivityType.ACCOUNT_DELETION, account.email)
    await account_service.delete(db, account)
    member.notify(f"Account {account.email} deleted")
    return redirect("/accounts")
