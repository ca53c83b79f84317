"""A transfer shipped like an order in a browser (issue 14 item 3): release, print the pick list,
pack into two parcels for the demo's range carrier, put them on its dispatch at the source; the
transfer page and the Dispatch page in English and in French at 1366 px."""
import pytest
from playwright.sync_api import expect

from tests.e2e.test_desk_e2e import sign_in
from tests.e2e.test_desk_fr_e2e import shot
from tests.e2e.test_transfers_e2e import second_site  # noqa: F401 (fixture)
from tests.conftest import screenshot

pytestmark = pytest.mark.browser


def test_a_transfer_packed_and_handed_to_the_carrier(desktop, live_server, second_site):  # noqa: F811
    page = desktop
    page.set_viewport_size({"width": 1366, "height": 768})
    sign_in(page, live_server)
    page.goto(f"{live_server.url}/desk/transfers")
    page.select_option("#new-transfer select[name=source]", second_site["source"])
    page.select_option("#new-transfer select[name=destination]", second_site["destination"])
    page.fill("#new-transfer textarea[name=lines]", f"{second_site['sku']} 2")
    page.click("#new-transfer button[type=submit]")
    page.get_by_role("button", name="Release").click()
    pdf = page.request.get(live_server.url + page.locator("#pick-list-pdf").get_attribute("href"))
    assert pdf.ok and pdf.headers["content-type"] == "application/pdf"
    page.get_by_role("button", name="Whole pick list taken").click()
    screenshot(page, "desk-transfer-pack")
    page.fill("#pack input[name=count]", "2")
    page.fill("#pack input[name=weight]", "3.2")
    page.select_option("#pack select[name=carrier]", "EXPRESS")
    page.click("#pack button[type=submit]")
    expect(page.locator("#parcels tbody tr")).to_have_count(2)
    assert "Ship what was picked" not in page.content()
    page.get_by_role("button", name="Put the parcels on the Chronopost dispatch").click()
    expect(page.locator("#parcels tbody tr").first).to_contain_text("DSP-")
    assert page.evaluate("document.documentElement.scrollWidth") <= 1366
    screenshot(page, "desk-transfer-parcels")
    transfer_url = page.url
    page.goto(f"{live_server.url}/desk/dispatch/carriers/EXPRESS")
    expect(page.locator("tr[data-parcel^='PCL-T']")).to_have_count(2)
    screenshot(page, "desk-dispatch-with-transfer")

    page.locator(".desk-bar .account summary").click()
    with page.expect_navigation():
        page.locator(".desk-bar select[name=language]").select_option("fr")
    expect(page.locator("tr[data-parcel^='PCL-T']")).to_have_count(2)
    shot(page, "desk-dispatch-with-transfer")
    page.goto(transfer_url)
    expect(page.locator("#transfer-status")).to_have_text("En préparation")
    assert "Étiquettes (PDF)" in page.content()
    shot(page, "desk-transfer-parcels")
