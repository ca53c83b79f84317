"""The desk's returns: list, create for an order, a return's page, refunds to do, rate, CSV export."""
import csv
import io

from sqlalchemy import select

from wms.db import db
from wms.domain.returns import services as returns
from wms.domain.returns.models import CustomerReturn, ReturnStatus
from wms.web.desk.returns import safe_cell
from tests.returns_helpers import shipped_order


def test_a_supervisor_creates_follows_and_exports_returns(client, login_as, make_product, make_location, make_user):
    order, (shirt, cap) = shipped_order(make_product, make_location)
    db.session.commit()
    login_as("supervisor")
    assert client.get("/desk/returns").status_code == 200
    r = client.post("/desk/returns/new", data={"order": "TRK000123", "lines": f"{shirt.sku} 2\n{cap.sku.lower()}",
                                               "reason": "=HYPERLINK(\"http://x\")"})
    assert r.status_code == 302
    ret = db.session.execute(select(CustomerReturn)).scalar_one()
    assert ret.source == "desk" and ret.announced_total == 3
    page = client.get(f"/desk/returns/{ret.id}").get_data(as_text=True)
    assert ret.code in page and "created by the desk" in page
    assert ret.code in client.get("/desk/returns?view=expected").get_data(as_text=True)

    operator = make_user("operator")
    returns.scan(operator, ret.code)
    returns.scan(operator, shirt.main_barcode)
    returns.scan(operator, "1")
    returns.close(operator)
    db.session.commit()
    listing = client.get("/desk/returns?view=discrepancy").get_data(as_text=True)
    assert ret.code in listing and "missing" in listing
    assert ret.code in listing.split("Waiting for a refund")[1]
    assert ret.code not in client.get("/desk/returns?view=exceptions").get_data(as_text=True).split("Waiting")[0]
    page = client.get(f"/desk/returns/{ret.id}").get_data(as_text=True)
    assert "RETN-01" in page and "Returned" in page and "received" in page.lower()

    export = client.get("/desk/returns.csv")
    rows = list(csv.DictReader(io.StringIO(export.get_data(as_text=True))))
    assert [(row["sku"], row["announced"], row["received"]) for row in rows] == [(shirt.sku, "2", "1"), (cap.sku, "1", "0")]
    assert rows[0]["reason"].startswith("'=")  # a formula is neutralised

    rate = client.get("/desk/returns/rate").get_data(as_text=True)
    assert shirt.sku in rate
    assert client.get("/desk/returns/rate?start=2026-02-30").status_code == 422
    assert client.get("/desk/returns/rate?start=2026-02-10&end=2026-02-01").status_code == 422

    r = client.post(f"/desk/returns/{ret.id}/refunded")
    assert r.status_code == 302
    db.session.expire_all()
    assert returns.waiting_for_refund() == []


def test_bad_desk_input_is_refused_with_a_sentence(client, login_as, make_product, make_location):
    order, (shirt, _cap) = shipped_order(make_product, make_location)
    db.session.commit()
    login_as("supervisor")
    for data, sentence in [({"order": "NOPE", "lines": "X 1"}, "No order has"),
                           ({"order": "RETREF001", "lines": "UNKNOWN 1"}, "is not in order RETREF001"),
                           ({"order": "RETREF001", "lines": f"{shirt.sku} 9"}, "only 2 shipped"),
                           ({"order": "RETREF001", "lines": f"{shirt.sku} many"}, "whole number"),
                           ({"order": "RETREF001", "lines": f"{shirt.sku} 1 2"}, "SKU quantity")]:
        r = client.post("/desk/returns/new", data=data)
        assert r.status_code == 422 and sentence in r.get_data(as_text=True), data
    assert db.session.execute(select(CustomerReturn)).first() is None
    assert client.get("/desk/returns/999").status_code == 404
    ret = returns.create_return(order, {order.lines[0].id: 1})
    db.session.commit()
    r = client.post(f"/desk/returns/{ret.id}/refunded")
    assert r.status_code == 422 and "not received yet" in r.get_data(as_text=True)
    assert client.post(f"/desk/returns/{ret.id}/cancel").status_code == 302
    db.session.expire_all()
    assert db.session.get(CustomerReturn, ret.id).status is ReturnStatus.CANCELLED


def test_operators_cannot_see_the_desk_returns(client, login_as):
    login_as("operator")
    assert client.get("/desk/returns").status_code in (302, 403)


def test_safe_cell_neutralises_formulas():
    assert [safe_cell(v) for v in ("=1+1", "+33", "-2", "@SUM", "plain", None, 3)] == \
        ["'=1+1", "'+33", "'-2", "'@SUM", "plain", "", "3"]
