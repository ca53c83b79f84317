"""The scanner in a real browser at phone size: sign-in, home, and the move flow's scan loop."""
import pytest
from sqlalchemy import select

from tests.conftest import screenshot
from wms.db import db

pytestmark = pytest.mark.browser


@pytest.fixture
def seeded(live_server):
    from wms.domain.inventory.models import StockLevel
    from wms.seed import seed_demo

    with live_server.application.app_context():
        seed_demo(live_server.application.config)
        db.session.commit()
        level = db.session.execute(
            select(StockLevel).where(StockLevel.on_hand >= 5).order_by(StockLevel.id)).scalars().first()
        info = {"source": level.location.code, "barcode": level.product.main_barcode,
                "sku": level.product.sku, "product_id": level.product_id, "on_hand": level.on_hand}
        db.session.remove()
    return info


def sign_in(page, base, badge="BADGE-0003", pin="3333"):
    page.goto(base + "/handheld/login")
    page.locator("#badge").fill(badge)
    page.keyboard.press("Enter")  # a wedge scanner ends with Enter: focus moves to the PIN
    assert page.evaluate("document.activeElement.id") == "pin"
    page.keyboard.type(pin)
    page.keyboard.press("Enter")
    page.wait_for_url("**/handheld/")


def scan(page, code):
    page.keyboard.type(code)
    page.keyboard.press("Enter")


def moved_units(app, sku):
    from wms.domain.catalog.models import Product
    from wms.domain.inventory.models import MoveReason, StockMove

    with app.app_context():
        moves = db.session.execute(select(StockMove).join(Product).where(
            Product.sku == sku, StockMove.reason == MoveReason.MOVED)).scalars().all()
        result = [(m.quantity, m.user.username) for m in moves]
        db.session.remove()
    return result


def test_sign_in_and_home_at_phone_size(phone, live_server, seeded):
    phone.goto(live_server.url + "/handheld/login")
    assert phone.locator("#badge").is_visible()
    screenshot(phone, "handheld-login")
    phone.locator("#badge").fill("BADGE-0003")
    phone.keyboard.press("Enter")
    phone.keyboard.type("0000")
    phone.keyboard.press("Enter")
    assert "not recognised" in phone.locator(".status-error").inner_text()
    sign_in(phone, live_server.url)
    assert "Hello Olga" in phone.locator(".hh-title").inner_text()
    assert phone.locator(".hh-tile", has_text="Move stock").is_visible()
    # Nothing wider than the screen: no sideways scrolling on a 360 px scanner.
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    screenshot(phone, "handheld-home")


def test_move_flow_scans_keep_focus_and_double_enter_counts_once(phone, live_server, seeded):
    sign_in(phone, live_server.url)
    phone.goto(live_server.url + "/handheld/move")
    code_input = phone.locator("input[name=code]")
    assert phone.evaluate("document.activeElement.name") == "code"
    scan(phone, seeded["source"])
    phone.wait_for_selector("#status[data-status=ok]")
    assert "Taking from " + seeded["source"] in phone.locator("#status").inner_text()
    scan(phone, seeded["barcode"])
    phone.keyboard.press("Enter")  # a bounced Enter on the empty input is not a second scan
    phone.wait_for_function("document.querySelector('#status').innerText.includes('1 to move')")
    assert phone.evaluate("document.activeElement.name") == "code"
    scan(phone, "9999999999994")  # unknown barcode: refused, red, says what to do
    phone.wait_for_selector("#status[data-status=error]")
    assert "not known" in phone.locator("#status").inner_text()
    assert phone.evaluate("document.body.dataset.lastSignal") == "error"
    screenshot(phone, "handheld-move-error")
    target = "A-05-20-2" if seeded["source"] != "A-05-20-2" else "A-05-19-2"
    scan(phone, target)
    phone.wait_for_function(f"document.querySelector('#status').innerText.includes('to {target}')")
    assert phone.evaluate("document.body.dataset.lastSignal") == "ok"
    assert code_input.evaluate("el => el === document.activeElement")
    screenshot(phone, "handheld-move")
    assert moved_units(live_server.application, seeded["sku"]) == [(1, "olga")]


def test_scan_whose_answer_is_lost_is_resent_and_applied_once(phone, live_server, seeded):
    sign_in(phone, live_server.url)
    phone.goto(live_server.url + "/handheld/move")
    scan(phone, seeded["source"])
    phone.wait_for_selector("#status[data-status=ok]")

    seen_ids = []

    def lose_first_answer(route):
        seen_ids.append(route.request.headers.get("x-scan-id"))
        if len(seen_ids) == 1:
            route.fetch()  # the server gets and applies the scan...
            route.abort("connectionreset")  # ...but the answer never reaches the scanner
        else:
            route.continue_()

    phone.route("**/handheld/move/scan", lose_first_answer)
    scan(phone, seeded["barcode"])
    phone.wait_for_function("document.querySelector('#status').innerText.includes('1 to move')")
    assert len(seen_ids) == 2 and seen_ids[0] == seen_ids[1]  # resent with the same scan id
    phone.unroute("**/handheld/move/scan")

    # Offline: the scan waits in the queue, is shown as waiting, and goes when the network is back.
    phone.context.set_offline(True)
    scan(phone, seeded["barcode"])
    phone.wait_for_selector("#scan-queue:not([hidden])")
    assert "not sent yet" in phone.locator("#scan-queue").inner_text()
    screenshot(phone, "handheld-offline-queue")
    phone.context.set_offline(False)
    phone.wait_for_function("document.querySelector('#status').innerText.includes('2 to move')", timeout=20_000)
    scan(phone, "A-05-20-2" if seeded["source"] != "A-05-20-2" else "A-05-19-2")
    phone.wait_for_function("document.querySelector('#status').innerText.includes('Moved 2')")
    assert moved_units(live_server.application, seeded["sku"]) == [(2, "olga")]


def test_queued_scans_of_another_operator_are_never_sent(phone, live_server, seeded):
    sign_in(phone, live_server.url)
    phone.goto(live_server.url + "/handheld/move")
    me = phone.evaluate("document.querySelector('meta[name=wms-user]').content")
    # A scan left queued on this device by another operator (signed out while offline).
    phone.evaluate("""([user]) => localStorage.setItem('wms.scanQueue', JSON.stringify([
        {id: 's-someone-else-0001', user: user, url: '/handheld/move/scan', target: '#screen',
         fields: [['code', 'A-01-01-1']]}]))""", [str(int(me) + 1000)])
    sent = []
    phone.on("request", lambda req: sent.append(req.url) if "/move/scan" in req.url else None)
    phone.reload()
    phone.wait_for_timeout(800)
    assert sent == [] and phone.evaluate("window.wmsScan.pending()") == 0
    # The operator's own scans still go.
    scan(phone, seeded["source"])
    phone.wait_for_selector("#status[data-status=ok]")
    assert len(sent) == 1
