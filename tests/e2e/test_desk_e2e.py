"""The supervisor's desk in a real browser at desktop size, over HTTP with CSRF on."""
from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.conftest import screenshot
from wms.db import db, utcnow
from wms.domain.catalog.models import Product
from wms.domain.counts import services as count_services
from wms.domain.counts.models import CountStatus
from wms.domain.inventory import services as inventory
from wms.domain.locations.services import location_by_code
from wms.domain.orders.models import Order, OrderLine, OrderStatus, record_event
from wms.domain.shipping.models import Carrier
from wms.domain.users.models import User





def _sku(sku):
    return db.session.execute(select(Product).where(Product.sku == sku)).scalar_one()


@pytest.fixture
def orders(demo):
    """A morning's worth of orders in every state, one with a full history."""
    sam = db.session.execute(select(User).where(User.username == "sam")).scalar_one()
    carrier = db.session.execute(select(Carrier)).scalars().first()
    tee = _sku("TSH-BLACK-S")
    specs = [(OrderStatus.NEW, 6), (OrderStatus.BACKORDERED, 2), (OrderStatus.ALLOCATED, 9),
             (OrderStatus.PICKING, 3), (OrderStatus.PICKED, 4), (OrderStatus.PACKED, 5),
             (OrderStatus.ON_HOLD, 1), (OrderStatus.CANCELLED, 1)]
    n = 1000
    for status, count in specs:
        for _ in range(count):
            n += 1
            db.session.add(Order(
                reference=f"WEB{n}", status=status, customer_name="Claire Martin", carrier=carrier,
                hold_reason="Address to check with the customer" if status is OrderStatus.ON_HOLD else None,
                ship_by=utcnow() + timedelta(hours=(-2 if n % 7 == 0 else 5)),
                lines=[OrderLine(line_no=1, sku=tee.sku, name=tee.name, product_id=tee.id, quantity=2,
                                 quantity_allocated={OrderStatus.NEW: 0, OrderStatus.BACKORDERED: 1}.get(status, 2))]))
    order = Order(reference="WEB2001", shop="default", ps_order_id=2001, ps_state=2, status=OrderStatus.NEW,
                  customer_name="Jean Dupont", customer_email="jean@example.com", ship_name="Jean Dupont",
                  ship_address1="4 rue des Lilas", ship_postcode="69003", ship_city="Lyon", ship_country="FR",
                  carrier=carrier, priority=1, ship_by=utcnow() + timedelta(hours=4), ordered_at=utcnow(),
                  lines=[OrderLine(line_no=1, sku=tee.sku, name=tee.name, product_id=tee.id, quantity=2)])
    db.session.add(order)
    db.session.flush()
    record_event(order, "imported", "Imported from PrestaShop order 2001 (state Payment accepted).")
    record_event(order, "note", "Customer asked for delivery after 10:00.", sam)
    db.session.commit()
    order_id = order.id
    release_db()
    return order_id


def release_db():
    """End the test's own transaction: on SQLite it would hold the write lock the server needs."""
    db.session.rollback()


def sign_in(page, live_server, username="sam", password="sam-demo"):
    page.goto(f"{live_server.url}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/desk/")


def test_dashboard_live_numbers_and_order_history(desktop, live_server, orders):
    page = desktop
    page.clock.install()
    sign_in(page, live_server)
    hold = page.locator('[data-metric="orders-on_hold"] .num')
    assert hold.inner_text() == "1"
    assert page.locator('[data-metric="orders-allocated"] .num').inner_text() == "9"
    assert page.locator('[data-metric="late"] .num').inner_text() != "0"
    screenshot(page, "desk-dashboard")

    # Another order goes on hold elsewhere: the numbers refresh without reloading the page.
    db.session.add(Order(reference="WEB3000", status=OrderStatus.ON_HOLD, hold_reason="fraud check"))
    db.session.commit()
    release_db()
    page.clock.run_for(11_000)
    page.wait_for_function("document.querySelector('[data-metric=\"orders-on_hold\"] .num').textContent.trim() === '2'")

    page.goto(f"{live_server.url}/desk/orders/{orders}")
    assert "Imported from PrestaShop order 2001" in page.locator("#order-history").inner_text()
    page.fill("input[name=reason] >> nth=0", "Customer changed the address")
    page.get_by_role("button", name="Hold", exact=True).click()
    page.wait_for_selector("text=On hold: Customer changed the address")
    history = page.locator("#order-history li").first.inner_text()
    assert "Held: Customer changed the address" in history and "Sam Supervisor" in history
    screenshot(page, "desk-order")
    page.get_by_role("button", name="Release from hold").click()
    page.wait_for_selector("[data-order-status]:has-text('To allocate')")


def test_cycle_count_difference_approved(desktop, live_server, demo):
    loc = location_by_code("A-02-14-1")
    tee = _sku("TSH-BLACK-S")
    before = inventory.stock_at(tee, loc).on_hand
    sam = db.session.execute(select(User).where(User.username == "sam")).scalar_one()
    olga = db.session.execute(select(User).where(User.username == "olga")).scalar_one()
    sam_id = sam.id
    release_db()
    page = desktop
    sign_in(page, live_server)
    page.goto(f"{live_server.url}/desk/counts")
    page.fill("input[name=code]", "A-02-14-1")
    page.click("text=Create count task")
    page.wait_for_selector("text=created: count A-02-14-1")
    task_code = page.locator("h1").inner_text().split()[0]
    # (the task was made by the server; this session sees it in a fresh transaction)
    # Olga counts it blind on her handheld (the handheld screens have their own tests).
    task = count_services.task_by_code(task_code)
    count_services.scan(olga, task.code)
    count_services.scan(olga, loc.code)
    count_services.scan(olga, tee.main_barcode, before - 3)
    count_services.finish(olga)
    db.session.commit()
    release_db()
    page.reload()
    page.wait_for_selector("text=Approve and post 1 difference")
    assert "-3" in page.locator("tr.diff").inner_text()
    page.fill("input[name=note]", "three found torn")
    page.click("text=Approve and post")
    page.wait_for_selector("text=approved: the differences are posted")
    assert page.locator("[data-count-status]").inner_text() == "Done"
    db.session.expire_all()
    assert inventory.stock_at(tee, loc).on_hand == before - 3
    assert count_services.task_by_code(task_code).status is CountStatus.DONE
    assert count_services.task_by_code(task_code).approved_by_id == sam_id
    assert inventory.ledger_problems() == []


def test_csv_import_bad_row_reported_nothing_imported(desktop, live_server, demo, tmp_path):
    products_before = db.session.query(Product).count()
    release_db()
    csv_file = tmp_path / "products.csv"
    csv_file.write_text("sku,name,weight_g\nMUG-NEW-1,Enamel mug,320\nMUG-NEW-2,,heavy\n")
    page = desktop
    sign_in(page, live_server)
    page.goto(f"{live_server.url}/desk/products")
    page.click("text=Import CSV")
    page.set_input_files("input[type=file]", str(csv_file))
    page.click("text=Check file")
    errors = page.locator(".import-errors")
    errors.wait_for()
    text = errors.inner_text()
    assert "Nothing was imported" in text
    assert "Row 3: name is empty" in text and "weight_g must be a whole number" in text
    assert page.locator("tr.bad").count() == 1
    assert page.locator("text=Import 2 rows").count() == 0
    screenshot(page, "desk-import-refused")
    db.session.expire_all()
    assert db.session.query(Product).count() == products_before
