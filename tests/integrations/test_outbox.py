"""Test the outbox: de-duplication, the shipped push under faults, backoff, dead letters, concurrent workers."""
from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from tests.integrations.sync_helpers import client_for, configure_shop, mirror_catalog
from wms.db import db, utcnow
from wms.domain.orders.models import Order
from wms.domain.shipping.models import Carrier
from wms.errors import NotFound
from wms.integrations.prestashop import outbox
from wms.integrations.prestashop.models import OutboxMessage, OutboxStatus
from wms.integrations.prestashop.outbox import (
    dead_messages,
    enqueue,
    handle_order_shipped,
    process_outbox,
    retry_message,
)
from wms.integrations.prestashop.sync import import_orders


@pytest.fixture
def settings(app, fake_shop, shop_url):
    return configure_shop(app, shop_url, fake_shop.key)


@pytest.fixture
def clients(settings):
    """A client getter for the outbox, with a short read timeout for the hanging-answer fault."""
    client = client_for(settings, timeout=(2.0, 1.0))
    yield lambda shop: (settings, client)
    client.close()


@pytest.fixture
def imported(fake_shop, settings, clients):
    """Import three shop orders; return the WMS orders."""
    ids = [fake_shop.add_order() for _ in range(3)]
    mirror_catalog(fake_shop)
    import_orders(settings, clients("default")[1])
    return [db.session.execute(select(Order).where(Order.ps_order_id == i)).scalar_one() for i in ids]


def shipped_rows(fake_shop, ps_id: int) -> list[dict]:
    return [h for h in fake_shop.histories(ps_id) if h["id_order_state"] == 4]


def later(minutes: int = 120):
    return utcnow() + timedelta(minutes=minutes)


def test_enqueue_stores_one_message_per_dedupe_key(app):
    first = enqueue("fetch_order", {"shop": "default", "ps_order_id": 5}, dedupe_key="fetch_order:default:e1")
    again = enqueue("fetch_order", {"shop": "default", "ps_order_id": 5}, dedupe_key="fetch_order:default:e1")
    db.session.commit()
    assert first.id == again.id
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 1
    with pytest.raises(ValueError, match="unknown outbox message kind"):
        enqueue("order_teleported", {}, dedupe_key="x")
    with pytest.raises(ValueError, match="dedupe_key"):
        enqueue("fetch_order", {}, dedupe_key="")


def test_enqueue_is_rolled_back_with_the_callers_transaction(app):
    enqueue("fetch_order", {"shop": "default", "ps_order_id": 5}, dedupe_key="k1")
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 0


def test_shipped_push_reaches_the_shop_once_per_order_under_faults(app, fake_shop, clients, imported):
    carrier = db.session.execute(select(Carrier)).scalar_one()
    for n, order in enumerate(imported):
        enqueue("order_shipped", {"order_id": order.id, "tracking_number": f"TRK{n}", "carrier_id": carrier.id},
                dedupe_key=f"order_shipped:{n}")
    db.session.commit()
    faults = fake_shop.faults
    # Order 1: a PHP notice 500, then a 503, on the tracking PUT (the client retries PUT).
    faults.fail_next(1, 500, resource="order_carriers", method="PUT")
    faults.fail_next(1, 503, body='{"errors":[{"code":22,"message":"off"}]}',
                     content_type="application/json", resource="order_carriers", method="PUT")
    # Order 1's history POST: applied by the shop, but the connection dies before the answer.
    faults.apply_then_drop_next(1, resource="order_histories", method="POST")
    # Order 2's history POST: applied, the answer comes after the client gave up (timeout).
    faults.apply_then_drop_next(1, hang=1.5, resource="order_histories", method="POST")
    # Order 3's history POST: a 500 that did NOT apply; the message must be retried later.
    faults.fail_next(1, 500, resource="order_histories", method="POST")

    first = process_outbox(clients)
    assert (first.done, first.retried, first.dead) == (2, 1, 0)
    waiting = db.session.execute(select(OutboxMessage).where(OutboxMessage.status == OutboxStatus.PENDING)).scalar_one()
    assert waiting.attempts == 1 and "ShopWriteUncertain" in waiting.last_error
    assert waiting.next_attempt_at > utcnow()
    # Not due yet: nothing happens now.
    assert process_outbox(clients).done == 0
    second = process_outbox(clients, now=later())
    assert second.done == 1

    for n, order in enumerate(imported):
        assert len(shipped_rows(fake_shop, order.ps_order_id)) == 1, n
        assert fake_shop.order(order.ps_order_id)["current_state"] == 4
        assert [r["tracking_number"] for r in fake_shop.order_carriers_of(order.ps_order_id)] == [f"TRK{n}"]
        assert [e.template for e in fake_shop.emails_for(order.ps_order_id)].count("in_transit") == 1
        assert any(e.kind == "pushed" for e in order.events)
    assert fake_shop.faults.pending == 0
    # Processing again (e.g. a second worker) sends nothing more.
    posts = len(fake_shop.requests_to("order_histories", "POST"))
    process_outbox(clients, now=later(600))
    assert len(fake_shop.requests_to("order_histories", "POST")) == posts


def test_a_worker_crash_after_the_shop_applied_does_not_post_twice(app, fake_shop, clients, imported):
    order = imported[0]
    enqueue("order_shipped", {"order_id": order.id, "tracking_number": "TRK-X", "carrier_id": None},
            dedupe_key="order_shipped:crash")
    db.session.commit()
    # The handler ran to the end against the shop, then the worker died before its commit.
    handle_order_shipped({"order_id": order.id, "tracking_number": "TRK-X"}, clients)
    db.session.rollback()
    assert db.session.execute(select(OutboxMessage)).scalar_one().status == OutboxStatus.PENDING

    assert process_outbox(clients).done == 1
    assert len(shipped_rows(fake_shop, order.ps_order_id)) == 1
    assert len(fake_shop.requests_to("order_carriers", "PUT")) == 1


def test_order_already_shipped_in_the_shop_gets_no_second_shipped_row(app, fake_shop, clients, imported):
    order = imported[0]
    fake_shop.set_order_state(order.ps_order_id, 5)  # delivered counts as shipped
    enqueue("order_shipped", {"order_id": order.id, "tracking_number": "T1"}, dedupe_key="s:1")
    db.session.commit()
    assert process_outbox(clients).done == 1
    assert fake_shop.requests_to("order_histories", "POST") == []


def test_failures_back_off_then_go_dead_and_a_supervisor_can_retry(app, fake_shop, clients, imported):
    app.config["PRESTASHOP_OUTBOX_MAX_ATTEMPTS"] = 3
    order = imported[0]
    enqueue("order_shipped", {"order_id": order.id, "tracking_number": "T9"}, dedupe_key="s:9")
    db.session.commit()
    fake_shop.webservice_enabled = False  # every call answers 503

    waits = []
    for step in range(3):
        result = process_outbox(clients, now=later(60 * 24 * (step + 1)))
        message = db.session.execute(select(OutboxMessage)).scalar_one()
        waits.append(message.next_attempt_at)
    assert result.dead == 1 and message.status == OutboxStatus.DEAD and message.attempts == 3
    assert "ShopUnavailable" in message.last_error
    assert [m.id for m in dead_messages()] == [message.id]
    assert outbox.backoff_delay(1) < outbox.backoff_delay(2) < outbox.backoff_delay(3)

    fake_shop.webservice_enabled = True
    retry_message(message.id)
    db.session.commit()
    assert process_outbox(clients).done == 1
    assert dead_messages() == []
    assert len(shipped_rows(fake_shop, order.ps_order_id)) == 1
    with pytest.raises(NotFound):
        retry_message(999_999)


def test_a_message_for_an_unknown_order_is_dead_at_once(app, clients):
    enqueue("order_shipped", {"order_id": 424242, "tracking_number": "T"}, dedupe_key="s:ghost")
    db.session.commit()
    result = process_outbox(clients)
    assert result.dead == 1 and "does not exist" in result.errors[0]


@pytest.mark.postgresql
def test_two_workers_never_process_the_same_message(app, monkeypatch):
    seen: list[int] = []
    lock = threading.Lock()

    def probe(payload, get_client):
        with lock:
            seen.append(payload["n"])
        time.sleep(0.005)  # hold the row lock long enough for the other worker to collide

    monkeypatch.setitem(outbox.HANDLERS, "probe", probe)
    for n in range(60):
        enqueue("probe", {"n": n}, dedupe_key=f"probe:{n}")
    db.session.commit()

    errors = []

    def worker():
        try:
            with app.app_context():
                process_outbox(lambda shop: None)
                db.session.remove()
        except Exception as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors
    assert sorted(seen) == list(range(60))  # each exactly once
    db.session.expire_all()
    done = db.session.scalar(select(func.count()).select_from(OutboxMessage)
                             .where(OutboxMessage.status == OutboxStatus.DONE))
    assert done == 60
