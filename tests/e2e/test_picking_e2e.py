"""Picking in a real browser at phone size: a batch of 3 orders into 3 totes, with short picks."""
import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from tests.conftest import screenshot
from tests.e2e.test_core_e2e import scan as type_scan
from tests.e2e.test_core_e2e import sign_in
from wms.db import db

pytestmark = pytest.mark.browser


@pytest.fixture
def batch(live_server):
    """Three allocated orders on one batch list; P-SHORT exists only in one bin."""
    from wms.domain.catalog.models import Product
    from wms.domain.catalog.services import add_barcode
    from wms.domain.inventory import services as inventory
    from wms.domain.locations.models import Location, LocationKind, Warehouse
    from wms.domain.orders.models import Order, OrderLine
    from wms.domain.picking.allocation import allocate_orders
    from wms.domain.picking.models import PickListKind
    from wms.domain.picking.services import create_pick_list
    from wms.domain.users.models import Role, User

    with live_server.application.app_context():
        wh = Warehouse(code="WH1", name="Main")
        db.session.add(wh)
        db.session.flush()

        def loc(code, kind=LocationKind.PICK_FACE):
            z, a, b, lvl = (code.split("-") + [None, None])[:4]
            extra = {} if lvl is None else {"zone": z, "aisle": int(a), "bay": int(b), "level": int(lvl),
                                            "pos_x": int(a) * 3.0, "pos_y": ((int(b) + 1) // 2) * 1.2}
            location = Location(warehouse_id=wh.id, code=code, kind=kind, **extra)
            db.session.add(location)
            db.session.flush()
            return location

        pack = loc("PACK-01", LocationKind.PACKING)
        bins = {c: loc(c) for c in ("A-01-02-1", "A-02-01-1", "A-03-05-1")}
        bins["B-07-03-2"] = loc("B-07-03-2", LocationKind.STORAGE)
        products = {}
        for sku, ean in (("P-SHORT", "3760000000017"), ("P-MOVED", "3760000000024"), ("P-OK", "3760000000031")):
            products[sku] = Product(sku=sku, name=f"Mug {sku.split('-')[1].title()} 33cl")
            db.session.add(products[sku])
            db.session.flush()
            add_barcode(products[sku], ean)
        inventory.receive(products["P-SHORT"], bins["A-01-02-1"], 1)
        inventory.receive(products["P-OK"], bins["A-02-01-1"], 2)
        inventory.receive(products["P-MOVED"], bins["A-03-05-1"], 2)
        inventory.receive(products["P-MOVED"], bins["B-07-03-2"], 5)
        orders = []
        for n, (sku, qty) in enumerate((("P-OK", 2), ("P-MOVED", 2), ("P-SHORT", 1)), start=1):
            order = Order(reference=f"WEB{n}")
            order.lines.append(OrderLine(line_no=1, product_id=products[sku].id, sku=sku,
                                         name=products[sku].name, quantity=qty))
            db.session.add(order)
            db.session.flush()
            orders.append(order.id)
        allocate_orders()
        # P-MOVED is allocated from the pick face first; B-07-03-2 stays free for the reallocation.
        pick_list = create_pick_list(orders, kind=PickListKind.BATCH)
        user = User(username="picker", name="Pia Picker", role=Role.OPERATOR, badge_code="BADGE-0901")
        user.set_password("password-123")
        user.set_pin("9090")
        db.session.add(user)
        db.session.commit()
        info = {"code": pick_list.code, "id": pick_list.id, "orders": orders, "pack": pack.code,
                "ean": {sku: p.main_barcode for sku, p in products.items()}}
        db.session.remove()
    return info


def scan(page, code):
    """Scan a code and wait until the screen has answered and is ready for the next scan."""
    # Every answer replaces the status line (the whole screen, or the red line alone): wait
    # for that swap, not only for the response, or the next code may be typed into an input
    # the swap is about to replace (a fast answer then splits it into two scans).
    page.evaluate("window.__statusBefore = document.querySelector('#status')")
    # After a button's htmx swap (e.g. "Bin is short") the focus comes back to the scan input
    # a moment later: keys typed before that are lost, and the rest is scanned as a product.
    page.wait_for_function("document.activeElement && document.activeElement.name === 'code'")
    with page.expect_response(lambda r: "/handheld/pick/scan" in r.url):
        type_scan(page, code)
    page.wait_for_function("document.querySelector('#status') !== window.__statusBefore "
                           "&& document.activeElement && document.activeElement.name === 'code' "
                           "&& document.activeElement.value === ''")


def status_has(page, text):
    expect(page.locator("#status")).to_contain_text(text)


def test_batch_of_three_orders_into_three_totes(phone, live_server, batch):
    dialogs = []
    phone.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    sign_in(phone, live_server.url, badge="BADGE-0901", pin="9090")
    phone.goto(live_server.url + "/handheld/pick")
    expect(phone.locator(".pick-open", has_text=batch["code"])).to_be_visible()
    screenshot(phone, "picking-lists")
    scan(phone, batch["code"])
    status_has(phone, f"Picking {batch['code']}")
    totes = {}
    for n, order_id in enumerate(batch["orders"], start=1):
        tote = f"TOTE-{n:03d}"
        expect(phone.locator(".prompt")).to_contain_text(f"SO-{order_id}")
        scan(phone, tote)
        status_has(phone, f"{tote} is for SO-{order_id}")
        totes[order_id] = tote
    tote_of_sku = dict(zip(("P-OK", "P-MOVED", "P-SHORT"), totes.values()))
    screenshot(phone, "picking-first-line")
    wrong_done = reallocated = shorted = False
    for _ in range(12):
        if "is picked" in phone.locator(".prompt").inner_text():
            break
        location = phone.locator("#pick-location").inner_text().strip()
        sku = phone.locator("#pick-sku").inner_text().strip()
        qty = int(re.search(r"\d+", phone.locator("#pick-qty").inner_text()).group())
        assert phone.locator("#pick-tote").inner_text().split()[-1] == tote_of_sku[sku]
        if not wrong_done:
            scan(phone, "A-03-05-1" if location != "A-03-05-1" else "A-02-01-1")
            expect(phone.locator("#status[data-status=error]")).to_contain_text("Wrong location")
            screenshot(phone, "picking-wrong-scan")
            wrong_done = True
        scan(phone, location)
        status_has(phone, f"At {location}")
        if sku == "P-SHORT" or (sku == "P-MOVED" and location == "A-03-05-1"):
            if sku == "P-MOVED":
                scan(phone, batch["ean"][sku])  # one of the two is there
                scan(phone, tote_of_sku[sku])
                status_has(phone, f"into {tote_of_sku[sku]}")
            # "Bin is short" asks on the page; scanning the bin again answers yes.
            phone.locator("button", has_text="Bin is short").click()
            expect(phone.locator("#confirm")).to_contain_text(f"Scan {location} again")
            assert phone.evaluate("document.activeElement.name") == "code"
            screenshot(phone, "picking-short-question")
            with phone.expect_response(lambda r: "/handheld/pick/short" in r.url):
                type_scan(phone, location)
            if sku == "P-MOVED":
                status_has(phone, "1 from B-07-03-2")
                reallocated = True
                screenshot(phone, "picking-short-reallocated")
            else:
                status_has(phone, "not available anywhere")
                shorted = True
            continue
        for _unit in range(qty):  # each scan is one unit
            scan(phone, batch["ean"][sku])
            status_has(phone, sku)
        scan(phone, tote_of_sku[sku])
        status_has(phone, f"into {tote_of_sku[sku]}")
    expect(phone.locator(".prompt")).to_contain_text(f"take the totes to {batch['pack']}")
    assert wrong_done and reallocated and shorted
    assert dialogs == []  # no native dialog anywhere
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    screenshot(phone, "picking-done")

    from wms.domain.inventory.services import ledger_problems
    from wms.domain.locations.models import Location
    from wms.domain.orders.models import Order, OrderStatus
    with live_server.application.app_context():
        statuses = [db.session.get(Order, i).status for i in batch["orders"]]
        assert statuses == [OrderStatus.PICKED, OrderStatus.PICKED, OrderStatus.BACKORDERED]
        flagged = db.session.execute(select(Location.code).where(Location.needs_count.is_(True))).scalars().all()
        assert sorted(flagged) == ["A-01-02-1", "A-03-05-1"]
        assert ledger_problems() == []
        db.session.remove()
