"""Scaling out: two app servers and two sync workers on one PostgreSQL, against the fake shop.

The shop module's callbacks for every order reach both app servers (each schedules a fetch),
the two workers import and push at the same time, and in the end every order is imported
once, "shipped" reaches the shop once per order, and the ledger balances.
"""
from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime

import pytest
import requests
from sqlalchemy import func, select

from tests.conftest import free_port
from tests.integrations.sync_helpers import CALLBACK_SECRET, mirror_catalog
from tests.test_install import wait_for_line
from wms.db import db
from wms.domain.inventory import services as inventory
from wms.domain.locations.models import LocationKind
from wms.domain.orders.models import Order
from wms.integrations.prestashop.models import OutboxMessage, OutboxStatus
from wms.integrations.prestashop.outbox import enqueue
from wms.integrations.prestashop.webhooks import CallbackEvent, encode_event, signed_headers

pytestmark = [pytest.mark.slow, pytest.mark.postgresql]
WMS = [sys.executable, "-c", "from wms.cli import main; main()"]
ORDERS = 30
METRICS_TOKEN = "scale-out-metrics-token"


def wait_until(check, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        db.session.rollback()
        if check():
            return
        time.sleep(0.3)
    raise AssertionError(f"timed out waiting for {what}")


def test_two_apps_and_two_workers_share_one_postgresql(app, db_url, fake_shop, shop_url, make_location, tmp_path):
    shop_ids = fake_shop.generate_orders(ORDERS, seed=17)
    products = mirror_catalog(fake_shop)
    bins = [make_location(f"A-01-{n:02d}-1", kind=LocationKind.PICK_FACE) for n in range(1, 5)]
    for n, product in enumerate(products.values()):
        inventory.receive(product, bins[n % len(bins)], 40)
    db.session.commit()

    env = {k: v for k, v in os.environ.items() if not k.startswith("WMS_")}
    env.update(WMS_DATABASE_URL=db_url, WMS_SECRET_KEY="scale-out", WMS_INSTANCE_PATH=str(tmp_path),
               WMS_PRESTASHOP_URL=shop_url, WMS_PRESTASHOP_KEY=fake_shop.key,
               WMS_PRESTASHOP_CALLBACK_SECRET=CALLBACK_SECRET, WMS_PRESTASHOP_BACKOFF_BASE="0.001",
               WMS_METRICS_TOKEN=METRICS_TOKEN)
    processes, ports = [], []
    try:
        for _ in range(2):
            port = free_port()
            server = subprocess.Popen(WMS + ["serve", "--port", str(port), "--workers", "2", "--threads", "4"],
                                      env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            processes.append(server)
            assert "listening" in wait_for_line(server, "listening"), "an app server did not start"
            ports.append(port)
        for _ in range(2):
            processes.append(subprocess.Popen(WMS + ["worker", "--interval", "0.5"], env=env,
                                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True))

        # The shop module calls back for every order; each call reaches both app servers.
        for ps_id in shop_ids:
            for port in ports:
                event = CallbackEvent(event_id=str(uuid.uuid4()), event="order.status_changed", order_id=ps_id,
                                      old_state=1, new_state=2, occurred_at=datetime.now(UTC).replace(microsecond=0),
                                      shop_id=1)
                body = encode_event(event)
                answer = requests.post(f"http://127.0.0.1:{port}/webhooks/prestashop/default", data=body,
                                       headers=signed_headers(CALLBACK_SECRET, event.event_id, int(time.time()), body),
                                       timeout=30)
                assert answer.status_code == 202, answer.text

        wait_until(lambda: db.session.scalar(select(func.count()).select_from(Order)) >= ORDERS, 180,
                   "every shop order to be imported")
        # Dispatch tells the shop, through the outbox, as closing a dispatch does.
        for order in db.session.execute(select(Order).order_by(Order.id)).scalars():
            enqueue("order_shipped", {"order_id": order.id, "tracking_number": f"TRK{order.ps_order_id}"},
                    dedupe_key=f"order_shipped:test-{order.id}")
        db.session.commit()
        wait_until(lambda: not db.session.scalar(select(func.count()).select_from(OutboxMessage).where(
            OutboxMessage.status == OutboxStatus.PENDING)), 180, "the outbox to empty")

        for port in ports:
            assert requests.get(f"http://127.0.0.1:{port}/healthz", timeout=10).status_code == 200
            metrics = requests.get(f"http://127.0.0.1:{port}/metrics", timeout=10,
                                   headers={"Authorization": f"Bearer {METRICS_TOKEN}"})
            assert metrics.status_code == 200 and 'wms_outbox_messages{status="pending"} 0.0' in metrics.text
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()

    db.session.rollback()
    orders = db.session.execute(select(Order)).scalars().all()
    # Imported exactly once each (the two fetches per order and the polling all met).
    assert sorted(o.ps_order_id for o in orders) == sorted(shop_ids)
    # Pushed exactly once each: one Shipped row per order in the shop, one POST per order.
    for ps_id in shop_ids:
        assert [h["id_order_state"] for h in fake_shop.histories(ps_id)].count(4) == 1, ps_id
    assert len(fake_shop.requests_to("order_histories", "POST")) == ORDERS
    assert not db.session.scalar(select(func.count()).select_from(OutboxMessage).where(
        OutboxMessage.status == OutboxStatus.DEAD))
    assert inventory.ledger_problems() == []
    from wms.domain.inventory.models import StockLevel

    # Nothing moved stock but the initial load: every product still holds its 40 units.
    assert db.session.scalar(select(func.sum(StockLevel.on_hand))) == 40 * len(products)
