"""The handheld returns screen in a real browser at phone size: an expected return with a damaged
item and a wrong one, graded with one key each, the focus always in the scan input."""

import pytest
from sqlalchemy import func, select

from tests.conftest import screenshot
from wms.db import db

pytestmark = pytest.mark.browser


@pytest.fixture
def parcel(live_server):
    """The demo warehouse, an order of two demo products that shipped, its announced return."""
    from wms.domain.catalog.models import Product
    from wms.domain.orders.models import Order, OrderLine, OrderStatus
    from wms.domain.returns.services import create_return
    from wms.seed import seed_demo

    with live_server.application.app_context():
        seed_demo(live_server.application.config)
        db.session.commit()
        products = [p for p in db.session.execute(select(Product).order_by(Product.id)).scalars() if p.main_barcode][:3]
        a, b, stranger = products
        order = Order(reference="RETE2E01", status=OrderStatus.SHIPPED)
        for n, product in enumerate((a, b), start=1):
            order.lines.append(OrderLine(line_no=n, product_id=product.id, sku=product.sku, name=product.name,
                                         quantity=1, quantity_shipped=1))
        db.session.add(order)
        db.session.flush()
        ret = create_return(order, {order.lines[0].id: 1, order.lines[1].id: 1})
        db.session.commit()
        info = {"code": ret.code, "id": ret.id, "a": (a.sku, a.main_barcode), "b": (b.sku, b.main_barcode),
                "stranger": (stranger.sku, stranger.main_barcode)}
        db.session.remove()
    return info


def sign_in(page, base, badge="BADGE-0003", pin="3333"):
    page.goto(base + "/handheld/login")
    page.locator("#badge").fill(badge)
    page.keyboard.press("Enter")
    page.keyboard.type(pin)
    page.keyboard.press("Enter")
    page.wait_for_url("**/handheld/")


def _mark_sent(page):
    page.evaluate("document.getElementById('status') && document.getElementById('status').setAttribute('data-status', 'sent')")


def scan(page, code, expect="ok"):
    """Type a code and Enter like a wedge scanner; wait for the answer's status line."""
    _mark_sent(page)
    page.locator("input[name=code]").focus()
    page.keyboard.type(code)
    page.keyboard.press("Enter")
    page.wait_for_selector(f"#status[data-status={expect}]")
    assert page.evaluate("document.activeElement.name") == "code"  # ready for the next scan
    return page.locator("#status").inner_text()


def key(page, digit, expect="ok"):
    """One key press, no Enter: the condition of the unit just scanned."""
    _mark_sent(page)
    page.keyboard.press(digit)
    page.wait_for_selector(f"#status[data-status={expect}]")
    assert page.evaluate("document.activeElement.name") == "code"
    return page.locator("#status").inner_text()


def test_return_with_a_damaged_item_and_a_wrong_one(phone, live_server, parcel):
    from wms.domain.inventory.models import MoveReason, StockMove
    from wms.domain.inventory.services import ledger_problems
    from wms.domain.returns.models import CustomerReturn, ReturnStatus

    base = live_server.url
    (sku_a, ean_a), (sku_b, ean_b), (sku_x, ean_x) = parcel["a"], parcel["b"], parcel["stranger"]
    dialogs = []
    phone.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    sign_in(phone, base)
    phone.goto(base + "/handheld/returns")
    assert parcel["code"] in phone.locator("#screen").inner_text()
    assert "RETE2E01" in scan(phone, "RETE2E01")
    assert "scanned: press 1-4" in scan(phone, ean_a)
    assert phone.locator(".ret-keys").is_visible()
    assert f"{sku_a} × 1 sellable: to RETN-01" in key(phone, "1")
    assert "scanned: press 1-4" in scan(phone, ean_b)
    screenshot(phone, "returns-condition")
    assert f"{sku_b} × 1 damaged: to QUAR-01" in key(phone, "2")
    # A product that was not in the order: refused with a sentence, and set aside.
    assert f"{sku_x} was not in order RETE2E01" in scan(phone, ean_x, expect="error")
    assert phone.evaluate("document.body.dataset.lastSignal") == "error"
    screenshot(phone, "returns-wrong-item")
    _mark_sent(phone)
    phone.get_by_role("button", name=f"Set {ean_x} aside as an exception").click()
    phone.wait_for_selector("#status[data-status=ok]")
    assert "exception" in phone.locator("#status").inner_text()
    assert "1 set aside" in phone.locator("#screen").inner_text()
    phone.wait_for_function("document.activeElement && document.activeElement.name === 'code'")
    screenshot(phone, "returns")
    _mark_sent(phone)
    phone.get_by_role("button", name="Finish return").click()
    phone.wait_for_selector("#status[data-status=ok]")
    assert f"{parcel['code']} received" in phone.locator("#status").inner_text()
    phone.wait_for_function("document.activeElement && document.activeElement.name === 'code'")
    assert dialogs == []  # no native confirm()

    with live_server.application.app_context():
        ret = db.session.get(CustomerReturn, parcel["id"])
        assert ret.status is ReturnStatus.RECEIVED and ret.discrepancy is None
        assert [(i.condition.name, i.exception) for i in ret.items] == [
            ("SELLABLE", False), ("DAMAGED", False), ("WRONG_ITEM", True)]
        assert db.session.scalar(select(func.count()).select_from(StockMove)
                                 .where(StockMove.reason == MoveReason.RETURNED)) == 2
        assert ledger_problems() == []
        db.session.remove()
