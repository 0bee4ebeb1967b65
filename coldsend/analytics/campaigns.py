"""Campaign analytics: per campaign, overall, per day and per step, from events and leads.

Only the campaign's own sequence counts here; its subsequences' mail is reported by
`/subsequences/analytics` (their steps would otherwise mix with the campaign's). Lead-based numbers
(completed, opportunities) come from the leads' current state; a date range applies to opportunities by
the time of the lead's last interest change.
"""

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from coldsend.analytics import metrics, tallies
from coldsend.analytics.dates import Instants
from coldsend.analytics.metrics import in_range, utc_day
from coldsend.analytics.opportunities import is_opportunity, positive_values
from coldsend.analytics.schemas import (
    CampaignAnalytics,
    CampaignAnalyticsOverview,
    CampaignStepAnalytics,
    DailyCampaignAnalytics,
)
from coldsend.errors import NotFound
from coldsend.models import AnalyticsStepDay, Campaign, Event, InterestStatus, Lead, LeadStatus

Counts = dict[str, int]

INTEREST_TOTALS = {
    "interested": InterestStatus.INTERESTED,
    "meeting_booked": InterestStatus.MEETING_BOOKED,
    "meeting_completed": InterestStatus.MEETING_COMPLETED,
    "closed": InterestStatus.WON,
}
LEAD_COUNTS = ("leads", "completed", "opportunities", *INTEREST_TOTALS)


@dataclass(frozen=True, slots=True)
class Selection:
    """Which of a workspace's campaigns: all of them, or some ids, and/or those with one status."""

    workspace_id: uuid.UUID
    ids: tuple[uuid.UUID, ...] | None = None
    status: int | None = None

    def _where(self) -> list[ColumnElement[bool]]:
        clauses = [Campaign.workspace_id == self.workspace_id]
        if self.ids is not None:
            clauses.append(Campaign.id.in_(self.ids))
        if self.status is not None:
            clauses.append(Campaign.status == self.status)
        return clauses

    def campaign_ids(self) -> Select[tuple[uuid.UUID]]:
        return select(Campaign.id).where(*self._where())

    async def campaigns(self, session: AsyncSession) -> Sequence[Campaign]:
        return (await session.scalars(select(Campaign).where(*self._where()).order_by(Campaign.id))).all()


async def check_ids(session: AsyncSession, *, workspace_id: uuid.UUID, ids: Iterable[uuid.UUID]) -> None:
    """404 unless every id is a campaign of this workspace."""
    wanted = set(ids)
    if not wanted:
        return
    found = set(
        await session.scalars(
            select(Campaign.id).where(Campaign.workspace_id == workspace_id, Campaign.id.in_(wanted))
        )
    )
    if found != wanted:
        raise NotFound()


def _counted(*conditions: ColumnElement[bool]) -> ColumnElement[int]:
    return func.count(case((and_(*conditions), 1)))


def _events(selection: Selection, window: Instants) -> list[ColumnElement[bool]]:
    return [
        Event.workspace_id == selection.workspace_id,
        Event.campaign_id.in_(selection.campaign_ids()),
        Event.subsequence_id.is_(None),
        *in_range(Event.timestamp, window),
    ]


def _leads(selection: Selection) -> list[ColumnElement[bool]]:
    return [Lead.workspace_id == selection.workspace_id, Lead.campaign_id.in_(selection.campaign_ids())]


LISTED_CAMPAIGNS = 1000  # up to this many, loaded campaigns' ids are bound, not selected again


def _listed(selection: Selection, campaigns: Sequence[Campaign]) -> tallies.CampaignIds:
    """The campaigns a caller has loaded, for the rollup statements: PostgreSQL reads each one's rows by
    index, with no join against `campaign` (a fifth of the overview's time at a million leads)."""
    if len(campaigns) > LISTED_CAMPAIGNS:
        return selection.campaign_ids()
    return [campaign.id for campaign in campaigns]


async def _engagement_by_campaign(
    session: AsyncSession,
    selection: Selection,
    window: Instants,
    campaigns: Sequence[Campaign],
    *,
    per_campaign: bool = True,
) -> dict[uuid.UUID | None, Counts]:
    """ENGAGEMENT per campaign (or, without `per_campaign`, in all under None when the rollups answer)."""
    days = tallies.whole_days(window)
    if days is not None:
        sequences = tallies.main_sequences(_listed(selection, campaigns))
        return await tallies.engagement(session, "campaign_id" if per_campaign else None, sequences, days)
    stmt = (
        select(Event.campaign_id, *metrics.labelled())
        .where(*_events(selection, window))
        .group_by(Event.campaign_id)
    )
    return {row.campaign_id: metrics.as_ints(row._mapping) for row in await session.execute(stmt)}


async def _leads_by_campaign(
    session: AsyncSession, selection: Selection, window: Instants, campaigns: Sequence[Campaign]
) -> dict[uuid.UUID, Counts]:
    positive = await positive_values(session, selection.workspace_id)
    days = tallies.whole_days(window)
    if days is not None:
        counts: dict[uuid.UUID, Counts] = {}
        for campaign_id, status, interest, change, _, _, leads in await tallies.lead_tally(
            session, _listed(selection, campaigns)
        ):
            found = counts.setdefault(campaign_id, dict.fromkeys(LEAD_COUNTS, 0))
            found["leads"] += leads
            found["completed"] += leads if status == LeadStatus.COMPLETED else 0
            if tallies.changed_in(change, days):
                found["opportunities"] += leads if interest in positive else 0
                for name, wanted in INTEREST_TOTALS.items():
                    found[name] += leads if interest == wanted else 0
        return counts
    changed = in_range(Lead.timestamp_last_interest_change, window)
    columns = [
        func.count().label("leads"),
        _counted(Lead.status == LeadStatus.COMPLETED).label("completed"),
        _counted(is_opportunity(positive), *changed).label("opportunities"),
        *(
            _counted(Lead.lt_interest_status == status, *changed).label(name)
            for name, status in INTEREST_TOTALS.items()
        ),
    ]
    stmt = select(Lead.campaign_id, *columns).where(*_leads(selection)).group_by(Lead.campaign_id)
    return {
        row.campaign_id: {name: int(row._mapping[name]) for name in LEAD_COUNTS}
        for row in await session.execute(stmt)
    }


def _opportunity_value(campaign: Campaign, opportunities: int) -> float:
    """Every positive lead is worth the campaign's `pl_value`."""
    return opportunities * float(campaign.pl_value or 0)


async def per_campaign(
    session: AsyncSession, selection: Selection, window: Instants, *, with_leads_count: bool
) -> list[CampaignAnalytics]:
    campaigns = await selection.campaigns(session)
    engagement = await _engagement_by_campaign(session, selection, window, campaigns)
    lead_counts = await _leads_by_campaign(session, selection, window, campaigns)
    shown = []
    for campaign in campaigns:
        e = engagement.get(campaign.id, metrics.ZERO)
        leads = lead_counts.get(campaign.id, dict.fromkeys(LEAD_COUNTS, 0))
        shown.append(
            CampaignAnalytics(
                campaign_name=campaign.name,
                campaign_id=campaign.id,
                campaign_status=campaign.status,
                campaign_is_evergreen=bool(campaign.is_evergreen),
                leads_count=leads["leads"] if with_leads_count else None,
                contacted_count=e["contacted"],
                emails_sent_count=e["sent"],
                new_leads_contacted_count=e["new_leads_contacted"],
                open_count=e["opened_leads"],
                open_count_unique=e["opened_leads"],
                open_count_unique_by_step=e["opened_rows"],
                reply_count=e["replies"],
                reply_count_unique=e["replies_leads"],
                reply_count_unique_by_step=e["replies_rows"],
                reply_count_automatic=e["auto"],
                reply_count_automatic_unique=e["auto_leads"],
                reply_count_automatic_unique_by_step=e["auto_rows"],
                link_click_count=e["clicks"],
                link_click_count_unique=e["clicks_leads"],
                link_click_count_unique_by_step=e["clicks_rows"],
                bounced_count=e["bounced_leads"],
                hard_bounced_count=e["hard_bounced_leads"],
                soft_bounced_count=e["soft_bounced_leads"],
                complaint_count=e["complained_leads"],
                unsubscribed_count=e["unsubscribed_leads"],
                completed_count=leads["completed"],
                total_opportunities=leads["opportunities"],
                total_opportunity_value=_opportunity_value(campaign, leads["opportunities"]),
            )
        )
    return shown


def _summed(counts: Iterable[Counts], names: Iterable[str]) -> Counts:
    totals = dict.fromkeys(names, 0)
    for one in counts:
        for name in totals:
            totals[name] += one.get(name, 0)
    return totals


async def overview(
    session: AsyncSession, selection: Selection, window: Instants
) -> CampaignAnalyticsOverview:
    campaigns = await selection.campaigns(session)
    engagement = await _engagement_by_campaign(session, selection, window, campaigns, per_campaign=False)
    lead_counts = await _leads_by_campaign(session, selection, window, campaigns)
    e = _summed(engagement.values(), metrics.ENGAGEMENT)
    leads = _summed(lead_counts.values(), LEAD_COUNTS)
    value = sum(
        _opportunity_value(campaign, lead_counts.get(campaign.id, {}).get("opportunities", 0))
        for campaign in campaigns
    )
    return CampaignAnalyticsOverview(
        open_count=e["opened"],
        open_count_unique=e["opened_leads"],
        open_count_unique_by_step=e["opened_rows"],
        link_click_count=e["clicks"],
        link_click_count_unique=e["clicks_leads"],
        link_click_count_unique_by_step=e["clicks_rows"],
        reply_count=e["replies"],
        reply_count_unique=e["replies_leads"],
        reply_count_unique_by_step=e["replies_rows"],
        reply_count_automatic=e["auto"],
        reply_count_automatic_unique=e["auto_leads"],
        reply_count_automatic_unique_by_step=e["auto_rows"],
        bounced_count=e["bounced_leads"],
        hard_bounced_count=e["hard_bounced_leads"],
        soft_bounced_count=e["soft_bounced_leads"],
        complaint_count=e["complained_leads"],
        unsubscribed_count=e["unsubscribed_leads"],
        completed_count=leads["completed"],
        emails_sent_count=e["sent"],
        contacted_count=e["contacted"],
        new_leads_contacted_count=e["new_leads_contacted"],
        total_opportunities=leads["opportunities"],
        total_opportunity_value=value,
        total_interested=leads["interested"],
        total_meeting_booked=leads["meeting_booked"],
        total_meeting_completed=leads["meeting_completed"],
        total_closed=leads["closed"],
    )


async def daily(
    session: AsyncSession, selection: Selection, window: Instants
) -> list[DailyCampaignAnalytics]:
    """One entry per UTC day that had any activity, oldest first."""
    days = tallies.whole_days(window)
    if days is not None:
        return await _daily_from_tallies(session, selection, days)
    day = utc_day(session, Event.timestamp).label("day")
    stmt = (
        select(day, *metrics.labelled())
        .where(*_events(selection, window), Event.type.in_(metrics.MESSAGE_ACTIVITY))
        .group_by(day)
    )
    by_day = {row.day: metrics.as_ints(row._mapping) for row in await session.execute(stmt)}

    positive = await positive_values(session, selection.workspace_id)
    changed_day = utc_day(session, Lead.timestamp_last_interest_change).label("day")
    opportunities_stmt = (
        select(changed_day, func.count().label("opportunities"))
        .where(
            *_leads(selection),
            is_opportunity(positive),
            Lead.timestamp_last_interest_change.is_not(None),
            *in_range(Lead.timestamp_last_interest_change, window),
        )
        .group_by(changed_day)
    )
    opportunities = {row.day: int(row.opportunities) for row in await session.execute(opportunities_stmt)}

    shown = []
    for date in sorted(set(by_day) | set(opportunities)):
        e = by_day.get(date, metrics.ZERO)
        shown.append(
            DailyCampaignAnalytics(
                date=date,
                **metrics.daily_fields(e),
                opportunities=opportunities.get(date, 0),
                unique_opportunities=opportunities.get(date, 0),
            )
        )
    return shown


async def _daily_from_tallies(
    session: AsyncSession, selection: Selection, days: tallies.DayRange
) -> list[DailyCampaignAnalytics]:
    by_day = await tallies.by_day(session, selection.campaign_ids(), days)
    positive = await positive_values(session, selection.workspace_id)
    opportunities: dict[str, int] = {}
    for _, _, interest, change, _, _, leads in await tallies.lead_tally(session, selection.campaign_ids()):
        if change is not None and interest in positive and tallies.changed_in(change, days):
            opportunities[change.isoformat()] = opportunities.get(change.isoformat(), 0) + leads
    return [
        DailyCampaignAnalytics(
            date=date,
            **metrics.daily_fields(by_day.get(date, metrics.ZERO)),
            opportunities=opportunities.get(date, 0),
            unique_opportunities=opportunities.get(date, 0),
        )
        for date in sorted(set(by_day) | {date for date, count in opportunities.items() if count})
    ]


StepKey = tuple[int | None, int | None]


def step_key(key: StepKey) -> tuple[bool, int, bool, int]:
    """Steps in order, then variants; what could not be attributed (null) last."""
    step, variant = key
    return (step is None, step or 0, variant is None, variant or 0)


async def engagement_by_step(
    session: AsyncSession, conditions: list[ColumnElement[bool]]
) -> dict[StepKey, Counts]:
    stmt = (
        select(Event.step, Event.variant, *metrics.labelled())
        .where(*conditions, Event.type.in_(metrics.MESSAGE_ACTIVITY))
        .group_by(Event.step, Event.variant)
    )
    return {(row.step, row.variant): metrics.as_ints(row._mapping) for row in await session.execute(stmt)}


def step_fields(key: StepKey, e: Counts) -> dict[str, Any]:
    step, variant = key
    return {
        "step": None if step is None else str(step),
        "variant": None if variant is None else str(variant),
        "sent": e["sent"],
        "opened": e["opened"],
        "unique_opened": e["opened_rows"],
        "replies": e["replies"],
        "unique_replies": e["replies_rows"],
        "replies_automatic": e["auto"],
        "unique_replies_automatic": e["auto_rows"],
        "clicks": e["clicks"],
        "unique_clicks": e["clicks_rows"],
    }


async def _opportunities_by_step(
    session: AsyncSession, selection: Selection, window: Instants
) -> dict[StepKey, Counts]:
    """Opportunities by the step and variant the lead replied to."""
    positive = await positive_values(session, selection.workspace_id)
    days = tallies.whole_days(window)
    if days is not None:
        found: dict[StepKey, Counts] = {}
        for _, _, interest, change, step, variant, leads in await tallies.lead_tally(
            session, selection.campaign_ids()
        ):
            if interest in positive and tallies.changed_in(change, days):
                counts = found.setdefault(
                    (step, variant), {"opportunities": 0, "meetings_booked": 0, "won": 0}
                )
                counts["opportunities"] += leads
                counts["meetings_booked"] += leads if interest == InterestStatus.MEETING_BOOKED else 0
                counts["won"] += leads if interest == InterestStatus.WON else 0
        return {key: counts for key, counts in found.items() if counts["opportunities"]}
    stmt = (
        select(
            Lead.email_replied_step,
            Lead.email_replied_variant,
            func.count().label("opportunities"),
            _counted(Lead.lt_interest_status == InterestStatus.MEETING_BOOKED).label("meetings_booked"),
            _counted(Lead.lt_interest_status == InterestStatus.WON).label("won"),
        )
        .where(
            *_leads(selection),
            is_opportunity(positive),
            *in_range(Lead.timestamp_last_interest_change, window),
        )
        .group_by(Lead.email_replied_step, Lead.email_replied_variant)
    )
    return {
        (row.email_replied_step, row.email_replied_variant): {
            "opportunities": int(row.opportunities),
            "meetings_booked": int(row.meetings_booked),
            "won": int(row.won),
        }
        for row in await session.execute(stmt)
    }


async def steps(
    session: AsyncSession, selection: Selection, window: Instants, *, with_opportunities: bool
) -> list[CampaignStepAnalytics]:
    days = tallies.whole_days(window)
    if days is not None:
        campaign_ids = selection.campaign_ids()
        engagement = await tallies.by_step(
            session,
            [AnalyticsStepDay.campaign_id.in_(campaign_ids), AnalyticsStepDay.subsequence_id.is_(None)],
            days,
        )
    else:
        engagement = await engagement_by_step(session, _events(selection, window))
    opportunities = await _opportunities_by_step(session, selection, window) if with_opportunities else {}
    shown = []
    for key in sorted(set(engagement) | set(opportunities), key=step_key):
        fields = step_fields(key, engagement.get(key, metrics.ZERO))
        if with_opportunities:
            found = opportunities.get(key, {})
            count = found.get("opportunities", 0)
            fields.update(
                opportunities=count,
                unique_opportunities=count,
                meetings_booked=found.get("meetings_booked", 0),
                won=found.get("won", 0),
            )
        shown.append(CampaignStepAnalytics(**fields))
    return shown
