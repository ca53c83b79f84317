"""Receiving and putaway in a real browser at phone size, scanning by typing + Enter."""

import pytest
from sqlalchemy import select

from tests.conftest import screenshot
from wms.db import db

pytestmark = pytest.mark.browser





@pytest.fixture
def delivery(live_server):
    """The demo warehouse and an expected receipt of two products (one already stocked)."""
    from wms.barcodes import gs1_check_digit
    from wms.domain.catalog.models import Barcode, Product
    from wms.domain.inventory.models import StockLevel
    from wms.domain.receiving.services import create_receipt
    from wms.seed import seed_demo

    with live_server.application.app_context():
        seed_demo(live_server.application.config)
        db.session.commit()
        stocked_ids = set(db.session.execute(select(StockLevel.product_id)).scalars())
        products = db.session.execute(select(Product).where(Product.zone.is_not(None))
                                      .order_by(Product.id)).scalars().all()
        stocked = next(p for p in products if p.id in stocked_ids and p.main_barcode)
        fresh = next((p for p in products if p.id not in stocked_ids and p.main_barcode),
                     next(p for p in products if p.main_barcode and p is not stocked))
        receipt = create_receipt([(stocked, 3), (fresh, 2)], supplier="Nordic Cotton")
        db.session.commit()
        unknown = next(c for c in (f"20000000{n:04d}" for n in range(1, 999))
                       if db.session.execute(select(Barcode).where(
                           Barcode.code == c + str(gs1_check_digit(c)))).first() is None)
        info = {"code": receipt.code, "unknown": unknown + str(gs1_check_digit(unknown)),
                "a": (stocked.sku, stocked.main_barcode), "b": (fresh.sku, fresh.main_barcode)}
        db.session.remove()
    return info


def sign_in(page, base, badge="BADGE-0003", pin="3333"):
    page.goto(base + "/handheld/login")
    page.locator("#badge").fill(badge)
    page.keyboard.press("Enter")
    page.keyboard.type(pin)
    page.keyboard.press("Enter")
    page.wait_for_url("**/handheld/")


def scan(page, code, expect="ok"):
    """Type a code and Enter like a wedge scanner; wait for the answer's status line."""
    page.evaluate("document.getElementById('status') && document.getElementById('status').setAttribute('data-status', 'sent')")
    page.locator("input[name=code]").focus()
    page.keyboard.type(code)
    page.keyboard.press("Enter")
    page.wait_for_selector(f"#status[data-status={expect}]")
    assert page.evaluate("document.activeElement.name") == "code"  # ready for the next scan
    return page.locator("#status").inner_text()


def test_receive_with_over_receipt_and_unknown_barcode_then_put_away(phone, desktop, live_server, delivery):
    base = live_server.url
    (sku_a, ean_a), (sku_b, ean_b) = delivery["a"], delivery["b"]
    sign_in(phone, base)
    phone.goto(base + "/handheld/receiving")
    assert delivery["code"] in phone.locator("#screen").inner_text()
    screenshot(phone, "receiving-start")
    assert "Receiving " + delivery["code"] in scan(phone, delivery["code"])
    for n in (1, 2, 3):
        assert f"+1 {sku_a}: {n} of 3" in scan(phone, ean_a)
    # One too many: refused until a supervisor approves with badge and PIN on this handheld.
    assert f"Over-receipt: {sku_a} would reach 4" in scan(phone, ean_a, expect="error")
    assert phone.evaluate("document.body.dataset.lastSignal") == "error"
    screenshot(phone, "receiving-over-receipt")
    phone.locator("input[name=badge]").fill("BADGE-0002")
    phone.locator("input[name=pin]").fill("2222")
    phone.get_by_role("button", name="Approve").click()
    phone.wait_for_selector("#status[data-status=ok]")
    assert "approved by Sam Supervisor" in phone.locator("#status").inner_text()
    # An unknown barcode is refused with what to do.
    assert "is not known" in scan(phone, delivery["unknown"], expect="error")
    assert "Only a supervisor can link" in phone.locator("#screen").inner_text()
    # A carton: type the quantity, then scan.
    phone.locator("input[name=qty]").fill("2")
    assert f"+2 {sku_b}: 2 of 2" in scan(phone, ean_b)
    assert phone.locator(f"li[data-sku='{sku_a}'] .qty").inner_text().startswith("4/3")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    screenshot(phone, "receiving")
    phone.get_by_role("button", name="Finish receipt").click()
    phone.wait_for_selector("#status:has-text('received in full: 6 units')")

    phone.goto(base + "/handheld/putaway")
    assert f"{sku_a}: 1 to put away" in scan(phone, ean_a)
    phone.get_by_role("button", name="Take all 4").click()
    phone.wait_for_selector("#status:has-text('all 4 to put away')")
    target_a = phone.locator("#suggestion").inner_text()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    screenshot(phone, "putaway")
    assert "SHIP-01 is a shipping staging location" in scan(phone, "SHIP-01", expect="error")
    assert f"Put away 4 × {sku_a} in {target_a}" in scan(phone, target_a)
    phone.locator("input[name=qty]").fill("2")
    scan(phone, ean_b)
    target_b = phone.locator("#suggestion").inner_text()
    assert f"Put away 2 × {sku_b} in {target_b}" in scan(phone, target_b)
    screenshot(phone, "putaway-done")

    # The desk ledger shows every movement with its user and reason.
    desktop.goto(base + "/login")
    desktop.locator("input[name=username]").fill("sam")
    desktop.locator("input[name=password]").fill("sam-demo")
    desktop.locator("button[type=submit]").click()
    rows = {}
    for sku in (sku_a, sku_b):
        desktop.goto(f"{base}/desk/stock/ledger?sku={sku}&user=olga")
        rows[sku] = [tuple(c.strip() for c in r.split("\t"))
                     for r in desktop.locator("#ledger tbody tr").all_inner_texts()]
    received_a = [r for r in rows[sku_a] if r[6] == "Received"]
    assert [(r[3], r[5], r[7], r[9]) for r in received_a] == [
        ("1", "DOCK-01", delivery["code"], "olga")] * 4
    putaway_a = [r for r in rows[sku_a] if r[6] == "Put away"]
    assert [(r[3], r[4], r[5], r[9]) for r in putaway_a] == [("4", "DOCK-01", target_a, "olga")]
    assert {(r[3], r[6], r[9]) for r in rows[sku_b]} == {("2", "Received", "olga"), ("2", "Put away", "olga")}
    with live_server.application.app_context():
        from wms.domain.inventory.services import ledger_problems

        assert ledger_problems() == []
        db.session.remove()
