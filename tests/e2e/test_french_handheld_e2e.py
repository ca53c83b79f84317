"""The handheld's main flow once in French, at phone size (issue 18): a new operator signs in,
taps "Français", and receives a delivery; a refused scan answers in French. Screenshots go to
test-artifacts/fr/ (and docs/screenshots/fr/ with WMS_DOCS_SCREENSHOTS=1)."""
import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from tests.conftest import DOCS_SCREENSHOTS, SCREENSHOTS, screenshot
from tests.e2e.test_receiving_e2e import delivery  # noqa: F401 (fixture)
from wms.db import db

pytestmark = pytest.mark.browser
CHOOSER = re.compile(r".*/handheld/language\?next=.+")


def shot(page, name):
    for folder in (SCREENSHOTS, DOCS_SCREENSHOTS):
        (folder / "fr").mkdir(parents=True, exist_ok=True)
    fits_the_screen(page)
    return screenshot(page, f"fr/{name}")


def fits_the_screen(page):
    """French runs longer than English: nothing may stick out of the 360px screen."""
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"], f"{page.url} is {width}px wide"
    wide = page.evaluate("""Array.from(document.querySelectorAll('main *, header *'))
        .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1)
        .map(e => e.tagName + '.' + e.className + ': ' + (e.textContent || '').trim().slice(0, 40))""")
    assert wide == [], wide


def scan(page, code, status="ok"):
    """Type a code and Enter like a wedge scanner; wait for the answer's status line."""
    page.evaluate("document.getElementById('status').setAttribute('data-status', 'sent')")
    page.locator("input[name=code]").focus()
    page.keyboard.type(code)
    page.keyboard.press("Enter")
    page.wait_for_selector(f"#status[data-status={status}]")
    assert page.evaluate("document.activeElement.name") == "code"  # ready for the next scan
    return page.locator("#status")


def test_a_new_operator_chooses_french_and_receives(phone, live_server, delivery):  # noqa: F811
    from wms.domain.users.models import User

    live_server.application.config["ASK_LANGUAGE"] = True  # the browser tests' default is off
    base = live_server.url
    phone.goto(base + "/handheld/login")
    phone.locator("#badge").fill("BADGE-0003")
    phone.keyboard.press("Enter")
    phone.keyboard.type("3333")
    phone.keyboard.press("Enter")

    # First sign-in: one screen, a big button per language, each in its own language.
    phone.wait_for_url(CHOOSER)
    french = phone.locator("button[value=fr]")
    expect(french).to_have_text("Français")
    expect(phone.locator("button[value=en]")).to_have_text("English")
    assert french.bounding_box()["height"] >= 48  # a gloved thumb hits it
    shot(phone, "handheld-language")
    french.click()

    phone.wait_for_url(base + "/handheld/")
    expect(phone.locator(".hh-title")).to_have_text("Bonjour Olga")
    expect(phone.locator(".hh-tile", has_text="Préparer")).to_be_visible()
    expect(phone.locator(".hh-tile", has_text="Enregistrer une livraison")).to_be_visible()
    expect(phone.locator("#change-language")).to_have_text("Langue : Français")
    expect(phone.locator(".hh-logout button")).to_have_text("Déconnexion")
    shot(phone, "handheld-home")
    with live_server.application.app_context():
        assert db.session.execute(select(User.language).where(User.badge_code == "BADGE-0003")).scalar_one() == "fr"
        db.session.remove()

    # Receiving: the screen speaks French around the scans.
    phone.goto(base + "/handheld/receiving")
    expect(phone.locator(".hh-title")).to_have_text("Réception")
    expect(phone.locator("#status")).to_have_text("Prêt")
    assert phone.locator("input[name=code]").get_attribute("placeholder") == "Scannez…"
    expect(phone.locator("button[data-key=F2]")).to_contain_text("Réception à l'aveugle")
    expect(phone.locator(".rcv-sub")).to_have_text("Attendus")
    shot(phone, "handheld-receiving")
    scan(phone, delivery["code"])
    sku_a, ean_a = delivery["a"]
    scan(phone, ean_a)
    scan(phone, ean_a)
    expect(phone.locator(".rcv-total")).to_contain_text("Reçus : 2 sur 5 · reste 3")
    expect(phone.locator(f'li[data-sku="{sku_a}"] .qty')).to_contain_text("reste 1")
    expect(phone.locator("button[data-key=F4]")).to_contain_text("Laisser ouvert")
    expect(phone.locator(".actions .primary")).to_contain_text("Clôturer · manque 3")
    shot(phone, "handheld-receiving-scans")

    # A refused scan: red, with its sentence (the domain's own sentences are translated by
    # their module; this one is the scanner's, from the JSON block the script reads).
    scan(phone, delivery["unknown"], status="error")
    shot(phone, "handheld-refused-unknown")
    phone.evaluate("document.querySelector('meta[name=csrf-token]').content = 'stale'")
    status = scan(phone, ean_a, status="error")
    expect(status).to_have_text("Non appliqué : la page n'est plus à jour. Rechargez-la et scannez à nouveau.")
    shot(phone, "handheld-refused")

    # The in-page question of the scripts is French too (app.js reads the same block).
    phone.goto(base + "/handheld/")
    phone.evaluate("""window.wmsConfirm.ask({text: 'Q', anchor: document.querySelector('main'),
                      onYes: function () {}})""")
    expect(phone.locator("[data-confirm-answer=yes]")).to_have_text("F1 Oui")
    expect(phone.locator("[data-confirm-answer=no]")).to_have_text("Esc Non")

    # The pick screen, and a way back to English from the home.
    phone.goto(base + "/handheld/pick")
    expect(phone.locator(".hh-title")).to_have_text("Préparer")
    shot(phone, "handheld-pick")
    phone.goto(base + "/handheld/")
    phone.locator("#change-language").click()
    phone.wait_for_url(CHOOSER)
    expect(phone.locator("button[value=fr]")).to_have_attribute("aria-current", "true")
    phone.locator("button[value=en]").click()
    phone.wait_for_url(base + "/handheld/")
    expect(phone.locator(".hh-title")).to_have_text("Hello Olga")
