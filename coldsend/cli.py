import asyncio
import copy
import logging.config
import signal
import uuid
from collections.abc import Awaitable, Callable, Coroutine
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
import uvicorn
from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from coldsend.api_keys import service as api_key_service
from coldsend.config import Settings, get_settings
from coldsend.db import migrate
from coldsend.db.locks import BOOTSTRAP_LOCK
from coldsend.db.session import create_engine, create_sessionmaker, session_scope
from coldsend.engine.loops import build_engine
from coldsend.errors import ColdsendError
from coldsend.http.operations import GRANTABLE_SCOPES
from coldsend.leads import importing as leads_import
from coldsend.leads import schemas as lead_schemas
from coldsend.models import LinkPurpose, User
from coldsend.verification.cli import verify as verify_command
from coldsend.web import identity
from coldsend.workspace_group_members import service as group_member_service
from coldsend.workspace_members import service as workspace_member_service
from coldsend.workspaces import service as workspace_service

app = typer.Typer(help="Coldsend: self-hosted cold-email outreach server.", no_args_is_help=True)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
workspace_app = typer.Typer(help="Workspaces.", no_args_is_help=True)
api_key_app = typer.Typer(help="API keys.", no_args_is_help=True)
leads_app = typer.Typer(help="Leads.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(workspace_app, name="workspace")
app.add_typer(api_key_app, name="api-key")
user_app = typer.Typer(help="Dashboard users.", no_args_is_help=True)
app.add_typer(leads_app, name="leads")
app.add_typer(user_app, name="user")
app.command("verify")(verify_command)

err = Console(stderr=True)
T = TypeVar("T")


def _in_session(settings: Settings, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    async def run() -> T:
        engine = create_engine(settings.effective_database_url())
        try:
            async with session_scope(create_sessionmaker(engine)) as session:
                return await work(session)
        finally:
            await engine.dispose()

    return asyncio.run(run())


def _upgrade(settings: Settings) -> None:
    """Schema at head, and the secret key in place (generated into the data dir when unset)."""
    migrate.upgrade(settings.effective_database_url())
    settings.effective_secret_key()


async def _bootstrap(session: AsyncSession, settings: Settings) -> tuple[str, str] | None:
    """On an empty database: a first workspace, an all:all key and the owner's one-time dashboard link
    (its path), returned once."""
    if (await session.connection()).dialect.name == "postgresql":
        # Nodes started together on an empty database: one creates the workspace, the others see it.
        await session.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": BOOTSTRAP_LOCK})
    if await workspace_service.any_exists(session):
        return None
    workspace = await workspace_service.create(session, name="My Workspace")
    _key, secret = await api_key_service.create(
        session, workspace_id=workspace.id, name="Initial key", scopes=["all:all"]
    )
    owner = await session.get(User, workspace.owner_id)
    assert owner is not None
    link = await identity.create_link(
        session, settings, user=owner, workspace_id=workspace.id, purpose=LinkPurpose.SETUP
    )
    return secret, link


LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def _log_config(level: str) -> dict[str, Any]:
    """uvicorn's logging and the engine's (`coldsend.*`), timestamped, on stderr: stdout carries only
    the first key. Without a handler of their own the engine's lines went out bare, warnings only."""
    config = copy.deepcopy(uvicorn.config.LOGGING_CONFIG)
    for handler in config["handlers"].values():
        handler["stream"] = "ext://sys.stderr"
    for formatter in config["formatters"].values():
        formatter["fmt"] = "%(asctime)s " + formatter["fmt"]
    config["formatters"]["coldsend"] = {"format": LOG_FORMAT}
    config["handlers"]["coldsend"] = {
        "class": "logging.StreamHandler",
        "formatter": "coldsend",
        "stream": "ext://sys.stderr",
    }
    config["loggers"]["coldsend"] = {"handlers": ["coldsend"], "level": level.upper(), "propagate": False}
    config.setdefault("filters", {})["redact_links"] = {"()": "coldsend.web.redact.RedactSignInLinks"}
    config["handlers"]["access"]["filters"] = ["redact_links"]
    return config


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Bind address.")] = None,
    port: Annotated[int | None, typer.Option(help="Port.")] = None,
    no_engine: Annotated[
        bool, typer.Option("--no-engine", help="API only; run `coldsend worker` apart.")
    ] = False,
) -> None:
    """Run the API, and the engine in the same process unless --no-engine."""
    from coldsend.api.app import create_app

    settings = get_settings()
    # The options win over the environment everywhere, tracking links (effective_public_url) included.
    settings = settings.model_copy(update={"host": host or settings.host, "port": port or settings.port})
    _upgrade(settings)
    created = _in_session(settings, lambda session: _bootstrap(session, settings))
    if created:
        secret, link = created
        err.print("[bold]Created workspace 'My Workspace'. Its all:all API key, shown only once:[/bold]")
        print(secret, flush=True)
        err.print(
            "[bold]The dashboard: open this one-time link to choose your sign-in email and password:[/bold]"
        )
        print(settings.effective_public_url() + link, flush=True)
    uvicorn.run(
        create_app(settings, run_engine=not no_engine),
        host=settings.host,
        port=settings.port,
        log_level=settings.log_level,
        log_config=_log_config(settings.log_level),
    )


@app.command()
def worker() -> None:
    """Run only the engine (jobs, sending, inbox...), for scale-out next to `serve --no-engine`."""
    settings = get_settings()
    logging.config.dictConfig(_log_config(settings.log_level))
    _upgrade(settings)

    async def run() -> None:
        engine = create_engine(
            settings.effective_database_url(),
            pool_size=settings.database_pool_size,
            max_overflow=settings.database_max_overflow,
        )
        background = build_engine(settings, create_sessionmaker(engine))
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, background.request_stop)
        try:
            await background.run_until_stopped()
        finally:
            await engine.dispose()

    err.print("coldsend worker running; Ctrl-C to stop")
    _run_event_loop(run())


def _run_event_loop(main: Coroutine[Any, Any, None]) -> None:
    """Runs `main` on uvloop where it is installed, as uvicorn runs `serve` (and its engine): the
    worker's loops share one event loop implementation with it, and uvloop's socket transports take
    less of a busy worker's CPU (webhook deliveries). asyncio's own loop elsewhere."""
    try:
        import uvloop
    except ImportError:
        asyncio.run(main)
        return
    uvloop.run(main)


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Upgrade the database schema to the latest revision."""
    _upgrade(get_settings())
    err.print("database schema is up to date")


@workspace_app.command("create")
def workspace_create(
    name: Annotated[str, typer.Option(help="Workspace name.")],
    owner_email: Annotated[
        str | None,
        typer.Option(help="Owner's email (default: a new owner of its own, owner+<id>@localhost)."),
    ] = None,
) -> None:
    """Create a workspace and print its id."""
    settings = get_settings()
    _upgrade(settings)

    async def work(session: AsyncSession) -> uuid.UUID:
        return (await workspace_service.create(session, name=name, owner_email=owner_email)).id

    print(_in_session(settings, work))


def _answer_invite(group_member_id: str, *, accept: bool) -> None:
    try:
        member_id = uuid.UUID(group_member_id)
    except ValueError:
        err.print(f"[red]not a workspace group member id: {group_member_id}[/red]")
        raise typer.Exit(2) from None
    settings = get_settings()
    _upgrade(settings)

    async def work(session: AsyncSession) -> str:
        member = await group_member_service.answer_invitation(session, member_id=member_id, accept=accept)
        return member.status

    try:
        print(_in_session(settings, work))
    except ColdsendError as exc:
        err.print(f"[red]{exc.message}[/red]")
        raise typer.Exit(2) from None


@workspace_app.command("accept-invite")
def workspace_accept_invite(
    group_member_id: Annotated[str, typer.Argument(help="The pending workspace group member's id.")],
) -> None:
    """Accept, for the sub workspace's owner, an invitation into an admin workspace's group."""
    _answer_invite(group_member_id, accept=True)


@workspace_app.command("reject-invite")
def workspace_reject_invite(
    group_member_id: Annotated[str, typer.Argument(help="The pending workspace group member's id.")],
) -> None:
    """Reject, for the sub workspace's owner, an invitation into an admin workspace's group."""
    _answer_invite(group_member_id, accept=False)


@workspace_app.command("accept-member")
def workspace_accept_member(
    workspace: Annotated[str, typer.Option(help="Workspace id.")],
    email: Annotated[str, typer.Option(help="The invited member's email.")],
) -> None:
    """Record that an invited member joined (Coldsend sends no invitation mail to click)."""
    settings = get_settings()
    _upgrade(settings)

    async def work(session: AsyncSession) -> str:
        workspace_id = await workspace_service.resolve_for_cli(session, workspace)
        member = await workspace_member_service.get_by_email(session, workspace_id=workspace_id, email=email)
        if member is None:
            raise LookupError(f"{email} is not invited to workspace {workspace_id}")
        await workspace_member_service.accept(session, member)
        return str(member.id)

    try:
        print(_in_session(settings, work))
    except LookupError as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from None


@user_app.command("set-password")
def user_set_password(
    email: Annotated[str, typer.Argument(help="The member's email address.")],
) -> None:
    """Print a one-time dashboard link with which this member sets a (new) password."""
    settings = get_settings()
    _upgrade(settings)

    async def work(session: AsyncSession) -> str:
        user = await identity.user_by_email(session, email)
        memberships = await identity.memberships(session, user.id) if user else []
        if user is None or not memberships:
            raise LookupError(f"{email} is not a member of any workspace")
        return await identity.create_link(
            session, settings, user=user, workspace_id=memberships[0].workspace_id, purpose=LinkPurpose.RESET
        )

    try:
        path = _in_session(settings, work)
    except LookupError as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from None
    err.print(f"One-time link (valid {settings.sign_in_link_hours:g} hours; earlier links stop working):")
    print(settings.effective_public_url() + path, flush=True)


@api_key_app.command("create")
def api_key_create(
    name: Annotated[str, typer.Option(help="Key name.")],
    scopes: Annotated[str, typer.Option(help="Comma-separated scopes, e.g. all:all.")],
    workspace: Annotated[str | None, typer.Option(help="Workspace id (default: the only one).")] = None,
) -> None:
    """Create an API key and print only the key, so scripts can capture it."""
    wanted = [scope.strip() for scope in scopes.split(",") if scope.strip()]
    unknown = [scope for scope in wanted if scope not in GRANTABLE_SCOPES]
    if not wanted or unknown:
        err.print(f"[red]unknown scopes: {', '.join(unknown) or '(none given)'}[/red]")
        raise typer.Exit(2)
    settings = get_settings()
    _upgrade(settings)

    async def work(session: AsyncSession) -> str:
        workspace_id = await workspace_service.resolve_for_cli(session, workspace)
        _key, secret = await api_key_service.create(
            session, workspace_id=workspace_id, name=name, scopes=wanted
        )
        return secret

    try:
        print(_in_session(settings, work))
    except LookupError as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from None


@leads_app.command("import")
def leads_import_command(
    file: Annotated[
        Path,
        typer.Argument(
            metavar="FILE.csv", help="CSV file with a header row (UTF-8).", exists=True, dir_okay=False
        ),
    ],
    campaign: Annotated[uuid.UUID | None, typer.Option(help="Campaign id to add the leads to.")] = None,
    list_id: Annotated[
        uuid.UUID | None, typer.Option("--list", help="Lead list id to add the leads to.")
    ] = None,
    workspace: Annotated[
        str | None, typer.Option(help="Workspace id (default: the campaign's or list's).")
    ] = None,
    mapping: Annotated[
        list[str] | None,
        typer.Option(
            "--map",
            help="CSV_COLUMN=LEAD_FIELD (repeatable); CSV_COLUMN= ignores the column, "
            "CSV_COLUMN=custom keeps it a custom variable.",
        ),
    ] = None,
    skip_if_in_workspace: Annotated[
        bool, typer.Option("--skip-if-in-workspace", help="Skip emails already anywhere.")
    ] = False,
    skip_if_in_campaign: Annotated[
        bool, typer.Option("--skip-if-in-campaign", help="Skip emails already in a campaign.")
    ] = False,
    skip_if_in_list: Annotated[
        bool, typer.Option("--skip-if-in-list", help="Skip emails already in a list.")
    ] = False,
    batch_size: Annotated[
        int, typer.Option(min=1, max=lead_schemas.MAX_ADD, help="Leads per transaction.")
    ] = lead_schemas.MAX_ADD,
    skipped_report: Annotated[
        Path | None, typer.Option(help="Write the rows not uploaded, with their reason, to this CSV.")
    ] = None,
) -> None:
    """Import leads from a CSV, with the rules of POST /leads/add; stdout: the totals as one JSON line."""
    if (campaign is None) == (list_id is None):
        err.print("[red]give exactly one of --campaign and --list[/red]")
        raise typer.Exit(2)
    request = leads_import.ImportRequest(
        path=file,
        campaign_id=campaign,
        list_id=list_id,
        workspace=workspace,
        mapping_specs=mapping or [],
        skip_if_in_workspace=skip_if_in_workspace,
        skip_if_in_campaign=skip_if_in_campaign,
        skip_if_in_list=skip_if_in_list,
        batch_size=batch_size,
        explain_skipped=skipped_report is not None,
    )
    settings = get_settings()
    _upgrade(settings)
    report = leads_import.SkippedReport(skipped_report) if skipped_report else None
    progress = Progress(
        TextColumn("importing"),
        BarColumn(),
        DownloadColumn(),
        TextColumn("{task.fields[uploaded]} uploaded"),
        TimeRemainingColumn(),
        console=err,
        transient=True,
    )
    task = progress.add_task("import", total=None, uploaded=0)

    async def run() -> leads_import.Totals:
        engine = create_engine(settings.effective_database_url())
        try:
            return await leads_import.run_import(
                create_sessionmaker(engine),
                request,
                on_start=lambda size: progress.update(task, total=size),
                on_progress=lambda done, totals: progress.update(
                    task, completed=done, uploaded=totals.leads_uploaded
                ),
                on_skipped=lambda skipped: report.write(skipped, request.headers) if report else None,
            )
        finally:
            await engine.dispose()

    try:
        with progress:
            totals = asyncio.run(run())
    except (LookupError, leads_import.CsvImportError, ColdsendError) as exc:
        err.print(f"[red]{exc.message if isinstance(exc, ColdsendError) else exc}[/red]")
        raise typer.Exit(2) from None
    finally:
        if report:
            report.close(request.headers)
    table = Table(title=f"Leads import: {file.name}")
    table.add_column("")
    table.add_column("rows", justify="right")
    for label, counter, _reason in leads_import.SUMMARY:
        table.add_row(label, str(getattr(totals, counter)))
    err.print(table)
    if report:
        err.print(f"rows not uploaded, with their reason: {report.path}")
    print(leads_import.totals_json(totals), flush=True)
