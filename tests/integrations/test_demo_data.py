"""Demo data never talks to a shop: master data apart from demo orders and stock, demo orders
and products marked and left alone by the connector, and demo data refused next to a shop."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from tests.domain.test_packing import packing_setup  # noqa: F401 (fixture)
from tests.domain.test_shipping import packed
from tests.integrations.sync_helpers import configure_shop
from wms.cli import seed
from wms.db import db
from wms.domain.catalog.models import Barcode, Product, Symbology
from wms.domain.inventory import services as inventory
from wms.domain.inventory.models import StockMove
from wms.domain.locations.models import Location
from wms.domain.orders.models import Order, OrderStatus
from wms.domain.shipping import services as shipping
from wms.domain.users.models import User
from wms.integrations.prestashop.models import OutboxMessage
from wms.integrations.prestashop.sync import run_round
from wms.seed import demo_refusal


def count(model, *where):
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def test_seed_loads_master_data_only(app):
    result = app.test_cli_runner().invoke(seed, [])
    assert result.exit_code == 0, result.output
    assert "No products, stock or orders" in result.output and "BADGE-0001" in result.output
    assert count(User) == 4 and count(Location) > 300
    assert count(Product) == 0 and count(StockMove) == 0 and count(Order) == 0


def test_seed_demo_orders_are_marked_and_made_up(app):
    result = app.test_cli_runner().invoke(seed, ["--demo-orders"])
    assert result.exit_code == 0, result.output
    orders = db.session.execute(select(Order)).scalars().all()
    assert len(orders) == 24
    # Marked, and with no shop identity a shop's real order could be confused with.
    assert all(o.is_demo and o.shop is None and o.ps_order_id is None for o in orders)
    assert all(o.status is OrderStatus.ALLOCATED for o in orders)
    assert count(Product) > 100 and count(Product, Product.is_demo.is_(False)) == 0
    assert inventory.ledger_problems() == []
    # Again: master data is kept and nothing is doubled.
    assert app.test_cli_runner().invoke(seed, ["--demo-orders"]).exit_code == 0
    assert count(Order) == 24 and count(User) == 4


@pytest.mark.parametrize("shops", [
    {"PRESTASHOP_URL": "https://shop.example/api", "PRESTASHOP_KEY": "K" * 32},
    {"PRESTASHOP_SHOPS": '[{"name": "eu", "url": "https://eu.example/api", "key": "%s"}]' % ("K" * 32)},
    {"PRESTASHOP_URL": "https://shop.example/api"},  # half configured is still a shop
])
def test_demo_orders_are_refused_when_a_shop_is_configured(app, shops):
    app.config.update(shops)
    result = app.test_cli_runner().invoke(seed, ["--demo-orders"])
    assert result.exit_code == 1
    assert "A shop is configured" in result.output and "demo orders and stock are refused" in result.output
    db.session.rollback()
    assert count(User) == 0 and count(Order) == 0 and count(Product) == 0  # nothing loaded
    # Master data alone is fine next to a shop.
    assert app.test_cli_runner().invoke(seed, []).exit_code == 0
    assert count(User) == 4 and count(Order) == 0


def test_demo_orders_are_refused_in_a_database_that_imported_shop_orders(app):
    db.session.add(Order(reference="REAL-1", shop="default", ps_order_id=5001))
    db.session.commit()
    assert "holds orders imported from a shop" in demo_refusal(app.config)
    result = app.test_cli_runner().invoke(seed, ["--demo-orders"])
    assert result.exit_code == 1 and count(Order) == 1


def test_the_connector_never_touches_demo_orders_or_demo_products(app, fake_shop, shop_url, packing_setup):  # noqa: F811
    # The worst case: a demo order that carries the id of a real shop order, and demo products
    # that carry the ids of real shop products.
    real_product = fake_shop.add_product(reference="REAL-SKU", ean13="3000000000017", quantity=50)
    demo_twin = fake_shop.add_product(reference="SHOP-ONLY", ean13="3000000000024", quantity=50)
    real_order = fake_shop.add_order(lines=[{"product_id": demo_twin, "quantity": 1}])
    s = packing_setup()
    s.order.is_demo, s.order.ps_order_id = True, real_order + 1000  # a different shop order id...
    s.a.is_demo, s.a.ps_product_id, s.a.ps_combination_id = True, demo_twin, 0
    real = Product(sku="REAL-SKU", name="Real", ps_product_id=real_product, ps_combination_id=0)
    real.barcodes.append(Barcode(code="3000000000017", symbology=Symbology.EAN13))
    db.session.add(real)
    db.session.flush()
    inventory.receive(real, s.pack, 7)
    inventory.receive(s.a, s.pack, 9)
    db.session.commit()
    shipment = packed(s)
    dispatch = shipping.open_dispatch(s.carrier, s.operator)
    for parcel in shipment.parcels:
        shipping.add_parcel(dispatch, parcel.code, s.operator)
    shipping.close_dispatch(dispatch, s.operator)
    db.session.commit()
    assert s.order.status is OrderStatus.SHIPPED
    assert count(OutboxMessage) == 0  # dispatching a demo order queues nothing for a shop

    configure_shop(app, shop_url, fake_shop.key)
    report = run_round(app.config)
    assert not report.errors, report.errors
    # No "shipped", no tracking, for any order: the demo order's shipment stayed in the WMS.
    assert fake_shop.requests_to("order_histories", "POST") == []
    assert fake_shop.requests_to("order_carriers", "PUT") == []
    # Stock: the real product is pushed, the demo product (same shop id as SHOP-ONLY) never.
    pushed = {int(r.ident) for r in fake_shop.requests_to("stock_availables", "PUT")}
    twin_rows = {row["id"] for row in fake_shop.stock(demo_twin)}
    real_rows = {row["id"] for row in fake_shop.stock(real_product)}
    assert pushed & real_rows and not pushed & twin_rows
    # The real shop order is imported as its own order; its line is not matched to the demo product.
    imported = db.session.execute(select(Order).where(Order.ps_order_id == real_order)).scalar_one()
    assert imported.is_demo is False and imported.status is OrderStatus.ON_HOLD
    assert imported.lines[0].product_id is None
    assert fake_shop.stock(demo_twin)[0]["quantity"] == 49  # what the shop had after its own order


def test_a_demo_outbox_message_left_over_is_never_sent(app, fake_shop, shop_url, packing_setup):  # noqa: F811
    from wms.integrations.prestashop.outbox import enqueue

    s = packing_setup()
    s.order.is_demo = True
    enqueue("order_shipped", {"order_id": s.order.id, "tracking_number": "T1"}, dedupe_key="order_shipped:old")
    db.session.commit()
    configure_shop(app, shop_url, fake_shop.key)
    run_round(app.config, push_stock_now=False)
    message = db.session.execute(select(OutboxMessage)).scalar_one()
    assert message.status.name == "DEAD" and "demo order" in (message.last_error or "")
    assert fake_shop.requests_to("order_histories") == [] and fake_shop.requests_to("order_carriers") == []
