"""Allocation: pick faces first, oldest stock first, priority for scarce stock, safe under concurrency."""
import threading
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from wms.db import db
from wms.domain.inventory import services as inventory
from wms.domain.inventory.models import StockLevel
from wms.domain.locations.models import LocationKind
from wms.domain.orders.models import Order, OrderLine, OrderStatus
from wms.domain.picking.allocation import (
    allocate_orders, put_back_picked, release_order_allocations,
)
from wms.domain.picking.models import Allocation
from wms.domain.shipping.models import Carrier


def make_order(product, qty, ref="T", **kw):
    order = Order(reference=ref, **kw)
    order.lines.append(OrderLine(line_no=1, product_id=product.id, sku=product.sku, name=product.name,
                                 quantity=qty))
    db.session.add(order)
    db.session.flush()
    return order


def reserved_matches_allocations():
    levels = {(s.location_id, s.product_id): s.reserved for s in db.session.query(StockLevel)}
    sums = {}
    for a in db.session.query(Allocation):
        sums[(a.location_id, a.product_id)] = sums.get((a.location_id, a.product_id), 0) + a.open_qty
    return all(levels.get(k, 0) == v for k, v in sums.items()) and \
        all(sums.get(k, 0) == v for k, v in levels.items())


def test_pick_face_first_then_oldest_storage(app, make_location, make_product):
    p = make_product("A1")
    old = make_location("B-06-01-1", kind=LocationKind.STORAGE)
    new = make_location("B-06-03-1", kind=LocationKind.STORAGE)
    face = make_location("A-01-01-1", kind=LocationKind.PICK_FACE)
    inventory.receive(p, new, 5)
    inventory.receive(p, old, 5)
    db.session.get(StockLevel, inventory.stock_at(p, old).id).first_in_at = datetime(2020, 1, 1, tzinfo=timezone.utc)
    inventory.receive(p, face, 2)
    order = make_order(p, 9)
    report = allocate_orders()
    assert report.allocated == [order.id] and report.units == 9
    got = {a.location.code: a.quantity for a in db.session.query(Allocation)}
    assert got == {"A-01-01-1": 2, "B-06-01-1": 5, "B-06-03-1": 2}
    assert order.status is OrderStatus.ALLOCATED and order.lines[0].quantity_allocated == 9
    assert reserved_matches_allocations() and inventory.ledger_problems() == []


def test_partial_allocation_backorders_with_reason_and_completes_later(app, make_location, make_product):
    p = make_product("B1")
    face = make_location("A-01-01-1", kind=LocationKind.PICK_FACE)
    inventory.receive(p, face, 3)
    order = make_order(p, 5)
    allocate_orders()
    assert order.status is OrderStatus.BACKORDERED
    assert "B1: 3 of 5 allocated, 2 waiting for stock" in order.events[-1].message
    events = len(order.events)
    allocate_orders()  # nothing changed: no new sentence in the history
    assert len(order.events) == events
    inventory.receive(p, face, 10)
    allocate_orders()
    assert order.status is OrderStatus.ALLOCATED and order.lines[0].quantity_allocated == 5
    assert inventory.stock_at(p, face).reserved == 5


def test_priority_express_and_ship_by_win_scarce_stock(app, make_location, make_product):
    p = make_product("C1")
    face = make_location("A-01-01-1", kind=LocationKind.PICK_FACE)
    inventory.receive(p, face, 2)
    express = Carrier(code="EXP", name="Express", express=True)
    db.session.add(express)
    db.session.flush()
    now = datetime.now(timezone.utc)
    old = make_order(p, 1, "old", ordered_at=now - timedelta(days=3))
    urgent = make_order(p, 1, "urgent", ship_by=now + timedelta(hours=1), ordered_at=now)
    fast = make_order(p, 1, "fast", carrier_id=express.id, ordered_at=now)
    report = allocate_orders()
    assert sorted(report.allocated) == sorted([fast.id, urgent.id])
    assert report.backordered == [old.id]


def test_hold_and_cancelled_never_allocated_and_unknown_product_waits(app, make_location, make_product):
    p = make_product("D1")
    inventory.receive(p, make_location("A-01-01-1", kind=LocationKind.PICK_FACE), 10)
    held = make_order(p, 1, status=OrderStatus.ON_HOLD)
    cancelled = make_order(p, 1, status=OrderStatus.CANCELLED)
    unknown = Order(reference="u")
    unknown.lines.append(OrderLine(line_no=1, product_id=None, sku="NOPE", name="?", quantity=1))
    db.session.add(unknown)
    db.session.flush()
    report = allocate_orders()
    assert held.status is OrderStatus.ON_HOLD and cancelled.status is OrderStatus.CANCELLED
    assert report.backordered == [unknown.id] and "NOPE: product unknown" in unknown.events[-1].message
    assert db.session.query(Allocation).count() == 0


def test_release_and_put_back(app, make_location, make_product):
    from wms.domain.picking.allocation import picked_location
    p = make_product("E1")
    face = make_location("A-01-01-1", kind=LocationKind.PICK_FACE)
    make_location("PACK-01", kind=LocationKind.PACKING)
    inventory.receive(p, face, 10)
    order = make_order(p, 4)
    allocate_orders()
    # Pick 3 of the 4, as the picking flow would.
    alloc = db.session.query(Allocation).one()
    inventory.move(p, face, picked_location(), 3, from_reserved=3)
    alloc.picked = 3
    order.lines[0].quantity_picked = 3
    assert release_order_allocations(order) == 1
    assert inventory.stock_at(p, face).reserved == 0 and release_order_allocations(order) == 0
    assert put_back_picked(order) == 3
    assert inventory.stock_at(p, face).on_hand == 10 and inventory.stock_at(p, picked_location()).on_hand == 0
    assert order.lines[0].quantity_picked == 0 and order.lines[0].quantity_allocated == 0
    assert reserved_matches_allocations() and inventory.ledger_problems() == []


@pytest.mark.postgresql
def test_eight_concurrent_runs_never_over_allocate(app, make_location, make_product):
    products = [make_product(f"S{i}") for i in range(3)]
    faces = [make_location(f"A-01-0{i + 1}-1", kind=LocationKind.PICK_FACE) for i in range(3)]
    for p in products:
        for loc in faces:
            inventory.receive(p, loc, 4)  # 12 of each product
    ids = []
    for n in range(40):
        order = Order(reference=f"c{n}")
        # Lines in different product orders, so runs would deadlock without ordered locks.
        for k, p in enumerate(products[n % 3:] + products[:n % 3]):
            order.lines.append(OrderLine(line_no=k + 1, product_id=p.id, sku=p.sku, name=p.name, quantity=1 + n % 2))
        db.session.add(order)
        db.session.flush()
        ids.append(order.id)
    db.session.commit()
    errors, barrier = [], threading.Barrier(8)

    def run():
        try:
            with app.app_context():
                barrier.wait()
                for _ in range(3):
                    allocate_orders()
                    db.session.commit()
                db.session.remove()
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(repr(exc))

    threads = [threading.Thread(target=run) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    db.session.expire_all()
    assert inventory.ledger_problems() == []
    assert reserved_matches_allocations()
    for p in products:
        allocated = db.session.scalar(select(func.sum(Allocation.quantity)).where(Allocation.product_id == p.id))
        assert allocated == 12  # all the scarce stock promised, never more
        line_sum = db.session.scalar(select(func.sum(OrderLine.quantity_allocated)).where(OrderLine.product_id == p.id))
        assert line_sum == 12
