"""The packing scan's fast path: an item verified into the open parcel.

Everything the scan and the screen need is read in TWO statements, built once: the
operator's flow state and the order (both locked, in the order packing.services.scan()
takes them: the flow state, then the order), the shipment and its carrier, the order's
lines with their product's weight and size, the shipment's parcels and what each holds of
each line (one row per line and parcel), what the scanned barcode is, and whether this scan
id was applied already; then the active box sizes. Then only what must change is written:
the order line (one UPDATE that checks the units left as it adds) and the parcel's item
(one UPDATE, or one INSERT for the line's first unit in the parcel).

Anything else (a tote or order code, a tracking barcode, a refusal, a wrong item, the last
item on a station that closes the order on it, a GS1 scan, a SKU typed by hand) returns
None, and the caller runs the full service, packing.services.scan(), in the same
transaction: every refusal keeps one wording.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from types import SimpleNamespace

from sqlalchemy import Integer, and_, bindparam, exists, insert, select, update
from sqlalchemy.orm import aliased

from wms.barcodes import Scan, ScanKind
from wms.db import execute
from wms.domain.catalog.models import Barcode, Product
from wms.domain.locations.sites import check_order_site
from wms.domain.orders.models import Order, OrderLine, OrderStatus
from wms.domain.packing.services import FLOW, LineView, PackView, _estimate_kg, propose_box
from wms.domain.scans.models import FlowState, ScanRecord
from wms.domain.scans.services import ScanAlreadyApplied
from wms.domain.shipping import services as shipping
from wms.domain.shipping.models import BoxSize, Carrier, Parcel, ParcelItem, Shipment, ShipmentStatus
from wms.errors import DomainError
from wms.i18n import _


@dataclass
class _Order:
    id: int
    reference: str
    ship_name: str | None
    ship_postcode: str | None
    ship_city: str | None

    @property
    def code(self) -> str:
        return f"SO-{self.id}"


@dataclass
class _Line:
    """An order line as the packing screen shows it (as an OrderLine)."""

    id: int
    product_id: int | None
    sku: str | None
    name: str
    quantity: int
    quantity_picked: int
    quantity_packed: int
    product: object = None


@dataclass
class _Item:
    line: _Line
    quantity: int


@dataclass
class _Parcel:
    id: int
    number: int
    closed_at: datetime | None
    weight_g: int | None
    tracking_number: str | None
    box: object = None
    items: list = field(default_factory=list)

    @property
    def code(self) -> str:
        return f"PCL-{self.id}"

    @property
    def units(self) -> int:
        return sum(item.quantity for item in self.items)


@dataclass
class _Shipment:
    id: int
    order: _Order
    carrier: object
    service: str | None
    parcels: list = field(default_factory=list)


def _build_read():
    box, scanned = aliased(BoxSize), aliased(Product)
    taken = select(ScanRecord.id).where(ScanRecord.scan_id == bindparam("scan_id")).scalar_subquery()
    return (
        select(FlowState.data, Shipment.id, Shipment.status, Shipment.service, Carrier.name,
               Order.id, Order.reference, Order.status, Order.ship_name, Order.ship_postcode,
               Order.ship_city, Barcode.product_id, Barcode.pack_qty, scanned.active, Order.warehouse_id,
               taken,
               OrderLine.id, OrderLine.product_id, OrderLine.sku, OrderLine.name, OrderLine.quantity,
               OrderLine.quantity_picked, OrderLine.quantity_packed, Product.weight_g,
               Product.length_mm, Product.width_mm, Product.height_mm,
               Parcel.id, Parcel.number, Parcel.closed_at, Parcel.weight_g, Parcel.tracking_number,
               box.code, box.tare_g, ParcelItem.id, ParcelItem.quantity)
        .select_from(FlowState)
        .join(Shipment, Shipment.id == FlowState.data["shipment"].as_integer())
        .join(Carrier, Carrier.id == Shipment.carrier_id)
        .join(Order, Order.id == Shipment.order_id)
        .join(OrderLine, OrderLine.order_id == Order.id)
        .outerjoin(Product, Product.id == OrderLine.product_id)
        .join(Parcel, Parcel.shipment_id == Shipment.id)
        .outerjoin(box, box.id == Parcel.box_id)
        .outerjoin(ParcelItem, and_(ParcelItem.parcel_id == Parcel.id,
                                    ParcelItem.order_line_id == OrderLine.id))
        .outerjoin(Barcode, Barcode.code == bindparam("code"))
        .outerjoin(scanned, scanned.id == Barcode.product_id)
        .where(FlowState.user_id == bindparam("user"), FlowState.flow == FLOW)
        .order_by(OrderLine.line_no, OrderLine.id, Parcel.number, Parcel.id)
        # The lock order of packing.services.scan(): the flow state, then the order.
        .with_for_update(of=[FlowState, Order])
    )


_READ = _build_read()
_line, _item, _parcel = OrderLine.__table__, ParcelItem.__table__, Parcel.__table__
# The line first, checking the units left as it adds (a packer waiting for the order's lock
# read the lines before the wait: a line packed meanwhile is left to the full service).
_PACK_LINE = (update(_line)
              .where(_line.c.id == bindparam("line"),
                     _line.c.quantity_picked - _line.c.quantity_packed >= bindparam("units"))
              .values(quantity_packed=_line.c.quantity_packed + bindparam("units"))
              .returning(_line.c.quantity_packed))
_open = exists().where(_parcel.c.id == bindparam("parcel"), _parcel.c.closed_at.is_(None))
_ADD_TO_ITEM = (update(_item).where(_item.c.id == bindparam("item"), _open)
                .values(quantity=_item.c.quantity + bindparam("units")).returning(_item.c.id))
_NEW_ITEM = insert(_item).from_select(
    ["parcel_id", "order_line_id", "quantity"],
    select(bindparam("parcel", type_=Integer), bindparam("line", type_=Integer),
           bindparam("units", type_=Integer)).where(_open)).returning(_item.c.id)


def fast_scan(user, scanned: Scan, qty: int, scan_id: str | None, *,
              close_on_last: bool) -> tuple[PackView, str, str | None] | None:
    """Verify an item into the open parcel on the common path; None: run packing.services.scan().

    Returns (view, message, update): "item" when items are left to verify (the screen keeps
    its shape: the line, the open parcel and the box proposal change), else None.
    """
    if scanned.kind is not ScanKind.PRODUCT or scanned.gs1 is not None:
        return None
    rows = execute(_READ, {"user": user.id, "code": scanned.code,
                           "scan_id": scan_id or ""}).all()
    if not rows:
        return None  # no order on the bench
    (data, shipment_id, shipment_status, service, carrier_name, order_id, reference, order_status,
     ship_name, ship_postcode, ship_city, product_id, pack_qty, active, site, taken) = rows[0][:16]
    if taken is not None:
        raise ScanAlreadyApplied(scan_id)
    # An order of another site on this bench: refused by name, nothing written.
    check_order_site(SimpleNamespace(code=f"SO-{order_id}", warehouse_id=site))
    if ((data or {}).get("step", "items") != "items" or shipment_status is not ShipmentStatus.PACKING
            or order_status is not OrderStatus.PACKING or product_id is None or not active):
        return None  # another step, a stopped order, an unknown code: the full service
    shipment = _Shipment(shipment_id, _Order(order_id, reference, ship_name, ship_postcode, ship_city),
                         _Named(carrier_name), service)
    lines: dict[int, _Line] = {}
    parcels: dict[int, _Parcel] = {}
    items: dict[tuple[int, int], int] = {}  # (parcel, line) -> parcel item id
    for row in rows:
        (line_id, line_product, sku, name, quantity, picked, packed, weight, length, width, height,
         parcel_id, number, closed_at, parcel_weight, tracking, box_code, box_tare, item_id,
         item_qty) = row[16:]
        line = lines.get(line_id)
        if line is None:
            line = lines[line_id] = _Line(line_id, line_product, sku, name, quantity, picked, packed,
                                          _Dims(weight, length, width, height))
        parcel = parcels.get(parcel_id)
        if parcel is None:
            box = None if box_code is None else _Box(box_code, box_tare or 0)
            parcel = parcels[parcel_id] = _Parcel(parcel_id, number, closed_at, parcel_weight, tracking, box)
            shipment.parcels.append(parcel)
        if item_id is not None:
            parcel.items.append(_Item(line, item_qty))
            items[parcel_id, line_id] = item_id
    parcel = next((p for p in reversed(shipment.parcels) if p.closed_at is None), None)
    mine = [ln for ln in lines.values() if ln.product_id == product_id]
    if parcel is None or not mine:
        return None  # no open parcel, or a wrong item: the full service
    line = next((ln for ln in mine if ln.quantity_picked - ln.quantity_packed > 0), mine[-1])
    units = qty * pack_qty
    if units > line.quantity_picked - line.quantity_packed:
        return None  # too many: refused by the full service
    if close_on_last and all(
            (ln.quantity_picked - ln.quantity_packed - (units if ln is line else 0)) <= 0
            and ln.quantity - ln.quantity_packed - (units if ln is line else 0) <= 0
            for ln in lines.values()):
        return None  # the last item closes the order: the full service
    packed = execute(_PACK_LINE, {"line": line.id, "units": units}).scalar()
    if packed is None:
        return None  # packed meanwhile by another packer: nothing written, the full service
    item_id = items.get((parcel.id, line.id))
    params = {"item": item_id, "parcel": parcel.id, "line": line.id, "units": units}
    done = execute(_ADD_TO_ITEM if item_id is not None else _NEW_ITEM, params).scalar()
    if done is None:  # the parcel was closed while this scan waited
        raise DomainError(_("This order changed while you scanned: scan again."), code="stale")
    line.quantity_packed = packed
    item = next((i for i in parcel.items if i.line is line), None)
    if item is None:
        parcel.items.append(_Item(line, units))
    else:
        item.quantity += units
    view = _view(shipment, list(lines.values()), parcel)
    view.changed = next(lv for lv in view.lines if lv.line is line)
    # Items still to verify: the screen keeps its shape, only this line, the parcel and the
    # box proposal change. The last one brings the box form up: the whole screen.
    update = "item" if any(lv.to_pack for lv in view.lines) else None
    return view, _("OK %(sku)s: %(packed)s of %(picked)s packed", sku=line.sku,
                   packed=line.quantity_packed, picked=line.quantity_picked), update


@dataclass
class _Named:
    name: str


@dataclass
class _Dims:
    weight_g: int | None
    length_mm: int | None
    width_mm: int | None
    height_mm: int | None


@dataclass
class _Box:
    code: str
    tare_g: int


def _view(shipment: _Shipment, lines: list[_Line], parcel: _Parcel) -> PackView:
    here: dict[int, int] = {}
    for p in shipment.parcels:
        for item in p.items:
            here[item.line.id] = here.get(item.line.id, 0) + item.quantity
    views = [LineView(ln, here.get(ln.id, 0), max(0, ln.quantity_picked - ln.quantity_packed),
                      max(0, ln.quantity - ln.quantity_packed)) for ln in lines]
    boxes = shipping.active_boxes()
    proposed, notes = propose_box(parcel, boxes)
    view = PackView("items", "", shipment, views, parcel, boxes, _estimate_kg(parcel, proposed),
                    proposed, notes)
    if sum(lv.to_pack for lv in views):
        view.prompt = _("Scan each item into parcel %(number)s", number=parcel.number)
    else:
        view.prompt = _("All items verified: choose a box, enter the weight, finish")
    return view
