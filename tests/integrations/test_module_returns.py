"""The shop module's merchandise-return callbacks: built by the PHP module, accepted by the warehouse."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from tests.fakeshop import FakeShop, serve
from tests.integrations.sync_helpers import client_for, configure_shop, mirror_catalog
from tests.integrations.test_callback_signature import NOW, SECRET, Recorder, needs_php, run_php
from wms.db import db
from wms.domain.orders.models import Order, OrderStatus
from wms.domain.returns.models import CustomerReturn
from wms.integrations.prestashop.outbox import process_outbox
from wms.integrations.prestashop.sync import import_orders
from wms.integrations.prestashop.webhooks import verify


@pytest.fixture
def recorder():
    server = Recorder([204, 204, 204])
    yield server
    server.close()


@needs_php
def test_the_module_sends_one_return_event_per_change_with_its_rows(recorder):
    result = json.loads(run_php("run_return_hooks.php", {"url": recorder.url, "secret": SECRET}).stdout)
    assert result["log"] == []
    events = [verify(SECRET, headers, body) for headers, body in recorder.requests]
    # Created and saved again in one request: one event, with the rows added after the return.
    assert [(e.event, e.order_id, e.return_id, e.new_state, e.details) for e in events] == [
        ("order_return.changed", 101, 7, 1, ((101001, 2), (101002, 1))),
        ("order_return.changed", 101, 7, 2, ((101001, 2), (101002, 1))),
    ]


@needs_php
def test_the_module_refuses_a_return_without_state_or_with_bad_rows():
    base = {"secret": SECRET, "timestamp": NOW, "event": "order_return.changed", "id_order": 42,
            "id_order_return": 5, "old_state": None, "new_state": 1, "occurred_at": NOW, "shop_id": 1,
            "details": [{"id_order_detail": 1, "product_quantity": 1}]}
    ok = run_php("emit_callback.php", base)
    assert ok.returncode == 0
    for bad in ({"new_state": None}, {"details": [{"id_order_detail": 0, "product_quantity": 1}]},
                {"id_order_return": "x"}):
        refused = run_php("emit_callback.php", {**base, **bad}, check=False)
        assert refused.returncode == 3, refused.stderr


@needs_php
def test_a_return_sent_by_the_module_becomes_an_expected_return(app, client, make_location):
    shop = FakeShop()
    shop.hidden_resources = {"order_returns"}  # a version without the resource: the callback carries it
    with serve(shop) as url:
        settings = configure_shop(app, url, shop.key)
        app.config["PRESTASHOP_CALLBACK_SECRET"] = SECRET
        a = shop.add_product(reference="JEANS-32", ean13="3760000000031", name="Jeans", price="50", quantity=9)
        ps_id = shop.add_order(lines=[{"product_id": a, "quantity": 2}])
        mirror_catalog(shop)
        shop_client = client_for(settings)
        import_orders(settings, shop_client)
        order = db.session.execute(select(Order).where(Order.ps_order_id == ps_id)).scalar_one()
        order.status = OrderStatus.SHIPPED
        order.lines[0].quantity_shipped = 2
        db.session.commit()
        detail = order.lines[0].ps_order_detail_id
        arguments = {"secret": SECRET, "timestamp": int(__import__("time").time()), "event": "order_return.changed",
                     "id_order": ps_id, "id_order_return": 9, "old_state": None, "new_state": 1,
                     "occurred_at": NOW, "shop_id": 1,
                     "details": [{"id_order_detail": detail, "product_quantity": 1}]}
        emitted = json.loads(run_php("emit_callback.php", arguments).stdout)
        response = client.post("/webhooks/prestashop/default", data=emitted["body"].encode(),
                               headers=emitted["headers"])
        assert response.status_code == 202, response.get_json()
        assert process_outbox(lambda name: (settings, shop_client)).done == 1
        ret = db.session.execute(select(CustomerReturn)).scalar_one()
        assert (ret.source, ret.ps_return_id, ret.announced_total) == ("shop", 9, 1)
        shop_client.close()
