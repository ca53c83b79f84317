"""CSV import on the desk: preview, row-level errors, all or nothing; export; locations import."""
import io

import pytest

from wms.db import db
from wms.domain.catalog.models import Product
from wms.domain.importing import ImportRefused, import_locations
from wms.domain.locations.models import Location, LocationKind
from tests.conftest import make_ean

GOOD = "sku,name,barcodes,weight_g\nNEW-1,Mug,{ean},350\nNEW-2,Cup,,120\n"


def test_product_import_previews_then_imports(client, login_as):
    login_as("supervisor")
    text = GOOD.format(ean=make_ean())
    preview = client.post("/desk/import/products", data={"file": (io.BytesIO(text.encode()), "p.csv")},
                          content_type="multipart/form-data")
    assert preview.status_code == 200
    assert "All 2 rows are good" in preview.get_data(as_text=True)
    assert db.session.query(Product).count() == 0  # a preview writes nothing
    done = client.post("/desk/import/products", data={"text": text, "confirm": "1"})
    assert done.status_code == 302
    assert {p.sku for p in db.session.query(Product)} == {"NEW-1", "NEW-2"}
    csv_out = client.get("/desk/products.csv").get_data(as_text=True)
    assert csv_out.splitlines()[0].startswith("sku,name") and "NEW-1,Mug" in csv_out


def test_bad_row_is_reported_and_nothing_imported(client, login_as):
    login_as("supervisor")
    text = "sku,name,weight_g\nOK-1,Fine,10\nBAD 2,,heavy\n"
    response = client.post("/desk/import/products", data={"text": text, "confirm": "1"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Nothing was imported" in html and "Row 3" in html and "weight_g must be a whole number" in html
    assert db.session.query(Product).count() == 0


def test_empty_upload_and_unknown_kind(client, login_as):
    login_as("supervisor")
    assert client.post("/desk/import/products", data={"text": ""}).status_code == 422
    assert client.get("/desk/import/customers").status_code == 404


def test_locations_import(app, make_warehouse, make_location):
    make_warehouse()
    make_location("A-01-01-1")
    with pytest.raises(ImportRefused) as refused:
        import_locations("code,kind\nA-01-01-2,STORAGE\nnot a code,SHELF\n")
    messages = [str(e) for e in refused.value.result.errors]
    assert any("row 3" in m and "not a location code" in m for m in messages)
    assert any("row 3" in m and "kind" in m for m in messages)
    assert db.session.query(Location).count() == 1
    result = import_locations("code,kind,zone,aisle,walk_sequence\nA-01-01-1,pick face,A,1,5\nDOCK-02,RECEIVING,,,\n")
    assert (result.created, result.updated) == (1, 1)
    assert db.session.query(Location).filter_by(code="A-01-01-1").one().kind is LocationKind.PICK_FACE


def test_location_import_on_the_desk(client, login_as, make_warehouse):
    make_warehouse()
    login_as("supervisor")
    r = client.post("/desk/import/locations", data={"text": "code,kind\nB-02-03-1,STORAGE\n", "confirm": "1"})
    assert r.status_code == 302
    assert "B-02-03-1" in client.get("/desk/locations").get_data(as_text=True)
    assert "B-02-03-1,STORAGE" in client.get("/desk/locations.csv").get_data(as_text=True)
