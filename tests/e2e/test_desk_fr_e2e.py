"""The desk once in French at 1366 px (issue 18): a supervisor picks "FR" in the header, the
navigation still fits on one line, and the main pages (dashboard, orders, an order, stock,
users) read in French; a user's language is set on the Users page. Screenshots go to
test-artifacts/fr/ (and docs/screenshots/fr/ with WMS_DOCS_SCREENSHOTS=1)."""
import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from tests.conftest import DOCS_SCREENSHOTS, SCREENSHOTS, screenshot
from tests.e2e.test_desk_e2e import orders, release_db, sign_in  # noqa: F401 (fixture)
from wms.db import db
from wms.domain.users.models import User

pytestmark = pytest.mark.browser


def fits(page):
    """French runs longer than English: the bar stays one line, nothing sticks out."""
    nav = page.locator(".desk-bar nav")
    assert nav.evaluate("el => el.scrollWidth <= el.clientWidth"), \
        nav.evaluate("el => [el.scrollWidth, el.clientWidth]")
    assert page.locator(".desk-bar").bounding_box()["height"] < 60
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"], f"{page.url} is {width}px wide"


def shot(page, name):
    for folder in (SCREENSHOTS, DOCS_SCREENSHOTS):
        (folder / "fr").mkdir(parents=True, exist_ok=True)
    fits(page)
    return screenshot(page, f"fr/{name}")


def test_the_desk_in_french(desktop, live_server, orders):  # noqa: F811
    page = desktop
    page.set_viewport_size({"width": 1366, "height": 768})
    sign_in(page, live_server)
    assert page.locator("html").get_attribute("lang") == "en"
    # The account menu at the right end of the bar: its language list brings the page back
    # in French.
    page.locator(".desk-bar .account summary").click()
    with page.expect_navigation():
        page.locator(".desk-bar select[name=language]").select_option("fr")
    assert page.locator("html").get_attribute("lang") == "fr"
    expect(page.locator("h1")).to_have_text("L'entrepôt aujourd'hui")
    for title in ("Anomalies", "Commandes", "Préparation", "Stock", "Utilisateurs"):
        assert page.locator(".desk-bar nav a", has_text=title).is_visible()
    expect(page.locator(".desk-bar .account .lang-code")).to_have_text("FR")
    page.locator(".desk-bar .account summary").click()
    expect(page.locator(".desk-bar .account button", has_text="Déconnexion")).to_be_visible()
    page.locator(".desk-bar .account summary").click()
    shot(page, "desk-dashboard")

    page.locator(".desk-bar nav a", has_text="Commandes").click()
    expect(page.locator("h1")).to_have_text("Commandes")
    expect(page.locator("table.grid thead")).to_contain_text("Client")
    shot(page, "desk-orders")

    page.goto(f"{live_server.url}/desk/orders/{orders}")
    expect(page.locator("h2", has_text="Historique")).to_be_visible()
    page.fill("input[name=reason]", "Adresse à vérifier")
    page.locator("button", has_text="Mettre en attente").click()
    expect(page.locator(".flash, .status").first).to_contain_text("est en attente")
    shot(page, "desk-order")

    page.locator(".desk-bar nav a", has_text="Stock").click()
    expect(page.locator("h1")).to_contain_text("Stock")
    shot(page, "desk-stock")

    page.locator(".desk-bar nav a", has_text="Utilisateurs").click()
    expect(page.locator("h1")).to_have_text("Utilisateurs")
    row = page.locator('tr[data-user="olga"]')
    with page.expect_navigation():
        row.locator("select[name=language]").select_option("fr")
    expect(page.locator('tr[data-user="olga"] select[name=language]')).to_have_value("fr")
    release_db()
    assert db.session.execute(select(User.language).where(User.username == "olga")).scalar_one() == "fr"
    release_db()
    shot(page, "desk-users")

    page.goto(f"{live_server.url}/desk/no-such-page")
    expect(page.locator("h1")).to_have_text("Introuvable")
    assert page.locator("html").get_attribute("lang") == "fr"
