"""Desk orders: list and search, the order page with its history, hold/release/cancel."""
import pytest

from wms.db import db
from wms.domain.inventory import services as inventory
from wms.domain.inventory.models import StockLevel
from wms.domain.orders import services as order_services
from wms.domain.orders.models import Order, OrderLine, OrderStatus, record_event
from wms.errors import Conflict, DomainError


@pytest.fixture
def order(make_product, make_location):
    product = make_product("SKU-9")
    loc = make_location("A-01-01-1")
    inventory.receive(product, loc, 10)
    order = Order(reference="WEB-1001", customer_name="Ada Lovelace", ship_name="Ada Lovelace",
                  lines=[OrderLine(line_no=1, sku="SKU-9", name="Thing", quantity=2, product_id=product.id)])
    db.session.add(order)
    db.session.flush()
    record_event(order, "imported", "Imported from the shop.")
    db.session.commit()
    return order


def test_hold_release_cancel_services(order, make_user):
    sup = make_user("supervisor")
    with pytest.raises(DomainError, match="Say why"):
        order_services.hold_order(order, " ", sup)
    order_services.hold_order(order, "customer asked to wait", sup)
    assert order.status is OrderStatus.ON_HOLD and order.hold_reason == "customer asked to wait"
    with pytest.raises(Conflict, match="already on hold"):
        order_services.hold_order(order, "again", sup)
    order_services.release_order(order, sup)
    assert order.status is OrderStatus.NEW and order.hold_reason is None
    order_services.cancel_order(order, "customer cancelled", sup)
    assert order.status is OrderStatus.CANCELLED
    with pytest.raises(Conflict, match="cannot be cancelled"):
        order_services.cancel_order(order, "twice", sup)
    assert [e.kind for e in order.events] == ["imported", "held", "released", "cancelled"]


def test_cancel_releases_reservations(order, make_user):
    allocation = pytest.importorskip("wms.domain.picking.allocation")
    allocation.allocate_orders([order.id])
    level = db.session.query(StockLevel).filter_by(product_id=order.lines[0].product_id).one()
    assert order.lines[0].quantity_allocated == 2 and level.reserved == 2
    order_services.cancel_order(order, "fraud", make_user("supervisor"))
    assert order.lines[0].quantity_allocated == 0
    db.session.refresh(level)
    assert level.reserved == 0 and level.on_hand == 10


def test_release_refuses_unknown_skus(order, make_user):
    sup = make_user("supervisor")
    order.lines.append(OrderLine(line_no=2, sku="NOPE-1", name="Mystery", quantity=1))
    order_services.hold_order(order, "unknown product", sup)
    with pytest.raises(DomainError, match="NOPE-1"):
        order_services.release_order(order, sup)


def test_search(order):
    assert db.session.execute(order_services.search_orders("WEB-10")).scalars().all() == [order]
    assert db.session.execute(order_services.search_orders(order.code)).scalars().all() == [order]
    assert db.session.execute(order_services.search_orders("SKU-9")).scalars().all() == [order]
    assert db.session.execute(order_services.search_orders("zzz")).scalars().all() == []
    assert db.session.execute(order_services.search_orders("", OrderStatus.SHIPPED)).scalars().all() == []


def test_order_pages_and_actions(client, login_as, order):
    login_as("supervisor")
    page = client.get("/desk/orders?q=Ada").get_data(as_text=True)
    assert order.code in page
    page = client.get(f"/desk/orders/{order.id}").get_data(as_text=True)
    assert "Imported from the shop." in page and "WEB-1001" in page
    response = client.post(f"/desk/orders/{order.id}/hold", data={"reason": ""})
    assert response.status_code == 422
    assert "Say why" in response.get_data(as_text=True)
    response = client.post(f"/desk/orders/{order.id}/hold", data={"reason": "address check"})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Order, order.id).status is OrderStatus.ON_HOLD
    page = client.get(f"/desk/orders/{order.id}").get_data(as_text=True)
    assert "On hold: address check" in page and "Held: address check" in page
    assert client.post(f"/desk/orders/{order.id}/release").status_code == 302
    assert client.post(f"/desk/orders/{order.id}/cancel", data={"reason": "dup"}).status_code == 302
    db.session.expire_all()
    assert db.session.get(Order, order.id).status is OrderStatus.CANCELLED
    assert client.get("/desk/orders/99999").status_code == 404
