"""Outgoing webhooks: signed, at least once, in order per object, retries with backoff, dead
letters with "send again", derived events (stock.changed, order.short), and no lock held while a
slow receiver answers."""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time

import pytest
from sqlalchemy import select

from tests.webhook_receiver import Receiver
from wms.db import db
from wms.domain.inventory import services as inventory
from wms.domain.locations.models import LocationKind
from wms.domain.orders.models import Order, OrderLine, record_event
from wms.domain.receiving import services as receiving
from wms.domain.receiving.models import Receipt, ReceiptLine
from wms.integrations.prestashop.models import OutboxMessage, OutboxStatus
from wms.integrations.prestashop.outbox import ClientPool, dead_messages, process_outbox, retry_message
from wms.integrations.webhooks import events as ev
from wms.integrations.webhooks.services import derive_events, emit, register_endpoint, update_endpoint

SECRET = "webhook-secret-for-tests-0123456789abcdef"


@pytest.fixture
def fast(app):
    """No backoff, no debounce: every pass of the worker retries what is due."""
    app.config.update(WEBHOOK_BACKOFF_S=0, WEBHOOK_STOCK_DEBOUNCE_S=0, WEBHOOK_SETTLE_S=0, WEBHOOK_TIMEOUT_S=5)
    return app


def drain(app, passes: int = 20) -> int:
    """Run worker passes until nothing is pending; return how many passes it took."""
    pool = ClientPool(app.config)
    try:
        for n in range(1, passes + 1):
            derive_events()
            process_outbox(pool)
            pending = db.session.execute(select(OutboxMessage).where(
                OutboxMessage.status == OutboxStatus.PENDING)).scalars().all()
            if not pending:
                return n
    finally:
        pool.close()
    raise AssertionError("the outbox never emptied")


def verify(headers: dict, body: bytes, secret: str = SECRET) -> dict:
    """What a receiver does (docs/webhooks.md): check the signature, then read the body."""
    lower = {k.lower(): v for k, v in headers.items()}
    signed = lower["webhook-timestamp"].encode() + b"." + body
    expected = base64.b64encode(hmac.new(secret.encode(), signed, hashlib.sha256).digest()).decode()
    assert any(hmac.compare_digest(f"v1,{expected}", s) for s in lower["webhook-signature"].split())
    assert abs(int(lower["webhook-timestamp"]) - time.time()) < 300
    payload = json.loads(body)
    assert lower["webhook-id"] == payload["event_id"] and lower["webhook-event"] == payload["event"]
    return payload


@pytest.fixture
def floor(app, make_product, make_location, make_user):
    a, b = make_product("SKU-A"), make_product("SKU-B")
    bin_ = make_location("A-01-01-1", kind=LocationKind.STORAGE)
    dock = make_location("DOCK-01", kind=LocationKind.RECEIVING)
    user = make_user("supervisor")
    db.session.commit()
    return type("Floor", (), dict(a=a, b=b, bin=bin_, dock=dock, user=user))


def test_a_receiver_failing_three_times_gets_each_event_once_in_order(fast, floor):
    with Receiver(fail_first=3) as receiver:
        endpoint = register_endpoint(receiver.url, [ev.STOCK_CHANGED, ev.RECEIPT_CLOSED], secret=SECRET)
        db.session.commit()
        inventory.receive(floor.a, floor.bin, 5)
        inventory.receive(floor.a, floor.bin, 1)  # the same product twice: one event (batched)
        db.session.commit()
        derive_events()
        inventory.receive(floor.a, floor.bin, 2)
        inventory.receive(floor.b, floor.bin, 3)
        db.session.commit()
        derive_events()
        receipt = Receipt(supplier="Acme", lines=[ReceiptLine(product_id=floor.a.id, expected=4)])
        db.session.add(receipt)
        db.session.flush()
        receiving.receive_units(receipt, floor.a, 4, user=floor.user, tolerance_pct=0)
        receiving.close_receipt(receipt, user=floor.user)  # receipt.closed, in this transaction
        db.session.commit()
        drain(fast)

    messages = db.session.execute(select(OutboxMessage).order_by(OutboxMessage.id)).scalars().all()
    assert messages and all(m.status is OutboxStatus.DONE for m in messages)
    assert len(receiver.attempts) == len(messages) + 3  # three refusals, then each once
    got = [verify(h, b) for h, b in receiver.accepted]
    assert len({e["event_id"] for e in got}) == len(got) == len(messages)
    stock_a = [e["data"] for e in got if e["event"] == ev.STOCK_CHANGED and e["data"]["sku"] == "SKU-A"]
    # In order per product: the totals as they grew, never an older one after a newer one.
    assert [d["on_hand"] for d in stock_a] == [6, 8, 12]
    assert [d["last_move_id"] for d in stock_a] == sorted(d["last_move_id"] for d in stock_a)
    closed = next(e for e in got if e["event"] == ev.RECEIPT_CLOSED)["data"]
    assert (closed["code"], closed["status"], closed["lines"]) == (
        receipt.code, "RECEIVED", [{"sku": "SKU-A", "expected": 4, "received": 4}])
    assert next(e for e in got if e["data"].get("sku") == "SKU-B")["data"]["warehouses"] == [
        {"warehouse": "WH1", "on_hand": 3, "reserved": 0, "available": 3}]
    # Three failed attempts in all, then each message once; no error left behind.
    assert sum(m.attempts for m in messages) == len(messages) + 3
    assert all(m.last_error is None for m in messages)
    assert endpoint.id and all(m.ordering_key.startswith(f"webhook:{endpoint.id}:") for m in messages)


def test_events_of_one_object_wait_for_the_older_one(fast, floor):
    with Receiver(fail_first=2) as receiver:
        endpoint = register_endpoint(receiver.url, [ev.ORDER_SHIPPED, ev.RECEIPT_CLOSED], secret=SECRET)
        for n in range(3):
            emit(ev.RECEIPT_CLOSED, "receipt:1", f"test:{n}", {"n": n})
        emit(ev.RECEIPT_CLOSED, "receipt:2", "test:other", {"n": 99})
        emit(ev.RECEIPT_CLOSED, "receipt:1", "test:0", {"n": 0})  # the same event again: stored once
        db.session.commit()
        pool = ClientPool(fast.config)
        first_pass = process_outbox(pool)
        # receipt:1's first message failed; its followers waited, receipt:2 went (after one failure).
        assert first_pass.retried == 2 and first_pass.done == 0
        drain(fast)
    assert [json.loads(b)["data"]["n"] for _, b in receiver.accepted if b"99" not in b] == [0, 1, 2]
    assert len(receiver.accepted) == 4
    assert endpoint.active


def test_an_always_failing_receiver_ends_in_dead_letters_and_can_be_sent_again(fast, floor, client, login_as):
    fast.config.update(WEBHOOK_MAX_ATTEMPTS=3)
    with Receiver(always_fail=True) as receiver:
        register_endpoint(receiver.url, list(ev.EVENTS), secret=SECRET)
        db.session.commit()
        inventory.receive(floor.a, floor.bin, 5)
        order = Order(reference="B2B-1", channel="b2b", external_ref="B2B-1",
                      lines=[OrderLine(line_no=1, product_id=floor.b.id, sku="SKU-B", name="B", quantity=2)])
        db.session.add(order)
        db.session.flush()
        record_event(order, "picked_short", "PL-1 done; short: SKU-B 0 of 2.")  # as a pick list ends short
        db.session.commit()
        drain(fast)
        dead = dead_messages()
        assert sorted(json.loads(m.payload_json)["event"] for m in dead) == [ev.ORDER_SHORT, ev.STOCK_CHANGED]
        assert all(m.attempts == 3 and "answered 500" in m.last_error for m in dead)
        assert len(receiver.attempts) == 6
        short = json.loads(json.loads(next(m for m in dead if "order.short" in m.payload_json).payload_json)["body"])
        assert short["data"]["lines"] == [{"line_no": 1, "sku": "SKU-B", "quantity": 2, "picked": 0, "short": 2}]
        assert short["data"]["channel"] == "b2b"

        # The desk lists them with "send again"; the API too.
        login_as("supervisor")
        page = client.get("/desk/webhooks").get_data(as_text=True)
        assert "order.short" in page and "Send again" in page and receiver.url in page
        assert "stock.changed" in client.get("/desk/exceptions").get_data(as_text=True)
        listed = client.get("/api/v1/webhooks/deliveries?status=DEAD").get_json()["items"]
        assert {d["event"] for d in listed} == {ev.ORDER_SHORT, ev.STOCK_CHANGED}
        receiver.always_fail = False
        assert client.post(f"/api/v1/webhooks/deliveries/{dead[0].id}/retry").status_code == 200
        assert client.post(f"/desk/webhooks/deliveries/{dead[1].id}/retry").status_code == 302
        assert client.post("/api/v1/webhooks/deliveries/999999/retry").status_code == 404
        drain(fast)
        assert len(receiver.accepted) == 2 and dead_messages() == []


def test_a_disabled_endpoint_gets_nothing_new_and_its_queue_goes_dead(fast, floor):
    with Receiver() as receiver:
        endpoint = register_endpoint(receiver.url, [ev.RECEIPT_CLOSED], secret=SECRET)
        emit(ev.RECEIPT_CLOSED, "receipt:1", "t:1", {})
        update_endpoint(endpoint, active=False)
        assert emit(ev.RECEIPT_CLOSED, "receipt:1", "t:2", {}) == 0
        db.session.commit()
        drain(fast)
    assert receiver.attempts == []
    assert "disabled" in dead_messages()[0].last_error


def test_a_slow_failing_receiver_holds_no_lock_while_it_answers(fast, floor):
    """The worker commits before the call: a scan's write goes through while the receiver sleeps."""
    with Receiver(always_fail=True, delay_s=2.0) as receiver:
        register_endpoint(receiver.url, [ev.RECEIPT_CLOSED], secret=SECRET)
        emit(ev.RECEIPT_CLOSED, "receipt:1", "t:slow", {})
        db.session.commit()

        def worker():
            with fast.app_context():
                pool = ClientPool(fast.config)
                process_outbox(pool)
                pool.close()
                db.session.remove()

        thread = threading.Thread(target=worker)
        thread.start()
        deadline = time.monotonic() + 5
        while not receiver.server_busy() and time.monotonic() < deadline:
            time.sleep(0.02)
        started = time.monotonic()
        inventory.receive(floor.a, floor.bin, 1)  # a write, as a scan makes
        db.session.commit()
        took = time.monotonic() - started
        thread.join()
    assert took < 1.0, f"a write waited {took:.2f} s for the webhook worker"
    message = db.session.execute(select(OutboxMessage)).scalar_one()
    db.session.refresh(message)
    assert message.status is OutboxStatus.PENDING and message.attempts == 1 and "500" in message.last_error


def test_endpoints_refuse_bad_settings(app):
    from wms.errors import DomainError

    for url, events, secret in (("ftp://x", [ev.ORDER_SHIPPED], None), ("https://erp.example/h", [], None),
                                ("https://erp.example/h", ["order.lost"], None),
                                ("https://erp.example/h", [ev.ORDER_SHIPPED], "short")):
        with pytest.raises(DomainError):
            register_endpoint(url, events, secret=secret)
    endpoint = register_endpoint("https://erp.example/h", [ev.RETURN_RECEIVED])
    assert len(endpoint.secret) == 64 and endpoint.events == [ev.RETURN_RECEIVED]
    _ = retry_message
