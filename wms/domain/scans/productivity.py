"""Productivity from the scans themselves, per operator and day, kept as daily aggregates.

Scans applied come from the scan records (kept WMS_SCAN_ID_RETENTION_HOURS), units and lines
from the ledger rows the scans wrote. `aggregate_days` recomputes the days whose scans are all
still stored (the worker and `wms prune-scans` call it, prune-scans before it forgets); a day
whose first scans are already forgotten keeps the aggregate computed while it was whole.
Nothing here runs inside a scan request. Refused scans write nothing when they happen: the
scanner reports them in batches (`record_refusals`), with the sentence the operator saw.
"""
from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from wms.db import db, utcnow
from wms.domain.inventory.models import MoveReason, StockMove
from wms.domain.scans.models import OperatorDay, ScanRecord

# A gap between two scans longer than this is a pause, not work.
PAUSE = timedelta(minutes=10)
# Ledger rows written by operators' scans (not by the desk's adjustments or approvals).
WORK_REASONS = (MoveReason.RECEIVED, MoveReason.PUTAWAY, MoveReason.MOVED, MoveReason.PICKED,
                MoveReason.PUT_BACK, MoveReason.PACKED)
MAX_REASONS = 40  # distinct refusal reasons kept per operator and day
MAX_BATCH = 200


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=timezone.utc)


def _day_of(moment: datetime) -> date:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).date()


def _row(day: date, user_id: int) -> OperatorDay:
    """The operator's aggregate for the day, created when missing (another process may race)."""
    row = db.session.execute(select(OperatorDay).where(
        OperatorDay.day == day, OperatorDay.user_id == user_id)).scalar_one_or_none()
    if row is not None:
        return row
    row = OperatorDay(day=day, user_id=user_id, scans=0, lines=0, units=0, active_seconds=0,
                      refused=0, refusals={})
    try:
        with db.session.begin_nested():
            db.session.add(row)
    except IntegrityError:
        row = db.session.execute(select(OperatorDay).where(
            OperatorDay.day == day, OperatorDay.user_id == user_id)).scalar_one()
    return row


def aggregate_days(complete_after: datetime | None = None) -> int:
    """Recompute the aggregates of every day whose scans start after `complete_after` (the
    retention cut-off: older scan records may be forgotten already). Returns the rows written."""
    first_day = _day_of(complete_after) + timedelta(days=1) if complete_after else None
    start = _day_start(first_day) if first_day else None
    scans = select(ScanRecord.user_id, ScanRecord.created_at).where(ScanRecord.user_id.is_not(None))
    moves = select(StockMove.user_id, StockMove.created_at, StockMove.quantity, StockMove.product_id,
                   StockMove.from_location_id, StockMove.to_location_id, StockMove.reference
                   ).where(StockMove.user_id.is_not(None), StockMove.reason.in_(WORK_REASONS))
    if start is not None:
        scans = scans.where(ScanRecord.created_at >= start)
        moves = moves.where(StockMove.created_at >= start)
    times: dict[tuple[date, int], list[datetime]] = defaultdict(list)
    for user_id, at in db.session.execute(scans):
        times[(_day_of(at), user_id)].append(at)
    units: dict[tuple[date, int], int] = defaultdict(int)
    lines: dict[tuple[date, int], set] = defaultdict(set)
    for user_id, at, qty, product_id, src, dst, reference in db.session.execute(moves):
        key = (_day_of(at), user_id)
        if key not in times:
            continue  # work without scans that day (e.g. from the desk): not scanning productivity
        units[key] += abs(qty)
        lines[key].add((product_id, src, dst, reference))
    written = 0
    for key, stamps in times.items():
        stamps.sort()
        active = sum(min((b - a), PAUSE).total_seconds() for a, b in zip(stamps, stamps[1:]))
        row = _row(*key)
        row.scans, row.units, row.lines = len(stamps), units[key], len(lines[key])
        row.active_seconds = int(active)
        row.first_at, row.last_at = stamps[0], stamps[-1]
        row.updated_at = utcnow()
        written += 1
    db.session.flush()
    return written


def reason_key(message: str) -> str:
    """The reason of a refusal, without the codes and numbers that make each one unique:
    "Wrong location: go to A-01-02-1" -> "Wrong location"; "Barcode 3760… is not known" ->
    "Barcode … is not known"."""
    text = " ".join((message or "").split())
    head = re.split(r"[:.;]\s", text, maxsplit=1)[0].strip().rstrip(".!;:") or "Refused"
    head = re.sub(r"\S*\d\S*", "…", head)
    return head[:80]


def record_refusals(user, messages: list[str]) -> int:
    """Count a batch of refused scans the scanner reports, by reason, on today's aggregate."""
    messages = [m for m in messages[:MAX_BATCH] if isinstance(m, str) and m.strip()]
    if not messages:
        return 0
    row = _row(_day_of(utcnow()), user.id)
    reasons = dict(row.refusals or {})
    for message in messages:
        key = reason_key(message)
        if key not in reasons and len(reasons) >= MAX_REASONS:
            key = "Other"
        reasons[key] = reasons.get(key, 0) + 1
    row.refused += len(messages)
    row.refusals = reasons  # a new dict: JSON columns see only replaced values
    row.updated_at = utcnow()
    db.session.flush()
    return len(messages)


@dataclass
class DayFigures:
    """One operator's day as the desk shows it."""

    row: OperatorDay

    @property
    def hours(self) -> float:
        return self.row.active_seconds / 3600

    def per_hour(self, value: int) -> float | None:
        return value / self.hours if self.row.active_seconds >= 60 else None

    @property
    def refused_share(self) -> float | None:
        total = self.row.scans + self.row.refused
        return self.row.refused / total if total else None

    @property
    def top_reasons(self) -> list[tuple[str, int]]:
        return sorted((self.row.refusals or {}).items(), key=lambda kv: (-kv[1], kv[0]))[:3]


def days(since: date, until: date | None = None) -> list[DayFigures]:
    """The aggregates from `since` (newest day first, then by operator name)."""
    from wms.domain.users.models import User

    query = (select(OperatorDay).join(User, OperatorDay.user_id == User.id)
             .where(OperatorDay.day >= since).order_by(OperatorDay.day.desc(), User.name))
    if until is not None:
        query = query.where(OperatorDay.day <= until)
    return [DayFigures(row) for row in db.session.execute(query).scalars()]
