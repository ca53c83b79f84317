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


# ---------------------------------------------------------------- parcels, unpacking, shop messages

from tests.domain.test_shipping import _pack, picked_from_bins  # noqa: E402,F401 (fixture)


def test_desk_unpacks_a_shop_cancelled_order_then_cancels_it(client, login_as, picked_from_bins):
    from sqlalchemy import select

    from wms.domain.shipping import services as shipping
    from wms.domain.shipping.models import Parcel
    from wms.integrations.prestashop.models import OutboxMessage

    s = picked_from_bins
    s.carrier.tracking_url = "https://track.example/find?n=@&lang=en"
    shipment = _pack(s)
    dispatch = shipping.open_dispatch(s.carrier, s.operator)
    shipping.add_parcel(dispatch, shipment.parcels[0].code, s.operator)
    order_services.cancel_order(s.order, "The shop set state 6.", from_shop=True)
    order_id, parcel_id, bin_a, pack = s.order.id, shipment.parcels[0].id, s.bin_a, s.pack
    db.session.commit()

    login_as("supervisor")
    page = client.get(f"/desk/orders/{order_id}").get_data(as_text=True)
    assert "Unpack parcels" in page and f"/desk/orders/{order_id}/unpack" in page
    assert 'href="https://track.example/find?n=RX1000&amp;lang=en"' in page
    assert "BOX-M" in page and "2.2 kg" in page and dispatch.code in page
    refused = client.post(f"/desk/orders/{order_id}/cancel", data={"reason": "customer"})
    assert refused.status_code == 409 and "unpack the parcel first" in refused.get_data(as_text=True)

    assert client.post(f"/desk/orders/{order_id}/unpack").status_code == 302
    page = client.get(f"/desk/orders/{order_id}").get_data(as_text=True)
    assert "Unpack parcels" not in page and ">void<" in page and "Unpacked 3 units" in page
    again = client.post(f"/desk/orders/{order_id}/unpack")
    assert again.status_code == 409 and "no packed units" in again.get_data(as_text=True)
    assert client.post(f"/desk/orders/{order_id}/cancel", data={"reason": "customer"}).status_code == 302
    db.session.expire_all()
    assert db.session.get(Order, order_id).status is OrderStatus.CANCELLED
    assert db.session.get(Parcel, parcel_id).dispatch_id is None
    assert inventory.stock_at(s.a, bin_a).on_hand == 5 and inventory.stock_at(s.a, pack).on_hand == 0
    assert inventory.ledger_problems() == []
    assert db.session.execute(select(OutboxMessage)).scalars().all() == []


def test_api_unpacks_for_a_supervisor(client, login_as, picked_from_bins):
    s = picked_from_bins
    _pack(s)
    order_id = s.order.id
    db.session.commit()
    login_as("supervisor")
    body = client.post(f"/api/v1/orders/{order_id}/unpack").get_json()
    assert body["status"] == "PICKED" and body["events"][-1]["kind"] == "unpacked"
    assert [ln["quantity_packed"] for ln in body["lines"]] == [0, 0]
    again = client.post(f"/api/v1/orders/{order_id}/unpack")
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "not_unpackable"
    assert client.post("/api/v1/orders/999999/unpack").status_code == 404
    spec = client.get("/api/v1/openapi.json").get_json()
    assert "/api/v1/orders/{order_id}/unpack" in spec["paths"]


def test_order_page_lists_shop_messages_and_retries_a_dead_one(client, login_as, picked_from_bins):
    from datetime import timedelta

    from sqlalchemy import select

    from wms.db import utcnow
    from wms.domain.shipping import services as shipping
    from wms.integrations.prestashop.models import OutboxMessage, OutboxStatus
    from wms.integrations.prestashop.outbox import enqueue

    s = picked_from_bins
    shipment = _pack(s)
    dispatch = shipping.open_dispatch(s.carrier, s.operator)
    shipping.add_parcel(dispatch, shipment.parcels[0].code, s.operator)
    shipping.close_dispatch(dispatch, s.operator)
    message = db.session.execute(select(OutboxMessage)).scalar_one()
    message.status, message.attempts = OutboxStatus.DEAD, 8
    message.last_error = "ShopUnavailable: 503 from the shop"
    other = enqueue("order_shipped", {"order_id": s.order.id + 1000, "tracking_number": "Z"},
                    dedupe_key="order_shipped:other")
    order_id, message_id, other_id = s.order.id, message.id, other.id
    db.session.commit()

    login_as("supervisor")
    page = client.get(f"/desk/orders/{order_id}").get_data(as_text=True)
    assert "Messages to the shop" in page and "order_shipped" in page and "Dead" in page
    assert "ShopUnavailable: 503 from the shop" in page and "Retry now" in page
    assert f'data-message="{other_id}"' not in page  # another order's message
    assert client.get(f"/desk/orders/{order_id}/outbox/{message_id}/retry").status_code == 405
    assert client.post(f"/desk/orders/{order_id}/outbox/{other_id}/retry").status_code == 404
    before = utcnow()
    assert client.post(f"/desk/orders/{order_id}/outbox/{message_id}/retry").status_code == 302
    db.session.expire_all()
    retried = db.session.get(OutboxMessage, message_id)
    assert retried.status is OutboxStatus.PENDING and retried.attempts == 0
    assert before - timedelta(seconds=1) <= retried.next_attempt_at <= utcnow()
    page = client.get(f"/desk/orders/{order_id}").get_data(as_text=True)
    assert "Pending" in page and "Retry now" not in page  # due now: nothing to hurry

    retried.status, retried.done_at = OutboxStatus.DONE, utcnow()
    db.session.commit()
    done = client.post(f"/desk/orders/{order_id}/outbox/{message_id}/retry")
    assert done.status_code == 409 and "already done" in done.get_data(as_text=True)


def test_retry_button_shows_for_a_failed_message_waiting_for_its_next_attempt(client, login_as,
                                                                               picked_from_bins):
    from datetime import timedelta

    from wms.db import utcnow
    from wms.integrations.prestashop.outbox import enqueue

    s = picked_from_bins
    message = enqueue("order_shipped", {"order_id": s.order.id, "tracking_number": "RX1"},
                      dedupe_key="order_shipped:waiting")
    message.attempts, message.last_error = 2, "Timeout"
    message.next_attempt_at = utcnow() + timedelta(minutes=5)
    order_id = s.order.id
    db.session.commit()
    login_as("supervisor")
    page = client.get(f"/desk/orders/{order_id}").get_data(as_text=True)
    assert "Timeout" in page and "Retry now" in page
    login_as("operator")
    assert client.post(f"/desk/orders/{order_id}/outbox/{message.id}/retry").status_code == 403
