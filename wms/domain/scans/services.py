"""Per-operator state of multi-scan flows, and the scan lookups the flows share."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import bindparam, select, update

from wms.barcodes import Scan, ScanKind, parse_scan
from wms.db import db, utcnow
from wms.domain.scans.models import FlowState
from wms.errors import DomainError
from wms.i18n import _


def load_state(user, flow: str, *, lock: bool = True) -> FlowState:
    """Return the operator's state for a flow (created empty), locked for this transaction."""
    query = select(FlowState).where(FlowState.user_id == user.id, FlowState.flow == flow)
    if lock:
        query = query.with_for_update()
    state = db.session.execute(query).scalar_one_or_none()
    if state is None:
        state = FlowState(user_id=user.id, flow=flow, data={})
        db.session.add(state)
        db.session.flush()
    return state


def save_state(state: FlowState, **data) -> None:
    """Replace the flow's data (JSON columns need a new dict to be seen as changed)."""
    if state.id is not None and state.data == data:
        # Unchanged (e.g. the second unit picked at the same bin): no UPDATE for a timestamp.
        db.session.flush()
        return
    state.data = dict(data)
    state.updated_at = utcnow()
    db.session.flush()


# The fast scan paths' one write of a flow's state, built once (they read the row themselves).
_flow_state = FlowState.__table__
_STATE_UPDATE = (update(_flow_state).where(_flow_state.c.id == bindparam("state"))
                 .values(data=bindparam("data", type_=_flow_state.c.data.type), updated_at=bindparam("now")))


def write_state(state_id: int, new: dict, old: dict | None = None) -> None:
    """Store a flow's new data by its row id; given the data read before (`old`), nothing is
    written when it is unchanged (the second unit at the same bin: no UPDATE for a timestamp)."""
    if new == old:
        return
    db.session.execute(_STATE_UPDATE, {"state": state_id, "data": new, "now": utcnow()})


def parse(code: str, location_pattern: str | None = None) -> Scan:
    """Parse a scan, refusing an unreadable one with its reason."""
    scan = parse_scan(code, location_pattern)
    if scan.kind is ScanKind.INVALID:
        raise DomainError(scan.error or _("That scan could not be read: scan again."), code="bad_scan")
    return scan


def prune_scan_records(older_than: timedelta) -> int:
    """Forget scan answers older than the retention (a retry comes within minutes, not days)."""
    from sqlalchemy import delete

    from wms.domain.scans.models import ScanRecord

    result = db.session.execute(delete(ScanRecord).where(ScanRecord.created_at < utcnow() - older_than))
    return result.rowcount or 0


class ScanAlreadyApplied(Exception):
    """A flow's first read found the request's scan id already applied: replay its answer."""
