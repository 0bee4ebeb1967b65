from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

import coldsend.accounts.jobs  # noqa: F401  (job handlers register themselves on import)
import coldsend.leads.jobs  # noqa: F401
import coldsend.verification.jobs  # noqa: F401
import coldsend.workspaces.removal  # noqa: F401
from coldsend.config import Settings
from coldsend.engine.account_health import AccountHealth
from coldsend.engine.inbox_loop import InboxLoop
from coldsend.engine.job_runner import JobRunner
from coldsend.engine.placement_loop import PlacementLoop
from coldsend.engine.rollup_fold import RollupFold
from coldsend.engine.runner import Engine, Loop
from coldsend.engine.sending import sending_loops
from coldsend.engine.verification_loop import VerificationLoop
from coldsend.engine.warmup_loop import WarmupLoop
from coldsend.engine.webhook_dispatcher import WebhookDispatcher
from coldsend.jobs import HANDLERS


def build_engine(settings: Settings, sessionmaker: async_sessionmaker[AsyncSession]) -> Engine:
    """The engine's loops, wired to one database."""
    jobs = JobRunner(settings, sessionmaker, HANDLERS)
    loops: list[Loop] = [jobs.run, VerificationLoop(settings, sessionmaker).run]
    loops.append(AccountHealth(settings, sessionmaker).run)
    loops.append(InboxLoop(settings, sessionmaker).run)
    loops.extend(sending_loops(settings, sessionmaker))
    loops.append(WarmupLoop(settings, sessionmaker).run)
    loops.append(WebhookDispatcher(settings, sessionmaker).run)
    loops.append(PlacementLoop(settings, sessionmaker).run)
    loops.append(RollupFold(settings, sessionmaker).run)
    return Engine(loops)
