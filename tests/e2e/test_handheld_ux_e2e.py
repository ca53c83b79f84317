"""The handheld as an operator with a wedge scanner and gloves uses it, at 360x640: questions
asked on the page and answered by scanning, the approval badge taken from the scan input, the
box that fits, finishing actions on screen, keys, and the offline status line."""
import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from tests.conftest import screenshot
from tests.e2e.test_core_e2e import seeded  # noqa: F401 (fixture)
from tests.e2e.test_core_e2e import sign_in
from tests.e2e.test_packing_e2e import picked, shop  # noqa: F401 (fixtures)
from tests.e2e.test_picking_e2e import batch  # noqa: F401 (fixture)
from tests.e2e.test_receiving_e2e import delivery  # noqa: F401 (fixture)
from wms.db import db

pytestmark = pytest.mark.browser


def type_scan(page, code):
    page.keyboard.type(code)
    page.keyboard.press("Enter")


def scan(page, code, text, status="ok"):
    """Scan a code (typed + Enter, as a wedge scanner does) and wait for its answer."""
    page.evaluate("document.getElementById('status') && document.getElementById('status').setAttribute('data-status', 'sent')")
    type_scan(page, code)
    expect(page.locator(f"#status[data-status={status}]")).to_contain_text(text)


def focused_name(page, wait_for="code"):
    """The focused input's name, once it is `wait_for` (htmx settles a moment after a swap)."""
    try:
        page.wait_for_function(f"document.activeElement && document.activeElement.name === '{wait_for}'",
                               timeout=3000)
    except Exception:
        pass
    return page.evaluate("document.activeElement && document.activeElement.name")


def in_viewport(page, locator):
    """True when the element is entirely on the 360x640 screen without scrolling."""
    box = locator.bounding_box()
    height = page.viewport_size["height"]
    return box is not None and box["y"] >= 0 and box["y"] + box["height"] <= height


def no_native_dialogs(page):
    seen = []
    page.on("dialog", lambda dialog: (seen.append(dialog.message), dialog.dismiss()))
    return seen


def test_home_fits_the_screen_and_takes_number_keys(phone, live_server, seeded):  # noqa: F811
    sign_in(phone, live_server.url)
    tiles = phone.locator(".hh-tile")
    assert tiles.count() >= 6
    for n in range(tiles.count()):
        assert in_viewport(phone, tiles.nth(n)), tiles.nth(n).inner_text()
        assert tiles.nth(n).locator("kbd").inner_text() == str(n + 1)
    assert in_viewport(phone, phone.get_by_role("button", name="Sign out"))
    assert in_viewport(phone, phone.locator(".hh-tile", has_text="Station"))
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    screenshot(phone, "ux-home")
    href = tiles.nth(1).get_attribute("href")
    phone.keyboard.press("2")  # gloves: the number key opens the second tile
    phone.wait_for_url("**" + href)
    assert focused_name(phone) == "code"


def _count_task(app):
    from wms.domain.counts.services import create_count
    from wms.domain.inventory.models import StockLevel
    from wms.domain.locations.models import LocationKind

    with app.app_context():
        level = next(lv for lv in db.session.execute(
            select(StockLevel).where(StockLevel.on_hand > 0).order_by(StockLevel.id)).scalars()
            if lv.location.kind in (LocationKind.STORAGE, LocationKind.PICK_FACE)
            and lv.product.main_barcode)
        task = create_count(user=None, location=level.location)
        db.session.commit()
        info = {"code": task.code, "location": level.location.code,
                "barcode": level.product.main_barcode, "sku": level.product.sku, "id": task.id}
        db.session.remove()
    return info


def test_finish_count_is_asked_on_the_page_and_answered_by_scanning(phone, live_server, seeded):  # noqa: F811
    from wms.domain.counts.models import CountStatus, CountTask

    task = _count_task(live_server.application)
    dialogs = no_native_dialogs(phone)
    sign_in(phone, live_server.url)
    phone.goto(live_server.url + "/handheld/count")
    scan(phone, task["code"], f"Counting {task['code']}")
    scan(phone, task["location"], f"Counting in {task['location']}")
    scan(phone, task["barcode"], "1 counted")
    scan(phone, task["barcode"], "2 counted")
    # One scan too many: take it back.
    with phone.expect_response(lambda r: "/take-back" in r.url):
        phone.get_by_role("button", name=f"Take back one {task['sku']}").click()
    expect(phone.locator("#status")).to_contain_text("1 taken back, 1 counted")
    assert focused_name(phone) == "code"

    # Finish: asked on the page; the focus stays in the scan input, so a scan cannot be lost.
    finish = phone.get_by_role("button", name="Finish count")
    assert "F2" in finish.inner_text() and in_viewport(phone, finish)
    finish.click()
    question = phone.locator("#confirm")
    expect(question).to_contain_text(f"Finish {task['code']}?")
    expect(question).to_contain_text(f"Scan {task['code']} again or press F1")
    assert focused_name(phone) == "code"
    assert in_viewport(phone, question)
    screenshot(phone, "ux-count-finish-question")
    phone.keyboard.press("Escape")  # no: the question goes, the scan input keeps the focus
    expect(question).to_have_count(0)
    assert focused_name(phone) == "code"
    phone.keyboard.press("Enter")  # a bounced Enter re-opens nothing
    expect(question).to_have_count(0)
    # Another scan while asked: the question goes and the scan counts as what it is.
    phone.keyboard.press("F2")
    expect(question).to_be_visible()
    scan(phone, task["barcode"], "2 counted")
    expect(question).to_have_count(0)
    # Scanning the sheet again answers yes.
    phone.keyboard.press("F2")
    expect(question).to_be_visible()
    with phone.expect_response(lambda r: "/count/finish" in r.url):
        type_scan(phone, task["code"])
    expect(phone.locator("#status")).to_contain_text(task["code"])
    assert focused_name(phone) == "code"
    assert dialogs == []
    with live_server.application.app_context():
        done = db.session.get(CountTask, task["id"])
        assert done.status is not CountStatus.OPEN
        assert sum(line.counted or 0 for line in done.lines) == 2
        db.session.remove()


def test_over_receipt_approval_takes_the_badge_scanned_into_the_main_input(phone, live_server, delivery):  # noqa: F811
    sku_a, ean_a = delivery["a"]
    dialogs = no_native_dialogs(phone)
    sign_in(phone, live_server.url)
    phone.goto(live_server.url + "/handheld/receiving")
    scan(phone, delivery["code"], "Receiving " + delivery["code"])
    for n in (1, 2, 3):
        scan(phone, ean_a, f"+1 {sku_a}: {n} of 3")
    scan(phone, ean_a, f"Over-receipt: {sku_a} would reach 4", status="error")
    assert focused_name(phone) == "code"
    # The supervisor scans their badge where the operator scans everything: taken as the badge.
    scan(phone, "BADGE-0002", "type the PIN to approve")
    approval = phone.locator("form.rcv-approve")
    expect(approval).to_contain_text("Badge BADGE-0002")
    phone.wait_for_function("document.activeElement && document.activeElement.name === 'pin'")
    screenshot(phone, "ux-receiving-badge-scanned")
    phone.keyboard.type("2222")
    phone.keyboard.press("Enter")
    expect(phone.locator("#status[data-status=ok]")).to_contain_text(f"+1 {sku_a}: 4 of 3")
    expect(phone.locator("#status")).to_contain_text("approved by")
    expect(approval).to_have_count(0)
    assert focused_name(phone) == "code"
    # Without a waiting approval a badge is still refused as before.
    scan(phone, "BADGE-0002", "is a badge", status="error")
    assert dialogs == []


def test_packing_proposes_a_box_that_fits_and_finishes_on_screen(phone, live_server, picked):  # noqa: F811
    from wms.domain.catalog.models import Product

    app = live_server.application
    with app.app_context():
        # 2 × 1.86 kg + 0.15 kg: the padded mailer (2 kg max) cannot take it.
        for p in db.session.execute(select(Product).where(Product.sku.in_(("TSH-BLACK-S", "TSH-BLACK-M")))).scalars():
            p.weight_g = 1860 if p.sku == "TSH-BLACK-S" else 100
            p.length_mm, p.width_mm, p.height_mm = 240, 170, 30
        db.session.commit()
        db.session.remove()
    dialogs = no_native_dialogs(phone)
    sign_in(phone, live_server.url)
    phone.goto(live_server.url + "/handheld/packing")
    scan(phone, picked["code"], "Packing REFE2E01")
    scan(phone, picked["a"], "1 of 2 packed")
    scan(phone, picked["a"], "2 of 2 packed")
    scan(phone, picked["b"], "1 of 1 packed")
    checked = phone.locator(".box-choice:has(input:checked)")
    expect(checked).to_contain_text("BOX-S")  # not the mailer, which its own check refuses
    expect(phone.locator(".box-choice", has_text="MAILER")).to_contain_text("too heavy (2 kg max)")
    assert phone.locator("input[name=weight]").input_value() == "3.97"  # items and the box
    finish = phone.get_by_role("button", name="Finish packing")
    assert in_viewport(phone, finish) and in_viewport(phone, checked)
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    screenshot(phone, "ux-packing-box-proposed")
    phone.keyboard.press("F1")  # the finishing action's key, as labelled
    expect(phone.locator(".prompt")).to_contain_text("tracking barcode of parcel 1/1")
    assert focused_name(phone) == "code"
    scan(phone, "6A10000000017", "REFE2E01 is packed")
    labels = phone.get_by_role("link", name="Shipping labels (PDF)")
    assert in_viewport(phone, labels)
    assert in_viewport(phone, phone.get_by_role("link", name="Packing slip (A4)"))
    assert in_viewport(phone, phone.get_by_role("button", name="Next order"))
    screenshot(phone, "ux-packing-done")
    assert dialogs == []
    with app.app_context():
        from wms.domain.shipping.models import Shipment

        parcel = db.session.execute(select(Shipment)).scalar_one().parcels[0]
        assert (parcel.box.code, parcel.weight_g) == ("BOX-S", 3970)
        db.session.remove()


def test_offline_turns_the_status_line_amber_and_shows_each_queued_scan(phone, live_server, seeded):  # noqa: F811
    sign_in(phone, live_server.url)
    phone.goto(live_server.url + "/handheld/move")
    scan(phone, seeded["source"], "Taking from " + seeded["source"])
    phone.context.set_offline(True)
    type_scan(phone, seeded["barcode"])
    type_scan(phone, seeded["barcode"])
    status = phone.locator("#status[data-status=offline]")
    expect(status).to_contain_text("No network: 2 scans waiting")
    assert "status-warn" in status.get_attribute("class")
    items = phone.locator("#scan-queue li")
    expect(items).to_have_count(2)
    expect(phone.locator("#scan-queue li[data-state=queued]")).to_have_count(2)
    expect(items.first).to_contain_text(seeded["barcode"] + " · queued")
    assert focused_name(phone) == "code"
    screenshot(phone, "ux-offline-queued")
    phone.context.set_offline(False)
    phone.evaluate("window.dispatchEvent(new Event('online'))")
    expect(phone.locator("#scan-queue li[data-state=applied]")).to_have_count(2, timeout=20_000)
    expect(phone.locator("#status[data-status=ok]")).to_contain_text("2 to move")
    screenshot(phone, "ux-offline-applied")
    expect(phone.locator("#scan-queue")).to_be_hidden(timeout=10_000)


def test_sign_out_with_unsent_scans_is_asked_on_the_page(phone, live_server, seeded):  # noqa: F811
    dialogs = no_native_dialogs(phone)
    sign_in(phone, live_server.url)
    phone.goto(live_server.url + "/handheld/move")
    scan(phone, seeded["source"], "Taking from " + seeded["source"])
    phone.route("**/handheld/move/scan", lambda route: route.abort("internetdisconnected"))
    type_scan(phone, seeded["barcode"])
    expect(phone.locator("#status[data-status=offline]")).to_contain_text("No network: 1 scan waiting")
    phone.locator("a.hh-back").click()
    phone.wait_for_url("**/handheld/")
    assert phone.evaluate("window.wmsScan.pending()") == 1
    phone.get_by_role("button", name="Sign out").click()
    expect(phone.locator("#confirm")).to_contain_text("1 scan is not sent yet")
    phone.keyboard.press("Escape")
    expect(phone.locator("#confirm")).to_have_count(0)
    assert phone.url.endswith("/handheld/")
    phone.get_by_role("button", name="Sign out").click()
    phone.get_by_role("button", name="Sign out, lose it").click()
    phone.wait_for_url("**/login**")
    assert dialogs == []


def test_refused_scans_reach_the_figures_in_a_batch(phone, live_server, seeded):  # noqa: F811
    from wms.domain.scans.models import OperatorDay

    sign_in(phone, live_server.url)
    phone.goto(live_server.url + "/handheld/move")
    scan(phone, "9999999999994", "location you take from first", status="error")
    scan(phone, "9999999999994", "location you take from first", status="error")
    assert phone.evaluate("JSON.parse(localStorage.getItem('wms.refusals')).length") == 2
    with phone.expect_response(lambda r: r.url.endswith("/handheld/refusals"), timeout=15_000) as sent:
        pass  # sent by itself once the scanner has been idle a few seconds
    assert sent.value.status == 204
    phone.wait_for_function("JSON.parse(localStorage.getItem('wms.refusals') || '[]').length === 0")
    with live_server.application.app_context():
        day = db.session.execute(select(OperatorDay)).scalar_one()
        assert day.refused == 2 and day.refusals == {"Scan the location you take from first": 2}
        db.session.remove()


def test_putaway_shows_what_waits_on_the_docks(phone, live_server, delivery):  # noqa: F811
    sku_a, ean_a = delivery["a"]
    sign_in(phone, live_server.url)
    phone.goto(live_server.url + "/handheld/receiving")
    scan(phone, delivery["code"], "Receiving " + delivery["code"])
    scan(phone, ean_a, f"+1 {sku_a}: 1 of 3")
    scan(phone, ean_a, f"+1 {sku_a}: 2 of 3")
    phone.goto(live_server.url + "/handheld/putaway")
    row = phone.locator(f'.pa-waiting li[data-sku="{sku_a}"]')
    expect(row).to_be_visible()
    assert row.locator(".qty").inner_text().strip() == "2"
    assert focused_name(phone) == "code"
    screenshot(phone, "ux-putaway-waiting")


def test_pick_list_rows_say_lines_units_and_carrier(phone, live_server, batch):  # noqa: F811
    sign_in(phone, live_server.url, badge="BADGE-0901", pin="9090")
    phone.goto(live_server.url + "/handheld/pick")
    row = phone.locator(".pick-open", has_text=batch["code"])
    expect(row).to_contain_text("3 orders · 3 lines · 5 units")
    screenshot(phone, "ux-pick-lists")
