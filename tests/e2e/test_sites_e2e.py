"""Two sites in a real browser (issue 14): a handheld whose station is in Lyon refuses a bin of
Paris by name, and the desk routes an order to the other site."""
import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from tests.conftest import screenshot
from tests.e2e.test_core_e2e import sign_in as handheld_sign_in
from tests.e2e.test_returns_e2e import scan
from wms.db import db

pytestmark = pytest.mark.browser


@pytest.fixture
def demo_sites(live_server):
    """The demo (Paris and Lyon, demo orders, a Lyon station); an order of Paris not on a list."""
    from wms.demo import seed_demo_work
    from wms.domain.locations.models import Warehouse
    from wms.domain.picking.services import pickable_orders
    from wms.seed import seed_demo, seed_demo_orders

    with live_server.application.app_context():
        seed_demo(live_server.application.config)
        seed_demo_orders()
        seed_demo_work()
        db.session.commit()
        paris, lyon = db.session.execute(select(Warehouse).order_by(Warehouse.id)).scalars().all()
        order = [o for o in pickable_orders() if o.warehouse_id == paris.id and o.parent_id is None][-1]
        info = {"order_id": order.id, "order": order.code, "paris": paris.id, "lyon": lyon.id}
        db.session.remove()
    return info


def test_a_lyon_handheld_refuses_a_paris_bin(phone, live_server, demo_sites):
    page = phone
    handheld_sign_in(page, live_server.url)
    page.goto(live_server.url + "/handheld/station")
    page.get_by_role("button", name="Lyon 1").click()
    expect(page.locator(".hh-site")).to_have_text("Lyon")
    page.goto(live_server.url + "/handheld/move")
    expect(page.locator(".hh-site")).to_have_text("Lyon")
    answer = scan(page, "A-01-01-1", expect="error")
    assert "A-01-01-1 is a bin of Paris, not of Lyon" in answer
    screenshot(page, "sites-handheld-refuses-other-site")
    assert "Taking from L-01-01-1" in scan(page, "L-01-01-1")


def test_the_desk_routes_an_order_to_the_other_site(desktop, live_server, demo_sites):
    page = desktop
    page.goto(f"{live_server.url}/login")
    page.fill("input[name=username]", "sam")
    page.fill("input[name=password]", "sam-demo")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/desk/")
    page.goto(f"{live_server.url}/desk/orders/{demo_sites['order_id']}")
    expect(page.locator("[data-site]")).to_have_text("Paris")
    form = page.get_by_role("form", name="Ship from another site")
    form.locator("select[name=warehouse_id]").select_option(str(demo_sites["lyon"]))
    form.get_by_role("button", name="Route there").click()
    expect(page.locator("[data-site]")).to_have_text("Lyon")
    expect(page.locator("[data-routing-reason]")).to_contain_text("on the desk")
    screenshot(page, "sites-desk-routed")
    # The orders list filtered on Lyon shows it.
    page.goto(f"{live_server.url}/desk/orders?site={demo_sites['lyon']}")
    expect(page.get_by_role("link", name=demo_sites["order"], exact=True)).to_be_visible()


def test_the_sites_page_sets_a_site_clock_and_all_sites_waves_in_french(desktop, live_server, demo_sites):
    from tests.e2e.test_desk_fr_e2e import fits, shot

    page = desktop
    page.set_viewport_size({"width": 1366, "height": 768})
    page.goto(f"{live_server.url}/login")
    page.fill("input[name=username]", "sam")
    page.fill("input[name=password]", "sam-demo")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/desk/")
    page.goto(f"{live_server.url}/desk/sites")
    lyon = page.get_by_role("form", name="Site Lyon")
    lyon.locator("input[name=timezone]").fill("Mars/Olympus")
    lyon.get_by_role("button", name="Save").click()
    expect(page.locator("[role=alert]")).to_contain_text("Mars/Olympus is not a time zone")
    page.get_by_role("form", name="Site Lyon").locator("input[name=timezone]").fill("Europe/Lisbon")
    page.get_by_role("form", name="Site Lyon").get_by_role("button", name="Save").click()
    expect(page.get_by_role("form", name="Site Lyon").locator("input[name=timezone]")).to_have_value("Europe/Lisbon")
    fits(page)
    screenshot(page, "sites-desk-time-zone")
    # "All sites": the wave makes a list per site.
    page.goto(f"{live_server.url}/desk/picking/?site=all")
    page.locator(".desk-bar .account summary").click()
    with page.expect_navigation():
        page.locator(".desk-bar select[name=language]").select_option("fr")
    page.locator("form[action$='/picking/wave'] button[type=submit]").click()
    expect(page.locator(".flash, [role=status]").first).to_contain_text("une par site")
    shot(page, "desk-picking-waves-per-site")
    page.goto(f"{live_server.url}/desk/sites")
    expect(page.get_by_role("form", name="Site Lyon").locator("input[name=timezone]")).to_have_value("Europe/Lisbon")
    expect(page.locator("main")).to_contain_text("Fuseau horaire")
    shot(page, "desk-sites-time-zone")


def test_the_dashboard_filtered_to_one_site_in_english_and_french(desktop, live_server, demo_sites):
    from tests.e2e.test_desk_fr_e2e import fits, shot

    page = desktop
    page.set_viewport_size({"width": 1366, "height": 768})
    page.goto(f"{live_server.url}/login")
    page.fill("input[name=username]", "sam")
    page.fill("input[name=password]", "sam-demo")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/desk/")
    every = page.locator("[data-metric=orders-allocated] .num").inner_text()
    # The dashboard's own site filter: Lyon only.
    page.locator("form.site-filter select[name=site]").select_option(str(demo_sites["lyon"]))
    with page.expect_navigation():
        page.locator("form.site-filter button[type=submit]").click()
    expect(page.locator("form.site-filter select[name=site]")).to_have_value(str(demo_sites["lyon"]))
    expect(page.locator("main")).to_contain_text("these figures are not filtered")
    in_lyon = page.locator("[data-metric=orders-allocated] .num").inner_text()
    assert int(in_lyon) < int(every)
    fits(page)
    screenshot(page, "sites-dashboard-one-site")
    page.locator(".desk-bar .account summary").click()
    with page.expect_navigation():
        page.locator(".desk-bar select[name=language]").select_option("fr")
    expect(page.locator("main")).to_contain_text("ces chiffres ne sont pas filtrés")
    expect(page.locator("form.site-filter select[name=site]")).to_have_value(str(demo_sites["lyon"]))
    assert page.locator("[data-metric=orders-allocated] .num").inner_text() == in_lyon
    shot(page, "desk-dashboard-one-site")


def _demo_receipt(live_server):
    from wms.domain.receiving.models import Receipt

    with live_server.application.app_context():
        receipt = db.session.execute(select(Receipt).order_by(Receipt.id)).scalars().first()
        code = receipt.code
        db.session.remove()
    return code


def test_a_lyon_handheld_refuses_a_paris_receipt(phone, live_server, demo_sites):
    page = phone
    code = _demo_receipt(live_server)  # the demo's delivery, expected at Paris (the first site)
    handheld_sign_in(page, live_server.url)
    page.goto(live_server.url + "/handheld/station")
    page.get_by_role("button", name="Lyon 1").click()
    page.goto(live_server.url + "/handheld/receiving")
    expect(page.locator(".hh-site")).to_have_text("Lyon")
    answer = scan(page, code, expect="error")
    assert f"{code} is expected at Paris, not at Lyon: leave it for Paris." in answer
    screenshot(page, "sites-handheld-refuses-other-site-receipt")


def test_the_desk_creates_a_receipt_at_a_site_in_english_and_french(desktop, live_server, demo_sites):
    from tests.e2e.test_desk_fr_e2e import fits, shot

    page = desktop
    page.set_viewport_size({"width": 1366, "height": 768})
    page.goto(f"{live_server.url}/login")
    page.fill("input[name=username]", "sam")
    page.fill("input[name=password]", "sam-demo")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/desk/")
    page.goto(f"{live_server.url}/desk/receipts?site={demo_sites['lyon']}")
    form = page.locator("form[action$='/receipts/new']")
    expect(form.locator("select[name=warehouse_id]")).to_have_value(str(demo_sites["lyon"]))
    fits(page)
    screenshot(page, "sites-desk-receipts")
    page.goto(f"{live_server.url}/desk/receipts?site=all")
    page.locator(".desk-bar .account summary").click()
    with page.expect_navigation():
        page.locator(".desk-bar select[name=language]").select_option("fr")
    form = page.locator("form[action$='/receipts/new']")
    form.locator("select[name=warehouse_id]").select_option(str(demo_sites["lyon"]))
    form.locator("textarea[name=lines]").fill("NOPE-SKU 2")
    with page.expect_navigation():
        form.get_by_role("button").click()
    expect(page.locator(".status-error")).to_be_visible()
    expect(page.locator("form[action$='/receipts/new'] select[name=warehouse_id]")).to_have_value(str(demo_sites["lyon"]))
    assert "Attendue à" in page.locator("form[action$='/receipts/new']").inner_text()
    assert "Tout site" not in page.content()  # every demo receipt has its site
    shot(page, "sites-desk-receipts")
