"""Rows sent exactly once under a lease, whatever their table: planned → sending (claimed under a lease) →
committed (written just before the final "." of DATA) → sent, or failed. After a crash, a `sending` row was
certainly not delivered and is planned again (same Message-ID); a `committed` one is counted as sent.

A table takes part with the columns `id`, `state`, `due_at`, `attempts`, `lease_owner`, `lease_expires_at`,
`sent_at` and `last_error`, and its own names for the states (`LeaseStates`). What a row's message is and
what a failure means beyond the row (a strike, a note on its test) stay with the table's domain package.
"""

import uuid
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Generic, Protocol, TypeVar, cast

from sqlalchemy import ColumnElement, select, update
from sqlalchemy.ext.asyncio import AsyncSession

CLAIM_BATCH = 50
ERROR_LENGTH = 2000
_FREED = {"lease_owner": None, "lease_expires_at": None}


class LeaseStates(Protocol):
    """A table's names for the lifecycle's states (a class of string constants)."""

    @property
    def PLANNED(self) -> str: ...  # noqa: N802 (the models' constant names)
    @property
    def SENDING(self) -> str: ...  # noqa: N802
    @property
    def COMMITTED(self) -> str: ...  # noqa: N802
    @property
    def SENT(self) -> str: ...  # noqa: N802
    @property
    def FAILED(self) -> str: ...  # noqa: N802


class LeasedRow(Protocol):
    @property
    def id(self) -> uuid.UUID: ...
    @property
    def due_at(self) -> datetime | None: ...
    @property
    def attempts(self) -> int: ...


R = TypeVar("R", bound=LeasedRow)


@dataclass(frozen=True)
class LeasedTable(Generic[R]):
    """The lease SQL of one table (`model`), whose states are named by `states`."""

    model: type[R]
    states: LeaseStates

    @property
    def _m(self) -> Any:
        return cast(Any, self.model)

    @property
    def in_flight(self) -> tuple[str, str]:
        return (self.states.SENDING, self.states.COMMITTED)

    def held_by(self, worker_id: str) -> ColumnElement[bool]:
        return cast(ColumnElement[bool], self._m.lease_owner == worker_id)

    async def claim(
        self,
        session: AsyncSession,
        *,
        worker_id: str,
        now: datetime,
        lease: timedelta,
        limit: int = CLAIM_BATCH,
        skip: Collection[uuid.UUID] = (),
    ) -> list[R]:
        """Lease due planned rows (oldest first), but those in `skip`; rows another worker holds are
        skipped, not waited for."""
        m, planned = self._m, self.states.PLANNED
        due = [m.state == planned, m.due_at <= now]
        if skip:
            due.append(m.id.not_in(skip))
        pick = (
            select(m.id)
            .where(*due)
            .order_by(m.due_at, m.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
            .cte("picked")
            .prefix_with("MATERIALIZED", dialect="postgresql")
        )
        claimed: list[R] = list(
            await session.scalars(
                update(m)
                .where(m.id.in_(select(pick.c.id)), m.state == planned)
                .values(
                    state=self.states.SENDING,
                    lease_owner=worker_id,
                    lease_expires_at=now + lease,
                    attempts=m.attempts + 1,
                )
                .returning(m)
                .execution_options(synchronize_session=False)
            )
        )
        return sorted(claimed, key=lambda row: (row.due_at or now, row.id))

    async def extend(
        self, session: AsyncSession, row_ids: list[uuid.UUID], worker_id: str, until: datetime
    ) -> set[uuid.UUID]:
        """Lengthen the lease of the worker's rows still `sending` to `until`; the rows it still held."""
        m = self._m
        kept = await session.scalars(
            update(m)
            .where(m.id.in_(row_ids), m.state == self.states.SENDING, self.held_by(worker_id))
            .values(lease_expires_at=until)
            .returning(m.id)
            .execution_options(synchronize_session=False)
        )
        return set(kept)

    async def mark_committed(
        self, session: AsyncSession, row_id: uuid.UUID, worker_id: str, now: datetime
    ) -> bool:
        m = self._m
        committed = await session.scalar(
            update(m)
            .where(m.id == row_id, m.state == self.states.SENDING, self.held_by(worker_id))
            .values(state=self.states.COMMITTED, sent_at=now)
            .returning(m.id)
            .execution_options(synchronize_session=False)
        )
        return committed is not None

    def commit_statement(self, row_id: uuid.UUID, worker_id: str, now: datetime) -> str:
        """`mark_committed` as one SQL statement for PostgreSQL's pipelined commit (written alongside the
        final dot on the sender's own connection); the values are a UUID, a timestamp and a quoted name."""
        owner = worker_id.replace("'", "''")
        return (
            f"UPDATE {self._m.__table__.name} SET state = '{self.states.COMMITTED}', "
            f"sent_at = '{now.isoformat()}'::timestamptz "
            f"WHERE id = '{row_id}'::uuid AND state = '{self.states.SENDING}' AND lease_owner = '{owner}'"
        )

    async def record_sent(self, session: AsyncSession, row_ids: list[uuid.UUID], worker_id: str) -> int:
        if not row_ids:
            return 0
        m = self._m
        done = await session.scalars(
            update(m)
            .where(m.id.in_(row_ids), m.state == self.states.COMMITTED, self.held_by(worker_id))
            .values(state=self.states.SENT, **_FREED)
            .returning(m.id)
            .execution_options(synchronize_session=False)
        )
        return len(list(done))

    async def record_failure(
        self,
        session: AsyncSession,
        row: R,
        worker_id: str,
        reason: str,
        *,
        retry_at: datetime | None,
        values: Mapping[str, object] | None = None,
    ) -> None:
        """The row failed: planned again at `retry_at` when given, else failed for good; `values` are the
        table's own columns to set with it."""
        m = self._m
        settled: dict[str, object] = {
            "state": self.states.PLANNED if retry_at is not None else self.states.FAILED,
            "last_error": reason[:ERROR_LENGTH],
            **_FREED,
            **(values or {}),
        }
        if retry_at is not None:
            settled["due_at"] = retry_at
        await session.execute(
            update(m)
            .where(m.id == row.id, m.state.in_(self.in_flight), self.held_by(worker_id))
            .values(**settled)
            .execution_options(synchronize_session=False)
        )

    async def release(
        self,
        session: AsyncSession,
        row_ids: list[uuid.UUID],
        worker_id: str,
        *,
        due_at: datetime | None = None,
    ) -> None:
        """Give claimed rows back unsent (the worker stops, or the row cannot go now), due again at `due_at`
        when given."""
        if not row_ids:
            return
        m = self._m
        values: dict[str, object] = {"state": self.states.PLANNED, **_FREED}
        if due_at is not None:
            values["due_at"] = due_at
        await session.execute(
            update(m)
            .where(m.id.in_(row_ids), m.state == self.states.SENDING, self.held_by(worker_id))
            .values(**values)
            .execution_options(synchronize_session=False)
        )

    async def recover(self, session: AsyncSession, now: datetime) -> tuple[int, int]:
        """Rows of a vanished worker: `sending` ones are planned again (same Message-ID), `committed` ones
        counted as sent. (requeued, counted)"""
        m = self._m
        counts = []
        for held, becomes in (
            (self.states.SENDING, self.states.PLANNED),
            (self.states.COMMITTED, self.states.SENT),
        ):
            moved = await session.scalars(
                update(m)
                .where(m.state == held, m.lease_expires_at < now)
                .values(state=becomes, **_FREED)
                .returning(m.id)
                .execution_options(synchronize_session=False)
            )
            counts.append(len(list(moved)))
        return counts[0], counts[1]
