"""The integration API: ASNs and channel orders (idempotent, per-line errors, bulk), the stock
snapshot, and webhook endpoints through the API."""
from __future__ import annotations

import csv
import io

from sqlalchemy import func, select

from wms.db import db
from wms.domain.inventory import services as inventory
from wms.domain.orders.models import Order, OrderStatus
from wms.domain.receiving import services as receiving
from wms.domain.receiving.models import Receipt, ReceiptStatus
from wms.domain.shipping.models import Carrier


def _asn(ref="PO-1001", **kw):
    body = {"source": "erp", "reference": ref, "supplier": "Acme", "expected_date": "2026-12-01",
            "lines": [{"sku": "SKU-A", "quantity": 10}, {"sku": "SKU-B", "quantity": 4}]}
    body.update(kw)
    return body


def test_an_asn_posted_twice_creates_one_receipt_and_updates_while_not_started(client, login_as, make_product,
                                                                            make_location):
    a, b = make_product("SKU-A"), make_product("SKU-B")
    make_product("SKU-C")
    supervisor = login_as("supervisor")
    first = client.post("/api/v1/receipts", json=_asn())
    assert first.status_code == 201, first.get_json()
    body = first.get_json()
    assert body["outcome"] == "created" and body["status"] == "EXPECTED" and body["code"].startswith("RCV-")
    assert [(ln["sku"], ln["expected"]) for ln in body["lines"]] == [("SKU-A", 10), ("SKU-B", 4)]
    again = client.post("/api/v1/receipts", json=_asn())
    assert again.status_code == 200 and again.get_json()["outcome"] == "unchanged"
    assert again.get_json()["id"] == body["id"]
    assert db.session.execute(select(func.count(Receipt.id))).scalar() == 1
    # Another sender may use the same number: it is another receipt.
    other = client.post("/api/v1/receipts", json=_asn(source="oms"))
    assert other.status_code == 201 and other.get_json()["id"] != body["id"]

    changed = client.post("/api/v1/receipts", json=_asn(lines=[{"sku": "SKU-A", "quantity": 12},
                                                                {"sku": "SKU-C", "quantity": 1}]))
    assert changed.status_code == 200 and changed.get_json()["outcome"] == "updated"
    assert [(ln["sku"], ln["expected"]) for ln in changed.get_json()["lines"]] == [("SKU-A", 12), ("SKU-C", 1)]

    # Every wrong line is named, and nothing changes.
    bad = client.post("/api/v1/receipts", json=_asn(lines=[
        {"sku": "SKU-A", "quantity": 1}, {"sku": "NOPE", "quantity": 2}, {"sku": "SKU-A", "quantity": 3},
        {"sku": "ALSO-NOPE", "quantity": 1}]))
    assert bad.status_code == 422
    error = bad.get_json()["error"]
    assert error["code"] == "invalid_lines" and "3 lines refused" in error["message"]
    assert [e["index"] for e in error["details"]["lines"]] == [1, 2, 3]
    receipt = db.session.get(Receipt, body["id"])
    db.session.refresh(receipt)
    assert sorted((ln.product.sku, ln.expected) for ln in receipt.lines) == [("SKU-A", 12), ("SKU-C", 1)]
    for junk in ({}, {"reference": "X", "lines": []}, {"reference": "X", "lines": [{"sku": "SKU-A", "quantity": 0}]},
                 {"reference": "X", "lines": [{"sku": "SKU-A", "quantity": "5"}]}, []):
        response = client.post("/api/v1/receipts", json=junk)
        assert response.status_code == 422, junk
        assert response.get_json()["error"]["message"]

    # Once goods are received the notice can no longer change or be cancelled.
    from wms.domain.locations.models import LocationKind

    make_location("DOCK-01", kind=LocationKind.RECEIVING)
    receiving.receive_units(receipt, a, 2, user=supervisor, tolerance_pct=0)
    db.session.commit()
    late = client.post("/api/v1/receipts", json=_asn(lines=[{"sku": "SKU-A", "quantity": 99}]))
    assert late.status_code == 409 and "can no longer be changed" in late.get_json()["error"]["message"]
    assert client.post(f"/api/v1/receipts/{receipt.id}/cancel").status_code == 409
    # Still idempotent: the same content as stored answers unchanged.
    same = client.post("/api/v1/receipts", json=_asn(lines=[{"sku": "SKU-A", "quantity": 12},
                                                             {"sku": "SKU-C", "quantity": 1}]))
    assert same.status_code == 200 and same.get_json()["outcome"] == "unchanged"

    cancelled = client.post(f"/api/v1/receipts/{other.get_json()['id']}/cancel")
    assert cancelled.status_code == 200 and cancelled.get_json()["status"] == "CANCELLED"
    listed = client.get("/api/v1/receipts?source=erp&reference=PO-1001").get_json()["items"]
    assert [r["id"] for r in listed] == [body["id"]]
    assert client.get("/api/v1/receipts?status=LOST").status_code == 422


def test_bulk_asns_take_hundreds_of_lines_and_refuse_items_one_by_one(client, login_as, make_product):
    skus = [make_product(f"BULK-{n:03d}", barcode=None).sku for n in range(300)]
    login_as("supervisor")
    notices = [{"source": "erp", "reference": f"ASN-{k}", "lines": [{"sku": s, "quantity": 5} for s in skus]}
               for k in range(3)]
    notices.append({"source": "erp", "reference": "ASN-BAD", "lines": [{"sku": "NOPE", "quantity": 1}]})
    notices.append({"reference": ""})
    response = client.post("/api/v1/receipts/bulk", json={"receipts": notices})
    assert response.status_code == 200, response.get_json()
    out = response.get_json()
    assert (out["created"], out["refused"]) == (3, 2)
    assert [r["outcome"] for r in out["results"]] == ["created"] * 3 + ["refused"] * 2
    assert out["results"][3]["error"]["details"]["lines"][0]["sku"] == "NOPE"
    assert out["results"][4]["error"]["code"] == "invalid"
    assert db.session.execute(select(func.count(Receipt.id))).scalar() == 3
    receipt = db.session.get(Receipt, out["results"][0]["id"])
    assert len(receipt.lines) == 300 and receipt.expected_total == 1500
    # The whole batch again: every notice unchanged, nothing new.
    repeat = client.post("/api/v1/receipts/bulk", json={"receipts": notices[:3]}).get_json()
    assert repeat["unchanged"] == 3 and db.session.execute(select(func.count(Receipt.id))).scalar() == 3
    assert client.post("/api/v1/receipts/bulk", json={"receipts": []}).status_code == 422
    assert client.post("/api/v1/receipts/bulk", json={"receipts": [{}] * 501}).get_json()["error"]["code"] == "too_many_items"


def _order(ref="B2B-77", **kw):
    body = {"channel": "b2b", "external_ref": ref, "priority": 5, "carrier": "RNG",
            "ship_by": "2026-12-02T16:00:00Z",
            "customer": {"name": "Boutique Lumière", "email": "achats@lumiere.example"},
            "ship_to": {"name": "Boutique Lumière", "address1": "3 rue Neuve", "postcode": "69002",
                        "city": "Lyon", "country": "fr"},
            "lines": [{"sku": "SKU-A", "quantity": 2}, {"sku": "SKU-B", "quantity": 1, "name": "B, boxed"}]}
    body.update(kw)
    return body


def test_channel_orders_are_idempotent_per_channel_and_refuse_bad_input(client, login_as, make_product):
    make_product("SKU-A"), make_product("SKU-B")
    db.session.add(Carrier(code="RNG", name="Rangex", adapter="manual"))
    db.session.commit()
    login_as("supervisor")
    created = client.post("/api/v1/orders", json=_order())
    assert created.status_code == 201, created.get_json()
    body = created.get_json()
    assert (body["channel"], body["external_ref"], body["reference"], body["priority"], body["carrier"]) == (
        "b2b", "B2B-77", "B2B-77", 5, "RNG")
    assert body["status"] == "NEW" and body["shop"] is None and body["ps_order_id"] is None
    assert [ln["name"] for ln in body["lines"]][1] == "B, boxed"
    order = db.session.get(Order, body["id"])
    assert order.ship_country == "FR" and not order.from_shop
    again = client.post("/api/v1/orders", json=_order())
    assert again.status_code == 200 and again.get_json()["outcome"] == "unchanged"
    assert client.post("/api/v1/orders", json=_order(channel="marketplace")).status_code == 201
    assert db.session.execute(select(func.count(Order.id))).scalar() == 2
    updated = client.post("/api/v1/orders", json=_order(priority=9))
    assert updated.get_json()["outcome"] == "updated" and updated.get_json()["priority"] == 9

    refusals = {
        "invalid": [_order(channel="prestashop"), _order(channel="bad channel"), _order(lines=[]),
                    _order(ship_to={"country": "France"}), _order(priority=1000)],
        "unknown_carrier": [_order(carrier="NOPE")],
        "invalid_lines": [_order(lines=[{"sku": "GHOST", "quantity": 1}])],
    }
    for code, bodies in refusals.items():
        for bad in bodies:
            response = client.post("/api/v1/orders", json=bad)
            assert response.status_code == 422, (bad, response.get_json())
            assert response.get_json()["error"]["code"] == code
    assert db.session.execute(select(func.count(Order.id))).scalar() == 2

    bulk = client.post("/api/v1/orders/bulk", json={"orders": [_order(f"BULK-{n}") for n in range(5)]
                                                    + [_order("BULK-X", lines=[{"sku": "GHOST", "quantity": 1}])]})
    out = bulk.get_json()
    assert (out["created"], out["refused"]) == (5, 1) and out["results"][5]["error"]["code"] == "invalid_lines"
    assert db.session.execute(select(func.count(Order.id))).scalar() == 7


def test_a_channel_order_being_prepared_can_no_longer_change(client, login_as, make_product, make_location):
    from wms.domain.locations.models import LocationKind
    from wms.domain.picking.allocation import allocate_orders

    a, b = make_product("SKU-A"), make_product("SKU-B")
    face = make_location("A-01-01-1", kind=LocationKind.PICK_FACE)
    inventory.receive(a, face, 5)
    inventory.receive(b, face, 5)
    db.session.add(Carrier(code="RNG", name="Rangex", adapter="manual"))
    db.session.commit()
    login_as("supervisor")
    order_id = client.post("/api/v1/orders", json=_order()).get_json()["id"]
    allocate_orders([order_id])  # like shop orders: by the desk's Allocate
    db.session.commit()
    assert db.session.get(Order, order_id).status is OrderStatus.ALLOCATED
    assert client.post("/api/v1/orders", json=_order()).get_json()["outcome"] == "unchanged"
    late = client.post("/api/v1/orders", json=_order(priority=1))
    assert late.status_code == 409 and "can no longer be changed" in late.get_json()["error"]["message"]
    cancelled = client.post(f"/api/v1/orders/{order_id}/cancel", json={"reason": "customer changed its mind"})
    assert cancelled.get_json()["status"] == "CANCELLED"
    assert client.post("/api/v1/orders", json=_order(priority=1)).status_code == 409


def test_stock_snapshot_csv_and_json_at_one_instant(client, login_as, make_product, make_location, make_warehouse):
    a, b = make_product("SKU-A"), make_product("SKU-B")
    main_bin, main_pack = make_location("A-01-01-1"), make_location("PACK-01")
    from wms.domain.locations.models import LocationKind

    main_pack.kind = LocationKind.PACKING
    second = make_warehouse("WH2", "Second")
    other_bin = make_location("B-01-01-1", warehouse=second)
    inventory.receive(a, main_bin, 7)
    inventory.receive(a, main_pack, 2)
    inventory.receive(a, other_bin, 3)
    inventory.receive(b, main_bin, 1)
    inventory.reserve(a.id, main_bin.id, 4)
    db.session.commit()
    login_as("operator")
    response = client.get("/api/v1/stock/snapshot?format=csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert [(r["sku"], r["warehouse"], r["on_hand"]) for r in rows] == [
        ("SKU-A", "WH1", "9"), ("SKU-A", "WH2", "3"), ("SKU-B", "WH1", "1")]
    # Goods at packing are on hand but not available.
    assert (rows[0]["reserved"], rows[0]["available"]) == ("4", "3")  # 7 in the bin - 4 reserved
    as_json = client.get("/api/v1/stock/snapshot").get_json()
    assert as_json["items"][0] == {"sku": "SKU-A", "warehouse": "WH1", "on_hand": 9, "reserved": 4, "available": 3}
    assert str(as_json["last_move_id"]) == response.headers["X-Snapshot-Last-Move-Id"]
    assert as_json["as_of"].endswith("Z")
    assert client.get("/api/v1/stock/snapshot", headers={"Accept": "text/csv"}).mimetype == "text/csv"
    assert client.get("/api/v1/stock/snapshot?format=xml").status_code == 422

    # One instant: what commits after the snapshot began is not in it.
    from wms.web.api.snapshot import _rows, open_snapshot

    conn, _, last = open_snapshot()
    try:
        inventory.receive(b, main_bin, 50)
        db.session.commit()
        seen = {(r["sku"], r["warehouse"]): r["on_hand"] for r in _rows(conn)}
        assert seen[("SKU-B", "WH1")] == 1
    finally:
        conn.rollback()
        conn.close()
    after = client.get("/api/v1/stock/snapshot").get_json()
    assert after["last_move_id"] > last
    assert {(r["sku"], r["warehouse"]): r["on_hand"] for r in after["items"]}[("SKU-B", "WH1")] == 51


def test_the_openapi_document_covers_the_integrations_and_validates(client, login_as):
    from openapi_spec_validator import validate

    login_as("operator")
    doc = client.get("/api/v1/openapi.json").get_json()
    validate(doc)  # raises on any error against the OpenAPI 3.1 schema
    paths = doc["paths"]
    assert paths["/api/v1/receipts"]["post"]["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/AsnRequest"}
    assert set(paths["/api/v1/receipts"]["post"]["responses"]) == {"200", "201", "default"}
    assert "/api/v1/orders/bulk" in paths and "/api/v1/receipts/{receipt_id}/cancel" in paths
    assert set(paths["/api/v1/stock/snapshot"]["get"]["responses"]["200"]["content"]) == {"application/json",
                                                                                          "text/csv"}
    schemas = doc["components"]["schemas"]
    assert schemas["AsnRequest"]["required"] == ["reference", "lines"]
    assert schemas["AsnRequest"]["properties"]["lines"]["maxItems"] == 5000
    assert schemas["ChannelOrderRequest"]["properties"]["ship_to"]["anyOf"][0] == {"$ref": "#/components/schemas/Address"}
    assert schemas["AsnRequest"]["properties"]["expected_date"]["format"] == "date"
    assert set(doc["webhooks"]) == {"receipt.closed", "order.shipped", "order.short", "stock.changed",
                                    "return.received", "transfer.received"}


def test_a_snapshot_being_downloaded_blocks_no_writer_and_stays_at_its_instant(app, live_server, make_product,
                                                                               make_location, make_user,
                                                                               monkeypatch):
    import time

    import requests

    from wms.domain.users.models import ApiToken
    from wms.web.api import snapshot

    import threading

    monkeypatch.setattr(snapshot, "CHUNK_ROWS", 2)  # many chunks from a few rows
    # Hold the download open after its first rows until the test has written, as a long
    # download of 100,000 rows would be.
    go_on = threading.Event()
    real_rows = snapshot._rows

    def slow_rows(conn):
        for n, row in enumerate(real_rows(conn)):
            if n == 4:
                go_on.wait(10)
            yield row

    monkeypatch.setattr(snapshot, "_rows", slow_rows)
    bin_ = make_location("A-01-01-1")
    products = [make_product(f"SNAP-{n:02d}", barcode=None) for n in range(12)]
    for product in products:
        inventory.receive(product, bin_, 5)
    user = make_user("supervisor")
    db.session.add(ApiToken(user_id=user.id, name="erp", token_hash=ApiToken.hash("wms_snapshot-test-token")))
    db.session.commit()

    response = requests.get(f"{live_server.url}/api/v1/stock/snapshot?format=csv", stream=True, timeout=30,
                            headers={"Authorization": "Bearer wms_snapshot-test-token"})
    assert response.status_code == 200
    first = response.raw.read(60)  # the download has begun and is not finished
    started = time.monotonic()
    inventory.receive(products[-1], bin_, 50)  # a scanner's write, while the file streams
    db.session.commit()
    # Another request to the same server goes through too (on SQLite requests take turns).
    other = requests.get(f"{live_server.url}/api/v1/stock?sku=SNAP-11", timeout=5,
                         headers={"Authorization": "Bearer wms_snapshot-test-token"})
    assert other.json()["items"][0]["on_hand"] == 55
    assert time.monotonic() - started < 3.0
    go_on.set()
    text = (first + response.raw.read()).decode()
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == 12 and rows[-1] == {"sku": "SNAP-11", "warehouse": "WH1", "on_hand": "5",
                                            "reserved": "0", "available": "5"}
