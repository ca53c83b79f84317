"""Pack, label and dispatch in a real browser; the fake shop gets tracking and Shipped once."""
from __future__ import annotations


import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from tests.conftest import screenshot
from tests.fakeshop import FakeShop, serve
from wms.db import db

pytestmark = pytest.mark.browser





@pytest.fixture
def shop():
    fake = FakeShop()
    with serve(fake) as url:
        yield fake, url


@pytest.fixture
def picked(live_server, shop):
    """The demo warehouse, a shop order imported and picked: 2 × one T-shirt, 1 × another."""
    from wms.domain.catalog.services import product_by_sku
    from wms.domain.inventory import services as inventory
    from wms.domain.orders.models import Order, OrderLine, OrderStatus
    from wms.domain.picking.allocation import picked_location
    from wms.domain.shipping.models import Carrier
    from wms.seed import seed_demo

    fake, url = shop
    app = live_server.application
    app.config.update(PRESTASHOP_URL=url, PRESTASHOP_KEY=fake.key, PRESTASHOP_BACKOFF_BASE=0.001)
    ps_order_id = fake.add_order(carrier_id=2)
    with app.app_context():
        seed_demo(app.config)
        a, b, wrong = (product_by_sku(s) for s in ("TSH-BLACK-S", "TSH-BLACK-M", "TSH-BLACK-L"))
        pack = picked_location()
        inventory.receive(a, pack, 2, reference="test-pick")
        inventory.receive(b, pack, 1, reference="test-pick")
        carrier = db.session.execute(select(Carrier).where(Carrier.code == "MANUAL")).scalar_one()
        order = Order(shop="default", ps_order_id=ps_order_id, reference="REFE2E01",
                      status=OrderStatus.PICKED, carrier_id=carrier.id, ship_name="Jeanne Martin",
                      ship_address1="4 rue des Lilas", ship_postcode="69003", ship_city="Lyon",
                      ship_country="FR")
        order.lines = [OrderLine(line_no=n, product_id=p.id, sku=p.sku, name=p.name, quantity=q,
                                 quantity_allocated=q, quantity_picked=q)
                       for n, (p, q) in enumerate(((a, 2), (b, 1)), start=1)]
        db.session.add(order)
        db.session.commit()
        info = {"order_id": order.id, "code": order.code, "ps_order_id": ps_order_id,
                "a": a.main_barcode, "b": b.main_barcode, "wrong": wrong.main_barcode,
                "wrong_sku": wrong.sku}
        db.session.remove()
    return info


def sign_in(page, base, badge="BADGE-0003", pin="3333"):
    page.goto(base + "/handheld/login")
    page.locator("#badge").fill(badge)
    page.keyboard.press("Enter")
    page.keyboard.type(pin)
    page.keyboard.press("Enter")
    page.wait_for_url("**/handheld/")


def scan(page, code, expect_text, ok=True):
    page.locator("input[name=code]").focus()
    page.keyboard.type(code)
    page.keyboard.press("Enter")
    status = page.locator(f"#status[data-status={'ok' if ok else 'error'}]")
    expect(status).to_contain_text(expect_text)


def test_pack_split_label_dispatch_and_tell_the_shop_once(phone, desktop, live_server, picked, shop):
    from wms.domain.orders.models import Order, OrderStatus
    from wms.domain.shipping.models import Shipment
    from wms.integrations.prestashop.outbox import process_outbox
    from wms.integrations.prestashop.shops import make_client, shop_settings

    fake, _ = shop
    base = live_server.url
    sign_in(phone, base)
    phone.goto(base + "/handheld/packing")
    expect(phone.locator(".prompt")).to_contain_text("Scan the tote or the order")
    scan(phone, picked["code"], "Packing REFE2E01")
    scan(phone, picked["wrong"], f"WRONG ITEM: {picked['wrong_sku']}", ok=False)
    assert phone.evaluate("document.body.dataset.lastSignal") == "error"
    screenshot(phone, "packing-wrong-item")
    scan(phone, picked["a"], "1 of 2 packed")
    scan(phone, picked["a"], "2 of 2 packed")
    phone.locator(".box-choice", has_text="BOX-S").click()
    phone.locator("input[name=weight]").fill("0.45")
    phone.get_by_role("button", name="Close parcel, start another").click()
    expect(phone.locator("#status[data-status=ok]")).to_contain_text("Parcel 1 closed")
    scan(phone, picked["b"], "1 of 1 packed")
    phone.locator(".box-choice", has_text="MAILER").click()
    phone.locator("input[name=weight]").fill("0.25")
    screenshot(phone, "packing-second-parcel")
    phone.get_by_role("button", name="Finish packing").click()
    expect(phone.locator(".prompt")).to_contain_text("tracking barcode of parcel 1/2")
    scan(phone, "6A10000000017", "Parcel 1: 6A10000000017")
    scan(phone, "6A10000000024", "REFE2E01 is packed")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    screenshot(phone, "packing-done")

    # Print: each document link answers a PDF (or ZPL) with the browser's session.
    for name, mimetype in (("Shipping labels (PDF)", "application/pdf"),
                           ("Packing slip (A4)", "application/pdf"),
                           ("Labels (ZPL)", "application/zpl")):
        href = phone.get_by_role("link", name=name).get_attribute("href")
        answer = phone.request.get(base + href)
        assert answer.ok and answer.headers["content-type"].startswith(mimetype), name
    labels = phone.request.get(base + phone.get_by_role("link", name="Shipping labels (PDF)")
                               .get_attribute("href")).body()
    assert labels.startswith(b"%PDF")

    # The supervisor hands both parcels to the carrier at the desk.
    with live_server.application.app_context():
        parcels = [p.code for p in db.session.execute(select(Shipment)).scalar_one().parcels]
        db.session.remove()
    desktop.goto(base + "/login")
    desktop.locator("input[name=username]").fill("sam")
    desktop.locator("input[name=password]").fill("sam-demo")
    desktop.locator("input[name=password]").press("Enter")
    desktop.wait_for_url("**/desk/**")
    desktop.goto(base + "/desk/dispatch")
    desktop.locator("tr", has_text="Colissimo").get_by_role("link", name="Scan parcels").click()
    desktop.get_by_role("button", name="Start a dispatch").click()  # the GET page starts nothing
    for n, code in enumerate(parcels, start=1):
        code_input = desktop.locator("#dispatch input[name=code]")
        code_input.fill(code)
        code_input.press("Enter")
        expect(desktop.locator("#status[data-status=ok]")).to_contain_text(f"{code} (")
        expect(desktop.locator("tr[data-parcel]")).to_have_count(n)
    desktop.locator("#dispatch input[name=code]").fill(parcels[0])
    desktop.locator("#dispatch input[name=code]").press("Enter")
    expect(desktop.locator("#status[data-status=error]")).to_contain_text("scanned twice")
    dialogs = []
    desktop.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    desktop.get_by_role("button", name="Close dispatch & mark shipped").click()
    # Asked on the page, not in a native dialog; the focus goes back to the scan input.
    expect(desktop.locator("#confirm")).to_contain_text("Hand these 2 parcels to Colissimo?")
    assert desktop.evaluate("document.activeElement.name") == "code"
    desktop.get_by_role("button", name="Yes, close and mark shipped").click()
    expect(desktop.locator("#status[data-status=ok]")).to_contain_text("1 order shipped with Colissimo")
    assert dialogs == []
    screenshot(desktop, "packing-dispatch-closed")
    manifest = desktop.request.get(base + desktop.get_by_role("link", name="Manifest (PDF)").get_attribute("href"))
    assert manifest.ok and manifest.headers["content-type"] == "application/pdf"

    # The sync worker's outbox pass tells the shop; a second pass sends nothing more.
    app = live_server.application
    with app.app_context():
        order = db.session.get(Order, picked["order_id"])
        assert order.status is OrderStatus.SHIPPED
        settings = shop_settings("default", app.config)
        client = make_client(settings)
        try:
            first = process_outbox(lambda name: (settings, client))
            second = process_outbox(lambda name: (settings, client))
        finally:
            client.close()
        assert (first.done, second.done) == (1, 0)
        db.session.remove()
    shipped = [h for h in fake.histories(picked["ps_order_id"]) if h["id_order_state"] == 4]
    assert len(shipped) == 1
    assert [c["tracking_number"] for c in fake.order_carriers_of(picked["ps_order_id"])] == ["6A10000000017"]
    assert fake.order(picked["ps_order_id"])["current_state"] == 4
