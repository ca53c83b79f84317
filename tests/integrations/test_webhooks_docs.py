"""The sample receiver of docs/webhooks.md, run as written against the warehouse's deliveries."""
from __future__ import annotations

import re
import threading
from http.server import ThreadingHTTPServer
from pathlib import Path

import pytest

from wms.db import db
from wms.integrations.prestashop.outbox import ClientPool, process_outbox
from wms.integrations.prestashop.webhooks import signed_headers
from wms.integrations.webhooks import events as ev
from wms.integrations.webhooks.services import emit, register_endpoint

DOC = Path(__file__).resolve().parents[2] / "docs" / "webhooks.md"
SECRET = "sample-receiver-secret-0123456789abcdef"


@pytest.fixture
def sample():
    text = DOC.read_text()
    code = re.search(r"<!-- sample-receiver:start -->\s*```python\n(.*?)```\s*<!-- sample-receiver:end -->",
                     text, re.S).group(1)
    namespace = {"__name__": "sample_receiver"}
    exec(compile(code, str(DOC), "exec"), namespace)  # noqa: S102 (our own documentation)
    namespace["SECRET"] = SECRET
    handled = []
    namespace["handle"] = handled.append
    return namespace, handled


def test_the_documented_receiver_accepts_deliveries_once_and_refuses_forgeries(app, sample):
    namespace, handled = sample
    server = ThreadingHTTPServer(("127.0.0.1", 0), namespace["Receiver"])
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        app.config.update(WEBHOOK_BACKOFF_S=0)
        register_endpoint(f"http://127.0.0.1:{server.server_address[1]}/", [ev.RECEIPT_CLOSED], secret=SECRET)
        emit(ev.RECEIPT_CLOSED, "receipt:7", "docs:1", {"code": "RCV-7"})
        emit(ev.RECEIPT_CLOSED, "receipt:8", "docs:2", {"code": "RCV-8"})
        db.session.commit()
        result = process_outbox(ClientPool(app.config))
    finally:
        server.shutdown()
        server.server_close()
    assert result.done == 2 and result.retried == 0
    assert [e["data"]["code"] for e in handled] == ["RCV-7", "RCV-8"]

    verify = namespace["verify"]
    body = b'{"event_id":"3b241101-e2bb-4255-8caf-4136c566a962","event":"stock.changed","data":{}}'
    headers = signed_headers(SECRET, "3b241101-e2bb-4255-8caf-4136c566a962", 1767225600, body)
    assert verify(SECRET, headers, body, now=1767225600 + 10)["event"] == "stock.changed"
    with pytest.raises(ValueError, match="signature"):
        verify(SECRET, headers, body.replace(b"stock", b"stick"), now=1767225600)
    with pytest.raises(ValueError, match="signature"):
        verify("another-secret-of-at-least-32-characters", headers, body, now=1767225600)
    with pytest.raises(ValueError, match="timestamp"):
        verify(SECRET, headers, body, now=1767225600 + 301)
    with pytest.raises(ValueError, match="Webhook-Id"):
        verify(SECRET, {**headers, "Webhook-Id": "something-else"}, body, now=1767225600)
    with pytest.raises(ValueError, match="Timestamp"):
        verify(SECRET, {k: v for k, v in headers.items() if k != "Webhook-Timestamp"}, body)
