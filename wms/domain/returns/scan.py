"""The returns scan's fast path: an item scanned back, and the condition key that grades it.

Everything the screen and the decision need is read in ONE statement, built once: the
operator's open return (locked), its lines with what came back per line, the unit waiting
for its condition, what the scanned barcode is, the returns and quarantine locations, and
whether this scan id was applied already. Then only what must change is written: an item
scan inserts the waiting unit (one INSERT); a condition key grades it (one UPDATE) and books
it into the ledger (inventory.receive_into: one upsert of the balance, one movement).

Anything else (no return open, a refusal, a SKU typed by hand, a GS1 scan, the "not ours"
key, no returns location) returns None and the caller runs the full service
(returns.services.scan) in the same transaction, so every refusal keeps one wording.
"""
from __future__ import annotations

from sqlalchemy import and_, bindparam, func, insert, or_, select, update
from sqlalchemy.orm import aliased

from wms.barcodes import Scan, ScanKind
from wms.db import execute, utcnow
from wms.domain.catalog.models import Barcode
from wms.domain.inventory import services as inventory
from wms.domain.inventory.models import MoveReason
from wms.domain.locations.models import Location, LocationKind
from wms.domain.locations.sites import current_site_id
from wms.domain.orders.models import Order
from wms.domain.returns.models import (
    CONDITION_KEYS, CustomerReturn, ReturnCondition, ReturnItem, ReturnLine, ReturnStatus,
)
from wms.domain.returns.services import DESTINATION, KEYS_HINT, LineView, ReturnView
from wms.domain.scans.models import ScanRecord
from wms.i18n import _

try:  # the picking fast path's signal to the scan endpoint (issue 13)
    from wms.domain.scans.services import ScanAlreadyApplied
except ImportError:  # pragma: no cover - before that branch is merged
    class ScanAlreadyApplied(Exception):
        """This scan id was applied already: answer with its stored answer."""


def _location(kind: LocationKind, column):
    # As locations.services.default_location: the first one of the handheld's site (bind
    # parameter "site"; 0: no site, the first site that has one). Never another site's bin.
    return (select(column).where(Location.kind == kind, Location.active.is_(True),
                                 or_(bindparam("site") == 0, Location.warehouse_id == bindparam("site")))
            .order_by(Location.warehouse_id, Location.code).limit(1).scalar_subquery())


def _build_read():
    item = aliased(ReturnItem)
    pending = aliased(ReturnItem)
    back = (select(func.coalesce(func.sum(item.quantity), 0))
            .where(item.return_line_id == ReturnLine.id, item.condition.is_not(None),
                   item.condition != ReturnCondition.WRONG_ITEM)
            .scalar_subquery())
    aside = (select(func.count(item.id)).where(item.return_id == CustomerReturn.id, item.exception.is_(True))
             .scalar_subquery())
    taken = select(ScanRecord.id).where(ScanRecord.scan_id == bindparam("scan_id")).scalar_subquery()
    return (
        select(CustomerReturn.id, Order.reference, CustomerReturn.source,
               ReturnLine.id, ReturnLine.product_id, ReturnLine.sku, ReturnLine.name, ReturnLine.shipped,
               ReturnLine.announced, back, aside,
               pending.id, pending.return_line_id, pending.product_id, pending.quantity,
               Barcode.product_id, Barcode.pack_qty,
               _location(LocationKind.RETURNS, Location.id), _location(LocationKind.RETURNS, Location.code),
               _location(LocationKind.QUARANTINE, Location.id), _location(LocationKind.QUARANTINE, Location.code),
               taken)
        .join(Order, Order.id == CustomerReturn.order_id)
        .join(ReturnLine, ReturnLine.return_id == CustomerReturn.id)
        .outerjoin(pending, and_(pending.return_id == CustomerReturn.id, pending.condition.is_(None)))
        .outerjoin(Barcode, Barcode.code == bindparam("code"))
        .where(CustomerReturn.holder_id == bindparam("user"),
               CustomerReturn.status == ReturnStatus.IN_PROGRESS)
        .order_by(ReturnLine.id)
        .with_for_update(of=CustomerReturn)
    )


_READ = _build_read()
_ADD_ITEM = insert(ReturnItem.__table__)
_GRADE = (update(ReturnItem.__table__)
          .where(ReturnItem.__table__.c.id == bindparam("item"), ReturnItem.__table__.c.condition.is_(None))
          .values(condition=bindparam("condition"), location_id=bindparam("location")))


def fast_scan(user, text: str, scanned: Scan | None, qty: int, scan_id: str | None) -> tuple[ReturnView, str] | None:
    """Apply an item scan or a condition key on the common path; None: run returns.services.scan()."""
    key = CONDITION_KEYS.get(text)
    if key is None and (scanned is None or scanned.kind is not ScanKind.PRODUCT or scanned.gs1 is not None):
        return None
    if key is ReturnCondition.WRONG_ITEM:
        return None  # rare, and it writes the return's history: the full service
    rows = execute(_READ, {"user": user.id, "code": "" if key else scanned.code,
                           "scan_id": scan_id or "", "site": current_site_id() or 0}).all()
    if not rows:
        return None
    first = rows[0]
    (return_id, reference, source, *_line, aside, pending_id, pending_line, pending_product, pending_qty,
     barcode_product, pack_qty, returns_id, returns_code, quarantine_id, quarantine_code, taken) = first
    if scan_id and taken is not None:
        raise ScanAlreadyApplied(scan_id)
    lines = [LineView(r[3], r[5] or "", r[6], r[7], r[8], int(r[9] or 0)) for r in rows]
    product_of = {r[3]: r[4] for r in rows}
    view = ReturnView(return_id, f"RMA-{return_id}", reference, source != "parcel", lines, exceptions=aside)
    if key is None:
        if pending_id is not None or barcode_product is None:
            return None
        line = next((ln for ln in lines if product_of[ln.id] == barcode_product), None)
        units = qty * pack_qty
        if line is None or line.received + units > line.shipped:
            return None
        execute(_ADD_ITEM, {
            "return_id": return_id, "return_line_id": line.id, "product_id": barcode_product,
            "code": scanned.code, "quantity": units, "condition": None, "location_id": None,
            "exception": False, "user_id": user.id, "created_at": utcnow()})
        view.pending_sku, view.pending_qty = line.sku, units
        view.prompt = _("%(sku)s: press its condition: %(keys)s", sku=line.sku, keys=KEYS_HINT)
        return view, _("%(sku)s × %(qty)s scanned: press 1-4", sku=line.sku, qty=units)
    if pending_id is None:
        return None
    kind = DESTINATION[key]
    location_id, location_code = ((returns_id, returns_code) if kind is LocationKind.RETURNS
                                  else (quarantine_id, quarantine_code))
    if location_id is None:
        return None  # no such location: the full service says so
    graded = execute(_GRADE, {"item": pending_id, "condition": key, "location": location_id})
    if graded.rowcount != 1:  # pragma: no cover - the return's row lock makes this impossible
        return None
    inventory.receive_into(pending_product, location_id, pending_qty, reason=MoveReason.RETURNED,
                           user_id=user.id, reference=f"RMA-{return_id}",
                           note=_("Order %(reference)s: %(condition)s", reference=reference,
                                  condition=key.label.lower()))
    line = next(ln for ln in lines if ln.id == pending_line)
    line.received += pending_qty
    view.prompt = _("Scan the next item, or close the return")
    return view, _("%(sku)s × %(qty)s %(condition)s: to %(location)s", sku=line.sku, qty=pending_qty,
                   condition=key.label.lower(), location=location_code)
