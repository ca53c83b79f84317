"""Receipts, receiving scans, over-receipt approval, closing short, and putaway."""
import pytest

from wms.db import db
from wms.domain.importing import ImportRefused
from wms.domain.inventory.models import MoveReason, StockMove
from wms.domain.inventory.services import ledger_problems, receive, stock_at
from wms.domain.locations.models import LocationKind
from wms.domain.receiving import putaway
from wms.domain.receiving import services as receiving
from wms.domain.receiving.models import Receipt, ReceiptStatus
from wms.errors import DomainError, PermissionDenied


@pytest.fixture
def dock(make_location):
    return make_location("DOCK-01", kind=LocationKind.RECEIVING)


@pytest.fixture
def setup(dock, make_product, make_user):
    mug = make_product("MUG-1", zone="A")
    tee = make_product("TEE-1", zone="A")
    operator, supervisor = make_user("operator"), make_user("supervisor")
    receipt = receiving.create_receipt([("MUG-1", 3), (tee, 2)], supplier="Acme", user=supervisor)
    return receipt, mug, tee, operator, supervisor


def test_receipt_code_status_and_lines(setup):
    receipt, mug, tee, *_ = setup
    assert receipt.code == f"RCV-{receipt.id}"
    assert receipt.status is ReceiptStatus.EXPECTED
    assert [(l.product.sku, l.expected, l.received) for l in receipt.lines] == [("MUG-1", 3, 0), ("TEE-1", 2, 0)]
    assert receiving.receipt_by_code(f"rcv-{receipt.id}") is receipt


def test_create_receipt_refuses_unknown_sku_and_bad_quantity(setup):
    with pytest.raises(DomainError, match="No product has the SKU NOPE"):
        receiving.create_receipt([("NOPE", 1)])
    with pytest.raises(DomainError, match="above zero"):
        receiving.create_receipt([("MUG-1", 0)])
    with pytest.raises(DomainError, match="at least one line"):
        receiving.create_receipt([])
    with pytest.raises(DomainError, match="Line 2"):
        receiving.parse_lines("MUG-1 2\nTEE-1 two")


def test_scans_receive_into_the_dock_through_the_ledger(setup, dock):
    receipt, mug, tee, operator, _ = setup
    receiving.scan(operator, receipt.code, tolerance_pct=0)
    view, message = receiving.scan(operator, mug.main_barcode, tolerance_pct=0)
    assert message == "+1 MUG-1: 1 of 3, 2 left"
    view, message = receiving.scan(operator, mug.main_barcode, 2, tolerance_pct=0)
    assert message == "+2 MUG-1: 3 of 3"
    assert receipt.status is ReceiptStatus.RECEIVING
    assert stock_at(mug, dock).on_hand == 3
    moves = db.session.query(StockMove).all()
    assert [(m.quantity, m.reason, m.reference, m.user_id) for m in moves] == [
        (1, MoveReason.RECEIVED, receipt.code, operator.id), (2, MoveReason.RECEIVED, receipt.code, operator.id)]
    assert ledger_problems() == []


def test_pack_barcode_counts_pack_qty_units(setup, dock):
    receipt, mug, tee, operator, supervisor = setup
    receiving.link_barcode("CASE-MUG-6", "MUG-1", pack_qty=6, user=supervisor)
    receipt.lines[0].expected = 6
    receiving.scan(operator, receipt.code, tolerance_pct=0)
    _, message = receiving.scan(operator, "CASE-MUG-6", tolerance_pct=0)
    assert message == "+6 MUG-1: 6 of 6"


def test_wrong_barcode_and_product_before_receipt_are_refused(setup, dock):
    receipt, mug, tee, operator, _ = setup
    with pytest.raises(DomainError, match="Scan the receipt code first"):
        receiving.scan(operator, mug.main_barcode, tolerance_pct=0)
    receiving.scan(operator, receipt.code, tolerance_pct=0)
    with pytest.raises(DomainError, match="not known") as err:
        receiving.scan(operator, "9999999999994", tolerance_pct=0)
    assert err.value.status == 422 and err.value.code == "unknown_barcode"
    with pytest.raises(DomainError, match="check digit"):
        receiving.scan(operator, "3760000000001", tolerance_pct=0)
    with pytest.raises(DomainError, match="does not exist"):
        receiving.scan(operator, "RCV-999", tolerance_pct=0)
    assert db.session.query(StockMove).count() == 0


def test_too_many_needs_a_supervisor(setup, dock):
    receipt, mug, tee, operator, supervisor = setup
    receiving.scan(operator, receipt.code, tolerance_pct=0)
    receiving.scan(operator, tee.main_barcode, 2, tolerance_pct=0)
    with pytest.raises(DomainError, match="Over-receipt: TEE-1 would reach 3") as err:
        receiving.scan(operator, tee.main_barcode, tolerance_pct=0)
    assert err.value.code == "over_receipt" and err.value.details["total"] == 3
    with pytest.raises(DomainError, match="not on"):
        receiving.scan(operator, receiving_other_product(), tolerance_pct=0)
    assert stock_at(tee, dock).on_hand == 2
    with pytest.raises(DomainError, match="No over-receipt is waiting"):
        receiving.approve_and_receive(operator, supervisor.badge_code, "1234", tolerance_pct=0)
    # The screen keeps the refusal server-side (as the handheld view does after a refusal).
    receiving.hold_over_receipt(operator, err.value.details["product_id"], err.value.details["total"])
    # An operator cannot approve; a supervisor's badge and PIN can.
    with pytest.raises(PermissionDenied):
        receiving.approve_and_receive(operator, operator.badge_code, "1234", tolerance_pct=0)
    with pytest.raises(DomainError, match="Badge or PIN"):
        receiving.approve_and_receive(operator, supervisor.badge_code, "0000", tolerance_pct=0)
    _, message = receiving.approve_and_receive(operator, supervisor.badge_code, "1234", tolerance_pct=0)
    assert "+1 TEE-1: 3 of 2, 1 over" in message and supervisor.name in message
    # The same approval sent twice receives nothing more.
    _, message = receiving.approve_and_receive(operator, supervisor.badge_code, "1234", tolerance_pct=0)
    assert "nothing more" in message
    assert stock_at(tee, dock).on_hand == 3
    move = db.session.query(StockMove).order_by(StockMove.id.desc()).first()
    assert move.user_id == operator.id and "approved by" in move.note


def receiving_other_product():
    from wms.domain.catalog.models import Product
    from wms.domain.catalog.services import add_barcode

    product = Product(sku="EXTRA-1", name="Not ordered")
    db.session.add(product)
    db.session.flush()
    return add_barcode(product, "4006381333931").code


def test_tolerance_allows_a_few_more(setup, dock):
    receipt, mug, tee, operator, _ = setup
    receiving.scan(operator, receipt.code, tolerance_pct=50)
    _, message = receiving.scan(operator, tee.main_barcode, 3, tolerance_pct=50)
    assert message == "+3 TEE-1: 3 of 2, 1 over"
    with pytest.raises(DomainError, match="Over-receipt"):
        receiving.scan(operator, tee.main_barcode, tolerance_pct=50)


def test_closing_short_records_the_discrepancy_and_twice_is_refused(setup, dock):
    receipt, mug, tee, operator, _ = setup
    receiving.scan(operator, receipt.code, tolerance_pct=0)
    receiving.scan(operator, mug.main_barcode, 3, tolerance_pct=0)
    receiving.scan(operator, tee.main_barcode, tolerance_pct=0)
    view, message = receiving.close_current(operator)
    assert message == f"{receipt.code} closed with discrepancies: 1 missing."
    assert receipt.status is ReceiptStatus.CLOSED_SHORT
    assert receipt.discrepancy == "TEE-1: 1 missing (1 of 2)"
    assert [(l.expected, l.received) for l in receipt.lines] == [(3, 3), (2, 1)]
    with pytest.raises(DomainError, match="closed with discrepancies: nothing more"):
        receiving.scan(operator, receipt.code, tolerance_pct=0)
    with pytest.raises(DomainError, match="nothing more can be received"):
        receiving.close_receipt(receipt, user=operator)


def test_close_in_full_and_close_with_nothing(setup, dock):
    receipt, mug, tee, operator, _ = setup
    with pytest.raises(DomainError, match="Nothing was received"):
        receiving.close_receipt(receipt, user=operator)
    receiving.scan(operator, receipt.code, tolerance_pct=0)
    receiving.scan(operator, mug.main_barcode, 3, tolerance_pct=0)
    receiving.scan(operator, tee.main_barcode, 2, tolerance_pct=0)
    _, message = receiving.close_current(operator)
    assert receipt.status is ReceiptStatus.RECEIVED and "in full: 5 units" in message


def test_blind_receipt_has_no_limit(setup, dock):
    _, mug, _, operator, _ = setup
    receiving.start_blind(operator)
    _, message = receiving.scan(operator, mug.main_barcode, 40, tolerance_pct=0)
    assert message == "+40 MUG-1: 40"
    blind = db.session.query(Receipt).filter_by(blind=True).one()
    assert blind.lines[0].expected == 0 and stock_at(mug, dock).on_hand == 40


def test_import_receipts_all_or_nothing(setup):
    before = db.session.query(Receipt).count()
    bad = "reference,supplier,expected_date,sku,quantity\nPO-1,Acme,2026-12-01,MUG-1,4\nPO-1,Acme,2026-13-01,NOPE,x\n"
    with pytest.raises(ImportRefused) as err:
        receiving.import_receipts(bad)
    messages = [str(e) for e in err.value.result.errors]
    assert "row 3: sku NOPE is not a known product" in messages
    assert any("quantity must be" in m for m in messages) and any("expected_date" in m for m in messages)
    assert db.session.query(Receipt).count() == before
    good = "reference,supplier,expected_date,sku,quantity\nPO-1,Acme,2026-12-01,MUG-1,4\nPO-1,,,TEE-1,2\nPO-2,Bolt,,MUG-1,1\n"
    assert receiving.import_receipts(good).created == 2
    po1 = db.session.query(Receipt).filter_by(reference="PO-1").one()
    assert po1.supplier == "Acme" and str(po1.expected_date) == "2026-12-01"
    assert [(l.product.sku, l.expected) for l in po1.lines] == [("MUG-1", 4), ("TEE-1", 2)]


def test_only_a_supervisor_links_a_barcode(setup):
    _, mug, _, operator, supervisor = setup
    with pytest.raises(PermissionDenied):
        receiving.link_barcode("4006381333931", "MUG-1", user=operator)
    assert receiving.link_barcode("4006381333931", "MUG-1", user=supervisor) is mug


# ---------------------------------------------------------------- putaway

def test_suggestion_prefers_a_bin_holding_the_sku_then_the_first_empty_in_zone(
        make_location, make_product, dock):
    mug = make_product("MUG-1", zone="A")
    other = make_product("OTHER", zone="A")
    a1 = make_location("A-01-01-1", walk_sequence=1)
    make_location("A-01-02-1", walk_sequence=2)
    make_location("B-01-01-1", walk_sequence=0)
    make_location("SHIP-01", kind=LocationKind.STAGING, zone="A", walk_sequence=0)
    receive(other, a1, 1)
    assert putaway.suggest_location(mug).code == "A-01-02-1"  # A-01-01-1 is occupied
    a3 = make_location("A-02-01-1", walk_sequence=9)
    receive(mug, a3, 1)
    assert putaway.suggest_location(mug).code == "A-02-01-1"


def test_putaway_confirm_override_and_wrong_kinds(make_location, make_product, make_user, dock):
    operator = make_user("operator")
    mug = make_product("MUG-1", zone="A")
    suggested = make_location("A-01-01-1", walk_sequence=1)
    other = make_location("A-05-01-1", walk_sequence=5)
    make_location("SHIP-01", kind=LocationKind.STAGING)
    make_location("PACK-01", kind=LocationKind.PACKING)
    receive(mug, dock, 5, reason=MoveReason.RECEIVED, reference="RCV-1")
    with pytest.raises(DomainError, match="Scan a product on the dock first"):
        putaway.scan(operator, "A-01-01-1")
    view, message = putaway.scan(operator, mug.main_barcode, 3)
    assert message == "MUG-1: 3 to put away; put away in A-01-01-1" and view.suggestion == suggested
    for code, kind in (("SHIP-01", "shipping staging"), ("PACK-01", "packing")):
        with pytest.raises(DomainError, match=f"{code} is a {kind} location"):
            putaway.scan(operator, code)
    with pytest.raises(DomainError, match="Count again"):
        putaway.scan(operator, mug.main_barcode, 3)
    _, message = putaway.scan(operator, "A-01-01-1")
    assert message == "Put away 3 × MUG-1 in A-01-01-1"
    putaway.scan(operator, mug.main_barcode)
    putaway.take_all(operator)
    _, message = putaway.scan(operator, "A-05-01-1")
    assert message == "Put away 2 × MUG-1 in A-05-01-1 (not the suggested bin)"
    assert stock_at(mug, dock).on_hand == 0 and stock_at(mug, other).on_hand == 2
    moves = db.session.query(StockMove).filter_by(reason=MoveReason.PUTAWAY).all()
    assert [(m.quantity, m.user_id) for m in moves] == [(3, operator.id), (2, operator.id)]
    with pytest.raises(DomainError, match="No MUG-1 waiting"):
        putaway.scan(operator, mug.main_barcode)
    assert ledger_problems() == []
