"""The desk at 1366 px (issue 19): one-line navigation, stock drift, productivity, the stock
page sorted by SKU with totals, pick-list rows with lines, units and carrier."""
from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.conftest import screenshot
from tests.e2e.test_desk_e2e import release_db, sign_in
from wms.db import db, utcnow

pytestmark = pytest.mark.browser


@pytest.fixture
def floor(demo):
    """The demo warehouse, a stock push on record for two products, an operator's day."""
    from wms.domain.catalog.models import Product
    from wms.domain.scans.models import OperatorDay
    from wms.domain.users.models import User
    from wms.integrations.prestashop.models import StockPushState

    products = db.session.execute(select(Product).where(Product.ps_product_id.is_not(None))
                                  .order_by(Product.id).limit(2)).scalars().all()
    if len(products) < 2:  # the demo catalogue may not carry shop ids: map two products
        products = db.session.execute(select(Product).order_by(Product.id).limit(2)).scalars().all()
        for n, p in enumerate(products, start=1):
            p.ps_product_id, p.ps_combination_id = 900 + n, 0
    for p in products:  # shop products (a demo product is never pushed, so never drifts)
        p.is_demo = False
    db.session.add(StockPushState(shop="default", product_id=products[0].id, quantity=999,
                                  pushed_at=utcnow() - timedelta(hours=2)))
    olga = db.session.execute(select(User).where(User.username == "olga")).scalar_one()
    db.session.add(OperatorDay(day=utcnow().date(), user_id=olga.id, scans=412, lines=180, units=530,
                               active_seconds=3 * 3600 + 1800, refused=9,
                               refusals={"Wrong location": 6, "Barcode … is not known": 3}))
    db.session.commit()
    info = {"drifting": products[0].sku}
    release_db()
    return info


def test_desk_nav_fits_and_the_new_pages_read_well(desktop, live_server, floor):
    page = desktop
    page.set_viewport_size({"width": 1366, "height": 768})
    sign_in(page, live_server)
    nav = page.locator(".desk-bar nav")
    # One line: nothing hidden behind a scroll, the bar no taller than one row of links.
    assert nav.evaluate("el => el.scrollWidth <= el.clientWidth")
    assert page.locator(".desk-bar").bounding_box()["height"] < 60
    for title in ("Drift", "Productivity", "Exceptions", "API"):
        assert page.locator(".desk-bar nav a", has_text=title).is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 1366

    page.locator(".desk-bar nav a", has_text="Drift").click()
    row = page.locator(f'tr[data-sku="{floor["drifting"]}"]')
    assert "Stock moved since the last push" in row.inner_text() or "held" in row.inner_text() \
        or "not imported" in row.inner_text()
    assert row.locator("[data-difference]").inner_text().startswith("-")
    screenshot(page, "desk-drift")

    page.locator(".desk-bar nav a", has_text="Productivity").click()
    olga = page.locator('tr[data-user="olga"]')
    text = olga.inner_text()
    assert "412" in text and "3.5" in text and "118" in text  # 412 scans in 3.5 h
    assert "Wrong location × 6" in text
    screenshot(page, "desk-productivity")

    page.goto(live_server.url + "/desk/stock?sort=sku")
    assert page.locator("table.stock-table th", has_text="SKU total").is_visible()
    screenshot(page, "desk-stock-by-sku")

    page.goto(live_server.url + "/desk/picking/")
    assert page.locator("#pick-lists th", has_text="Units").is_visible()
    screenshot(page, "desk-picking")
