"""GS1-128 / GS1 DataMatrix scans, GTIN-14 lookups, and pack barcodes counting N in every flow."""
from __future__ import annotations

from datetime import date

import pytest

from tests.domain.test_packing import packing_setup  # noqa: F401 (fixture)
from tests.domain.test_picking import floor, order  # noqa: F401 (fixture)
from wms.barcodes import ScanKind, parse_scan
from wms.db import db
from wms.domain.catalog.services import add_barcode, find_by_code, product_by_code
from wms.domain.inventory import services as inventory
from wms.domain.inventory.models import StockMove
from wms.domain.locations.models import LocationKind
from wms.domain.packing import services as packing
from wms.domain.picking import services as picking
from wms.domain.picking.allocation import allocate_orders
from wms.domain.receiving import services as receiving
from wms.errors import DomainError, NotFound
from wms.gs1 import GS1Error, gtin_candidates, parse_gs1, yymmdd

GS = "\x1d"
GTIN = "09506000134352"  # GS1's own example GTIN: indicator 0, so EAN-13 9506000134352
EAN = GTIN[1:]
CARTON = "19506000134359"  # the same item's carton GTIN-14 (indicator 1)


# ---------------------------------------------------------------- parsing (no database)

def test_fixed_length_ais_need_no_separator():
    data = parse_gs1("01" + GTIN + "17201225" + "10ABC123")
    assert data.fields == {"01": GTIN, "17": "201225", "10": "ABC123"}
    assert (data.gtin, data.lot, data.expiry, data.count) == (GTIN, "ABC123", date(2020, 12, 25), None)
    assert data.element_string() == f"(01){GTIN}(17)201225(10)ABC123"


def test_a_variable_ai_before_another_needs_fnc1_as_ascii_29():
    data = parse_gs1("01" + GTIN + "10ABC123" + GS + "17201225" + "21SN-9" + GS + "3012")
    assert (data.lot, data.expiry, data.serial, data.count) == ("ABC123", date(2020, 12, 25), "SN-9", 12)
    # Without the separator the lot swallows what follows, which is then refused, not guessed.
    lost = parse_gs1("01" + GTIN + "10ABC123" + "17201225")
    assert lost.lot == "ABC12317201225" and lost.expiry is None


@pytest.mark.parametrize("prefix,symbology", [("]C1", "GS1-128"), ("]d2", "GS1 DataMatrix"),
                                              ("]Q3", "GS1 QR Code"), ("", None)])
def test_symbology_prefix_is_optional_and_named(prefix, symbology):
    data = parse_gs1(prefix + "01" + GTIN + "10L7" + GS + "3706")
    assert (data.gtin, data.lot, data.count, data.symbology) == (GTIN, "L7", 6, symbology)


@pytest.mark.parametrize("sep", ["~", "|"])
def test_a_configured_substitute_stands_for_fnc1(sep):
    data = parse_gs1("01" + GTIN + "10ABC" + sep + "17261231", separator=sep)
    assert (data.lot, data.expiry) == ("ABC", date(2026, 12, 31))
    # Without the setting the substitute is data: the lot is too long and contains "~"/"|".
    with pytest.raises(GS1Error):
        parse_gs1("01" + GTIN + "10ABCDEFGHIJKLMNOP" + sep + "17261231")


def test_bracketed_form_and_day_00():
    data = parse_gs1(f"(01){GTIN}(17)250200(10)A(B)1")
    assert data.expiry == date(2025, 2, 28) and data.lot == "A(B)1"


@pytest.mark.parametrize("raw,why", [
    ("01" + GTIN[:-1] + "3" + "10X", "wrong check digit"),
    ("01" + GTIN + "17201332", "month 13"),
    ("01" + GTIN + "99ABC", r"\(99\)"),
    ("01" + GTIN + "300", "count is 0"),
    ("01" + GTIN + "10" + "L" * 21, "at most 20"),
    ("01" + GTIN + "10A" + GS + "10B", "twice"),
    ("01" + GTIN + "30ABC", "digits"),
    ("0195060001", "needs 14"),
])
def test_bad_gs1_strings_are_refused_with_the_reason(raw, why):
    with pytest.raises(GS1Error, match=why):
        parse_gs1(raw)


def test_parse_scan_turns_gs1_into_a_product_scan_with_its_data():
    scan = parse_scan("]C1" + "01" + GTIN + "10ABC123" + GS + "17201225\r\n")
    assert scan.kind is ScanKind.PRODUCT and scan.symbology == "GS1-128"
    assert scan.code == f"(01){GTIN}(10)ABC123(17)201225"
    assert scan.gs1.lot == "ABC123" and scan.gs1.expiry == date(2020, 12, 25)
    assert parse_scan("01" + GTIN).gs1.gtin == GTIN
    bad = parse_scan("01" + GTIN[:-1] + "9" + "10X")
    assert bad.kind is ScanKind.INVALID and "check digit" in bad.error
    assert parse_scan("00" + "0" * 18).gs1 is None  # an unannounced SSCC stays a plain code
    sscc = parse_scan("]C1" + "00" + "106141411234567897")
    assert sscc.kind is ScanKind.INVALID and "no product" in sscc.error
    # Plain codes are untouched: an EAN-13, a GTIN-14, a location, a SKU.
    assert parse_scan(EAN).gs1 is None and parse_scan(EAN).kind is ScanKind.PRODUCT
    assert parse_scan(CARTON).symbology == "GTIN-14"
    assert parse_scan("A-01-02-1").kind is ScanKind.LOCATION
    assert parse_scan("TSH-BLACK-S").code == "TSH-BLACK-S"


def test_parse_scan_reads_the_separator_from_the_setting(app):
    raw = "01" + GTIN + "10ABC~3706"
    assert parse_scan(raw).kind is ScanKind.INVALID  # "~" is not allowed in a lot
    app.config["GS1_SEPARATOR"] = "~"
    assert parse_scan(raw).gs1.count == 6


def test_yymmdd_century_and_gtin_candidates():
    assert yymmdd("991231").year == 1999 and yymmdd("491231").year == 2049
    assert gtin_candidates("00012345678905") == ["00012345678905", "0012345678905", "012345678905"]
    assert gtin_candidates(CARTON) == [CARTON]


# ---------------------------------------------------------------- lookups

@pytest.fixture
def item(make_product):
    product = make_product("MUG-GS1", barcode=EAN)
    add_barcode(product, CARTON, pack_qty=6)
    return product


def test_gtin14_with_indicator_0_is_the_ean13_and_a_carton_gtin_counts_its_pack(item):
    assert product_by_code("01" + GTIN + "10LOT1").product is item
    match = product_by_code(parse_scan("01" + GTIN + "10LOT1").code)
    assert (match.product, match.pack_qty, match.barcode, match.gs1.lot) == (item, 1, EAN, "LOT1")
    assert product_by_code(GTIN).barcode == EAN  # a plain GTIN-14 typed by hand
    carton = product_by_code(parse_scan("01" + CARTON + "17271231").code)
    assert (carton.product, carton.pack_qty) == (item, 6)


def test_count_ais_30_overrides_and_37_counts_trade_items(item):
    assert product_by_code(parse_scan("01" + GTIN + "3024").code).pack_qty == 24
    assert product_by_code(parse_scan("01" + CARTON + "3024").code).pack_qty == 24
    assert product_by_code(parse_scan("02" + CARTON + "372").code).pack_qty == 12


def test_unknown_gtins_are_refused_with_what_to_do(item):
    with pytest.raises(NotFound, match="pack barcode with its count"):
        product_by_code(parse_scan("01" + "29506000134356" + "10X").code)
    with pytest.raises(NotFound, match="Barcode 04006381333931 is not known"):
        product_by_code(parse_scan("01" + "04006381333931").code)
    assert find_by_code("(01)04006381333931") is None


def test_linking_a_gs1_scan_attaches_its_gtin(make_product):
    product = make_product("TEA-1", barcode=None)
    barcode = add_barcode(product, "01" + GTIN + "10LOT9")
    assert barcode.code == EAN  # indicator 0: stored as the EAN-13 the shop knows
    assert add_barcode(product, "]C101" + CARTON, pack_qty=6).code == CARTON
    with pytest.raises(DomainError, match="no GTIN"):
        add_barcode(product, "]C100106141411234567897")


# ---------------------------------------------------------------- a carton of 6 in each flow

def test_receiving_counts_a_carton_of_6_and_a_gs1_count(item, make_location, make_user):
    dock = make_location("DOCK-01", kind=LocationKind.RECEIVING)
    operator = make_user("operator")
    receipt = receiving.create_receipt([(item, 40)])
    receiving.scan(operator, receipt.code, tolerance_pct=0)
    _, message = receiving.scan(operator, CARTON, tolerance_pct=0)
    assert message.startswith("+6 MUG-GS1: 6 of 40")
    receiving.scan(operator, CARTON, 2, tolerance_pct=0)  # two cartons typed as a quantity
    _, message = receiving.scan(operator, "]C1" + "01" + GTIN + "10ABC123" + GS + "3010",
                                tolerance_pct=0)
    assert message.startswith("+10 MUG-GS1: 28 of 40")
    _, message = receiving.scan(operator, "01" + CARTON + "17271231" + "10B7", tolerance_pct=0)
    assert message.startswith("+6 MUG-GS1: 34 of 40")
    assert inventory.stock_at(item, dock).on_hand == 34
    moves = db.session.execute(db.select(StockMove).order_by(StockMove.id)).scalars().all()
    assert [m.quantity for m in moves] == [6, 12, 10, 6]
    # The lot (and expiry) of a GS1 scan are written on its movement.
    assert [m.note for m in moves] == [None, None, "lot ABC123", "lot B7, exp 2027-12-31"]
    assert inventory.ledger_problems() == []


def test_picking_counts_a_carton_of_6(floor):
    add_barcode(floor.p1, CARTON, pack_qty=6)
    inventory.receive(floor.p1, floor.far, 10)
    o = order((floor.p1, 7))
    allocate_orders()
    pl = picking.create_pick_list([o.id])
    picking.scan(floor.olga, pl.code)
    first = pl.allocations[0]
    assert first.quantity == 7
    picking.scan(floor.olga, first.location.code)
    _, message = picking.scan(floor.olga, "01" + CARTON)  # a GS1 carton label: 6 units
    assert message == "Picked 6 × P-1" and first.picked == 6
    with pytest.raises(DomainError, match="Too many: only 1 more"):
        picking.scan(floor.olga, CARTON)
    picking.scan(floor.olga, floor.p1.main_barcode)
    assert first.picked == 7 and inventory.stock_at(floor.p1, floor.pack).on_hand == 7
    assert inventory.ledger_problems() == []


def test_picking_refuses_a_carton_when_fewer_are_left(floor):
    add_barcode(floor.p2, CARTON, pack_qty=6)
    o = order((floor.p2, 1))
    allocate_orders()
    pl = picking.create_pick_list([o.id])
    picking.scan(floor.olga, pl.code)
    picking.scan(floor.olga, pl.allocations[0].location.code)
    with pytest.raises(DomainError, match="Too many"):
        picking.scan(floor.olga, CARTON)


def test_packing_counts_a_carton_of_6(packing_setup):
    s = packing_setup(picked=(6, 1), ordered=(6, 1))
    add_barcode(s.a, CARTON, pack_qty=6)
    packing.scan(s.operator, s.order.code)
    view, message = packing.scan(s.operator, CARTON)
    assert message == "OK SKU-A: 6 of 6 packed"
    with pytest.raises(DomainError, match="TOO MANY"):
        packing.scan(s.operator, "01" + CARTON)
