"""The idempotency record of scan requests."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from wms.db import UTCDateTime, created_at_column, db


class ScanRecord(db.Model):
    """A scan request that was applied, with the answer it got, keyed by the client's scan id.

    Written in the same transaction as the scan's effect: if the effect rolls back, so does
    the record, and a retry is applied afresh; if it committed, a retry gets the same answer.
    """

    __tablename__ = "scan_record"

    id: Mapped[int] = mapped_column(primary_key=True)
    scan_id: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    endpoint: Mapped[str] = mapped_column(String(120))
    status_code: Mapped[int] = mapped_column(default=0)
    body: Mapped[str | None] = mapped_column(Text)
    trigger: Mapped[str | None] = mapped_column(String(500))
    mimetype: Mapped[str | None] = mapped_column(String(80))
    # SHA-256 of a script's request body (Idempotency-Key): the same key with another body is refused.
    request_hash: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = created_at_column(index=True)


class FlowState(db.Model):
    """Where an operator is in a multi-scan flow (e.g. source scanned, product next).

    Kept in the database, not the session cookie: the state changes in the same
    transaction as the scan's effect, so a replayed scan can never leave it stale.
    """

    __tablename__ = "flow_state"
    __table_args__ = (UniqueConstraint("user_id", "flow", name="uq_flow_state_user_flow"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    flow: Mapped[str] = mapped_column(String(40))
    data: Mapped[dict] = mapped_column(JSON, default=dict)
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class OperatorDay(db.Model):
    """One operator's day of scanning, aggregated from the scans themselves: kept after the
    scan answers are forgotten (WMS_SCAN_ID_RETENTION_HOURS), so productivity has a history.

    The worker and `wms prune-scans` (re)compute the days whose scans are still stored; the
    refused scans are reported by the scanners in batches (a refused scan writes nothing)."""

    __tablename__ = "operator_day"
    __table_args__ = (UniqueConstraint("day", "user_id", name="uq_operator_day_day_user"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date]
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    scans: Mapped[int] = mapped_column(default=0)  # scans applied
    lines: Mapped[int] = mapped_column(default=0)  # stock lines worked (product × place × task)
    units: Mapped[int] = mapped_column(default=0)  # units moved by those scans
    active_seconds: Mapped[int] = mapped_column(default=0)  # time between scans, pauses left out
    first_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    refused: Mapped[int] = mapped_column(default=0)
    refusals: Mapped[dict] = mapped_column(JSON, default=dict)  # reason -> count
    updated_at: Mapped[datetime] = created_at_column()

    user = relationship("User")
