"""Deliverability: the warmup pool and each mailbox's warmup health (inbox placement tests link in here
when that capability lands)."""

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from coldsend.clock import utcnow
from coldsend.warmup import report
from coldsend.web.context import CurrentMember, Db, settings_of, show

router = APIRouter(prefix="/deliverability")


@router.get("")
async def deliverability(request: Request, member: CurrentMember, db: Db) -> HTMLResponse:
    member.require("getWarmupPool")
    pool = await report.pool_report(db, member.principal.workspace_id, settings_of(request), utcnow())
    return await show(db, member, "deliverability.html", section="deliverability", pool=pool)
