"""An expected receipt belongs to a site (issue 14): set on the desk (its site choice, else the
desk's chosen site, else the first), by the API and the CSV import (a site code, else the first),
a blind receipt at the handheld's site; a handheld of another site is refused by name on every
path (the fast path included) and nothing changes; a receipt of no site is every site's."""
from __future__ import annotations

from sqlalchemy import func, select

from tests.domain.test_sites import two_sites  # noqa: F401 (fixture)
from tests.web.test_sites_scans import _at, _on_hand, _refused, _Scanner, _sites, _snapshot
from wms.db import db
from wms.domain.receiving import services as receiving
from wms.domain.receiving.models import Receipt


def _receipts():
    db.session.expire_all()
    return db.session.execute(select(Receipt).order_by(Receipt.id)).scalars().all()


def test_the_desk_creates_a_receipt_at_the_chosen_site(client, login_as, two_sites):
    s = two_sites()
    db.session.commit()
    login_as("supervisor")
    page = client.get("/desk/receipts").get_data(as_text=True)
    assert 'name="warehouse_id"' in page and ">Lyon<" in page  # two sites: a selector
    # No choice, desk on all sites: the first site.
    r = client.post("/desk/receipts/new", data={"supplier": "Acme", "lines": "SKU-A 3"})
    assert r.status_code == 302
    # The desk filtered to Lyon: Lyon; the form's choice wins over the filter.
    client.get(f"/desk/receipts?site={s.lyon.id}")
    assert client.post("/desk/receipts/new", data={"lines": "SKU-A 1"}).status_code == 302
    assert client.post("/desk/receipts/new", data={"lines": "SKU-B 1",
                                                   "warehouse_id": str(s.paris.id)}).status_code == 302
    assert [r.warehouse_id for r in _receipts()] == [s.paris.id, s.lyon.id, s.paris.id]
    # The CSV import follows the form's choice too.
    r = client.post("/desk/receipts/import", data={"text": "reference,sku,quantity\nPO-9,SKU-A,2\n",
                                                   "warehouse_id": str(s.lyon.id)})
    assert r.status_code == 302
    assert _receipts()[-1].warehouse_id == s.lyon.id
    # An unknown site: a sentence, nothing created, never a 500.
    for bad in ("999999", "abc"):
        r = client.post("/desk/receipts/new", data={"lines": "SKU-A 1", "warehouse_id": bad})
        assert r.status_code == 422 and "There is no site" in r.get_data(as_text=True)
        r = client.post("/desk/receipts/import", data={"text": "reference,sku,quantity\nPO-8,SKU-A,2\n",
                                                       "warehouse_id": bad})
        assert r.status_code == 422 and "There is no site" in r.get_data(as_text=True)
    assert len(_receipts()) == 4
    # The list filtered to a site shows its receipts and those of no site.
    codes = {r.id: r.code for r in _receipts()}
    anywhere = _receipts()[0]
    anywhere.warehouse_id = None
    db.session.commit()
    html = client.get(f"/desk/receipts?site={s.lyon.id}").get_data(as_text=True)
    shown = {i for i, code in codes.items() if f">{code}<" in html}
    assert shown == {anywhere.id} | {r.id for r in _receipts() if r.warehouse_id == s.lyon.id}
    assert "Any site" in html


def test_one_site_has_no_selector_and_its_receipts_are_its(client, login_as, make_warehouse, make_product):
    site = make_warehouse("ONE", "Only")
    make_product("SKU-A")
    db.session.commit()
    login_as("supervisor")
    assert 'name="warehouse_id"' not in client.get("/desk/receipts").get_data(as_text=True)
    assert client.post("/desk/receipts/new", data={"lines": "SKU-A 3"}).status_code == 302
    assert _receipts()[0].warehouse_id == site.id


def test_the_api_takes_a_site_code_and_refuses_an_unknown_one(client, login_as, two_sites):
    s = two_sites()
    db.session.commit()
    login_as("supervisor")
    body = {"source": "erp", "reference": "PO-1", "lines": [{"sku": "SKU-A", "quantity": 10}]}
    first = client.post("/api/v1/receipts", json=body)
    assert first.status_code == 201 and first.get_json()["warehouse"] == "PAR"  # absent: the first site
    lyon = client.post("/api/v1/receipts", json={**body, "reference": "PO-2", "warehouse": "lyo"})
    assert lyon.status_code == 201 and lyon.get_json()["warehouse"] == "LYO"
    # The same notice again without a site leaves it; with another site, moves it while not started.
    assert client.post("/api/v1/receipts", json={**body, "reference": "PO-2"}).get_json()["outcome"] == "unchanged"
    moved = client.post("/api/v1/receipts", json={**body, "reference": "PO-2", "warehouse": "PAR"})
    assert moved.get_json()["outcome"] == "updated" and moved.get_json()["warehouse"] == "PAR"
    before = [(r.id, r.warehouse_id) for r in _receipts()]
    bad = client.post("/api/v1/receipts", json={**body, "reference": "PO-3", "warehouse": "NOPE"})
    assert bad.status_code == 422, bad.get_json()
    assert "There is no site NOPE" in bad.get_json()["error"]["message"] and "PAR, LYO" in bad.get_json()["error"]["message"]
    bulk = client.post("/api/v1/receipts/bulk", json={"receipts": [{**body, "reference": "PO-4", "warehouse": "X"},
                                                                   {**body, "reference": "PO-5", "warehouse": "LYO"}]})
    assert bulk.status_code == 200, bulk.get_json()
    after = _receipts()
    assert [(r.id, r.warehouse_id) for r in after[:len(before)]] == before
    assert [(r.reference, r.warehouse_id) for r in after[len(before):]] == [("PO-5", s.lyon.id)]


def test_a_handheld_refuses_a_receipt_of_another_site_on_every_path(client, login_as, two_sites):
    s = _sites(two_sites)
    product = s.products["SKU-A"]
    paris = receiving.create_receipt([(product, 5)], supplier="Acme", warehouse_id=s.paris.id)
    db.session.commit()
    login_as("operator")
    rcv = _Scanner(client, "receiving")
    _at(s.lyon_station, client)
    before = _snapshot()
    _refused(rcv(paris.code), f"{paris.code} is expected at Paris, not at Lyon", before)
    # Taken at Paris, fast path reached (the second unit), then the handheld moves to Lyon.
    _at(s.paris_station, client)
    assert rcv(paris.code).status_code == 200
    assert rcv(product.main_barcode).status_code == 200
    assert rcv(product.main_barcode).status_code == 200
    assert _on_hand("DCKA-01", product) == 2
    _at(s.lyon_station, client)
    before = _snapshot()
    _refused(rcv(product.main_barcode), "is expected at Paris, not at Lyon", before)
    assert (_on_hand("DCKA-01", product), _on_hand("DCKB-01", product)) == (2, 0)
    # The handheld's list of deliveries shows its site's (and those of no site).
    lyon = receiving.create_receipt([(product, 1)], supplier="Lyon supplier", warehouse_id=s.lyon.id)
    db.session.commit()
    assert client.post("/handheld/receiving/leave", headers={"HX-Request": "true"}).status_code == 200
    html = client.get("/handheld/receiving").get_data(as_text=True)
    assert lyon.code in html and paris.code not in html


def test_a_blind_receipt_is_at_the_handheld_site(client, login_as, two_sites):
    s = _sites(two_sites)
    db.session.commit()
    login_as("operator")
    _at(s.lyon_station, client)
    assert client.post("/handheld/receiving/blind", headers={"HX-Request": "true"}).status_code == 200
    assert _receipts()[-1].warehouse_id == s.lyon.id and _receipts()[-1].blind
    assert db.session.scalar(select(func.count()).select_from(Receipt)) == 1
