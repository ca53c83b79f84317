"""The shop import routes each new order to its site at once (issue 14), with one stock read
per page, reserving nothing; a second run of the same page changes nothing."""
from __future__ import annotations

import pytest
from sqlalchemy import event, select

from tests.integrations.sync_helpers import client_for, configure_shop, mirror_catalog
from wms.db import db
from wms.domain.inventory import services as inventory
from wms.domain.catalog.models import Product
from wms.domain.inventory.models import StockLevel
from wms.domain.locations.models import Location, LocationKind
from wms.domain.orders.models import Order, OrderStatus
from wms.domain.picking.allocation import allocate_orders
from wms.integrations.prestashop.sync import import_orders


@pytest.fixture
def settings(app, fake_shop, shop_url):
    return configure_shop(app, shop_url, fake_shop.key, PRESTASHOP_PAGE_SIZE=50)


def test_imported_orders_show_their_site_at_once(app, fake_shop, settings, make_warehouse):
    p1 = fake_shop.add_product(reference="IMP-1", ean13="3000000000304", quantity=10)
    p2 = fake_shop.add_product(reference="IMP-2", ean13="3000000000311", quantity=10)
    ids = [fake_shop.add_order(lines=[{"product_id": p1, "quantity": 2}]) for _ in range(6)]
    only_lyon = fake_shop.add_order(lines=[{"product_id": p2, "quantity": 1}])
    products = mirror_catalog(fake_shop)
    for code, name, prefix, stock in (("PAR", "Paris", "A", {"IMP-1": 4}), ("LYO", "Lyon", "B", {"IMP-1": 20, "IMP-2": 1})):
        site = make_warehouse(code, name)
        face = Location(warehouse_id=site.id, code=f"{prefix}-01-01-1", kind=LocationKind.PICK_FACE, aisle=1)
        db.session.add(face)
        db.session.flush()
        for sku, qty in stock.items():
            inventory.receive(products[sku], face, qty)
    db.session.commit()
    sites = {w: i for w, i in db.session.execute(select(Location.code, Location.warehouse_id))}
    statements = []
    listener = lambda conn, cursor, statement, *a: statements.append(statement)  # noqa: E731
    client = client_for(settings)
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        result = import_orders(settings, client)
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    assert result.imported == 7
    # One stock read for the page (7 orders), not one per order.
    assert len([s for s in statements if "stock_level" in s.lower()]) == 1
    orders = {o.ps_order_id: o for o in db.session.execute(select(Order)).scalars()}
    # Paris (first by priority, then id) has 4: the first two orders; the others go to Lyon.
    assert [orders[i].warehouse_id for i in ids] == [sites["A-01-01-1"]] * 2 + [sites["B-01-01-1"]] * 4
    assert orders[only_lyon].warehouse_id == sites["B-01-01-1"]
    assert all(o.status is OrderStatus.NEW and o.routing_reason for o in orders.values())
    assert db.session.scalar(select(StockLevel.reserved).where(StockLevel.reserved > 0)) is None
    # The same orders again (the import's overlap, or a callback): nothing changes.
    events = {o.id: len(o.events) for o in orders.values()}
    try:
        again = import_orders(settings, client)
        from wms.integrations.prestashop.shops import shop_settings
        from wms.integrations.prestashop.sync import import_order_ids

        import_order_ids(shop_settings("default", app.config), client, ids)
    finally:
        client.close()
    db.session.commit()
    db.session.expire_all()
    assert again.imported == 0
    assert {o.id: len(o.events) for o in db.session.execute(select(Order)).scalars()} == events
    # Allocation confirms every forecast (each site has the stock it was counted for).
    report = allocate_orders()
    assert len(report.allocated) == 7
    assert [db.session.get(Order, orders[i].id).warehouse_id for i in ids] == \
        [sites["A-01-01-1"]] * 2 + [sites["B-01-01-1"]] * 4
    assert inventory.ledger_problems() == []


def test_an_order_held_for_an_unknown_product_is_routed_again_when_released(app, fake_shop, settings,
                                                                             make_warehouse):
    known = fake_shop.add_product(reference="HLD-1", ean13="3000000000328", quantity=10)
    unknown = fake_shop.add_product(reference="HLD-2", ean13="3000000000335", quantity=10)
    ps_id = fake_shop.add_order(lines=[{"product_id": known, "quantity": 1}, {"product_id": unknown, "quantity": 1}])
    products = mirror_catalog(fake_shop, skip_references=("HLD-2",))
    faces = {}
    for code, name, prefix in (("PAR", "Paris", "A"), ("LYO", "Lyon", "B")):
        site = make_warehouse(code, name)
        faces[code] = Location(warehouse_id=site.id, code=f"{prefix}-01-01-1", kind=LocationKind.PICK_FACE, aisle=1)
        db.session.add(faces[code])
    db.session.flush()
    inventory.receive(products["HLD-1"], faces["PAR"], 5)
    inventory.receive(products["HLD-1"], faces["LYO"], 5)
    db.session.commit()
    client = client_for(settings)
    try:
        import_orders(settings, client)
    finally:
        client.close()
    order = db.session.execute(select(Order).where(Order.ps_order_id == ps_id)).scalar_one()
    # Held (a product unknown), routed on what is known: Paris by priority.
    assert order.status is OrderStatus.ON_HOLD and order.warehouse_id == faces["PAR"].warehouse_id
    # The product is created; only Lyon has it: the release routes the order to Lyon.
    mirror_catalog(fake_shop, skip_references=("HLD-1",))
    hld2 = db.session.execute(select(Product).where(Product.sku == "HLD-2")).scalar_one()
    inventory.receive(hld2, faces["LYO"], 3)
    from wms.integrations.prestashop.sync import release_held_orders

    assert release_held_orders("default") == 1
    assert order.status is OrderStatus.NEW and order.warehouse_id == faces["LYO"].warehouse_id
    assert "Lyon" in order.routing_reason
