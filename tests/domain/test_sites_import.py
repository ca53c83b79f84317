"""Orders routed when they come in (issue 14): the site shows at once, nothing is reserved,
the first allocation checks the forecast, and a supervisor's re-route is kept."""
from __future__ import annotations

from flask import current_app
from sqlalchemy import event, func, select

from tests.domain.test_sites import order_of, reserved_by_site, two_sites  # noqa: F401  (fixture)
from wms.db import db
from wms.domain.inventory import services as inventory
from wms.domain.locations.services import location_by_code
from wms.domain.orders import routing
from wms.domain.orders.channels import upsert_channel_order
from wms.domain.orders.models import OrderStatus, RoutingRule
from wms.domain.picking.allocation import allocate_orders
from wms.domain.picking.models import Allocation


def _allocations() -> int:
    return db.session.scalar(select(func.count()).select_from(Allocation))


def test_a_batch_is_routed_with_one_stock_read_and_reserves_nothing(two_sites):
    s = two_sites(paris={"SKU-A": 3}, lyon={"SKU-A": 5, "SKU-B": 2})
    first = order_of(s, {"SKU-A": 2}, reference="R1")
    second = order_of(s, {"SKU-A": 2}, reference="R2")  # Paris has 1 left after R1: Lyon
    both = order_of(s, {"SKU-A": 1, "SKU-B": 1}, reference="R3")  # only Lyon has B
    reads = []

    def count(conn, cursor, statement, *args):
        if "stock_level" in statement.lower():
            reads.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        assert routing.route_new_orders([first, second, both]) == 3
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert len(reads) == 1  # one stock read for the batch, not one per order
    assert (first.warehouse_id, second.warehouse_id, both.warehouse_id) == (s.paris.id, s.lyon.id, s.lyon.id)
    assert "Paris" in first.routing_reason and "Lyon" in second.routing_reason
    assert all(o.status is OrderStatus.NEW for o in (first, second, both))
    assert _allocations() == 0 and reserved_by_site(s.products["SKU-A"]) == {}
    assert first.events == []  # the history says it when allocation settles it
    # The first allocation confirms the forecast: reserved there.
    allocate_orders([first.id, second.id, both.id])
    assert reserved_by_site(s.products["SKU-A"]) == {"PAR": 2, "LYO": 3}
    assert [e.kind for e in first.events] == ["routed", "allocated"]
    assert first.warehouse_id == s.paris.id and first.status is OrderStatus.ALLOCATED


def test_allocation_routes_again_when_the_stock_moved_since_the_import(two_sites):
    s = two_sites(paris={"SKU-A": 2}, lyon={"SKU-A": 5})
    order = order_of(s, {"SKU-A": 2})
    routing.route_new_orders([order])
    assert order.warehouse_id == s.paris.id
    # Paris's units went to an order allocated in between (not forecast by this one's import).
    other = order_of(s, {"SKU-A": 2}, reference="R0")
    other.warehouse_id = s.paris.id
    allocate_orders([other.id])
    allocate_orders([order.id])
    assert order.warehouse_id == s.lyon.id and order.status is OrderStatus.ALLOCATED
    assert [e.kind for e in order.events] == ["routed", "allocated"] and "Lyon" in order.events[0].message


def test_a_supervisor_route_is_kept_by_later_allocations(two_sites):
    s = two_sites(paris={"SKU-A": 5}, lyon={})
    order = order_of(s, {"SKU-A": 2})
    routing.route_new_orders([order])
    assert order.warehouse_id == s.paris.id
    routing.reroute(order, s.lyon.id, s.supervisor)  # Lyon has none: backordered there
    assert order.site_pinned and order.warehouse_id == s.lyon.id
    assert order.status is OrderStatus.BACKORDERED
    order.status = OrderStatus.NEW  # e.g. released from a hold
    allocate_orders([order.id])
    assert order.warehouse_id == s.lyon.id and reserved_by_site(s.products["SKU-A"]) == {}
    # Routing a batch again (the shop edited the order) leaves it too.
    assert routing.route_new_orders([order]) == 0 and order.warehouse_id == s.lyon.id


def test_wait_policy_orders_come_in_without_a_site_and_are_routed_when_stock_comes(two_sites):
    s = two_sites(paris={"SKU-A": 2}, lyon={"SKU-B": 2})
    current_app.config["SPLIT_POLICY"] = "wait"
    order = order_of(s, {"SKU-A": 1, "SKU-B": 1})
    routing.route_new_orders([order])
    assert order.warehouse_id is None and "waits until one can" in order.routing_reason
    assert order.events == []
    allocate_orders([order.id])
    assert order.warehouse_id is None and order.status is OrderStatus.BACKORDERED
    inventory.receive(s.products["SKU-B"], location_by_code("A-02-01-1"), 1)
    allocate_orders([order.id])
    assert order.warehouse_id == s.paris.id and order.status is OrderStatus.ALLOCATED


def test_a_split_is_only_forecast_at_import_and_made_at_allocation(two_sites):
    s = two_sites(paris={"SKU-A": 2}, lyon={"SKU-B": 3, "SKU-A": 1})
    current_app.config["SPLIT_POLICY"] = "split"
    order = order_of(s, {"SKU-A": 3, "SKU-B": 2})
    routing.route_new_orders([order])
    assert order.warehouse_id == s.lyon.id and order.parts == []
    assert sorted((ln.sku, ln.quantity) for ln in order.lines) == [("SKU-A", 3), ("SKU-B", 2)]
    allocate_orders([order.id])
    [part] = order.parts
    assert part.warehouse_id == s.paris.id and order.warehouse_id == s.lyon.id
    assert reserved_by_site(s.products["SKU-A"]) == {"LYO": 1, "PAR": 2}


def test_an_api_order_shows_its_site_at_once_and_an_update_routes_it_again(two_sites):
    s = two_sites(paris={"SKU-A": 5}, lyon={"SKU-A": 5})
    db.session.add(RoutingRule(priority=1, countries="BE", warehouse_id=s.lyon.id))
    db.session.flush()
    data = {"channel": "b2b", "external_ref": "PO-1", "reference": "PO-1", "carrier": s.carrier.code,
            "ship_to": {"name": "Jane", "address1": "1 rue X", "postcode": "75001", "city": "Paris",
                        "country": "FR"},
            "lines": [{"sku": "SKU-A", "quantity": 2}]}
    order, what = upsert_channel_order(data)
    assert what == "created" and order.warehouse_id == s.paris.id and order.status is OrderStatus.NEW
    assert _allocations() == 0
    again, what = upsert_channel_order(data)  # the same order again changes nothing
    assert what == "unchanged" and again.warehouse_id == s.paris.id
    assert [e.kind for e in order.events] == ["received"]
    data["ship_to"]["country"] = "BE"
    order, what = upsert_channel_order(data)
    assert what == "updated" and order.warehouse_id == s.lyon.id and "BE" in order.routing_reason


def test_one_site_installs_get_the_only_site_without_reading_stock(app, make_warehouse, make_product):
    from wms.domain.orders.models import Order, OrderLine

    site = make_warehouse("ONE", "Only")
    product = make_product("SKU-1")
    order = Order(reference="X1")
    order.lines.append(OrderLine(line_no=1, product_id=product.id, sku="SKU-1", name="x", quantity=1))
    db.session.add(order)
    db.session.flush()
    reads = []
    listener = lambda conn, cursor, statement, *a: reads.append(statement) if "stock_level" in statement else None  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        routing.route_new_orders([order])
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    assert order.warehouse_id == site.id and reads == [] and order.events == []
