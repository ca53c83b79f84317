"""Webhooks add no statement to a scan: with endpoints subscribed to every event (and a queue of
deliveries waiting), a pick scan touches neither the outbox nor the webhook tables and stays
within the scan bound."""
from sqlalchemy import select

from tests.web.test_scan_queries import (  # noqa: F401 (fixtures)
    MAX_PRODUCT_SCAN,
    _scan,
    bound,
    client,
    count_queries,
    picking_floor,
    server,
)
from wms.db import db
from wms.integrations.prestashop.models import OutboxMessage
from wms.integrations.webhooks import events as ev
from wms.integrations.webhooks.services import emit, register_endpoint


def test_a_pick_scan_costs_the_same_with_webhook_endpoints(client, server, picking_floor, count_queries):
    _scan(client, picking_floor["location"], "scan-loc-0001")
    r = _scan(client, picking_floor["product"], "scan-prd-0001")
    assert r.status_code == 200, r.get_data(as_text=True)

    for n in range(3):
        register_endpoint(f"http://127.0.0.1:9/never-{n}", list(ev.EVENTS))
    for n in range(20):
        emit(ev.RECEIPT_CLOSED, f"receipt:{n}", f"test:{n}", {"n": n})
    db.session.commit()
    with count_queries() as with_hooks:
        r = _scan(client, picking_floor["product"], "scan-prd-0002")
    assert r.status_code == 200, r.get_data(as_text=True)
    assert len(with_hooks) <= bound(server, MAX_PRODUCT_SCAN), "\n".join(with_hooks)
    assert not any("outbox" in s or "webhook" in s for s in with_hooks), "\n".join(with_hooks)
    # The scans queued nothing: stock.changed is derived later by the worker, from the ledger.
    assert len(db.session.execute(select(OutboxMessage)).scalars().all()) == 60
