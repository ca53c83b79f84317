"""The packing screen and the desk dispatch over HTTP: scans, refusals, documents, closing."""
from __future__ import annotations

import pytest

from tests.domain.test_packing import ean, packing_setup  # noqa: F401 (fixture)
from wms.db import db
from wms.domain.orders.models import OrderStatus
from wms.domain.shipping.models import Shipment

HX = {"HX-Request": "true"}


def post(client, url, **data):
    return client.post(url, data=data, headers=HX)


@pytest.fixture
def station(packing_setup, make_warehouse):
    make_warehouse()
    s = packing_setup()
    db.session.commit()
    return s


def test_pack_an_order_on_the_screen_and_download_documents(client, login_as, station):
    s = station
    login_as("operator")
    page = client.get("/handheld/packing")
    assert page.status_code == 200 and "Scan the tote or the order" in page.get_data(as_text=True)
    r = post(client, "/handheld/packing/scan", code=s.order.code, scan_id="pack-0001-aaaa")
    assert r.status_code == 200 and "WEBSHOP-1" in r.get_data(as_text=True)
    r = post(client, "/handheld/packing/scan", code=ean(s.other), scan_id="pack-0002-aaaa")
    assert r.status_code == 422 and "WRONG ITEM" in r.get_data(as_text=True)
    assert "scan-error" in r.headers["HX-Trigger"]
    r = post(client, "/handheld/packing/scan", code=ean(s.a), qty="2", scan_id="pack-0003-aaaa")
    again = post(client, "/handheld/packing/scan", code=ean(s.a), qty="2", scan_id="pack-0003-aaaa")
    assert again.headers.get("X-Scan-Replayed") == "1"  # a retried scan is applied once
    r = post(client, "/handheld/packing/split", box="BOX-S", weight="0.9")
    assert r.status_code == 200 and "Parcel 1 closed" in r.get_data(as_text=True)
    post(client, "/handheld/packing/scan", code=ean(s.b), scan_id="pack-0004-aaaa")
    r = post(client, "/handheld/packing/finish", box="BOX-M", weight="")
    assert r.status_code == 422 and "weight" in r.get_data(as_text=True)
    r = post(client, "/handheld/packing/finish", box="BOX-M", weight="1.4")
    body = r.get_data(as_text=True)
    assert r.status_code == 200 and "Shipping labels (PDF)" in body and "RX1001" in body
    db.session.expire_all()
    assert s.order.status is OrderStatus.PACKED
    assert [line.quantity_packed for line in s.order.lines] == [2, 1]
    shipment_id = db.session.execute(db.select(Shipment.id)).scalar_one()
    pdf = client.get(f"/handheld/packing/shipments/{shipment_id}/labels.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf" and pdf.data.startswith(b"%PDF")
    zpl = client.get(f"/handheld/packing/shipments/{shipment_id}/labels.zpl")
    assert zpl.status_code == 200 and zpl.get_data(as_text=True).count("^XA") == 2
    slip = client.get(f"/handheld/packing/shipments/{shipment_id}/packing-slip.pdf")
    assert slip.mimetype == "application/pdf"


def test_operator_cannot_close_with_missing_items_supervisor_can(client, login_as, packing_setup,
                                                                make_warehouse):
    make_warehouse()
    s = packing_setup(picked=(1, 1), ordered=(2, 1))
    db.session.commit()
    login_as("operator")
    post(client, "/handheld/packing/scan", code=s.order.code)
    post(client, "/handheld/packing/scan", code=ean(s.a))
    post(client, "/handheld/packing/scan", code=ean(s.b))
    r = post(client, "/handheld/packing/finish", box="BOX-M", weight="1")
    assert r.status_code == 422 and "Items missing: SKU-A × 1" in r.get_data(as_text=True)
    assert "Accept a partial shipment" not in r.get_data(as_text=True)
    r = post(client, "/handheld/packing/finish", box="BOX-M", weight="1", accept_partial="1")
    assert r.status_code == 422 and "Only a supervisor" in r.get_data(as_text=True)
    client.post("/logout")
    login_as("supervisor")
    r = post(client, "/handheld/packing/scan", code=s.order.code)
    assert "Accept a partial shipment" in r.get_data(as_text=True)
    r = post(client, "/handheld/packing/finish", box="BOX-M", weight="1", accept_partial="1")
    assert r.status_code == 200, r.get_data(as_text=True)
    db.session.expire_all()
    assert s.order.status is OrderStatus.PACKED


def test_desk_dispatch_refuses_wrong_carrier_and_twice_then_closes(client, login_as, station):
    from wms.domain.packing import services as packing
    from wms.domain.shipping.models import Carrier

    s = station
    packing.scan(s.operator, s.order.code)
    packing.scan(s.operator, ean(s.a), 2)
    packing.scan(s.operator, ean(s.b))
    view, _ = packing.finish(s.operator, "BOX-M", "2")
    parcel_code = view.shipment.parcels[0].code
    db.session.add(Carrier(code="OTH", name="Othercar", adapter="manual"))
    db.session.commit()
    login_as("operator")
    assert client.get("/desk/dispatch").status_code == 403
    client.post("/logout")
    login_as("supervisor")
    assert "Rangex" in client.get("/desk/dispatch").get_data(as_text=True)
    from wms.domain.shipping.models import Dispatch

    # Looking at a carrier starts nothing: the page offers a POST button instead.
    page = client.get("/desk/dispatch/carriers/RNG").get_data(as_text=True)
    assert "No open dispatch for Rangex" in page and "Start a dispatch" in page
    assert db.session.execute(db.select(Dispatch)).first() is None
    r = post(client, "/desk/dispatch/carriers/OTH")
    assert r.status_code == 200 and "open: scan the parcels for Othercar" in r.get_data(as_text=True)
    post(client, "/desk/dispatch/carriers/RNG")
    post(client, "/desk/dispatch/carriers/RNG")  # a double click carries on with the same one
    assert db.session.execute(db.select(db.func.count()).select_from(Dispatch)).scalar() == 2
    assert "Start a dispatch" not in client.get("/desk/dispatch/carriers/RNG").get_data(as_text=True)
    wrong, right = (db.session.execute(db.select(Dispatch).order_by(Dispatch.id)).scalars().all())
    r = post(client, f"/desk/dispatch/{wrong.id}/scan", code=parcel_code)
    assert r.status_code == 422 and "goes with Rangex, not Othercar" in r.get_data(as_text=True)
    r = post(client, f"/desk/dispatch/{right.id}/scan", code=parcel_code)
    assert r.status_code == 200 and "added" in r.get_data(as_text=True)
    r = post(client, f"/desk/dispatch/{right.id}/scan", code=parcel_code)
    assert r.status_code == 409 and "scanned twice" in r.get_data(as_text=True)
    r = post(client, f"/desk/dispatch/{right.id}/close")
    assert r.status_code == 200 and "1 order shipped" in r.get_data(as_text=True)
    db.session.expire_all()
    assert s.order.status is OrderStatus.SHIPPED
    r = client.get(f"/desk/dispatch/manifest/RNG/{right.closed_at.date().isoformat()}.pdf")
    assert r.status_code == 200 and r.mimetype == "application/pdf"
    assert client.get("/desk/dispatch/manifest/RNG/2001-01-01.pdf").status_code == 404


def test_the_done_screen_takes_the_next_order_scan(client, login_as, station):
    from wms.domain.packing import services as packing

    s = station
    user = login_as("operator")
    packing.scan(user, s.order.code)
    packing.scan(user, ean(s.a), 2)
    packing.scan(user, ean(s.b))
    view, _ = packing.finish(user, "BOX-M", "1.4")
    db.session.commit()
    assert view.step == "done"
    body = client.get("/handheld/packing").get_data(as_text=True)
    assert "then scan the next order" in body
    assert 'class="scan-form"' in body and 'name="code"' in body and 'name="qty"' not in body
