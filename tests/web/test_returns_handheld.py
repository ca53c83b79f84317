"""The handheld returns screen: scan the parcel, each item, one key for its condition, close."""
from sqlalchemy import func, select

from wms.db import db
from wms.domain.inventory.models import MoveReason, StockMove
from wms.domain.inventory.services import ledger_problems
from wms.domain.receiving import putaway
from wms.domain.returns.models import CustomerReturn, ReturnStatus
from wms.domain.returns import services as returns
from tests.returns_helpers import shipped_order

HX = {"HX-Request": "true"}


def scan(client, code, scan_id=None, url="/handheld/returns/scan"):
    data = {"code": code}
    headers = dict(HX)
    if scan_id:
        data["scan_id"] = scan_id
        headers["X-Scan-Id"] = scan_id
    return client.post(url, data=data, headers=headers)


def test_the_returns_screen_receives_grades_and_closes(client, login_as, make_product, make_location):
    order, (shirt, cap) = shipped_order(make_product, make_location)
    ret = returns.create_return(order, {order.lines[0].id: 1, order.lines[1].id: 1})
    db.session.commit()
    login_as("operator")
    page = client.get("/handheld/returns")
    assert page.status_code == 200 and ret.code in page.get_data(as_text=True)
    assert "Returns" in client.get("/handheld/").get_data(as_text=True)
    r = scan(client, "TRK000123", "ret-scan-0001")
    body = r.get_data(as_text=True)
    assert r.status_code == 200 and ret.code in body and "expected return" in body
    r = scan(client, shirt.main_barcode, "ret-scan-0002")
    body = r.get_data(as_text=True)
    assert r.status_code == 200 and 'data-awaiting-condition="1"' in body and "Press 1-4" in body
    r = scan(client, "1", "ret-scan-0003")
    assert r.status_code == 200 and "sellable: to RETN-01" in r.get_data(as_text=True)
    # The same key again with the same scan id: replayed, nothing booked twice.
    again = scan(client, "1", "ret-scan-0003")
    assert again.headers.get("X-Scan-Replayed") == "1"
    r = client.post("/handheld/returns/close", headers=HX)
    body = r.get_data(as_text=True)
    assert r.status_code == 200 and f"discrepancy: {cap.sku} × 1" in body
    db.session.expire_all()
    ret = db.session.get(CustomerReturn, ret.id)
    assert ret.status is ReturnStatus.RECEIVED
    assert db.session.scalar(select(func.sum(StockMove.quantity)).where(StockMove.reason == MoveReason.RETURNED)) == 1
    assert ledger_problems() == []
    # Putaway lists the returns location as a source and takes the unit to a bin.
    assert [lv.location.code for lv in putaway.dock_stock(shirt)] == ["RETN-01"]


def test_a_wrong_item_is_refused_with_a_sentence_and_set_aside(client, login_as, make_product, make_location):
    order, (shirt, _cap) = shipped_order(make_product, make_location)
    stranger = make_product("STRANGER-1")
    db.session.commit()
    login_as("operator")
    scan(client, "RETREF001", "ret-scan-0101")
    r = scan(client, stranger.main_barcode, "ret-scan-0102")
    body = r.get_data(as_text=True)
    assert r.status_code == 422 and "STRANGER-1 was not in order RETREF001" in body
    assert "scan-error" in r.headers["HX-Trigger"] and f"Set {stranger.main_barcode} aside" in body
    r = scan(client, stranger.main_barcode, "ret-scan-0103", url="/handheld/returns/aside")
    assert r.status_code == 200 and "1 set aside" in r.get_data(as_text=True)
    # A key with nothing waiting, and an empty scan, are refused and change nothing.
    r = scan(client, "2", "ret-scan-0104")
    assert r.status_code == 422 and "Scan an item first" in r.get_data(as_text=True)
    r = scan(client, "", "ret-scan-0105")
    assert r.status_code == 422
    assert db.session.scalar(select(func.count()).select_from(StockMove)) == 0


def test_operators_only(client):
    assert client.get("/handheld/returns").status_code in (302, 401, 403)
