"""A run's reports, one per sending domain: the sending IP (the one the seeds' servers saw, from the
received copies' Received chains) and the domain against the configured blacklists, and a copy (received,
or rendered again when every copy of the domain is missing) through spamd. Inputs are read in one
transaction, checked over the network outside any, and written in another (once per run and domain)."""

import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from coldsend.config import Settings
from coldsend.dns import a_records
from coldsend.ids import new_id
from coldsend.inbox_placement import blacklists, sending, spamassassin
from coldsend.inbox_placement.seeds import domain_of
from coldsend.models import (
    Account,
    Campaign,
    PlacementCopy,
    PlacementReport,
    PlacementRun,
    PlacementTest,
    PlacementTestStatus,
    PlacementTestType,
    RecordType,
    RunState,
)


@dataclass
class DomainInput:
    domain: str
    ip: str | None
    message: bytes | None
    smtp_host: str | None


@dataclass
class DomainReport:
    domain: str
    ip: str
    findings: list[blacklists.Finding]
    verdict: spamassassin.Verdict


async def inputs(
    session: AsyncSession, settings: Settings, run: PlacementRun, now: datetime
) -> list[DomainInput]:
    test = await session.get(PlacementTest, run.test_id)
    copies = list(await session.scalars(select(PlacementCopy).where(PlacementCopy.run_id == run.id)))
    by_domain: dict[str, list[PlacementCopy]] = {}
    for copy in copies:
        if copy.sender_email:
            by_domain.setdefault(domain_of(copy.sender_email), []).append(copy)
    found = []
    for domain, group in sorted(by_domain.items()):
        received = sorted(
            (copy for copy in group if copy.record_type == RecordType.RECEIVED),
            key=lambda copy: copy.recipient_email,
        )
        ips = Counter(copy.smtp_ip for copy in received if copy.smtp_ip)
        raw = next((copy.raw for copy in received if copy.raw), None)
        message = raw.encode() if raw else None
        account = await session.get(Account, group[0].account_id) if group[0].account_id else None
        if message is None and test is not None and account is not None:
            campaign = await session.get(Campaign, test.campaign_id) if test.campaign_id else None
            message = sending.compose(group[0], test, account, campaign, settings, now)
        found.append(
            DomainInput(
                domain=domain,
                ip=ips.most_common(1)[0][0] if ips else None,
                message=message,
                smtp_host=account.smtp_host if account else None,
            )
        )
    return found


async def check(item: DomainInput, settings: Settings) -> DomainReport:
    ip = item.ip
    if ip is None and item.smtp_host:
        addresses = await a_records(item.smtp_host, nameservers=settings.dns_nameservers)
        ip = addresses[0] if addresses else None
    findings = await blacklists.check(ip, item.domain, settings)
    if item.message is not None:
        verdict = await spamassassin.score(item.message, settings)
    else:
        verdict = spamassassin.Verdict(ran=False, error="no copy of this domain to score")
    return DomainReport(domain=item.domain, ip=ip or "", findings=findings, verdict=verdict)


def _blacklist_report(report: DomainReport) -> dict[str, Any]:
    listed = sum(1 for finding in report.findings if finding.is_listed)
    return {
        "address": report.domain,
        "ip": report.ip,
        "is_domain": True,
        "is_blacklisted": listed > 0,
        "blacklisted_count": listed,
        "details": [finding.shown() for finding in report.findings],
    }


async def save(session: AsyncSession, run: PlacementRun, reports: list[DomainReport], now: datetime) -> None:
    dialect = postgresql if session.bind.dialect.name == "postgresql" else sqlite
    for report in reports:
        values = {
            "id": new_id(),
            "workspace_id": run.workspace_id,
            "test_id": run.test_id,
            "run_id": run.id,
            "domain": report.domain,
            "domain_ip": report.ip,
            "domain_blacklist_count": blacklists.listed_count(report.findings, "domain"),
            "domain_ip_blacklist_count": blacklists.listed_count(report.findings, "ip")
            if report.ip
            else None,
            "spam_assassin_score": report.verdict.score,
            "spam_assassin_report": report.verdict.report(),
            "blacklist_report": _blacklist_report(report),
            "timestamp_created": now,
            "timestamp_updated": now,
        }
        await session.execute(
            dialect.insert(PlacementReport)
            .values(**values)
            .on_conflict_do_nothing(index_elements=["run_id", "domain"])
        )


async def listings(session: AsyncSession, run_id: uuid.UUID) -> set[str]:
    """Every (list, kind) a run's reports found the sending IPs or domains on."""
    found: set[str] = set()
    for report in await session.scalars(select(PlacementReport).where(PlacementReport.run_id == run_id)):
        for detail in (report.blacklist_report or {}).get("details", []):
            if detail.get("is_listed"):
                found.add(f"{report.domain}:{detail.get('test_type')}:{detail.get('blacklist')}")
    return found


async def finish(session: AsyncSession, run: PlacementRun, now: datetime) -> None:
    """The run is done: received copies are not kept any longer, a one-time test is completed."""
    await session.execute(
        update(PlacementCopy)
        .where(PlacementCopy.run_id == run.id, PlacementCopy.raw.is_not(None))
        .values(raw=None)
        .execution_options(synchronize_session=False)
    )
    await session.execute(
        update(PlacementRun)
        .where(PlacementRun.id == run.id)
        .values(state=RunState.DONE, finished_at=now, lease_owner=None, lease_expires_at=None)
        .execution_options(synchronize_session=False)
    )
    await session.execute(
        update(PlacementTest)
        .where(
            PlacementTest.id == run.test_id,
            PlacementTest.type == PlacementTestType.ONE_TIME,
            PlacementTest.timestamp_next_run.is_(None),
        )
        .values(status=PlacementTestStatus.COMPLETED)
        .execution_options(synchronize_session=False)
    )
