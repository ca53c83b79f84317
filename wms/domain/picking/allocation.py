"""Allocate stock to orders: pick faces first, oldest stock first, scarce stock by priority."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time, timezone

from sqlalchemy import select

from wms.db import db
from wms.domain.inventory import services as inventory
from wms.domain.inventory.models import MoveReason, StockLevel
from wms.domain.locations.models import PICKABLE_KINDS, Location, LocationKind
from wms.domain.locations.services import default_location
from wms.domain.orders import routing
from wms.domain.orders.models import Order, OrderLine, OrderStatus, record_event
from wms.domain.picking.models import Allocation
from wms.errors import DomainError, InsufficientStock
from wms.i18n import _, ngettext

ALLOCATABLE = (OrderStatus.NEW, OrderStatus.BACKORDERED)
_FAR_FUTURE = datetime(9999, 1, 1, tzinfo=timezone.utc)


@dataclass
class AllocationReport:
    """What one allocation run did."""

    allocated: list[int] = field(default_factory=list)  # order ids now fully allocated
    backordered: list[int] = field(default_factory=list)  # order ids still waiting for stock
    skipped: list[int] = field(default_factory=list)  # order ids another run is allocating
    units: int = 0  # units reserved by this run

    @property
    def summary(self) -> str:
        text = _("%(ready)s orders ready to pick, %(backordered)s backordered, %(units)s units "
                 "reserved", ready=len(self.allocated), backordered=len(self.backordered),
                 units=self.units)
        if self.skipped:
            text += ", " + _("%(skipped)s skipped (being allocated elsewhere)",
                             skipped=len(self.skipped))
        return text


def _aware(value: datetime | None) -> datetime:
    if value is None:
        return _FAR_FUTURE
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


def priority_key(order: Order):
    """Sort key: who gets scarce stock first (manual priority, express, ship-by, cut-off, age)."""
    carrier = order.carrier
    return (
        -(order.priority or 0),
        0 if carrier is not None and carrier.express else 1,
        _aware(order.ship_by),
        # The cut-off at the order's site (a carrier may collect earlier at one site).
        (carrier.cutoff_at(order.warehouse_id) if carrier is not None else None) or time.max,
        _aware(order.ordered_at or order.created_at),
        order.id,
    )


def _is_postgresql() -> bool:
    return db.session.get_bind().dialect.name == "postgresql"


def _lock_orders(order_ids) -> list[Order]:
    """Return the allocatable orders, locked; on PostgreSQL skip those another run holds."""
    query = select(Order).where(Order.status.in_(ALLOCATABLE))
    if order_ids is not None:
        query = query.where(Order.id.in_(list(order_ids)))
    query = query.order_by(Order.id).execution_options(populate_existing=True)
    if _is_postgresql():
        query = query.with_for_update(of=Order, skip_locked=True)
    return list(db.session.execute(query).scalars())


def _lock_stock(product_ids: set[int]) -> None:
    """Lock every stock row of these products in (product, location) order.

    Taking all the locks up front, in the same order as the inventory service, means two runs
    wait for each other instead of deadlocking when their orders want products in another order.
    """
    if not product_ids or not _is_postgresql():
        return
    db.session.execute(
        select(StockLevel.id).where(StockLevel.product_id.in_(sorted(product_ids)))
        .order_by(StockLevel.product_id, StockLevel.location_id).with_for_update()
    ).all()


def candidate_levels(product_id: int, exclude_location_ids=(), warehouse_id: int | None = None) -> list[StockLevel]:
    """Stock rows an order line may be allocated from, best first (in one site when given).

    Pick faces before storage, then the oldest stock first; bins waiting for a count are
    skipped because their quantity is in doubt.
    """
    query = (select(StockLevel).join(Location, StockLevel.location_id == Location.id)
             .where(StockLevel.product_id == product_id,
                    StockLevel.on_hand > StockLevel.reserved,
                    Location.kind.in_(PICKABLE_KINDS), Location.active.is_(True),
                    Location.needs_count.is_(False),
                    Location.id.not_in(list(exclude_location_ids) or [-1])))
    if warehouse_id is not None:
        query = query.where(Location.warehouse_id == warehouse_id)
    rows = db.session.execute(query.execution_options(populate_existing=True)).scalars().all()
    return sorted(rows, key=lambda lvl: (
        0 if lvl.location.kind is LocationKind.PICK_FACE else 1,
        _aware(lvl.first_in_at), lvl.location.walk_sequence, lvl.location.code))


def allocate_line(line: OrderLine, qty: int, *, exclude_location_ids=(), pick_list_id=None) -> list[Allocation]:
    """Reserve up to qty units for one order line in its order's site; return the new allocations
    (may fall short)."""
    made = []
    for level in candidate_levels(line.product_id, exclude_location_ids, line.order.warehouse_id):
        if qty <= 0:
            break
        take = min(qty, level.available)
        if take <= 0:
            continue
        try:
            inventory.reserve(line.product_id, level.location_id, take)
        except InsufficientStock:
            # Another transaction reserved some meanwhile; the locked re-read refreshed level.
            take = min(qty, level.available)
            if take <= 0:
                continue
            inventory.reserve(line.product_id, level.location_id, take)
        allocation = Allocation(order_id=line.order_id, order_line_id=line.id,
                                location_id=level.location_id, product_id=line.product_id,
                                quantity=take, pick_list_id=pick_list_id)
        db.session.add(allocation)
        line.quantity_allocated += take
        qty -= take
        made.append(allocation)
    db.session.flush()
    return made


def allocate_orders(order_ids=None, user=None) -> AllocationReport:
    """Allocate stock to waiting orders (NEW, BACKORDERED), most urgent first."""
    report = AllocationReport()
    orders = _lock_orders(order_ids)
    if order_ids is not None:
        got = {o.id for o in orders}
        report.skipped = sorted(
            i for i in db.session.execute(
                select(Order.id).where(Order.id.in_(list(order_ids)), Order.status.in_(ALLOCATABLE))
            ).scalars() if i not in got)
    _lock_stock({line.product_id for o in orders for line in o.lines if line.product_id})
    sites = routing.all_sites()
    queue = sorted(orders, key=priority_key)
    while queue:
        order = queue.pop(0)
        if sites and (order.warehouse_id is None or (len(sites) > 1 and _forecast(order))):
            # The import's site is a forecast: routed again against the stock of now, when first
            # allocated (and again while it waits for a whole site).
            route, parts = routing.route_order(order, user, sites=sites)
            queue[:0] = parts
            if order.warehouse_id is None:
                _wait(order, route.reason, user)
                report.backordered.append(order.id)
                continue
        missing = []
        reserved_now = 0
        unknown = [line for line in order.lines if line.product_id is None]
        if unknown:
            # Unknown products cannot be picked; the import puts such orders on hold.
            missing.append(", ".join(_("%(sku)s: product unknown to the warehouse",
                                       sku=line.sku or line.name) for line in unknown))
        for line in order.lines:
            if line.product_id is None:
                continue
            want = line.quantity - line.quantity_allocated
            if want <= 0:
                continue
            got = sum(a.quantity for a in allocate_line(line, want))
            reserved_now += got
            if got < want:
                missing.append(_("%(sku)s: %(allocated)s of %(qty)s allocated, %(waiting)s "
                                 "waiting for stock", sku=line.sku,
                                 allocated=line.quantity_allocated, qty=line.quantity,
                                 waiting=want - got))
        report.units += reserved_now
        before = order.status
        if missing:
            order.status = OrderStatus.BACKORDERED
            report.backordered.append(order.id)
            text = _("Backordered: %(missing)s.", missing="; ".join(missing))
            last = order.events[-1] if order.events else None
            # A rerun that changes nothing does not repeat the same sentence in the history.
            if reserved_now or before is not OrderStatus.BACKORDERED or last is None or last.message != text:
                record_event(order, "backordered", text, user)
        else:
            order.status = OrderStatus.ALLOCATED
            report.allocated.append(order.id)
            record_event(order, "allocated", ngettext("Allocated %(num)d unit; ready to pick.",
                                                        "Allocated %(num)d units; ready to pick.",
                                                        reserved_now), user)
    db.session.flush()
    return report


def _forecast(order: Order) -> bool:
    """True while the order's site is the import's forecast: not chosen by a supervisor, not a
    part of a split, nothing reserved yet."""
    return (order.status is OrderStatus.NEW and not order.site_pinned and order.parent_id is None
            and not any(line.quantity_allocated or line.quantity_picked for line in order.lines)
            and not order.parts)


def _wait(order: Order, reason: str, user) -> None:
    """No site yet (the shop's policy is to wait for one able to ship it whole)."""
    before = order.status
    order.status = OrderStatus.BACKORDERED
    last = order.events[-1] if order.events else None
    if before is not OrderStatus.BACKORDERED or last is None or last.message != reason:
        record_event(order, "backordered", reason, user)


def open_allocations(order: Order) -> list[Allocation]:
    """The order's allocations that still hold a reservation."""
    return list(db.session.execute(
        select(Allocation).where(Allocation.order_id == order.id, Allocation.quantity > Allocation.picked)
        .order_by(Allocation.id)).scalars())


def release_order_allocations(order: Order, user=None) -> int:
    """Release every open reservation of an order (e.g. the shop cancelled it); return the units."""
    units = 0
    for allocation in open_allocations(order):
        qty = allocation.open_qty
        inventory.release(allocation.product_id, allocation.location_id, qty)
        allocation.quantity = allocation.picked
        allocation.order_line.quantity_allocated -= qty
        units += qty
    if units:
        record_event(order, "released", ngettext("Released %(num)d reserved unit back to stock.",
                                                  "Released %(num)d reserved units back to stock.",
                                                  units), user)
    db.session.flush()
    return units


def picked_location(warehouse_id: int | None = None) -> Location:
    """Where picked goods wait for packing: the packing location pickers drop totes at (in a site)."""
    return default_location(LocationKind.PACKING, warehouse_id)


def put_back_picked(order: Order, user=None) -> int:
    """Move picked but unpacked units of an order back to the bins they came from; return units."""
    pack = picked_location(order.warehouse_id)
    units = 0
    for line in order.lines:
        back = line.quantity_picked - max(line.quantity_packed, line.quantity_shipped)
        if back <= 0:
            continue
        allocations = db.session.execute(
            select(Allocation).where(Allocation.order_line_id == line.id, Allocation.picked > 0)
            .order_by(Allocation.id.desc())).scalars().all()
        for allocation in allocations:
            if back <= 0:
                break
            qty = min(back, allocation.picked)
            target = allocation.location
            if not target.active:
                raise DomainError(_("%(code)s is not in use: move %(sku)s from %(pack_code)s by "
                                    "hand.", code=target.code, sku=line.sku, pack_code=pack.code))
            inventory.move(allocation.product_id, pack, target, qty, user=user,
                           reason=MoveReason.PUT_BACK, reference=order.code)
            # The units are free stock again, not promised to this order.
            allocation.picked -= qty
            allocation.quantity -= qty
            line.quantity_picked -= qty
            line.quantity_allocated -= qty
            back -= qty
            units += qty
    if units:
        record_event(order, "put_back", ngettext("Put %(num)d picked unit back to its bin.",
                                                  "Put %(num)d picked units back to their bins.",
                                                  units), user)
    db.session.flush()
    return units
