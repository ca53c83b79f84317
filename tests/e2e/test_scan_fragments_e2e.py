"""Picking a single-order list in a real browser, where the bin and product scans are answered
with only what changed (issue 13): the screen stays right, the input keeps its focus and is
cleared, the sound signal and the status colours are the same, "Bin is short" works after a
partial answer, and a scan whose answer is lost is resent once and shows the screen as it is."""
import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from tests.conftest import screenshot
from tests.e2e.test_core_e2e import sign_in
from tests.e2e.test_picking_e2e import scan, status_has, type_scan
from wms.db import db

pytestmark = pytest.mark.browser


@pytest.fixture
def single(live_server):
    """One order of two lines (3 × P-A in A-01-01-1, 2 × P-B in A-01-02-1) on a started list."""
    from wms.domain.catalog.models import Product
    from wms.domain.catalog.services import add_barcode
    from wms.domain.inventory import services as inventory
    from wms.domain.locations.models import Location, LocationKind, Warehouse
    from wms.domain.orders.models import Order, OrderLine
    from wms.domain.picking.allocation import allocate_orders
    from wms.domain.picking.services import create_pick_list
    from wms.domain.users.models import Role, User

    with live_server.application.app_context():
        wh = Warehouse(code="WH1", name="Main")
        db.session.add(wh)
        db.session.flush()
        db.session.add(Location(warehouse_id=wh.id, code="PACK-01", kind=LocationKind.PACKING))
        order = Order(reference="FRAG1")
        info = {"ean": {}, "bins": {}}
        for n, (sku, ean, qty) in enumerate((("P-A", "3760000000048", 3), ("P-B", "3760000000055", 2)), start=1):
            location = Location(warehouse_id=wh.id, code=f"A-01-0{n}-1", kind=LocationKind.PICK_FACE,
                                zone="A", aisle=1, bay=n, level=1, pos_x=3.0, pos_y=n * 1.2)
            product = Product(sku=sku, name=f"Mug {sku[-1]} 33cl")
            db.session.add_all([location, product])
            db.session.flush()
            add_barcode(product, ean)
            inventory.receive(product, location, 10)
            order.lines.append(OrderLine(line_no=n, product_id=product.id, sku=sku, name=product.name,
                                         quantity=qty))
            info["ean"][sku], info["bins"][sku] = ean, location.code
        db.session.add(order)
        db.session.flush()
        allocate_orders([order.id])
        info["code"] = create_pick_list([order.id]).code
        user = User(username="picker", name="Pia Picker", role=Role.OPERATOR, badge_code="BADGE-0902")
        user.set_password("password-123")
        user.set_pin("9090")
        db.session.add(user)
        db.session.commit()
        db.session.remove()
    return info


def picked_units(app) -> int:
    from wms.domain.inventory.models import MoveReason, StockMove

    with app.app_context():
        total = db.session.scalar(select(func.coalesce(func.sum(StockMove.quantity), 0))
                                  .where(StockMove.reason == MoveReason.PICKED))
        db.session.remove()
    return total


def test_partial_answers_keep_the_picking_screen_right(phone, live_server, single):
    answers = []
    phone.on("response", lambda r: answers.append(r.headers.get("hx-retarget")) if "/pick/scan" in r.url else None)
    sign_in(phone, live_server.url, badge="BADGE-0902", pin="9090")
    phone.goto(live_server.url + "/handheld/pick")
    scan(phone, single["code"])
    status_has(phone, f"Picking {single['code']}")
    form = phone.evaluate_handle("document.querySelector('form[data-scan-url]')")

    # The bin: a partial answer turns the bin green, asks for the product, offers "Bin is short".
    scan(phone, "A-01-01-1")
    status_has(phone, "At A-01-01-1: pick 3 × P-A")
    assert answers[-1] == "#status"
    expect(phone.locator("#status")).to_have_attribute("data-status", "ok")
    expect(phone.locator("#pick-location")).to_have_class(re.compile(r"pick-here"))
    expect(phone.locator(".prompt")).to_have_text("Scan P-A")
    expect(phone.locator("button", has_text="Bin is short")).to_be_visible()
    assert phone.evaluate("document.body.dataset.lastSignal") == "ok"
    # The form was not replaced: the same element, focused and empty.
    assert phone.evaluate("f => f.isConnected && document.activeElement === f.querySelector('input[name=code]')", form)

    # Two units: the quantity counts down, nothing else is sent.
    for left in (2, 1):
        scan(phone, single["ean"]["P-A"])
        status_has(phone, "Picked 1 × P-A")
        expect(phone.locator("#pick-qty")).to_have_text(re.compile(rf"Pick\s+{left}$"))
        assert answers[-1] == "#status"
    assert phone.evaluate("f => f.isConnected", form)
    screenshot(phone, "picking-partial-answer")

    # A refusal: the whole screen, red, the error signal.
    scan(phone, single["ean"]["P-B"])
    expect(phone.locator("#status[data-status=error]")).to_contain_text("Wrong product")
    assert answers[-1] is None and phone.evaluate("document.body.dataset.lastSignal") == "error"
    expect(phone.locator("#pick-qty")).to_have_text(re.compile(r"Pick\s+1$"))

    # The last unit moves the screen on to the next line: the whole screen.
    scan(phone, single["ean"]["P-A"])
    status_has(phone, "Picked 1 × P-A")
    expect(phone.locator("#pick-location")).to_have_text("A-01-02-1")
    expect(phone.locator("#pick-location")).not_to_have_class(re.compile(r"pick-here"))
    expect(phone.locator(".pick-progress")).to_contain_text("1/2")
    assert answers[-1] is None

    # "Bin is short" offered by a partial answer works (its htmx attributes were processed).
    scan(phone, "A-01-02-1")
    status_has(phone, "At A-01-02-1")
    phone.keyboard.press("F2")
    expect(phone.locator("#confirm")).to_contain_text("Scan A-01-02-1 again")
    phone.keyboard.press("Escape")
    expect(phone.locator("#confirm")).to_have_count(0)

    # A product scan whose answer is lost: resent with the same id, applied once, and the
    # replay shows the whole current screen under the first sentence.
    seen = []

    def lose_first_answer(route):
        seen.append(route.request.headers.get("x-scan-id"))
        if len(seen) == 1:
            route.fetch()
            route.abort("connectionreset")
        else:
            route.continue_()

    phone.route("**/handheld/pick/scan", lose_first_answer)
    phone.evaluate("window.__statusBefore = document.querySelector('#status')")
    phone.keyboard.type(single["ean"]["P-B"])
    phone.keyboard.press("Enter")
    phone.wait_for_function("document.querySelector('#status') !== window.__statusBefore", timeout=20_000)
    status_has(phone, "Picked 1 × P-B")
    assert len(seen) == 2 and seen[0] == seen[1]
    phone.unroute("**/handheld/pick/scan")
    expect(phone.locator("#pick-qty")).to_have_text(re.compile(r"Pick\s+1$"))
    expect(phone.locator("#pick-location")).to_have_class(re.compile(r"pick-here"))
    assert phone.evaluate("document.activeElement.name") == "code"
    assert picked_units(live_server.application) == 4
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360

    # The list's last unit (the fast path, then the list finished): the whole screen after it.
    scan(phone, single["ean"]["P-B"])
    status_has(phone, "Picked 1 × P-B")
    assert answers[-1] is None
    expect(phone.locator(".prompt")).to_have_text(f"{single['code']} is picked: take the totes to PACK-01")
    expect(phone.locator(".pick-progress")).to_contain_text("2/2")
    assert phone.evaluate("document.activeElement.name") == "code"
    assert picked_units(live_server.application) == 5
    screenshot(phone, "picking-list-done")


def test_a_french_pickers_partial_answers_are_french(phone, live_server, single):
    from wms.domain.users.models import User

    with live_server.application.app_context():
        db.session.execute(db.update(User).values(language="fr"))
        db.session.commit()
        db.session.remove()
    sign_in(phone, live_server.url, badge="BADGE-0902", pin="9090")
    phone.goto(live_server.url + "/handheld/pick")
    scan(phone, single["code"])
    scan(phone, "A-01-01-1")
    status_has(phone, "En A-01-01-1 : prenez 3 × P-A")
    expect(phone.locator(".prompt")).to_have_text("Scannez P-A")
    expect(phone.locator("button", has_text="Emplacement vide")).to_be_visible()
    scan(phone, single["ean"]["P-A"])
    status_has(phone, "1 × P-A préparé(s)")
    expect(phone.locator("#pick-qty")).to_have_text(re.compile(r"Préparer\s+2$"))
    screenshot(phone, "picking-partial-answer-fr")

    # Paused (F4) and scanned again: the list is resumed on the fast path, in French, at its bin.
    phone.keyboard.press("F4")
    status_has(phone, f"{single['code']} en pause")
    scan(phone, single["code"])
    status_has(phone, f"Préparation de {single['code']}")
    expect(phone.locator(".prompt")).to_have_text("Allez en A-01-01-1 et scannez-le")
    expect(phone.locator("#pick-qty")).to_have_text(re.compile(r"Préparer\s+2$"))
    assert phone.evaluate("document.activeElement.name") == "code"
    screenshot(phone, "picking-resumed-fr")
    scan(phone, "A-01-01-1")
    scan(phone, single["ean"]["P-A"])
    status_has(phone, "1 × P-A préparé(s)")
    assert picked_units(live_server.application) == 2


@pytest.fixture
def shelf(live_server):
    """5 × MUG-1 in A-01-01-1, an empty A-02-01-1, and an operator with a badge."""
    from wms.domain.catalog.models import Product
    from wms.domain.catalog.services import add_barcode
    from wms.domain.inventory import services as inventory
    from wms.domain.locations.models import Location, LocationKind, Warehouse
    from wms.domain.users.models import Role, User

    with live_server.application.app_context():
        wh = Warehouse(code="WH1", name="Main")
        db.session.add(wh)
        db.session.flush()
        src, dst = (Location(warehouse_id=wh.id, code=code, kind=LocationKind.STORAGE)
                    for code in ("A-01-01-1", "A-02-01-1"))
        product = Product(sku="MUG-1", name="Mug 33cl")
        db.session.add_all([src, dst, product])
        db.session.flush()
        add_barcode(product, "3760000000062")
        inventory.receive(product, src, 5)
        user = User(username="mover", name="Max Mover", role=Role.OPERATOR, badge_code="BADGE-0903")
        user.set_password("password-123")
        user.set_pin("9090")
        db.session.add(user)
        db.session.commit()
        db.session.remove()
    return "3760000000062"


def move_scan(page, code):
    """scan(), for the move screen."""
    page.evaluate("window.__statusBefore = document.querySelector('#status')")
    page.wait_for_function("document.activeElement && document.activeElement.name === 'code'")
    with page.expect_response(lambda r: "/handheld/move/scan" in r.url):
        type_scan(page, code)
    page.wait_for_function("document.querySelector('#status') !== window.__statusBefore "
                           "&& document.activeElement && document.activeElement.name === 'code' "
                           "&& document.activeElement.value === ''")


def test_a_move_partial_answer_arriving_after_a_cancel_loads_the_whole_screen(phone, live_server, shelf):
    """The in-flight case: F4 (cancel) pressed while a product scan's answer is on its way. The
    late partial answer names a move the screen no longer shows: the screen is loaded whole
    (the cancelled move, quantity 0), never the old move's quantity on the new screen."""
    answers, pages = [], []
    phone.on("response", lambda r: answers.append(r.headers.get("hx-retarget")) if "/move/scan" in r.url else None)
    phone.on("request", lambda r: pages.append(r.url)
             if r.method == "GET" and r.url.endswith("/handheld/move") else None)
    sign_in(phone, live_server.url, badge="BADGE-0903", pin="9090")
    phone.goto(live_server.url + "/handheld/move")
    move_scan(phone, "A-01-01-1")
    status_has(phone, "Taking from A-01-01-1")
    assert answers[-1] is None
    form = phone.evaluate_handle("document.querySelector('form[data-scan-url]')")
    move_scan(phone, shelf)
    status_has(phone, "MUG-1: 1 to move")
    assert answers[-1] == "#status"
    expect(phone.locator("#mv-qty")).to_have_text("1")
    expect(phone.locator("#mv-product")).to_have_text("MUG-1")
    expect(phone.locator(".prompt")).to_have_text("Scan more MUG-1, or the destination location")
    assert phone.evaluate("f => f.isConnected && document.activeElement === f.querySelector('input[name=code]')", form)
    screenshot(phone, "move-partial-answer")

    # The next product scan is applied, but its answer is held back while F4 cancels the move.
    held = []

    def hold(route):
        held.append((route, route.fetch()))

    phone.route("**/handheld/move/scan", hold)
    pages.clear()
    phone.keyboard.type(shelf)
    phone.keyboard.press("Enter")
    for _ in range(100):
        if held:
            break
        phone.wait_for_timeout(50)
    assert held, "the scan never reached the server"
    phone.keyboard.press("F4")
    status_has(phone, "Move cancelled: nothing was moved.")
    expect(phone.locator("[data-task]")).to_have_count(0)
    route, response = held[0]
    route.fulfill(response=response)
    phone.unroute("**/handheld/move/scan")
    # The late answer's sentence, over the whole current screen fetched again.
    status_has(phone, "MUG-1: 2 to move")
    expect(phone.locator("#mv-qty")).to_have_text("0")
    expect(phone.locator("#mv-product")).to_have_text("—")
    assert pages, "the whole screen was not fetched"
    expect(phone.locator("form[data-scan-url] input[name=code]")).to_be_focused()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    # The screen works on: a new move.
    move_scan(phone, "A-01-01-1")
    status_has(phone, "Taking from A-01-01-1")
    move_scan(phone, shelf)
    expect(phone.locator("#mv-qty")).to_have_text("1")


def test_a_french_putaway_counts_up_in_place(phone, live_server):
    """Putaway in French: more of the product held changes only the quantity and the buttons."""
    from wms.domain.catalog.models import Product
    from wms.domain.catalog.services import add_barcode
    from wms.domain.inventory import services as inventory
    from wms.domain.locations.models import Location, LocationKind, Warehouse
    from wms.domain.users.models import Role, User

    with live_server.application.app_context():
        wh = Warehouse(code="WH1", name="Main")
        db.session.add(wh)
        db.session.flush()
        dock = Location(warehouse_id=wh.id, code="DOCK-01", kind=LocationKind.RECEIVING)
        bin_ = Location(warehouse_id=wh.id, code="A-01-01-1", kind=LocationKind.STORAGE, zone="A", walk_sequence=1)
        product = Product(sku="MUG-1", name="Mug 33cl", zone="A")
        db.session.add_all([dock, bin_, product])
        db.session.flush()
        add_barcode(product, "3760000000079")
        inventory.receive(product, dock, 3)
        user = User(username="rangeur", name="Remi Rangeur", role=Role.OPERATOR, badge_code="BADGE-0904",
                    language="fr")
        user.set_password("password-123")
        user.set_pin("9090")
        db.session.add(user)
        db.session.commit()
        db.session.remove()

    def putaway_scan(code):
        phone.evaluate("window.__statusBefore = document.querySelector('#status')")
        phone.wait_for_function("document.activeElement && document.activeElement.name === 'code'")
        with phone.expect_response(lambda r: "/handheld/putaway/scan" in r.url) as answer:
            type_scan(phone, code)
        phone.wait_for_function("document.querySelector('#status') !== window.__statusBefore")
        return answer.value.headers.get("hx-retarget")

    sign_in(phone, live_server.url, badge="BADGE-0904", pin="9090")
    phone.goto(live_server.url + "/handheld/putaway")
    assert putaway_scan("DOCK-01") is None
    assert putaway_scan("3760000000079") is None  # the target bin appears: the whole screen
    expect(phone.locator("#suggestion")).to_have_text("A-01-01-1")
    assert putaway_scan("3760000000079") == "#status"
    status_has(phone, "à ranger")
    expect(phone.locator("#pa-qty")).to_have_text("2")
    expect(phone.locator("button", has_text="Tout prendre (3)")).to_be_visible()
    expect(phone.locator("#suggestion")).to_have_text("A-01-01-1")
    assert phone.evaluate("document.activeElement.name") == "code"
    screenshot(phone, "putaway-partial-answer-fr")
    assert putaway_scan("3760000000079") == "#status"
    expect(phone.locator("#pa-qty")).to_have_text("3")
    expect(phone.locator("button", has_text="Tout prendre")).to_have_count(0)
    assert putaway_scan("A-01-01-1") is None
    status_has(phone, "A-01-01-1")
    expect(phone.locator("#pa-qty")).to_have_text("0")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
