"""The scan parser tells codes apart and refuses misreads."""
import pytest

from wms.barcodes import ScanKind, gs1_check_digit, parse_scan, validate_product_barcode


@pytest.mark.parametrize("raw,kind,code", [
    ("A-01-02-3", ScanKind.LOCATION, "A-01-02-3"),
    ("a-01-02-3\r\n", ScanKind.LOCATION, "A-01-02-3"),
    ("DOCK-01", ScanKind.LOCATION, "DOCK-01"),
    ("RCV-12", ScanKind.RECEIPT, "RCV-12"),
    ("so-77", ScanKind.ORDER, "SO-77"),
    ("PL-5", ScanKind.PICK_LIST, "PL-5"),
    ("TOTE-007", ScanKind.TOTE, "TOTE-007"),
    ("PCL-9", ScanKind.PARCEL, "PCL-9"),
    ("CNT-3", ScanKind.COUNT, "CNT-3"),
    ("BADGE-0001", ScanKind.BADGE, "BADGE-0001"),
    ("4006381333931", ScanKind.PRODUCT, "4006381333931"),  # EAN-13
    ("036000291452", ScanKind.PRODUCT, "036000291452"),  # UPC-A
    ("]E04006381333931", ScanKind.PRODUCT, "4006381333931"),  # with an AIM symbology id
    ("TSH-BLACK-M", ScanKind.PRODUCT, "TSH-BLACK-M"),  # internal Code 128 / SKU
])
def test_kinds(raw, kind, code):
    scan = parse_scan(raw)
    assert (scan.kind, scan.code) == (kind, code)


@pytest.mark.parametrize("raw", ["4006381333932", "036000291453", "", "   ", "x" * 200])
def test_misreads_are_invalid_with_a_reason(raw):
    scan = parse_scan(raw)
    assert scan.kind is ScanKind.INVALID and scan.error


def test_check_digits():
    assert gs1_check_digit("400638133393") == 1
    assert gs1_check_digit("03600029145") == 2
    assert validate_product_barcode("4006381333931") == "EAN-13"
    assert validate_product_barcode("036000291452") == "UPC-A"
    with pytest.raises(ValueError, match="check digit"):
        validate_product_barcode("4006381333930")
    with pytest.raises(ValueError, match="location"):
        validate_product_barcode("A-01-01-1")
    with pytest.raises(ValueError):
        validate_product_barcode("")


def test_a_warehouse_can_set_its_own_location_codes(app):
    assert parse_scan("RACK1.B.07").kind is ScanKind.PRODUCT
    app.config["LOCATION_PATTERN"] = r"^RACK\d+\.[A-Z]\.\d{2}$"
    assert parse_scan("rack1.b.07").kind is ScanKind.LOCATION
    assert parse_scan("A-01-02-3").kind is ScanKind.PRODUCT  # no longer one of ours
