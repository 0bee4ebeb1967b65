"""Deliverability: the warmup pool and each mailbox's warmup health; the inbox placement tests with their
results (where each copy landed, its SPF/DKIM/DMARC, the blacklist and SpamAssassin reports), from the
services behind /inbox-placement-tests, /inbox-placement-analytics and /inbox-placement-reports."""

import uuid
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from coldsend.clock import utcnow
from coldsend.errors import NotFound
from coldsend.inbox_placement import analytics, providers
from coldsend.inbox_placement import service as test_service
from coldsend.inbox_placement.analytics_schemas import AnalyticsFilters, TestStats
from coldsend.models import (
    CopyState,
    PlacementCopy,
    PlacementTest,
    PlacementTestStatus,
    PlacementTestType,
    RecordType,
)
from coldsend.warmup import report
from coldsend.web.context import CurrentMember, Db, Member, settings_of, show

router = APIRouter(prefix="/deliverability")

TESTS_LISTED = 100
COPIES_LISTED = 500
REPORTS_LISTED = 20
TEST_STATUS = {status.value: status.name.lower() for status in PlacementTestStatus}
TEST_TYPE = {PlacementTestType.ONE_TIME.value: "one-time", PlacementTestType.AUTOMATED.value: "automated"}


def landed(copy: PlacementCopy) -> str:
    """Where a copy is, in words: its folder once found, else missing, not sent, or not found yet."""
    if copy.record_type == RecordType.RECEIVED:
        if copy.is_spam:
            return "spam"
        return "inbox (category tab)" if copy.has_category else "inbox"
    if copy.missing:
        return "missing"
    if copy.state == CopyState.FAILED:
        return f"not sent: {copy.last_error}" if copy.last_error else "not sent"
    return "sent, not found yet" if copy.state == CopyState.SENT else "waiting to be sent"


def esp_name(code: int | None) -> str:
    return providers.ESP_NAMES.get(code, "") if code is not None else ""


async def _stats(db: Db, member: Member, tests: list[PlacementTest]) -> dict[uuid.UUID, TestStats]:
    if not tests or not member.can("getInboxPlacementAnalyticsStatsByTestId"):
        return {}
    found = await analytics.stats_by_test(
        db, member.principal.workspace_id, [test.id for test in tests], AnalyticsFilters()
    )
    return {row.test_id: row for row in found}


@router.get("")
async def deliverability(request: Request, member: CurrentMember, db: Db) -> HTMLResponse:
    if not (member.can("getWarmupPool") or member.can("listInboxPlacementTest")):
        member.require("listInboxPlacementTest")
    workspace_id = member.principal.workspace_id
    pool = (
        await report.pool_report(db, workspace_id, settings_of(request), utcnow())
        if member.can("getWarmupPool")
        else None
    )
    tests: list[PlacementTest] = []
    if member.can("listInboxPlacementTest"):
        rows, _ = await test_service.list_page(
            db,
            workspace_id=workspace_id,
            limit=TESTS_LISTED,
            after=None,
            search=None,
            status=None,
            descending=True,
        )
        tests = list(rows)
    return await show(
        db,
        member,
        "deliverability.html",
        section="deliverability",
        pool=pool,
        tests=tests,
        stats=await _stats(db, member, tests),
        test_status=TEST_STATUS,
        test_type=TEST_TYPE,
    )


@router.get("/tests/{test_id}")
async def placement_test(test_id: uuid.UUID, member: CurrentMember, db: Db) -> HTMLResponse:
    member.require("getInboxPlacementTest")
    workspace_id = member.principal.workspace_id
    test = await test_service.get(db, workspace_id=workspace_id, test_id=test_id)
    if test is None:
        raise NotFound("There is no such inbox placement test in this workspace")
    copies: list[Any] = []
    if member.can("listInboxPlacementAnalytics"):
        query = analytics.copies_query(workspace_id, [test.id], AnalyticsFilters())
        found = await db.scalars(query.order_by(PlacementCopy.id.desc()).limit(COPIES_LISTED))
        copies = list(found)
    reports = (
        await analytics.reports_of(db, workspace_id, test.id, limit=REPORTS_LISTED)
        if member.can("listInboxPlacementBlacklistAndSpamAssassinReport")
        else []
    )
    return await show(
        db,
        member,
        "placement_test.html",
        section="deliverability",
        test=await test_service.shown(db, test),
        stats=(await _stats(db, member, [test])).get(test.id),
        copies=copies,
        reports=reports,
        landed=landed,
        esp_name=esp_name,
        test_status=TEST_STATUS,
        test_type=TEST_TYPE,
        copies_listed=COPIES_LISTED,
    )
