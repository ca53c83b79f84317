"""The handheld move flow, and scan idempotency through the web layer."""
from wms.db import db
from wms.domain.inventory.models import StockMove
from wms.domain.inventory.services import ledger_problems, receive, stock_at
from wms.domain.locations.models import LocationKind


def scan(client, code, scan_id=None, qty=None):
    data = {"code": code}
    if scan_id:
        data["scan_id"] = scan_id
    if qty is not None:
        data["qty"] = qty
    return client.post("/handheld/move/scan", data=data, headers={"HX-Request": "true"})


def test_move_by_scanning_source_product_destination(client, login_as, make_location, make_product):
    user = login_as("operator")
    src, dst = make_location("A-01-01-1"), make_location("A-02-01-1")
    product = make_product("MUG-1")
    receive(product, src, 5)
    db.session.commit()

    assert scan(client, "a-01-01-1").status_code == 200
    r = scan(client, product.main_barcode, qty="2")
    assert r.status_code == 200 and "2 to move" in r.get_data(as_text=True)
    assert "scan-ok" in r.headers["HX-Trigger"]
    r = scan(client, "A-02-01-1")
    assert r.status_code == 200
    assert "Moved 2 × MUG-1 from A-01-01-1 to A-02-01-1" in r.get_data(as_text=True)
    assert stock_at(product, src).on_hand == 3 and stock_at(product, dst).on_hand == 2
    move = db.session.query(StockMove).order_by(StockMove.id.desc()).first()
    assert move.user_id == user.id and move.reason.name == "MOVED"
    assert ledger_problems() == []


def test_same_scan_id_twice_is_applied_once(client, login_as, make_location, make_product):
    login_as("operator")
    src, dst = make_location("A-01-01-1"), make_location("A-02-01-1")
    product = make_product("MUG-1")
    receive(product, src, 5)
    db.session.commit()
    scan(client, "A-01-01-1", scan_id="scan-0001-aaaa")
    first = scan(client, product.main_barcode, scan_id="scan-0002-aaaa")
    again = scan(client, product.main_barcode, scan_id="scan-0002-aaaa")  # a retry after a Wi-Fi drop
    assert again.status_code == 200 and again.headers.get("X-Scan-Replayed") == "1"
    # The first answer was partial (the move goes on): the retry gets the whole current screen
    # under the same sentence.
    assert first.headers["HX-Retarget"] == "#status"
    replayed = again.get_data(as_text=True)
    assert "MUG-1: 1 to move" in replayed and 'name="code"' in replayed and "data-answer" not in replayed
    assert 'id="mv-qty">1<' in replayed
    scan(client, "A-02-01-1", scan_id="scan-0003-aaaa")
    scan(client, "A-02-01-1", scan_id="scan-0003-aaaa")
    assert stock_at(product, dst).on_hand == 1  # one unit scanned once, moved once
    assert sum(1 for m in db.session.query(StockMove) if m.reason.name == "MOVED") == 1


def test_refused_scans_change_nothing_and_say_why(client, login_as, make_location, make_product):
    login_as("operator")
    src = make_location("A-01-01-1")
    make_location("SHIP-01", kind=LocationKind.STAGING)
    product = make_product("MUG-1")
    receive(product, src, 1)
    db.session.commit()
    r = scan(client, product.main_barcode)
    assert r.status_code == 422 and "Scan the location you take from first" in r.get_data(as_text=True)
    assert "scan-error" in r.headers["HX-Trigger"]
    scan(client, "A-01-01-1")
    r = scan(client, "3760000000001")  # wrong check digit (0 is right)
    assert r.status_code == 422 and "check digit" in r.get_data(as_text=True)
    r = scan(client, "9999999999994")  # valid EAN nobody knows
    assert r.status_code == 422 and "not known" in r.get_data(as_text=True)
    r = scan(client, product.main_barcode, qty="abc")
    assert r.status_code == 422 and "not a quantity" in r.get_data(as_text=True)
    r = scan(client, product.main_barcode, qty="2")
    assert r.status_code == 422 and "only 1 free" in r.get_data(as_text=True)
    scan(client, product.main_barcode)
    r = scan(client, "SHIP-01")
    assert r.status_code == 422 and "Cannot move stock into SHIP-01" in r.get_data(as_text=True)
    assert stock_at(product, src).on_hand == 1
    assert db.session.query(StockMove).count() == 1
    # A refused scan id may be retried: it is judged again, not replayed.
    r = scan(client, "NOPE-99", scan_id="scan-0009-bbbb")
    assert r.status_code == 422
    assert scan(client, "NOPE-99", scan_id="scan-0009-bbbb").headers.get("X-Scan-Replayed") is None


def test_a_scan_id_is_never_replayed_to_another_operator(app, client, login_as, make_location, make_product):
    login_as("operator")
    make_location("A-01-01-1")
    db.session.commit()
    assert scan(client, "A-01-01-1", scan_id="shared-id-0001").status_code == 200
    client.post("/logout")
    login_as("operator")
    r = scan(client, "A-01-01-1", scan_id="shared-id-0001")
    assert r.status_code == 409 and "another screen or operator" in r.get_data(as_text=True)


def test_old_scan_answers_are_forgotten(app, client, login_as, make_location):
    from datetime import timedelta

    from wms.db import utcnow
    from wms.domain.scans.models import ScanRecord
    from wms.domain.scans.services import prune_scan_records

    login_as("operator")
    make_location("A-01-01-1")
    db.session.commit()
    scan(client, "A-01-01-1", scan_id="old-scan-0001")
    scan(client, "A-01-01-1", scan_id="new-scan-0001")
    db.session.query(ScanRecord).filter_by(scan_id="old-scan-0001").update(
        {"created_at": utcnow() - timedelta(hours=100)})
    assert prune_scan_records(timedelta(hours=72)) == 1
    assert [r.scan_id for r in db.session.query(ScanRecord)] == ["new-scan-0001"]
