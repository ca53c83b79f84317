"""The picking scan's fast path: the scans a picker makes all day, in a handful of statements.

A single-order list, at its current line: the bin scan (you are here) and the product scan
(one unit, or a pack, picked into the packing area). Everything the scan needs is read in
ONE statement, built once: the operator's flow state and the list (both locked, in the order
every writer takes them), the current line with its bin code, SKU and name, the order's status
(locked too for a product scan), the next line, the counts shown on the screen, what the
scanned code is (a bin, or a product barcode), the packing location picked units go to, and
whether this scan id was applied already. A pick then changes only what must change: the
two stock rows and the movement (inventory.pick_move), the allocation (one UPDATE that
checks the quantity left as it adds), the order line.

The list's last unit is picked the same way; then picking.services.finish_list() closes the
list and its order, as the full service does. A single-order list scanned to take it (new or
paused) is read in one statement too (the flow state and the list, locked in that order, the
list held before, the order, the first line, the counts) and taken with an UPDATE of the
list, of its order when still allocated, the order's event and the flow state.

Anything else (a batch with totes, a list held by another, pausing the list held, a refusal,
a GTIN or SKU typed by hand, a line of a held order) returns None, and the caller runs the
full service, picking.services.scan(), in the same transaction: one domain, this module only
takes its common path. It refuses nothing itself but the common refusals of a picker at a
line, with the service's wording.
"""
from __future__ import annotations

from dataclasses import dataclass
from types import SimpleNamespace

from sqlalchemy import and_, bindparam, func, insert, or_, select, update
from sqlalchemy.orm import aliased

from wms.barcodes import Scan, ScanKind
from wms.db import as_id, execute, utcnow
from wms.domain.catalog.models import Barcode, Product
from wms.domain.inventory import services as inventory
from wms.domain.locations.models import Location, LocationKind
from wms.domain.locations.sites import current_site_id, elsewhere, other_site_refusal
from wms.domain.orders.models import Order, OrderEvent, OrderLine, OrderStatus
from wms.domain.picking.models import Allocation, PickList, PickListKind, PickListOrder, PickListStatus
from wms.domain.picking.services import FLOW, STOPPED, PickView, finish_list, taken_message
from wms.domain.scans.models import FlowState, ScanRecord
from wms.domain.scans.services import ScanAlreadyApplied, write_state
from wms.errors import DomainError
from wms.i18n import _


def _open_line(list_id, offset: int):
    """The id of the list's open line at this position in walking order (0 = current)."""
    return (select(Allocation.id)
            .where(Allocation.pick_list_id == list_id, Allocation.quantity > Allocation.picked)
            .order_by(Allocation.sequence, Allocation.id).limit(1).offset(offset)
            .scalar_subquery())


def _counts(list_table):
    """The screen's counts: the list's lines (done or not) and those done."""
    counted = and_(Allocation.pick_list_id == list_table.id,
                   or_(Allocation.quantity > 0, Allocation.short > 0))
    return [select(func.count()).where(counted).scalar_subquery(),
            select(func.count()).where(counted, Allocation.quantity == Allocation.picked).scalar_subquery()]


def _applied():
    return select(ScanRecord.id).where(ScanRecord.scan_id == bindparam("scan_id")).scalar_subquery()


def _build_read(product_scan: bool):
    """The one read of a scan, with bind parameters user, flow, code, scan_id."""
    line, nxt = aliased(Allocation), aliased(Allocation)
    bin_, next_bin = aliased(Location), aliased(Location)
    product, next_product = aliased(Product), aliased(Product)
    code = bindparam("code")
    columns = [
        FlowState.id, FlowState.data,
        PickList.id, PickList.kind, PickList.status, PickList.assigned_user_id,
        line.id, line.quantity, line.picked, line.location_id, line.product_id, line.order_id,
        line.order_line_id,
        bin_.code, bin_.active, product.sku, product.name, Order.status,
        nxt.id, nxt.quantity - nxt.picked, nxt.location_id, next_bin.code, next_product.sku,
        next_product.name, *_counts(PickList), _applied(),
    ]
    scanned = aliased(Location) if not product_scan else aliased(Product)
    if product_scan:
        columns += [
            Barcode.product_id, Barcode.pack_qty, scanned.sku, scanned.active,
            # Where picked units go: picking.allocation.picked_location(), read afresh with the
            # scan (an index on kind), so a supervisor's change counts from the next scan.
            # In the bin's site: each site has its own packing bench.
            select(Location.id).where(Location.kind == LocationKind.PACKING, Location.active.is_(True),
                                      Location.warehouse_id == bin_.warehouse_id)
            .order_by(Location.code).limit(1).scalar_subquery(),
        ]
    else:
        columns += [scanned.id, scanned.active, scanned.warehouse_id]
    query = (
        select(*columns)
        .select_from(FlowState)
        .join(PickList, PickList.id == FlowState.data["list"].as_integer())
        .join(line, line.id == _open_line(PickList.id, 0))
        .join(bin_, bin_.id == line.location_id)
        .join(product, product.id == line.product_id)
        .join(Order, Order.id == line.order_id)
        .outerjoin(nxt, nxt.id == _open_line(PickList.id, 1))
        .outerjoin(next_bin, next_bin.id == nxt.location_id)
        .outerjoin(next_product, next_product.id == nxt.product_id)
    )
    if product_scan:
        query = (query.outerjoin(Barcode, Barcode.code == code)
                 .outerjoin(scanned, scanned.id == Barcode.product_id))
    else:
        query = query.outerjoin(scanned, scanned.code == code)
    query = query.where(FlowState.user_id == bindparam("user"), FlowState.flow == FLOW)
    # Lock order of every writer: the flow state, the list, then (a pick) the order, then stock.
    of = [FlowState, PickList] + ([Order] if product_scan else [])
    return query.with_for_update(of=of)


def _build_start():
    """The one read of a list scan, with bind parameters user, list, scan_id."""
    held, line = aliased(PickList), aliased(Allocation)
    query = (
        select(FlowState.id, FlowState.data,
               PickList.kind, PickList.status, PickList.assigned_user_id,
               held.status, held.assigned_user_id,
               Order.id, Order.status, Order.warehouse_id,
               line.id, line.location_id, line.quantity - line.picked, Location.code, Product.sku,
               Product.name, *_counts(PickList), _applied())
        .select_from(FlowState)
        .join(PickList, PickList.id == bindparam("list"))
        .outerjoin(held, held.id == FlowState.data["list"].as_integer())  # the list held before
        .join(PickListOrder, PickListOrder.pick_list_id == PickList.id)
        .join(Order, Order.id == PickListOrder.order_id)
        .join(line, line.id == _open_line(PickList.id, 0))
        .join(Location, Location.id == line.location_id)
        .join(Product, Product.id == line.product_id)
        .where(FlowState.user_id == bindparam("user"), FlowState.flow == FLOW)
        .limit(1)
    )
    # Lock order of every writer: the flow state, the list (then the order, by its UPDATE).
    return query.with_for_update(of=[FlowState, PickList])


_READ = {True: _build_read(True), False: _build_read(False)}
_START = _build_start()
_list_table, _order_table = PickList.__table__, Order.__table__
_TAKE = (update(_list_table).where(_list_table.c.id == bindparam("list"))
         .values(status=PickListStatus.PICKING, assigned_user_id=bindparam("user"),
                 started_at=func.coalesce(_list_table.c.started_at,
                                            bindparam("now", type_=_list_table.c.started_at.type))))
_ORDER_PICKING = (update(_order_table)
                  .where(_order_table.c.id == bindparam("order"),
                         _order_table.c.status == OrderStatus.ALLOCATED)
                  .values(status=OrderStatus.PICKING))
_EVENT = insert(OrderEvent.__table__)
_ADVANCE = (update(Allocation.__table__)
            .where(Allocation.__table__.c.id == bindparam("line"),
                   Allocation.__table__.c.pick_list_id == bindparam("list"),
                   Allocation.__table__.c.quantity - Allocation.__table__.c.picked >= bindparam("units"))
            .values(picked=Allocation.__table__.c.picked + bindparam("units")))
_ORDER_LINE = (update(OrderLine.__table__)
               .where(OrderLine.__table__.c.id == bindparam("order_line"))
               .values(quantity_picked=OrderLine.__table__.c.quantity_picked + bindparam("units")))


@dataclass
class _Line:
    """What the picking screen shows of a line (the template reads line.location.code...)."""

    id: int
    location_id: int
    open_qty: int
    location: SimpleNamespace
    product: SimpleNamespace


def _view(list_id: int, line: _Line | None, at: int | None, done: int, total: int) -> PickView:
    pick_list = SimpleNamespace(id=list_id, code=f"PL-{list_id}", needs_totes=False)
    at_location = bool(line and at == line.location_id)
    if line is None:  # pragma: no cover - the last unit goes through the full service
        prompt = ""
    elif not at_location:
        prompt = _("Go to %(location)s and scan it", location=line.location.code)
    else:
        prompt = _("Scan %(sku)s", sku=line.product.sku)
    return PickView(pick_list, line, None, at_location, 0, prompt, done, total)


def fast_scan(user, scanned: Scan, qty: int, scan_id: str | None) -> tuple[PickView, str, str | None] | None:
    """Apply a list, bin or product scan on the common path; None: run picking.services.scan().

    Returns (view, message, update): what changed on the screen when the picker stays on the
    line ("bin": now at the bin; "qty": fewer units left to pick), None when the screen
    moves on (a list taken, the next line, the list done).
    """
    if scanned.kind is ScanKind.PICK_LIST:
        return _take(user, scanned.code, scan_id)
    if scanned.kind not in (ScanKind.LOCATION, ScanKind.PRODUCT) or scanned.gs1 is not None:
        return None
    product_scan = scanned.kind is ScanKind.PRODUCT
    row = execute(_READ[product_scan], {
        "user": user.id, "code": scanned.code, "scan_id": scan_id or ""}).first()
    if row is None:
        return None  # no list held, nothing left to pick, or no flow state yet
    (state_id, data, list_id, kind, status, assignee, line_id, quantity, picked, bin_id,
     product_id, _order_id, order_line_id, bin_code, bin_active, sku, name, order_status,
     next_id, next_open, next_bin_id, next_bin_code, next_sku, next_name,
     total, done, taken, *scan) = row
    if taken is not None:
        raise ScanAlreadyApplied(scan_id)
    data = data or {}
    if (kind is not PickListKind.ORDER or status is not PickListStatus.PICKING
            or assignee != user.id or data.get("pending") or order_status in STOPPED
            or not bin_active):
        return None
    open_qty = quantity - picked
    line = _Line(line_id, bin_id, open_qty, SimpleNamespace(code=bin_code),
                 SimpleNamespace(sku=sku, name=name))
    view = _view(list_id, line, data.get("at"), done, total)
    if not product_scan:
        location_id, location_active, location_site = scan
        if location_id is None or not location_active:
            return None  # unknown or unused: the full service says which
        site = current_site_id()
        if site is not None and location_site != site:
            raise _refusal(view, other_site_refusal(location_site, scanned.code, site).message, "other_site")
        if location_id != bin_id:
            raise _refusal(view, _("Wrong location: you scanned %(code)s; go to %(location_code)s.",
                                   code=scanned.code, location_code=bin_code),
                           "wrong_location")
        write_state(state_id, {"list": list_id, "at": bin_id, "line": line_id}, data)
        return (_view(list_id, line, bin_id, done, total),
                _("At %(location)s: pick %(qty)s × %(sku)s", location=bin_code, qty=open_qty,
                  sku=sku), "bin")
    barcode_product, pack_qty, scanned_sku, scanned_active, drop_id = scan
    if data.get("at") != bin_id:
        raise _refusal(view, _("Scan the location %(code)s first.", code=bin_code), "location_first")
    if barcode_product is None:
        return None  # a GTIN of another length, a SKU typed by hand, or unknown
    if not scanned_active:
        return None  # a product no longer in use: the full service says so
    if barcode_product != product_id:
        raise _refusal(view, _("Wrong product: %(sku)s is not %(product_sku)s. Put it back and "
                               "scan the right one.", sku=scanned_sku, product_sku=sku), "wrong_product")
    units = qty * pack_qty
    if units > open_qty:
        raise _refusal(view, _("Too many: only %(open_qty)s more of %(sku)s needed here; you "
                               "scanned %(units)s.", open_qty=open_qty, sku=sku, units=units), "too_many")
    if drop_id is None or drop_id == bin_id:
        return None  # no packing location: the service says so
    state = {"list": list_id, "at": bin_id, "line": line_id}
    if data.get("line") != line_id:
        write_state(state_id, state, data)
    inventory.pick_move(product_id, bin_id, drop_id, units, user_id=user.id,
                        reference=f"PL-{list_id}")
    advanced = execute(_ADVANCE, {"line": line_id, "list": list_id, "units": units})
    if advanced.rowcount != 1:  # pragma: no cover - the locks above make this impossible
        raise DomainError(_("This line changed while you scanned: scan again."), code="stale")
    execute(_ORDER_LINE, {"order_line": order_line_id, "units": units})
    message = _("Picked %(qty)s × %(sku)s", qty=units, sku=sku)
    if units == open_qty and next_id is None:
        # The list's last unit: the service finishes the list and its order (the one place
        # that does), and the screen moves on to what comes after the list.
        return finish_list(list_id, state, user), message, None
    if units < open_qty:
        line.open_qty = open_qty - units
        return _view(list_id, line, bin_id, done, total), message, "qty"
    following = _Line(next_id, next_bin_id, next_open, SimpleNamespace(code=next_bin_code),
                      SimpleNamespace(sku=next_sku, name=next_name))
    return _view(list_id, following, bin_id, done + 1, total), message, None


def _take(user, code: str, scan_id: str | None) -> tuple[PickView, str, None] | None:
    """A single-order list scanned to take it, new or paused, as start_pick_list() does."""
    list_id = as_id(code[3:])  # PL-<id>
    if list_id is None:
        return None
    row = execute(_START, {"user": user.id, "list": list_id, "scan_id": scan_id or ""}).first()
    if row is None:
        return None  # no such list, nothing left on it to pick, or no flow state yet
    (state_id, data, kind, status, assignee, held_status, held_assignee, order_id, order_status,
     site, line_id, bin_id, open_qty, bin_code, sku, name, total, done, taken) = row
    if taken is not None:
        raise ScanAlreadyApplied(scan_id)
    if (kind is not PickListKind.ORDER or status not in (PickListStatus.OPEN, PickListStatus.PAUSED)
            or assignee not in (None, user.id)
            or order_status not in (OrderStatus.ALLOCATED, OrderStatus.PICKING)
            # The list held until now is paused by the service (or refused, units in hand).
            or (held_status is PickListStatus.PICKING and held_assignee == user.id)
            or elsewhere(site) is not None):
        return None
    list_code = f"PL-{list_id}"
    now = utcnow()
    execute(_TAKE, {"list": list_id, "user": user.id, "now": now})
    if order_status is OrderStatus.ALLOCATED:
        execute(_ORDER_PICKING, {"order": order_id})
    execute(_EVENT, {"order_id": order_id, "kind": "picking", "user_id": user.id, "created_at": now,
                     "message": taken_message(list_code, user, resumed=status is PickListStatus.PAUSED)})
    write_state(state_id, {"list": list_id}, data or {})
    line = _Line(line_id, bin_id, open_qty, SimpleNamespace(code=bin_code),
                 SimpleNamespace(sku=sku, name=name))
    return _view(list_id, line, None, done, total), _("Picking %(code)s", code=list_code), None


def _refusal(view: PickView, message: str, code: str) -> DomainError:
    """A refusal with the screen to show under it (the caller rolls back: nothing changed)."""
    exc = DomainError(message, code=code)
    exc.view = view
    return exc


