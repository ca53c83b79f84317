"""Several warehouses (issue 14): routing rules, split policies, allocation in one site,
re-routing through the allocation services, a split order shipped to the shop once, concurrency."""
from __future__ import annotations

import threading

import pytest
from flask import g
from sqlalchemy import func, select

from wms.db import db
from wms.domain.inventory import services as inventory
from wms.domain.inventory.models import StockLevel
from wms.domain.locations.models import Location, LocationKind, Warehouse
from wms.domain.locations.services import location_by_code
from wms.domain.orders import routing
from wms.domain.orders.models import Order, OrderLine, OrderStatus, RoutingRule
from wms.domain.packing import services as packing
from wms.domain.picking import services as picking
from wms.domain.picking.allocation import allocate_orders
from wms.domain.picking.models import Allocation
from wms.domain.shipping import services as shipping
from wms.domain.shipping.models import BoxSize, Carrier, CarrierSite
from wms.errors import Conflict, DomainError
from wms.integrations.prestashop.models import OutboxMessage


@pytest.fixture
def two_sites(app, make_warehouse, make_product, make_user):
    """Paris (priority 0) and Lyon (priority 1), a pick face, a storage bin and a packing bench each."""

    def make(paris=None, lyon=None):
        sites = {}
        for code, name, prefix, prio in (("PAR", "Paris", "A", 0), ("LYO", "Lyon", "B", 1)):
            wh = make_warehouse(code, name, priority=prio)
            wh.city, wh.postcode = name, ("75001" if code == "PAR" else "69007")
            sites[code] = wh
            for loc_code, kind in ((f"{prefix}-01-01-1", LocationKind.PICK_FACE),
                                   (f"{prefix}-02-01-1", LocationKind.STORAGE),
                                   (f"PAK{prefix}-01", LocationKind.PACKING)):
                db.session.add(Location(warehouse_id=wh.id, code=loc_code, kind=kind, aisle=1, pos_y=1.0))
        db.session.flush()
        products = {sku: make_product(sku) for sku in ("SKU-A", "SKU-B")}
        for site, stock in (("A", paris or {}), ("B", lyon or {})):
            face = db.session.execute(select(Location).where(Location.code == f"{site}-01-01-1")).scalar_one()
            for sku, qty in stock.items():
                inventory.receive(products[sku], face, qty)
        carrier = Carrier(code="RNG", name="Rangex", service="Standard", adapter="range",
                          range_prefix="RX", range_start=1000, range_end=1999)
        db.session.add(carrier)
        db.session.add(BoxSize(code="BOX-M", name="Medium box", length_mm=350, width_mm=250, height_mm=150,
                               tare_g=280, max_weight_g=15000))
        db.session.flush()
        return type("Sites", (), dict(paris=sites["PAR"], lyon=sites["LYO"], products=products,
                                      carrier=carrier, operator=make_user("operator"),
                                      supervisor=make_user("supervisor")))

    return make


def order_of(s, lines, *, country="FR", shop=None, ps_order_id=None, reference="R1"):
    order = Order(reference=reference, carrier_id=s.carrier.id, ship_country=country, ship_name="Jane Doe",
                  ship_address1="1 Main St", ship_postcode="69001", ship_city="Lyon",
                  shop=shop, ps_order_id=ps_order_id)
    for n, (sku, qty) in enumerate(lines.items(), start=1):
        p = s.products[sku]
        order.lines.append(OrderLine(line_no=n, product_id=p.id, sku=sku, name=p.name, quantity=qty))
    db.session.add(order)
    db.session.flush()
    return order


def reserved_by_site(product) -> dict[str, int]:
    rows = db.session.execute(
        select(Warehouse.code, func.sum(StockLevel.reserved)).join(Location, Location.id == StockLevel.location_id)
        .join(Warehouse, Warehouse.id == Location.warehouse_id)
        .where(StockLevel.product_id == product.id).group_by(Warehouse.code)).all()
    return {code: int(n) for code, n in rows if n}


def test_first_site_that_ships_whole_then_rules_then_priority(two_sites):
    s = two_sites(paris={"SKU-A": 1}, lyon={"SKU-A": 5, "SKU-B": 5})
    # Paris comes first by priority but cannot ship it whole: Lyon can.
    whole_in_lyon = order_of(s, {"SKU-A": 2, "SKU-B": 1})
    # Both can ship one A: Paris by priority ...
    by_priority = order_of(s, {"SKU-A": 1}, reference="R2")
    allocate_orders([whole_in_lyon.id, by_priority.id])
    assert whole_in_lyon.warehouse_id == s.lyon.id and whole_in_lyon.status is OrderStatus.ALLOCATED
    assert "Lyon" in whole_in_lyon.routing_reason and "whole order" in whole_in_lyon.routing_reason
    assert by_priority.warehouse_id == s.paris.id and "by priority" in by_priority.routing_reason
    # ... unless a rule prefers Lyon for Belgium.
    db.session.add(RoutingRule(priority=1, countries="be, LU", warehouse_id=s.lyon.id))
    db.session.flush()
    belgian = order_of(s, {"SKU-A": 1}, country="BE", reference="R3")
    french = order_of(s, {"SKU-A": 1}, country="FR", reference="R4")
    allocate_orders([belgian.id, french.id])
    assert belgian.warehouse_id == s.lyon.id and "BE, LU" in belgian.routing_reason
    # Paris had 1 A, taken by R2: only Lyon can ship the French order whole now.
    assert french.warehouse_id == s.lyon.id
    assert reserved_by_site(s.products["SKU-A"]) == {"PAR": 1, "LYO": 4}


def test_a_carrier_limited_to_a_site_routes_there(two_sites):
    s = two_sites(paris={"SKU-A": 5}, lyon={"SKU-A": 5})
    s.carrier.sites.append(CarrierSite(warehouse_id=s.lyon.id))
    db.session.flush()
    order = order_of(s, {"SKU-A": 2})
    allocate_orders([order.id])
    assert order.warehouse_id == s.lyon.id
    assert reserved_by_site(s.products["SKU-A"]) == {"LYO": 2}


def test_policy_wait_keeps_the_order_without_a_site_or_reservation(two_sites):
    s = two_sites(paris={"SKU-A": 2}, lyon={"SKU-B": 2})
    s.products  # noqa: B018
    from flask import current_app

    current_app.config["SPLIT_POLICY"] = "wait"
    order = order_of(s, {"SKU-A": 1, "SKU-B": 1})
    report = allocate_orders([order.id])
    assert report.backordered == [order.id]
    assert order.warehouse_id is None and order.status is OrderStatus.BACKORDERED
    assert "waits until one can" in order.routing_reason
    assert db.session.scalar(select(func.count()).select_from(Allocation)) == 0
    events = len(order.events)
    allocate_orders([order.id])  # a rerun with nothing new repeats nothing
    assert len(order.events) == events
    # Stock arrives in Paris: the next run routes it there whole.
    inventory.receive(s.products["SKU-B"], location_by_code("A-02-01-1"), 1)
    allocate_orders([order.id])
    assert order.warehouse_id == s.paris.id and order.status is OrderStatus.ALLOCATED


def test_policy_backorder_ships_what_the_richest_site_has(two_sites):
    s = two_sites(paris={"SKU-A": 1}, lyon={"SKU-A": 3})
    order = order_of(s, {"SKU-A": 5, "SKU-B": 1})
    allocate_orders([order.id])
    assert order.warehouse_id == s.lyon.id and order.status is OrderStatus.BACKORDERED
    assert "Lyon has the most (3 of 6 units)" in order.routing_reason
    assert reserved_by_site(s.products["SKU-A"]) == {"LYO": 3}


def test_policy_split_makes_a_part_per_site(two_sites):
    s = two_sites(paris={"SKU-A": 2}, lyon={"SKU-B": 3, "SKU-A": 1})
    from flask import current_app

    current_app.config["SPLIT_POLICY"] = "split"
    order = order_of(s, {"SKU-A": 3, "SKU-B": 2})
    allocate_orders([order.id])
    # Lyon has the most (1 A + 2 B): the order stays there; Paris ships the 2 A left.
    assert order.warehouse_id == s.lyon.id and order.status is OrderStatus.ALLOCATED
    [part] = order.parts
    assert part.warehouse_id == s.paris.id and part.status is OrderStatus.ALLOCATED
    assert part.reference == "R1/2" and part.parent_id == order.id and not part.from_shop
    assert sorted((ln.sku, ln.quantity) for ln in order.lines) == [("SKU-A", 1), ("SKU-B", 2)]
    assert [(ln.sku, ln.quantity) for ln in part.lines] == [("SKU-A", 2)]
    assert reserved_by_site(s.products["SKU-A"]) == {"LYO": 1, "PAR": 2}
    assert "split between Lyon, Paris" in order.routing_reason
    # A pick list takes the orders of one site only.
    with pytest.raises(DomainError, match="several sites"):
        picking.create_pick_list([order.id, part.id], kind=picking.PickListKind.BATCH)


def test_reroute_releases_in_one_site_and_reserves_in_the_other(two_sites, app):
    s = two_sites(paris={"SKU-A": 5}, lyon={"SKU-A": 5})
    order = order_of(s, {"SKU-A": 3})
    allocate_orders([order.id])
    assert order.warehouse_id == s.paris.id
    routing.reroute(order, s.lyon.id, s.supervisor)
    assert order.warehouse_id == s.lyon.id and order.status is OrderStatus.ALLOCATED
    assert reserved_by_site(s.products["SKU-A"]) == {"LYO": 3}
    assert "by " in order.routing_reason and "on the desk" in order.routing_reason
    assert [e.kind for e in order.events][-3:] == ["released", "routed", "allocated"]
    with pytest.raises(DomainError, match="already ships from Lyon"):
        routing.reroute(order, s.lyon.id, s.supervisor)
    with pytest.raises(DomainError, match="does not exist"):
        routing.reroute(order, "9999", s.supervisor)
    # Not once it is on a pick list.
    picking.create_pick_list([order.id])
    with pytest.raises(Conflict, match="on a pick list"):
        routing.reroute(order, s.paris.id, s.supervisor)
    assert reserved_by_site(s.products["SKU-A"]) == {"LYO": 3}
    assert inventory.ledger_problems() == []


def test_a_handheld_site_refuses_a_bin_of_another_site_by_name(two_sites, app):
    s = two_sites()
    with app.test_request_context():
        g.site_id = s.lyon.id
        assert location_by_code("B-01-01-1").code == "B-01-01-1"
        with pytest.raises(DomainError, match="A-01-01-1 is a bin of Paris, not of Lyon") as refused:
            location_by_code("A-01-01-1")
        assert refused.value.code == "other_site"
        g.site_id = None
        assert location_by_code("A-01-01-1").code == "A-01-01-1"  # no site chosen: no check


def _fulfil(s, order, packer_box="BOX-M"):
    """Pick, pack and ship an allocated order through the services; return its shipment."""
    pick_list = picking.create_pick_list([order.id])
    picking.scan(s.operator, pick_list.code)
    while True:
        view = picking.current(s.operator)
        if view.line is None:
            break
        line = view.line
        picking.scan(s.operator, line.location.code)
        picking.scan(s.operator, line.product.barcodes[0].code, line.open_qty)
    assert order.status is OrderStatus.PICKED
    packing.scan(s.operator, order.code)
    for line in order.lines:
        packing.scan(s.operator, line.product.barcodes[0].code, line.quantity)
    view, _ = packing.finish(s.operator, packer_box, "1.5")
    shipment = view.shipment
    dispatch = shipping.open_dispatch(s.carrier, s.operator)
    for parcel in shipment.parcels:
        shipping.add_parcel(dispatch, parcel.code, s.operator)
    shipping.close_dispatch(dispatch, s.operator)
    return shipment


def test_a_split_order_tells_the_shop_once_with_every_tracking_number(two_sites, app):
    s = two_sites(paris={"SKU-A": 2}, lyon={"SKU-B": 3})
    app.config["SPLIT_POLICY"] = "split"
    order = order_of(s, {"SKU-A": 2, "SKU-B": 3}, shop="default", ps_order_id=501)
    allocate_orders([order.id])
    [part] = order.parts
    assert {order.warehouse_id, part.warehouse_id} == {s.paris.id, s.lyon.id}
    first = _fulfil(s, order)
    # The parcels went through the site's own packing bench.
    assert first.location.warehouse_id == order.warehouse_id
    assert order.status is OrderStatus.SHIPPED
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 0
    assert order.events[-1].kind == "part_shipped"
    second = _fulfil(s, part)
    assert second.location.warehouse_id == part.warehouse_id
    [message] = db.session.execute(select(OutboxMessage).where(OutboxMessage.kind == "order_shipped")).scalars()
    numbers = [p.tracking_number for p in first.parcels] + [p.tracking_number for p in second.parcels]
    assert message.payload["order_id"] == order.id
    assert message.payload["tracking_numbers"] == numbers
    assert message.payload["tracking_number"] == ", ".join(numbers)
    assert inventory.ledger_problems() == []


@pytest.mark.postgresql
def test_concurrent_allocations_in_two_sites_never_over_reserve(app, two_sites):
    s = two_sites(paris={"SKU-A": 6}, lyon={"SKU-A": 6})
    app.config["SPLIT_POLICY"] = "split"
    ids = [order_of(s, {"SKU-A": 1 + n % 3}, reference=f"C{n}").id for n in range(16)]
    db.session.commit()
    barrier = threading.Barrier(4)
    errors = []

    def worker(chunk):
        with app.app_context():
            try:
                barrier.wait()
                allocate_orders(chunk)
                db.session.commit()
            except Exception as exc:  # pragma: no cover - reported below
                db.session.rollback()
                errors.append(repr(exc))
            finally:
                db.session.remove()

    threads = [threading.Thread(target=worker, args=(ids[n::4],)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    db.session.expire_all()
    levels = db.session.execute(select(StockLevel)).scalars().all()
    assert all(0 <= lvl.reserved <= lvl.on_hand for lvl in levels)
    assert sum(lvl.reserved for lvl in levels) == 12
    # Every reservation sits in the site of its order.
    for allocation in db.session.execute(select(Allocation)).scalars():
        assert allocation.location.warehouse_id == allocation.order.warehouse_id
    assert inventory.ledger_problems() == []


def test_each_site_hands_its_own_parcels_to_the_carrier(two_sites, app):
    s = two_sites(paris={"SKU-A": 2}, lyon={"SKU-B": 3})
    in_paris = order_of(s, {"SKU-A": 1}, reference="P1")
    in_lyon = order_of(s, {"SKU-B": 1}, reference="L1")
    allocate_orders()
    assert (in_paris.warehouse_id, in_lyon.warehouse_id) == (s.paris.id, s.lyon.id)

    def packed(order):
        pick_list = picking.create_pick_list([order.id])
        picking.scan(s.operator, pick_list.code)
        line = picking.current(s.operator).line
        picking.scan(s.operator, line.location.code)
        picking.scan(s.operator, line.product.barcodes[0].code)
        packing.scan(s.operator, order.code)
        packing.scan(s.operator, order.lines[0].product.barcodes[0].code)
        return packing.finish(s.operator, "BOX-M", "1")[0].shipment

    paris_parcel, lyon_parcel = packed(in_paris).parcels[0], packed(in_lyon).parcels[0]
    at_paris = shipping.open_dispatch(s.carrier, s.operator, s.paris.id)
    at_lyon = shipping.open_dispatch(s.carrier, s.operator, s.lyon.id)
    assert at_paris.id != at_lyon.id
    assert shipping.open_dispatch(s.carrier, s.operator, s.lyon.id).id == at_lyon.id
    assert [p.code for p in shipping.packed_waiting(s.carrier, s.lyon.id)] == [lyon_parcel.code]
    with pytest.raises(DomainError, match=f"{lyon_parcel.code} leaves from Lyon, not from Paris") as refused:
        shipping.add_parcel(at_paris, lyon_parcel.code, s.operator)
    assert refused.value.code == "other_site"
    shipping.add_parcel(at_paris, paris_parcel.code, s.operator)
    shipping.add_parcel(at_lyon, lyon_parcel.code, s.operator)
    shipping.close_dispatch(at_lyon, s.operator)
    manifest = shipping.manifest_data(s.carrier, at_lyon.closed_at.date(), s.lyon.id)
    assert [p["order_reference"] for p in manifest["parcels"]] == ["L1"]
    assert manifest["shipper"]["city"] == "Lyon" and manifest["shipper"]["postcode"] == "69007"
    # The Paris parcel waits on its own dispatch: Paris has not handed it over yet.
    assert in_paris.status is OrderStatus.PACKED and in_lyon.status is OrderStatus.SHIPPED


def test_a_rule_by_carrier_and_a_carrier_collecting_nowhere(two_sites):
    s = two_sites(paris={"SKU-A": 5}, lyon={"SKU-A": 5})
    express = Carrier(code="EXP", name="Express", adapter="manual")
    db.session.add(express)
    db.session.flush()
    db.session.add(RoutingRule(priority=1, carrier_id=express.id, warehouse_id=s.lyon.id))
    db.session.flush()
    standard = order_of(s, {"SKU-A": 1}, reference="STD")
    fast = order_of(s, {"SKU-A": 1}, reference="EXP")
    fast.carrier_id = express.id
    db.session.flush()
    allocate_orders([standard.id, fast.id])
    assert (standard.warehouse_id, fast.warehouse_id) == (s.paris.id, s.lyon.id)
    assert "Express" in fast.routing_reason
    # A carrier limited to Lyon never sends an order to Paris; limited to none of the sites
    # given, the order waits with a sentence.
    s.carrier.sites.append(CarrierSite(warehouse_id=s.lyon.id))
    db.session.flush()
    lost = order_of(s, {"SKU-A": 1}, reference="LOST")
    assert routing.plan(lost).warehouse_id == s.lyon.id
    route = routing.plan(lost, sites=[s.paris])
    assert route.warehouse_id is None and "Rangex collects from none of the sites" in route.reason
