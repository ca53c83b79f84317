"""In a real browser: the last scan closes the parcel, the screen asks the carrier for its
label by itself, and the carrier's ZPL prints on the station's label printer; a refusal
shows the carrier's reason and the retry button."""
from __future__ import annotations

import pytest

from tests.domain.test_packing import ean, packing_setup  # noqa: F401 (fixture)
from tests.domain.test_printing import FakeLabelPrinter, label_printer  # noqa: F401 (fixture)
from tests.e2e.test_receiving_e2e import scan, sign_in
from tests.web.test_carrier_labels import bench, fake  # noqa: F401 (fixtures)
from wms.db import db
from wms.domain.printing import services as printing

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("city, ok", [("Lyon", True), ("Paris", False)])
def test_last_scan_gets_and_prints_the_colissimo_label(app, bench, fake, live_server, phone,  # noqa: F811
                                                     label_printer, city, ok):  # noqa: F811
    live_server.application.config["CARRIER_ACCOUNTS"] = app.config["CARRIER_ACCOUNTS"]
    s = bench("colissimo", service_code="DOS", ship_city=city)
    zebra = printing.save_printer("Zebra bench 1", "zpl_tcp", "127.0.0.1", label_printer.port)
    printing.save_station("Packing 1", zebra, print_on_last_scan=True)
    db.session.commit()
    badge, order_code, ean_a, ean_b = s.operator.badge_code, s.order.code, ean(s.a), ean(s.b)
    db.session.close()  # the live server writes to the same database
    base = live_server.url
    sign_in(phone, base, badge=badge, pin="1234")
    phone.goto(base + "/handheld/station")
    phone.get_by_role("button", name="Packing 1").click()
    phone.wait_for_selector("text=This device is")
    phone.goto(base + "/handheld/packing")
    scan(phone, order_code)
    scan(phone, "2*" + ean_a)
    # The last item: the parcel closes, then the screen asks Colissimo without a click.
    phone.evaluate("document.getElementById('status').setAttribute('data-status', 'sent')")
    phone.locator("input[name=code]").focus()
    phone.keyboard.type(ean_b)
    phone.keyboard.press("Enter")
    if ok:
        phone.wait_for_selector("#status[data-status=ok]:has-text('sent to Zebra bench 1')", timeout=15_000)
        number = fake.colissimo_labels[0]["number"]
        assert label_printer.wait() == f"^XA^FO50,50^BCN,100^FD{number}^FS^XZ"
        assert number in phone.locator("#screen").inner_text()
    else:
        phone.wait_for_selector("[data-label-error]", timeout=15_000)
        assert "ne correspond pas à la ville" in phone.locator("[data-label-error]").inner_text()
        assert phone.get_by_role("button", name="Get the label again").is_visible()
        assert not label_printer.jobs and not fake.colissimo_labels
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
