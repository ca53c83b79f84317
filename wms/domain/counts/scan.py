"""The counting scan's fast path: the bin counted, then each unit found in it.

Everything a scan needs is read in ONE statement, built once per kind of scan: the
operator's flow state and the count task (both locked, in the order counts.services.scan()
takes them), the task's lines with their bin code and SKU (one row per line), what the
scanned code is, the bin being counted, and whether this scan id was applied already. Then
only what must change is written: a bin scan takes the book quantity of its lines (one
UPDATE, the first time only) and the flow state (one UPDATE); a unit scan adds to its line
(one UPDATE that takes the book if not taken yet, and returns the line's count).

Anything else (no flow state or task yet, a count sheet, a refusal, the first unit of a
product the task has no line for, a GS1 scan, a SKU typed by hand) returns None, and the
caller runs the full service, counts.services.scan(), in the same transaction: every
refusal keeps one wording.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.orm import aliased

from wms.barcodes import Scan, ScanKind
from wms.db import execute
from wms.domain.catalog.models import Barcode, Product
from wms.domain.counts.models import CountLine, CountScope, CountStatus, CountTask
from wms.domain.counts.services import FLOW, NOT_COUNTABLE, CountView
from wms.domain.inventory.models import StockLevel
from wms.domain.locations.models import Location
from wms.domain.locations.sites import check_site
from wms.domain.scans.models import FlowState, ScanRecord
from wms.domain.scans.services import ScanAlreadyApplied, write_state
from wms.i18n import _


@dataclass
class _Named:
    id: int | None
    code: str | None = None
    sku: str | None = None


@dataclass
class _Line:
    """What the counting screen shows of a line (never the book quantity)."""

    id: int
    location: _Named
    product: _Named
    counted: int | None


def _build_read(kind: ScanKind):
    line_location, line_product = aliased(Location), aliased(Product)
    taken = select(ScanRecord.id).where(ScanRecord.scan_id == bindparam("scan_id")).scalar_subquery()
    if kind is ScanKind.LOCATION:
        scanned = aliased(Location)
        where = (scanned.id, scanned.code, scanned.kind, scanned.active)
        join = (scanned, scanned.code == bindparam("code"))
        site = scanned.warehouse_id
    else:
        where = (Barcode.product_id, Barcode.pack_qty, Product.sku, Product.active)
        join = (Barcode, Barcode.code == bindparam("code"))
    held = aliased(Location)
    if kind is ScanKind.PRODUCT:
        site = held.warehouse_id
    query = (
        select(FlowState.id, FlowState.data, CountTask.id, CountTask.status, CountTask.scope,
               CountTask.location_id, CountTask.product_id, *where, held.id, held.code, held.kind,
               CountLine.id, CountLine.location_id, CountLine.product_id, CountLine.expected,
               CountLine.counted, line_location.code, line_product.sku, site, taken)
        .select_from(FlowState)
        .join(CountTask, CountTask.id == FlowState.data["task"].as_integer())
        .join(*join)
    )
    if kind is ScanKind.PRODUCT:
        query = query.join(Product, Product.id == Barcode.product_id)
    return (
        query.outerjoin(held, held.id == FlowState.data["location"].as_integer())
        .outerjoin(CountLine, CountLine.task_id == CountTask.id)
        .outerjoin(line_location, line_location.id == CountLine.location_id)
        .outerjoin(line_product, line_product.id == CountLine.product_id)
        .where(FlowState.user_id == bindparam("user"), FlowState.flow == FLOW)
        .order_by(CountLine.id)
        # The lock order of counts.services.scan(): the flow state, then the task.
        .with_for_update(of=[FlowState, CountTask])
    )


def _book():
    # counts.services._take_book(): what the bin holds of the product now (0 if nothing).
    return func.coalesce(
        select(StockLevel.on_hand).where(StockLevel.location_id == CountLine.location_id,
                                         StockLevel.product_id == CountLine.product_id)
        .scalar_subquery(), 0)


_READ = {kind: _build_read(kind) for kind in (ScanKind.LOCATION, ScanKind.PRODUCT)}
_line = CountLine.__table__
_TAKE_BOOKS = (update(_line).where(_line.c.task_id == bindparam("task"),
                                   _line.c.location_id == bindparam("location"),
                                   _line.c.expected.is_(None))
               .values(expected=_book()))
_ADD = (update(_line).where(_line.c.id == bindparam("line"))
        .values(counted=func.coalesce(_line.c.counted, 0) + bindparam("units"),
                expected=func.coalesce(_line.c.expected, _book()))
        .returning(_line.c.counted))


def fast_scan(user, scanned: Scan, qty: int, scan_id: str | None) -> tuple[CountView, str, str | None] | None:
    """Apply a bin or unit scan on the common path; None: run counts.services.scan().

    Returns (view, message, update): what changed on the screen when its lines stay as they
    are ("bin": the bin counted in; "unit": the count of a line already on the screen), None
    when the screen changes more (a line counted for the first time shows up).
    """
    if scanned.kind not in _READ or scanned.gs1 is not None:
        return None
    rows = execute(_READ[scanned.kind], {"user": user.id, "code": scanned.code,
                                         "scan_id": scan_id or ""}).all()
    if not rows:
        return None  # no flow state or task held, or an unknown code
    first = rows[0]
    if first[-1] is not None:
        raise ScanAlreadyApplied(scan_id)
    (state_id, data, task_id, status, scope, task_location, task_product,
     scanned_id, scanned_code_or_pack, scanned_kind_or_sku, scanned_active,
     held_id, held_code, held_kind) = first[:14]
    data = data or {}
    if status is not CountStatus.OPEN or not scanned_active:
        return None
    lines = [_Line(r[14], _Named(r[15], code=r[19]), _Named(r[16], sku=r[20]), r[18])
             for r in rows if r[14] is not None]
    task = _Named(task_id, code=f"CNT-{task_id}")
    if scanned.kind is ScanKind.LOCATION:
        location_id, code, kind = scanned_id, scanned_code_or_pack, scanned_kind_or_sku
        check_site(first[-2], code)  # a bin of another site: refused by name, nothing written
        if (scope is CountScope.LOCATION and location_id != task_location) or kind in NOT_COUNTABLE:
            return None  # refused by the full service
        if any(r[15] == location_id and r[17] is None for r in rows if r[14] is not None):
            execute(_TAKE_BOOKS, {"task": task_id, "location": location_id})
        new = {"task": task_id, "location": location_id}
        write_state(state_id, new, data)
        view = CountView(task, _Named(location_id, code=code), [ln for ln in lines if ln.counted],
                         _("Scan each product in %(location)s, then Finish", location=code))
        return view, _("Counting in %(location)s", location=code), "bin"
    product_id, pack_qty, sku = scanned_id, scanned_code_or_pack, scanned_kind_or_sku
    if (held_id is None or held_kind in NOT_COUNTABLE
            or (scope is CountScope.LOCATION and held_id != task_location)
            or (scope is CountScope.PRODUCT and product_id != task_product)):
        return None  # refused by the full service
    line = next((ln for ln in lines if ln.location.id == held_id and ln.product.id == product_id), None)
    if line is None:
        return None  # the product's first unit in this bin: the full service adds its line
    shown = bool(line.counted)  # on the screen already: only its count changes
    line.counted = execute(_ADD, {"line": line.id, "units": qty * pack_qty}).scalar_one()
    view = CountView(task, _Named(held_id, code=held_code), [ln for ln in lines if ln.counted],
                     _("Scan each product in %(location)s, then Finish", location=held_code), line)
    return view, _("%(sku)s: %(qty)s counted in %(location)s", sku=sku, qty=line.counted,
                   location=held_code), "unit" if shown else None
