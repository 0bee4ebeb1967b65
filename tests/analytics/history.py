"""A workspace's sending history for analytics and email tests.

Campaigns, leads, subsequences and accounts are made through the API with tests/factories.py; what the
engine would have recorded (send rows, Email rows, events) and lead fields only the engine sets are
written with the ORM: they are the engine's output, built here the way the sender, tracker and inbox
write them.
"""

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from fastapi import FastAPI
from sqlalchemy import update

from coldsend.db.session import session_scope
from coldsend.models import Email, Event, Lead, Send
from coldsend.models.email import EmailType
from coldsend.models.event import EventType
from coldsend.models.send import SendState
from tests.conftest import Tenant
from tests.factories import create_campaign, id_of, schedule

SCHEDULE = schedule("Etc/GMT+12", name="Always")
STEPS = [
    {
        "type": "email",
        "delay": 1,
        "variants": [{"subject": "Hi {{firstName}}", "body": "A"}, {"subject": "Hello", "body": "B"}],
    },
    {"type": "email", "delay": 1, "variants": [{"subject": "", "body": "Following up"}]},
]


def at(day: int, hour: int, minute: int = 0) -> datetime:
    """A moment of November 2026, in UTC."""
    return datetime(2026, 11, day, hour, minute, tzinfo=UTC)


async def history_campaign(tenant: Tenant, name: str, accounts: list[str], **fields: Any) -> uuid.UUID:
    """A draft campaign of the history's STEPS on SCHEDULE, sending from `accounts`; its id."""
    return id_of(
        await create_campaign(
            tenant,
            name,
            campaign_schedule=SCHEDULE,
            sequences=[{"steps": STEPS}],
            email_list=accounts,
            **fields,
        )
    )


async def set_lead(app: FastAPI, lead_id: uuid.UUID, **values: Any) -> None:
    """Lead fields only the engine and the inbox set (status, interest, replied step...)."""
    async with session_scope(app.state.sessionmaker) as session:
        await session.execute(update(Lead).where(Lead.id == lead_id).values(**values))


@dataclass
class History:
    """Writes what the engine records, for one workspace."""

    app: FastAPI
    workspace_id: uuid.UUID
    threads: dict[tuple[uuid.UUID, uuid.UUID], str] = field(default_factory=dict)

    def thread(self, sequence_id: uuid.UUID, lead_id: uuid.UUID) -> str:
        return self.threads.setdefault((sequence_id, lead_id), str(uuid.uuid4()))

    async def sent(
        self,
        *,
        campaign_id: uuid.UUID,
        lead_id: uuid.UUID,
        lead_email: str,
        step: int,
        variant: int,
        account: str,
        when: datetime,
        subsequence_id: uuid.UUID | None = None,
        subject: str = "Hello",
    ) -> uuid.UUID:
        """One step delivered: its send row, its Email row and its `sent` event; the Email's id."""
        sequence_id = subsequence_id or campaign_id
        message_id = f"<{uuid.uuid4().hex}@example.com>"
        async with session_scope(self.app.state.sessionmaker) as session:
            send = Send(
                workspace_id=self.workspace_id,
                campaign_id=campaign_id,
                subsequence_id=subsequence_id,
                sequence_id=sequence_id,
                lead_id=lead_id,
                step=step,
                variant=variant,
                account_email=account,
                message_id=message_id,
                state=SendState.SENT,
                due_at=when,
                attempts=1,
                sent_at=when,
                timestamp_created=when,
            )
            session.add(send)
            await session.flush()
            email = Email(
                workspace_id=self.workspace_id,
                send_id=send.id,
                timestamp_created=when,
                timestamp_email=when,
                message_id=message_id,
                subject=subject,
                from_address_email=account,
                to_address_email_list=lead_email,
                body={"html": f"<p>Step {step}</p>", "text": f"Step {step}"},
                campaign_id=campaign_id,
                subsequence_id=subsequence_id,
                lead=lead_email,
                lead_id=lead_id,
                eaccount=account,
                ue_type=EmailType.SENT_FROM_CAMPAIGN,
                step=str(step),
                is_unread=0,
                thread_id=self.thread(sequence_id, lead_id),
                content_preview=f"Step {step}",
            )
            session.add(email)
            await session.flush()
            session.add(
                Event(
                    workspace_id=self.workspace_id,
                    type=EventType.SENT,
                    campaign_id=campaign_id,
                    subsequence_id=subsequence_id,
                    sequence_id=sequence_id,
                    lead_id=lead_id,
                    step=step,
                    variant=variant,
                    account_email=account,
                    email_id=email.id,
                    timestamp=when,
                )
            )
            return email.id

    async def event(
        self,
        kind: str,
        *,
        campaign_id: uuid.UUID,
        lead_id: uuid.UUID,
        step: int,
        variant: int,
        account: str,
        when: datetime,
        count: int = 1,
        subsequence_id: uuid.UUID | None = None,
    ) -> None:
        """An open, click, reply, bounce... (`count` times, first at `when`)."""
        async with session_scope(self.app.state.sessionmaker) as session:
            session.add(
                Event(
                    workspace_id=self.workspace_id,
                    type=kind,
                    campaign_id=campaign_id,
                    subsequence_id=subsequence_id,
                    sequence_id=subsequence_id or campaign_id,
                    lead_id=lead_id,
                    step=step,
                    variant=variant,
                    account_email=account,
                    count=count,
                    timestamp=when,
                )
            )

    async def received(
        self,
        *,
        campaign_id: uuid.UUID,
        lead_id: uuid.UUID,
        lead_email: str,
        account: str,
        when: datetime,
        subject: str = "Re: Hello",
    ) -> uuid.UUID:
        """A reply from the lead, unread, in the lead's campaign thread."""
        async with session_scope(self.app.state.sessionmaker) as session:
            email = Email(
                workspace_id=self.workspace_id,
                timestamp_created=when,
                timestamp_email=when,
                message_id=f"<{uuid.uuid4().hex}@lead.example>",
                subject=subject,
                from_address_email=lead_email,
                to_address_email_list=account,
                body={"html": "<p>Sounds good</p>", "text": "Sounds good"},
                campaign_id=campaign_id,
                lead=lead_email,
                lead_id=lead_id,
                eaccount=account,
                ue_type=EmailType.RECEIVED,
                is_unread=1,
                is_focused=1,
                i_status=1,
                thread_id=self.thread(campaign_id, lead_id),
                content_preview="Sounds good",
            )
            session.add(email)
            await session.flush()
            return email.id
