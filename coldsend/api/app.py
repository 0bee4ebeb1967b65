import asyncio
import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from coldsend import __version__
from coldsend.account_campaign_mappings.router import router as account_campaign_mappings_router
from coldsend.accounts.router import router as accounts_router
from coldsend.analytics.router import router as analytics_router
from coldsend.api.docs import install_docs
from coldsend.api.errors import install_error_handlers
from coldsend.api.limits import RequestLimits
from coldsend.api.openapi import install_openapi
from coldsend.api.routing import add_unavailable_routes, mount_routers, sort_routes
from coldsend.api_keys.router import router as api_keys_router
from coldsend.audit_logs.router import router as audit_logs_router
from coldsend.background_jobs.router import router as background_jobs_router
from coldsend.block_list_entries.router import router as block_list_entries_router
from coldsend.campaigns.router import router as campaigns_router
from coldsend.config import Settings, get_settings
from coldsend.custom_tag_mappings.router import router as custom_tag_mappings_router
from coldsend.custom_tags.router import router as custom_tags_router
from coldsend.db import migrate
from coldsend.db.session import create_engine, create_read_sessionmaker, create_sessionmaker, open_pool
from coldsend.emails.router import router as emails_router
from coldsend.engine.loops import build_engine
from coldsend.http.key_cache import KeyCache
from coldsend.http.rate_limit import RateLimiter
from coldsend.inbox_placement.analytics_router import router as inbox_placement_analytics_router
from coldsend.inbox_placement.router import router as inbox_placement_router
from coldsend.lead_labels.router import router as lead_labels_router
from coldsend.lead_lists.router import router as lead_lists_router
from coldsend.leads.bulk_router import router as leads_bulk_router
from coldsend.leads.router import router as leads_router
from coldsend.oauth.router import callback_router as oauth_callback_router
from coldsend.oauth.router import router as oauth_router
from coldsend.subsequences.router import router as subsequences_router
from coldsend.tracking.router import router as tracking_router
from coldsend.verification.router import router as verification_router
from coldsend.warmup.router import router as warmup_router
from coldsend.web.app import install_dashboard
from coldsend.webhook_events.router import router as webhook_events_router
from coldsend.webhooks.router import router as webhooks_router
from coldsend.workspace_billing.router import router as workspace_billing_router
from coldsend.workspace_group_members.router import router as workspace_group_members_router
from coldsend.workspace_members.router import router as workspace_members_router
from coldsend.workspaces.router import router as workspaces_router

ROUTERS = [
    analytics_router,
    emails_router,
    accounts_router,
    account_campaign_mappings_router,
    api_keys_router,
    audit_logs_router,
    background_jobs_router,
    lead_labels_router,
    leads_bulk_router,
    leads_router,
    lead_lists_router,
    subsequences_router,
    block_list_entries_router,
    campaigns_router,
    custom_tags_router,
    custom_tag_mappings_router,
    workspace_group_members_router,
    workspace_members_router,
    workspace_billing_router,
    workspaces_router,
    tracking_router,
    verification_router,
    warmup_router,
    webhooks_router,
    webhook_events_router,
    oauth_router,
    oauth_callback_router,
    inbox_placement_router,
    inbox_placement_analytics_router,
]


def create_app(settings: Settings | None = None, *, run_engine: bool = True) -> FastAPI:
    """The API; with `run_engine` the engine's loops run in the same process."""
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        url = settings.effective_database_url()
        await asyncio.to_thread(migrate.upgrade, url)
        engine = create_engine(
            url, pool_size=settings.database_pool_size, max_overflow=settings.database_max_overflow
        )
        await open_pool(engine, settings.database_pool_size)
        app.state.sessionmaker = create_sessionmaker(engine)
        app.state.read_sessionmaker = create_read_sessionmaker(engine)
        background = build_engine(settings, app.state.sessionmaker) if run_engine else None
        if background:
            background.start()
        # Everything loaded so far lives as long as the process: keep the collector off it
        # (measured: it was spending more time scanning those objects than serving requests).
        gc.freeze()
        try:
            yield
        finally:
            if background:
                await background.stop()
            await engine.dispose()

    app = FastAPI(
        title="Coldsend",
        version=__version__,
        description="Self-hosted cold-email outreach server with an Instantly API V2 compatible API.",
        lifespan=lifespan,
        openapi_url="/openapi.json",
        docs_url=None,  # served by install_docs, from local files
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.rate_limiter = RateLimiter(
        per_second=settings.rate_limit_per_second, per_minute=settings.rate_limit_per_minute
    )
    app.state.key_cache = KeyCache(ttl=settings.api_key_cache_seconds)
    install_error_handlers(app)
    install_docs(app)
    install_openapi(app)
    app.add_middleware(RequestLimits)

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    mount_routers(app, ROUTERS)
    add_unavailable_routes(app)
    sort_routes(app)
    install_dashboard(app)
    return app
