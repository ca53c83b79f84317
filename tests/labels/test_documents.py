"""Packing slip, pick list and manifest PDFs hold their rows, and their barcodes decode."""

import copy
import datetime as dt

import pytest

from wms.labels.documents import manifest_pdf, packing_slip_pdf, pick_list_pdf
from wms.labels.layout import LabelDataError

from .conftest import decode_page, page_count, pdf_text

SHOP = {"name": "Demo Shop Ltd", "address1": "12 Dock Road", "postcode": "75001", "city": "Paris", "country": "France"}
RECIPIENT = {"name": "Zoë Müller", "company": "Müller & Söhne GmbH", "address1": "Hauptstraße 42",
             "postcode": "10115", "city": "Berlin", "country": "Germany"}


def packing_data():
    return copy.deepcopy({
        "shop": SHOP,
        "order": {"reference": "XKBKNABJK", "date": dt.date(2025, 11, 23), "note": "Gift <wrap> & card"},
        "recipient": RECIPIENT,
        "items": [
            {"sku": "MUG-WHITE-350", "name": "Ceramic mug, white", "quantity": 2},
            {"sku": "TS-BLU-M", "name": "T-shirt <blue> M", "quantity": 1},
        ],
        "parcel_count": 2,
    })


def test_packing_slip_rows_and_order_barcode():
    pdf = packing_slip_pdf(packing_data())
    text = pdf_text(pdf)
    # Outside the app the documents speak English, dates in the English medium format.
    for expected in ("PACKING SLIP", "XKBKNABJK", "Nov 23, 2025", "Zoë Müller", "Hauptstraße 42", "Demo Shop Ltd",
                     "MUG-WHITE-350", "Ceramic mug, white", "T-shirt <blue> M", "Gift <wrap> & card"):
        assert expected in text, expected
    assert "Total items" in text and "3" in text
    assert "Parcels in this shipment: 2" in text
    assert decode_page(pdf) == [("XKBKNABJK", "Code128")]


def test_packing_slip_missing_field_is_named():
    data = packing_data()
    del data["recipient"]["postcode"]
    with pytest.raises(LabelDataError, match=r"packing slip: field 'recipient.postcode' is missing"):
        packing_slip_pdf(data)
    data = packing_data()
    del data["items"][1]["quantity"]
    with pytest.raises(LabelDataError, match=r"items\[2\] is missing quantity"):
        packing_slip_pdf(data)


def test_pick_list_in_route_order_with_barcodes():
    lines = [
        {"sequence": 3, "location": "B-06-02-1", "sku": "SKU-C", "name": "Candle", "quantity": 1},
        {"sequence": 1, "location": "A-01-03-1", "sku": "SKU-A", "name": "Apron", "quantity": 2, "tote": "T-07"},
        {"sequence": 2, "location": "A-02-11-2", "sku": "SKU-B", "name": "Bowl", "quantity": 4},
    ]
    pdf = pick_list_pdf({"code": "PL-000123", "operator": "alice", "date": dt.datetime(2025, 11, 23, 9, 30), "lines": lines})
    text = pdf_text(pdf)
    for expected in ("PICK LIST", "PL-000123", "alice", "Nov 23, 2025 9:30", "AM", "T-07", "Apron", "Bowl", "Candle"):
        assert expected in text, expected
    assert text.index("A-01-03-1") < text.index("A-02-11-2") < text.index("B-06-02-1")
    found = {value for value, symbology in decode_page(pdf) if symbology == "Code128"}
    assert found == {"PL-000123", "A-01-03-1", "A-02-11-2", "B-06-02-1", "SKU-A", "SKU-B", "SKU-C"}


def test_long_pick_list_spans_pages_and_every_row_decodes():
    lines = [{"sequence": n, "location": f"A-{n // 20 + 1:02d}-{n % 20 + 1:02d}-1", "sku": f"SKU-{n:04d}",
              "name": "Mug", "quantity": 1} for n in range(30)]
    pdf = pick_list_pdf({"code": "PL-9", "date": "2025-11-23", "lines": lines})
    assert page_count(pdf) >= 2
    found = set()
    for page in range(page_count(pdf)):
        found |= {value for value, _ in decode_page(pdf, page)}
    assert {line["sku"] for line in lines} <= found
    assert {line["location"] for line in lines} <= found


def test_manifest_rows_totals_and_tracking_barcodes():
    parcels = [
        {"tracking_number": "1Z999AA10123456784", "order_reference": "XKBKNABJK", "recipient": "Zoë Müller",
         "destination": "10115 Berlin, DE", "weight_kg": 1.25},
        {"tracking_number": "1Z999AA10123456791", "order_reference": "QWERTYUIO", "recipient": "Jean Dupont",
         "weight_kg": 3.5},
    ]
    pdf = manifest_pdf({"carrier": "UPS", "service": "Standard", "date": dt.date(2025, 11, 23),
                        "reference": "M-1", "shipper": SHOP, "parcels": parcels})
    text = pdf_text(pdf)
    for expected in ("CARRIER MANIFEST", "UPS", "M-1", "XKBKNABJK", "QWERTYUIO", "Zoë Müller", "Jean Dupont",
                     "1.25 kg", "3.50 kg", "2 parcels", "4.75 kg", "Collected by (driver)", "Signature"):
        assert expected in text, expected
    assert sorted(decode_page(pdf)) == [("1Z999AA10123456784", "Code128"), ("1Z999AA10123456791", "Code128")]


def test_manifest_bad_weight_is_an_error():
    data = {"carrier": "UPS", "date": "2025-11-23", "shipper": SHOP,
            "parcels": [{"tracking_number": "1Z1", "order_reference": "A", "recipient": "B", "weight_kg": "heavy"}]}
    with pytest.raises(LabelDataError, match=r"'heavy' is not a number"):
        manifest_pdf(data)


def test_documents_with_non_latin1_text_use_a_unicode_font():
    data = packing_data()
    data["recipient"] = {**RECIPIENT, "name": "Łukasz 李雷"}
    text = pdf_text(packing_slip_pdf(data))
    assert "Łukasz" in text


def test_document_data_must_be_a_dict():
    with pytest.raises(LabelDataError, match=r"pick list data must be a dict"):
        pick_list_pdf([])


def test_pick_list_has_one_tick_box_per_line():
    """Rendered, the last column holds one empty square per line (not one box round them all)."""
    import pypdfium2

    lines = [{"sequence": n, "location": f"A-01-{n:02d}-1", "sku": f"SKU-{n}", "name": "Mug",
              "quantity": n} for n in range(1, 5)]
    pdf = pick_list_pdf({"code": "PL-7", "date": "2025-11-23", "lines": lines})
    assert "4 lines, 10 units" in pdf_text(pdf)
    image = pypdfium2.PdfDocument(pdf)[0].render(scale=2).to_pil().convert("L")
    width, height = image.size
    pixels = image.load()
    # The tick column is the table's last 8 mm; find its squares' top and bottom edges: rows
    # where a dark run at least 3/4 of a box wide crosses that column.
    left, right = int(width * 0.86), int(width * 0.95)
    edges, previous = [], False
    for y in range(int(height * 0.15), int(height * 0.9)):
        run = longest = 0
        for x in range(left, right):
            run = run + 1 if pixels[x, y] < 100 else 0
            longest = max(longest, run)
        dark = 10 <= longest <= 40  # a 5 mm square is ~28 px at this scale; rules are longer
        if dark and not previous:
            edges.append(y)
        previous = dark
    assert len(edges) == 2 * len(lines), edges  # a top and a bottom edge per line's box
    short = pick_list_pdf({"code": "PL-8", "date": "2025-11-23", "lines": lines[:1]})
    assert "1 line, 1 unit" in pdf_text(short)
