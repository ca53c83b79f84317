"""PrestaShop merchandise returns: read through the webservice or the module's callback, and the
shop told once (return state + order note) when the warehouse received the parcel."""
from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from tests.fakeshop import FakeShop, serve
from tests.integrations.sync_helpers import client_for, configure_shop, mirror_catalog
from wms.db import db, utcnow
from wms.domain.inventory.services import ledger_problems
from wms.domain.locations.models import LocationKind
from wms.domain.orders.models import Order, OrderStatus
from wms.domain.returns import services as returns
from wms.domain.returns.models import CustomerReturn, ReturnStatus
from wms.integrations.prestashop.models import OutboxMessage
from wms.integrations.prestashop.outbox import process_outbox
from wms.integrations.prestashop.returns import import_returns
from wms.integrations.prestashop.sync import import_orders
from wms.integrations.prestashop.webhooks import CallbackEvent, encode_event, signed_headers, verify
from tests.integrations.sync_helpers import CALLBACK_SECRET

URL = "/webhooks/prestashop/default"


@pytest.fixture
def shop():
    return FakeShop()


@pytest.fixture
def settings(app, shop):
    with serve(shop) as url:
        yield configure_shop(app, url, shop.key)


@pytest.fixture
def clients(settings):
    client = client_for(settings)
    yield lambda name: (settings, client)
    client.close()


@pytest.fixture
def shipped(app, shop, settings, clients, make_location, make_user):
    """A shop order of 2 + 1 units, imported and shipped; returns and quarantine locations."""
    a = shop.add_product(reference="TSHIRT-M", ean13="3760000000017", name="T-shirt", price="20", quantity=50)
    b = shop.add_product(reference="CAP-1", ean13="3760000000024", name="Cap", price="10", quantity=50)
    ps_id = shop.add_order(lines=[{"product_id": a, "quantity": 2}, {"product_id": b, "quantity": 1}])
    mirror_catalog(shop)
    import_orders(settings, clients("default")[1])
    order = db.session.execute(select(Order).where(Order.ps_order_id == ps_id)).scalar_one()
    order.status = OrderStatus.SHIPPED
    for line in order.lines:
        line.quantity_shipped = line.quantity
    make_location("RETN-01", kind=LocationKind.RETURNS)
    make_location("QUAR-01", kind=LocationKind.QUARANTINE)
    user = make_user("operator")
    db.session.commit()
    details = [row["id"] for row in shop.order(ps_id)["associations"]["order_rows"]]
    return order, ps_id, details, user


def _receive(user, ret, keys):
    returns.scan(user, ret.code)
    for barcode, key in keys:
        returns.scan(user, barcode)
        returns.scan(user, key)
    returns.close(user)
    db.session.commit()


def test_webservice_return_is_read_received_and_the_shop_told_once(app, shop, settings, clients, shipped):
    order, ps_id, details, user = shipped
    ps_return = shop.add_order_return(ps_id, [(details[0], 2)], state=2, question="Too small")
    changed, errors = import_returns(settings, clients("default")[1])
    assert (changed, errors) == (1, [])
    ret = db.session.execute(select(CustomerReturn)).scalar_one()
    assert ret.source == "shop" and ret.ps_return_id == ps_return and ret.reason == "Too small"
    assert [(ln.sku, ln.announced) for ln in ret.lines] == [("TSHIRT-M", 2), ("CAP-1", 0)]
    # Reading again changes nothing.
    assert import_returns(settings, clients("default")[1]) == (0, [])

    _receive(user, ret, [("3760000000017", "1"), ("3760000000017", "2")])
    assert ret.status is ReturnStatus.RECEIVED and ret.discrepancy is None
    assert ledger_problems() == []
    # The sellable unit joins the stock pushed to the shop; the damaged one (quarantine) does not.
    from wms.integrations.prestashop.sync import push_stock
    push_stock(settings, clients("default")[1], full=True)
    db.session.commit()
    product_id = shop.tables["orders"][ps_id]["associations"]["order_rows"][0]["product_id"]
    assert [row["quantity"] for row in shop.stock(product_id)] == [1]
    message = db.session.execute(select(OutboxMessage).where(OutboxMessage.kind == "return_received")).scalar_one()
    # The note POST fails once (a 500 that did not apply): retried later, sent once.
    shop.faults.fail_next(1, 500, resource="messages", method="POST")
    first = process_outbox(clients)
    assert first.retried == 1
    second = process_outbox(clients, now=utcnow() + timedelta(hours=2))
    assert second.done == 1, second.errors
    assert shop.tables["order_returns"][ps_return]["state"] == 3
    notes = shop.messages_of(ps_id)
    assert len(notes) == 1 and notes[0]["private"] in (1, True)
    assert "TSHIRT-M × 1 sellable" in notes[0]["message"] and "TSHIRT-M × 1 damaged" in notes[0]["message"]
    # Running the job again (a worker crashed before its commit) writes nothing twice.
    puts = len(shop.requests_to("order_returns", "PUT"))
    from wms.integrations.prestashop.returns import push_return_received
    push_return_received({"return_id": ret.id}, clients)
    assert len(shop.messages_of(ps_id)) == 1 and len(shop.requests_to("order_returns", "PUT")) == puts
    db.session.refresh(message)
    assert message.status.name == "DONE"
    # Waiting for the refund until the merchant completes the return in the shop.
    assert returns.waiting_for_refund() == [ret]
    shop.set_return_state(ps_return, 5)
    import_returns(settings, clients("default")[1])
    db.session.commit()
    assert ret.refunded_at is not None and returns.waiting_for_refund() == []


def _callback(ps_id, ps_return, state, details, event_id=None):
    event = CallbackEvent(event_id=event_id or str(uuid.uuid4()), event="order_return.changed", order_id=ps_id,
                          old_state=None, new_state=state, occurred_at=datetime.now(UTC).replace(microsecond=0),
                          shop_id=1, return_id=ps_return, details=tuple(details))
    body = encode_event(event)
    return body, signed_headers(CALLBACK_SECRET, event.event_id, int(time.time()), body)


def test_callback_return_works_when_the_webservice_does_not_expose_returns(app, client, shop, settings, clients,
                                                                           shipped):
    order, ps_id, details, user = shipped
    shop.hidden_resources = {"order_returns"}
    ps_return = shop.add_order_return(ps_id, [(details[1], 1)], state=1)
    assert import_returns(settings, clients("default")[1]) == (0, [])  # not exposed: nothing read
    body, headers = _callback(ps_id, ps_return, 1, [(details[1], 1)])
    response = client.post(URL, data=body, headers=headers)
    assert response.status_code == 202, response.get_json()
    again = client.post(URL, data=body, headers=headers)
    assert again.get_json()["status"] == "duplicate"
    assert process_outbox(clients).done == 1
    ret = db.session.execute(select(CustomerReturn)).scalar_one()
    assert [(ln.sku, ln.announced) for ln in ret.lines] == [("TSHIRT-M", 0), ("CAP-1", 1)]

    _receive(user, ret, [("3760000000024", "3")])
    result = process_outbox(clients)
    assert result.done == 1, result.errors
    assert any(e.kind == "push_warning" and "order_returns" in e.message for e in ret.order.events)
    assert ["CAP-1 × 1 opened / incomplete" in m["message"] for m in shop.messages_of(ps_id)] == [True]
    # The shop denies a return that was never received: a later callback cancels it.
    other = shop.add_order_return(ps_id, [(details[0], 1)], state=1)
    body, headers = _callback(ps_id, other, 1, [(details[0], 1)])
    assert client.post(URL, data=body, headers=headers).status_code == 202
    body, headers = _callback(ps_id, other, 4, [(details[0], 1)])
    assert client.post(URL, data=body, headers=headers).status_code == 202
    assert process_outbox(clients).done == 2
    denied = db.session.execute(select(CustomerReturn).where(CustomerReturn.ps_return_id == other)).scalar_one()
    assert denied.status is ReturnStatus.CANCELLED


@pytest.mark.parametrize("mutate", [
    lambda p: p.pop("id_order_return"),
    lambda p: p.update(details=[{"id_order_detail": "5", "product_quantity": 1}]),
    lambda p: p.update(details="all of them"),
    lambda p: p.update(new_state=None),
])
def test_malformed_return_callbacks_are_refused(app, client, settings, mutate):
    import json

    body, _ = _callback(7, 3, 1, [(1001, 1)])
    payload = json.loads(body)
    mutate(payload)
    raw = json.dumps(payload).encode()
    headers = signed_headers(CALLBACK_SECRET, payload["event_id"], int(time.time()), raw)
    response = client.post(URL, data=raw, headers=headers)
    assert response.status_code == 400, response.get_json()
    assert db.session.execute(select(OutboxMessage)).first() is None


def test_return_callback_body_round_trips(app):
    body, headers = _callback(7, 3, 2, [(1001, 2)])
    event = verify(CALLBACK_SECRET, headers, body)
    assert (event.return_id, event.new_state, event.details) == (3, 2, ((1001, 2),))
