"""Issue 16 items 8 (callback ids), 13 (no webservice key in errors, outbox or log) and 14
(callbacks bound to their shop; no global secret for other shops)."""
from __future__ import annotations

import base64
import json
import logging
import time
import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from tests.integrations.sync_helpers import CALLBACK_SECRET
from wms.db import db
from wms.integrations.prestashop.client import PrestaShopClient, ShopConfig, ShopError, strip_secrets
from wms.integrations.prestashop.models import OutboxMessage
from wms.integrations.prestashop.webhooks import CallbackEvent, encode_event, signed_headers

KEY = "K3YK3YK3YK3YK3YK3YK3YK3YK3YK3YK3"


def _callback(secret=CALLBACK_SECRET, shop_id=1, order_id=7):
    event = CallbackEvent(event_id=str(uuid.uuid4()), event="order.status_changed", order_id=1,
                          old_state=1, new_state=2, occurred_at=datetime.now(UTC).replace(microsecond=0),
                          shop_id=shop_id)
    payload = json.loads(encode_event(event))
    payload["id_order"] = order_id
    body = json.dumps(payload, separators=(",", ":")).encode()
    return body, signed_headers(secret, event.event_id, int(time.time()), body)


@pytest.fixture
def shops(app):
    app.config.update(
        PRESTASHOP_URL="http://127.0.0.1:9/api", PRESTASHOP_KEY=KEY,
        PRESTASHOP_CALLBACK_SECRET=CALLBACK_SECRET,
        PRESTASHOP_SHOPS=json.dumps([
            {"name": "second", "url": "http://127.0.0.1:9/api", "key": "B" * 32},
            {"name": "third", "url": "http://127.0.0.1:9/api", "key": "C" * 32,
             "callback_secret": "t" * 40, "shop_ids": "2,3"}]))
    return app


def _outbox():
    return db.session.scalar(select(func.count()).select_from(OutboxMessage))


def test_the_global_secret_signs_for_the_first_shop_only(client, shops):
    body, headers = _callback()
    assert client.post("/webhooks/prestashop/default", data=body, headers=headers).status_code == 202
    body, headers = _callback()
    r = client.post("/webhooks/prestashop/second", data=body, headers=headers)
    assert r.status_code == 503 and "second" in r.json["message"]
    body, headers = _callback()  # the first shop's secret is not the third's
    assert client.post("/webhooks/prestashop/third", data=body, headers=headers).status_code == 401
    body, headers = _callback(secret="t" * 40, shop_id=3)
    assert client.post("/webhooks/prestashop/third", data=body, headers=headers).status_code == 202
    assert _outbox() == 2


def test_the_body_shop_id_must_be_a_store_of_the_url_shop(client, shops):
    body, headers = _callback(shop_id=2)
    r = client.post("/webhooks/prestashop/default", data=body, headers=headers)
    assert r.status_code == 409 and r.json["error"] == "wrong_shop" and "shop_id 2" in r.json["message"]
    body, headers = _callback(secret="t" * 40, shop_id=1)
    assert client.post("/webhooks/prestashop/third", data=body, headers=headers).status_code == 409
    assert _outbox() == 0


@pytest.mark.parametrize("order_id", [2**31, 2**63, 2**70])
def test_huge_order_ids_in_callbacks_are_refused(client, shops, order_id):
    body, headers = _callback(order_id=order_id)
    r = client.post("/webhooks/prestashop/default", data=body, headers=headers)
    assert r.status_code == 400 and "id_order" in r.json["message"]
    assert _outbox() == 0


def test_the_key_is_stripped_in_every_form():
    PrestaShopClient(ShopConfig(base_url="http://127.0.0.1:9/api", key=KEY, name="s"))
    basic = base64.b64encode(f"{KEY}:".encode()).decode()
    echoed = (f"proxy said: GET /api/orders?ws_key={KEY} Authorization: Basic {basic} "
              f"raw {KEY} b64 {base64.b64encode(KEY.encode()).decode().rstrip('=')}")
    clean = strip_secrets(echoed)
    assert KEY not in clean and basic not in clean and basic.rstrip("=") not in clean
    assert base64.b64encode(KEY.encode()).decode().rstrip("=") not in clean
    error = ShopError("hint", status=500, message=echoed, errors=[{"code": 1, "message": echoed}])
    assert KEY not in str(error) and basic not in str(error) and KEY not in json.dumps(error.errors)


def test_outbox_errors_and_logs_never_hold_the_key(app, shops):
    from wms.integrations.prestashop import outbox

    basic = base64.b64encode(f"{KEY}:".encode()).decode()
    message = outbox.enqueue("fetch_order", {"shop": "default", "ps_order_id": 1}, dedupe_key="k1")
    db.session.commit()

    def echoing_handler(payload, get_client):
        raise RuntimeError(f"502 from proxy, request was: Authorization: Basic {basic} key={KEY}")

    class Keep(logging.Handler):
        def __init__(self):
            super().__init__(logging.DEBUG)
            self.records = []

        def emit(self, record):
            self.records.append(record)

    # On the module's logger itself: another test may have stopped "wms" from propagating.
    keep = Keep()
    original = outbox.HANDLERS["fetch_order"]
    outbox.HANDLERS["fetch_order"] = echoing_handler
    outbox.log.addHandler(keep)
    level, disabled = outbox.log.level, outbox.log.disabled
    outbox.log.setLevel(logging.WARNING)
    outbox.log.disabled = False  # a dictConfig elsewhere in the run may have disabled it
    try:
        outbox.process_outbox(lambda shop: None)
    finally:
        outbox.HANDLERS["fetch_order"] = original
        outbox.log.removeHandler(keep)
        outbox.log.setLevel(level)
        outbox.log.disabled = disabled
    db.session.expire_all()
    stored = db.session.get(OutboxMessage, message.id).last_error
    assert "[hidden]" in stored and KEY not in stored and basic not in stored
    assert keep.records and all(KEY not in r.getMessage() and basic not in r.getMessage() for r in keep.records)
