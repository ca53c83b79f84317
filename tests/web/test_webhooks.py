"""Test the shop callback endpoint: signature, staleness, replay, and that it only schedules a fetch."""
from __future__ import annotations

import io
import time
import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select
from werkzeug.test import EnvironBuilder, run_wsgi_app

from tests.fakeshop import FakeShop, serve
from tests.integrations.sync_helpers import CALLBACK_SECRET, client_for, configure_shop, mirror_catalog
from wms.db import db
from wms.domain.orders.models import Order, OrderStatus
from wms.integrations.prestashop.models import OutboxMessage, SeenCallback
from wms.integrations.prestashop.outbox import process_outbox
from wms.integrations.prestashop.webhooks import MAX_BODY_BYTES, CallbackEvent, encode_event, signed_headers

URL = "/webhooks/prestashop/default"


@pytest.fixture
def shop():
    return FakeShop()


@pytest.fixture
def settings(app, shop):
    with serve(shop) as url:
        yield configure_shop(app, url, shop.key)


def callback(order_id: int = 7, new_state: int = 2, event_id: str | None = None, ts: int | None = None,
             secret: str = CALLBACK_SECRET) -> tuple[bytes, dict[str, str]]:
    event = CallbackEvent(event_id=event_id or str(uuid.uuid4()), event="order.status_changed",
                          order_id=order_id, old_state=1, new_state=new_state,
                          occurred_at=datetime.now(UTC).replace(microsecond=0), shop_id=1)
    body = encode_event(event)
    return body, signed_headers(secret, event.event_id, int(time.time()) if ts is None else ts, body)


def outbox_count() -> int:
    return db.session.scalar(select(func.count()).select_from(OutboxMessage))


def test_good_callback_schedules_one_fetch(client, settings):
    body, headers = callback(order_id=7)
    response = client.post(URL, data=body, headers=headers)
    assert response.status_code == 202, response.get_data(as_text=True)
    assert response.get_json()["order_id"] == 7
    message = db.session.execute(select(OutboxMessage)).scalar_one()
    assert message.kind == "fetch_order" and message.payload == {"shop": "default", "ps_order_id": 7}


def test_replayed_callback_is_acknowledged_without_acting(client, settings):
    body, headers = callback()
    assert client.post(URL, data=body, headers=headers).status_code == 202
    replay = client.post(URL, data=body, headers=headers)
    assert replay.status_code == 200 and replay.get_json()["status"] == "duplicate"
    assert outbox_count() == 1
    assert db.session.scalar(select(func.count()).select_from(SeenCallback)) == 1


@pytest.mark.parametrize(("tamper", "status", "code"), [
    ("body", 401, "bad_signature"),
    ("secret", 401, "bad_signature"),
    ("stale", 401, "stale_timestamp"),
    ("no_signature", 400, "missing_header"),
])
def test_bad_callbacks_are_refused_and_schedule_nothing(client, settings, tamper, status, code):
    if tamper == "stale":
        body, headers = callback(ts=int(time.time()) - 3600)
    elif tamper == "secret":
        body, headers = callback(secret="x" * 40)
    else:
        body, headers = callback()
    if tamper == "body":
        body = body.replace(b'"id_order":7', b'"id_order":8')
    if tamper == "no_signature":
        del headers["Webhook-Signature"]
    response = client.post(URL, data=body, headers=headers)
    assert response.status_code == status
    assert response.get_json()["error"] == code
    assert outbox_count() == 0


def test_unknown_shop_and_missing_secret(client, settings, app):
    body, headers = callback()
    assert client.post("/webhooks/prestashop/nowhere", data=body, headers=headers).status_code == 404
    app.config["PRESTASHOP_CALLBACK_SECRET"] = ""
    response = client.post(URL, data=body, headers=headers)
    assert response.status_code == 503 and "WMS_PRESTASHOP_CALLBACK_SECRET" in response.get_json()["message"]


class CountingStream(io.BytesIO):
    """A request body that remembers how many bytes the endpoint read from it."""

    def __init__(self, data: bytes) -> None:
        super().__init__(data)
        self.bytes_read = 0

    def read(self, size=-1):
        chunk = super().read(size)
        self.bytes_read += len(chunk)
        return chunk

    def readinto(self, buffer):
        n = super().readinto(buffer)
        self.bytes_read += n or 0
        return n

    def read1(self, size=-1):
        chunk = super().read1(size)
        self.bytes_read += len(chunk)
        return chunk


def send_raw(app, stream: CountingStream, headers: dict[str, str], declared: int | None) -> str:
    """POST straight to the WSGI app (the test client would read and re-measure the body)."""
    environ = EnvironBuilder(path=URL, method="POST", input_stream=stream, headers=headers).get_environ()
    environ.pop("CONTENT_LENGTH", None)
    if declared is None:
        environ["wsgi.input_terminated"] = True  # chunked: the server says where the body ends
    else:
        environ["CONTENT_LENGTH"] = str(declared)
    _, status, _ = run_wsgi_app(app.wsgi_app, environ, buffered=True)
    return status


def test_oversized_body_is_refused_before_it_is_read(app, client, settings):
    body, headers = callback()
    padding = b" " * (MAX_BODY_BYTES * 4)
    big = CountingStream(body + padding)
    assert send_raw(app, big, headers, declared=len(body + padding)).startswith("413")
    assert big.bytes_read == 0
    # Sent without a length, it is read no further than one byte past the limit.
    chunked = CountingStream(body + padding)
    assert send_raw(app, chunked, headers, declared=None).startswith("413")
    assert chunked.bytes_read == MAX_BODY_BYTES + 1
    response = client.post(URL, data=body + padding, headers=headers)
    assert response.status_code == 413 and response.get_json()["error"] == "body_too_large"
    assert outbox_count() == 0
    # Within the limit, chunked or not, it is judged on its signature (here a good one).
    assert send_raw(app, CountingStream(body), headers, declared=None).startswith("202")
    assert outbox_count() == 1


def test_short_secret_answers_503_and_is_logged_once(client, settings, app, monkeypatch):
    app.config["PRESTASHOP_CALLBACK_SECRET"] = "too-short-secret"
    logged = []
    # Recorded at the call, not through caplog: Alembic's fileConfig may have disabled the logger.
    monkeypatch.setattr(app.logger, "error", lambda msg, *args: logged.append(msg % args))
    body, headers = callback()
    first = client.post(URL, data=body, headers=headers)
    second = client.post(URL, data=body, headers=headers)
    for response in (first, second):
        assert response.status_code == 503 and response.get_json()["error"] == "secret_too_short"
        assert "too short (16 characters, at least 32)" in response.get_json()["message"]
    assert len(logged) == 1 and "too short" in logged[0] and "'default'" in logged[0]
    assert outbox_count() == 0


def test_callback_needs_no_sign_in_nor_csrf_token(app, settings, shop):
    app.config["WTF_CSRF_ENABLED"] = True
    body, headers = callback()
    assert app.test_client().post(URL, data=body, headers=headers).status_code == 202


def test_scheduled_fetch_imports_then_cancels_the_order(client, settings, shop):
    ps_id = shop.add_order()
    mirror_catalog(shop)
    shop_client = client_for(settings)
    getter = lambda name: (settings, shop_client)  # noqa: E731

    body, headers = callback(order_id=ps_id)
    assert client.post(URL, data=body, headers=headers).status_code == 202
    assert process_outbox(getter).done == 1
    order = db.session.execute(select(Order)).scalar_one()
    assert order.ps_order_id == ps_id and order.status == OrderStatus.NEW

    shop.set_order_state(ps_id, 6)
    body, headers = callback(order_id=ps_id, new_state=6)
    assert client.post(URL, data=body, headers=headers).status_code == 202
    assert process_outbox(getter).done == 1
    db.session.refresh(order)
    assert order.status == OrderStatus.CANCELLED
    shop_client.close()


PHP = __import__("shutil").which("php")
EMIT = __import__("pathlib").Path(__file__).resolve().parents[1] / "php" / "emit_callback.php"


def php_callback(secret: str, ts: int, order_id: int = 9) -> tuple[bytes, dict[str, str]]:
    """Have the shop module's own PHP signing code build a callback."""
    import json
    import subprocess

    args = {"secret": secret, "timestamp": ts, "event": "order.status_changed", "id_order": order_id,
            "old_state": 2, "new_state": 6, "occurred_at": ts, "shop_id": 1}
    out = subprocess.run([PHP, str(EMIT), json.dumps(args)], capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    return result["body"].encode(), result["headers"]


def test_the_php_module_signs_what_the_endpoint_accepts(client, settings):
    """Cross-language: the module's PHP signer, run with the PHP CLI, against the real endpoint."""
    if PHP is None:
        from tests.conftest import missing

        missing("php is not on PATH (CI installs php-cli)")
    now = int(time.time())
    body, headers = php_callback(CALLBACK_SECRET, now)
    response = client.post(URL, data=body, headers=headers)
    assert response.status_code == 202, response.get_data(as_text=True)
    assert response.get_json()["order_id"] == 9

    tampered = body.replace(b'"id_order":9', b'"id_order":10')
    assert tampered != body
    refused = client.post(URL, data=tampered, headers=headers)
    assert refused.status_code == 401 and refused.get_json()["error"] == "bad_signature"

    old_body, old_headers = php_callback(CALLBACK_SECRET, now - 3600)
    stale = client.post(URL, data=old_body, headers=old_headers)
    assert stale.status_code == 401 and stale.get_json()["error"] == "stale_timestamp"

    wrong_body, wrong_headers = php_callback("z" * 40, now)
    assert client.post(URL, data=wrong_body, headers=wrong_headers).status_code == 401
    assert outbox_count() == 1  # only the good callback scheduled a fetch
