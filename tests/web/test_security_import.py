"""Issue 16 items 9-11: CSV and form input checked at the edge with the models' limits,
request sizes bounded, and exports that a spreadsheet will not execute."""
import csv
import io

import pytest

from wms.db import db
from wms.domain import importing
from wms.domain.catalog.models import Product
from wms.domain.locations.models import Location

HEADER = "sku,name,zone\n"


def _refused(text, what="products"):
    function = importing.import_products if what == "products" else importing.import_locations
    with pytest.raises(importing.ImportRefused) as info:
        function(text)
    return str(info.value)


@pytest.mark.parametrize("row, expect", [
    (f"TSH-1,{'n' * 201},", "at most 200"),
    ("TSH-1,Shirt,ZONE-TOO-LONG-17C", "at most 16"),
    ("TSH\u200b-1,Shirt,", "invisible"),
    ("TSH-1,Shi\x00rt,", "control character"),
    (f"TSH-1,Shirt,\nTSH-2,Shirt,\nTSH-3,Shirt,{'z' * 17}", "row 4"),
])
def test_product_rows_are_checked_with_the_column_limits(app, make_warehouse, row, expect):
    assert expect in _refused(HEADER + row)
    assert db.session.query(Product).count() == 0


def test_huge_integers_duplicate_headers_and_huge_cells(app):
    text = "sku,name,weight_g\nTSH-1,Shirt," + "9" * 30 + "\n"
    assert "weight_g must be a whole number" in _refused(text)
    assert "appearing twice: sku" in _refused("sku,name,sku\nA,B,C\n")
    big = "sku,name\nTSH-1," + "x" * 200_000 + "\n"
    assert "larger than 128 KB" in _refused(big)


def test_locations_refuse_nan_and_unicode_digits(app, make_warehouse):
    make_warehouse()
    db.session.commit()
    head = "code,kind,pos_x\n"
    for value in ("nan", "inf", "-inf", "1e308"):
        assert "pos_x must be a number" in _refused(head + f"A-01-01-1,STORAGE,{value}\n", "locations")
    assert "not a location code" in _refused(head + "A-٠١-01-1,STORAGE,1\n", "locations")
    assert "not a location code" in _refused(head + "A-０１-01-1,STORAGE,1\n", "locations")
    assert db.session.query(Location).count() == 0


def test_upload_encodings_and_sizes(client, login_as, app):
    login_as("supervisor")
    bad = b"sku,name\nTSH-1,\x81\x8d\x8f\x90\x9d\n"  # bytes neither UTF-8 nor Windows-1252 define
    r = client.post("/desk/import/products", data={"file": (io.BytesIO(bad), "p.csv")},
                    content_type="multipart/form-data")
    assert r.status_code == 422 and "neither UTF-8 nor Windows-1252" in r.get_data(as_text=True)
    cp = "sku,name\nTSH-1,Café crème\n".encode("cp1252")
    r = client.post("/desk/import/products", data={"file": (io.BytesIO(cp), "p.csv")},
                    content_type="multipart/form-data")
    assert r.status_code == 200 and "Café crème" in r.get_data(as_text=True)
    pasted = "sku,name\n" + "TSH-1,Shirt\n" * 500_000  # 6 MB of pasted text
    r = client.post("/desk/import/products", data={"text": pasted})
    assert r.status_code in (413, 422) and "split" in r.get_data(as_text=True)
    assert app.config["MAX_CONTENT_LENGTH"] <= 6_000_000
    r = client.post("/desk/import/products", data={"text": "x" * 7_000_000})
    assert r.status_code == 413 and "too large" in r.get_data(as_text=True)
    r = client.post("/api/v1/stock/moves", data="{" + " " * 7_000_000 + "}", content_type="application/json")
    assert r.status_code == 413 and r.json["error"]["code"] == "too_large"
    assert db.session.query(Product).count() == 0


def test_desk_product_form_checks_lengths(client, login_as):
    login_as("supervisor")
    for data, expect in (({"sku": "S" * 65, "name": "x"}, "at most 64"),
                         ({"sku": "S-1", "name": "n" * 201}, "at most 200"),
                         ({"sku": "S\u200b1", "name": "x"}, "invisible"),
                         ({"sku": "S 1", "name": "x"}, "no spaces")):
        r = client.post("/desk/products", data=data)
        assert r.status_code == 422 and expect in r.get_data(as_text=True), data
    assert db.session.query(Product).count() == 0


def test_exports_do_not_run_as_formulas(client, login_as, make_product):
    login_as("supervisor")
    make_product("=HYPERLINK(1)", name="+SUM(A1)", barcode=None, variant="@cmd", zone="-2+3")
    make_product("PLAIN", name="-12", barcode=None)
    db.session.commit()
    rows = list(csv.reader(io.StringIO(client.get("/desk/products.csv").get_data(as_text=True))))
    by_sku = {r[0]: r for r in rows[1:]}
    evil = by_sku["'=HYPERLINK(1)"]
    assert evil[1] == "'+SUM(A1)" and evil[2] == "'@cmd" and evil[10] == "'-2+3"
    assert by_sku["PLAIN"][1] == "-12"  # a number stays a number
    for row in rows[1:]:
        for cell in row:
            assert not cell.startswith(("=", "+", "@")), cell
    # Re-importing the export gives back the same names (the apostrophe is taken off).
    text = client.get("/desk/products.csv").get_data(as_text=True)
    importing.import_products(text)
    assert db.session.query(Product).filter_by(sku="=HYPERLINK(1)").one().name == "+SUM(A1)"
