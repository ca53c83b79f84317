"""Printing over HTTP: the desk's printers and stations, a device's station, print on the last scan."""
from __future__ import annotations

import re

import pytest

from tests.domain.test_packing import ean, packing_setup  # noqa: F401 (fixture)
from tests.domain.test_printing import FakeLabelPrinter, closed_port, label_printer  # noqa: F401
from wms.db import db
from wms.domain.orders.models import OrderStatus
from wms.domain.printing import services as printing
from wms.domain.printing.models import Printer, Station
from wms.labels.zpl import parse_zpl

HX = {"HX-Request": "true"}


def post(client, url, **data):
    return client.post(url, data=data, headers=HX)


@pytest.fixture
def bench(packing_setup, make_warehouse):
    """A picked order to pack (2 × SKU-A, 1 × SKU-B) and a function making this device's station."""
    make_warehouse()
    s = packing_setup()
    db.session.commit()

    def station_on(client, port: int, print_on_last_scan=True) -> Station:
        zebra = printing.save_printer("Zebra bench 1", "zpl_tcp", "127.0.0.1", port)
        station = printing.save_station("Packing 1", zebra, print_on_last_scan)
        db.session.commit()
        r = client.post("/handheld/station", data={"station": str(station.id)})
        assert r.status_code == 302
        return station

    s.station_on = station_on
    return s


def pack_all(client, s):
    post(client, "/handheld/packing/scan", code=s.order.code, scan_id="prn-0001-aaaa")
    post(client, "/handheld/packing/scan", code=ean(s.a), qty="2", scan_id="prn-0002-aaaa")
    return post(client, "/handheld/packing/scan", code=ean(s.b), scan_id="prn-0003-aaaa")


def test_the_last_scan_closes_the_parcel_and_prints_its_label_on_the_station_printer(
        client, login_as, bench, label_printer):
    login_as("operator")
    bench.station_on(client, label_printer.port)
    r = pack_all(client, bench)
    body = r.get_data(as_text=True)
    assert r.status_code == 200 and "scan-ok" in r.headers["HX-Trigger"]
    assert "packed in 1 parcel" in body and "Shipping label sent to Zebra bench 1" in body
    zpl = label_printer.wait()
    labels = parse_zpl(zpl)  # valid ZPL: every label closed, every field terminated
    assert len(labels) == 1 and "RX1000" in zpl and "Jane Doe" in zpl
    assert "data-pdf-fallback" not in body
    db.session.expire_all()
    assert bench.order.status is OrderStatus.PACKED
    # A retried last scan answers from the stored response: nothing is printed twice.
    again = post(client, "/handheld/packing/scan", code=ean(bench.b), scan_id="prn-0003-aaaa")
    assert again.headers.get("X-Scan-Replayed") == "1" and len(label_printer.jobs) == 1
    # The done screen offers printing again on the same printer, with no dialog.
    shipment_id = int(re.search(r"/packing/shipments/(\d+)/labels.pdf", body).group(1))
    assert f"/handheld/packing/shipments/{shipment_id}/print" in body
    label_printer.received.clear()
    r = post(client, f"/handheld/packing/shipments/{shipment_id}/print")
    assert r.status_code == 200 and "sent to Zebra bench 1" in r.get_data(as_text=True)
    assert parse_zpl(label_printer.wait()) and len(label_printer.jobs) == 2


def test_a_printer_that_does_not_answer_shows_the_message_and_the_pdf(client, login_as, bench):
    login_as("operator")
    bench.station_on(client, closed_port())
    r = pack_all(client, bench)
    body = r.get_data(as_text=True)
    # The order is packed all the same; the operator hears an error and gets the PDF.
    assert r.status_code == 200 and "scan-error" in r.headers["HX-Trigger"]
    assert "Shipping label NOT printed: Zebra bench 1 (127.0.0.1:" in body
    assert "refused the connection" in body and "Use the PDF meanwhile" in body
    link = re.search(r'href="([^"]+/labels\.pdf)"[^>]*data-pdf-fallback', body)
    assert link, body
    pdf = client.get(link.group(1))
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    db.session.expire_all()
    assert bench.order.status is OrderStatus.PACKED


def test_without_the_setting_the_last_scan_only_verifies(client, login_as, bench, label_printer):
    login_as("operator")
    bench.station_on(client, label_printer.port, print_on_last_scan=False)
    r = pack_all(client, bench)
    assert "All items verified" in r.get_data(as_text=True)
    assert not label_printer.received.wait(0.3) and label_printer.jobs == []


def test_a_device_chooses_and_forgets_its_station(client, login_as, app):
    login_as("operator")
    page = client.get("/handheld/station")
    assert "No stations are set up yet" in page.get_data(as_text=True)
    station = printing.save_station("Dock scanner")
    db.session.commit()
    assert client.post("/handheld/station", data={"station": "999"}).status_code == 422
    r = client.post("/handheld/station", data={"station": str(station.id)})
    assert "wms_station" in r.headers["Set-Cookie"] and "HttpOnly" in r.headers["Set-Cookie"]
    assert "This device is <strong>Dock scanner</strong>" in client.get("/handheld/station").get_data(as_text=True)
    client.post("/handheld/station", data={"station": ""})
    assert "Choose where this device stands" in client.get("/handheld/station").get_data(as_text=True)


def test_desk_configures_printers_and_stations_and_test_prints(client, login_as, app, label_printer):
    login_as("supervisor")
    assert client.get("/desk/printers").status_code == 200
    r = client.post("/desk/printers", data={"name": "Zebra 1", "kind": "zpl_tcp", "host": "",
                                            "port": "9100"})
    assert r.status_code == 422 and "IP address or host name" in r.get_data(as_text=True)
    r = client.post("/desk/printers", data={"name": "Zebra 1", "kind": "zpl_tcp",
                                            "host": "127.0.0.1", "port": str(label_printer.port)})
    assert r.status_code == 302
    zebra = db.session.execute(db.select(Printer)).scalar_one()
    r = client.post(f"/desk/printers/{zebra.id}/test", follow_redirects=True)
    assert "Test label sent to Zebra 1" in r.get_data(as_text=True)
    assert "WMS test print: Zebra 1" in label_printer.wait() and parse_zpl(label_printer.jobs[-1].decode())
    r = client.post("/desk/stations", data={"name": "Packing 1", "printer_id": str(zebra.id),
                                            "print_on_last_scan": "1"}, follow_redirects=True)
    assert "Station “Packing 1” added" in r.get_data(as_text=True)
    station = db.session.execute(db.select(Station)).scalar_one()
    assert station.printer_id == zebra.id and station.print_on_last_scan
    port = closed_port()
    client.post(f"/desk/printers/{zebra.id}", data={"name": "Zebra 1", "kind": "zpl_tcp",
                                                    "host": "127.0.0.1", "port": str(port), "active": "1"})
    r = client.post(f"/desk/printers/{zebra.id}/test", follow_redirects=True)
    assert "refused the connection" in r.get_data(as_text=True)
    r = client.post(f"/desk/printers/{zebra.id}/delete", follow_redirects=True)
    assert "removed" in r.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Station, station.id).printer_id is None


def test_operators_cannot_configure_printers(client, login_as, app):
    login_as("operator")
    assert client.get("/desk/printers").status_code in (302, 403)
    assert client.post("/desk/printers", data={"name": "x", "kind": "pdf_browser"}).status_code in (302, 403)


@pytest.mark.browser
def test_phone_chooses_its_station_counts_with_a_quantity_key_and_prints_on_the_last_scan(
        bench, live_server, phone, label_printer):
    from tests.conftest import screenshot
    from tests.e2e.test_receiving_e2e import scan, sign_in

    zebra = printing.save_printer("Zebra bench 1", "zpl_tcp", "127.0.0.1", label_printer.port)
    printing.save_station("Packing 1", zebra, print_on_last_scan=True)
    db.session.commit()
    badge, order_code, ean_a, ean_b = bench.operator.badge_code, bench.order.code, ean(bench.a), ean(bench.b)
    db.session.close()  # the live server writes to the same database
    base = live_server.url
    sign_in(phone, base, badge=badge, pin="1234")
    phone.goto(base + "/handheld/station")
    phone.get_by_role("button", name="Packing 1").click()
    phone.wait_for_selector("text=This device is")
    phone.goto(base + "/handheld/packing")
    scan(phone, order_code)
    # "2*" typed before the scan counts 2: the quantity is one keystroke away.
    assert "OK SKU-A: 2 of 2 packed" in scan(phone, "2*" + ean_a)
    # The last item: the screen turns to "packed" (no scan input any more) and the label prints.
    phone.evaluate("document.getElementById('status').setAttribute('data-status', 'sent')")
    phone.locator("input[name=code]").focus()
    phone.keyboard.type(ean_b)
    phone.keyboard.press("Enter")
    phone.wait_for_selector("#status[data-status=ok]")
    status = phone.locator("#status").inner_text()
    assert "packed in 1 parcel" in status and "sent to Zebra bench 1" in status
    assert len(parse_zpl(label_printer.wait())) == 1
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    screenshot(phone, "packing-printed-on-last-scan")


def test_finishing_by_hand_prints_at_once_on_the_station_printer(client, login_as, bench, label_printer):
    """Issue 19: Finish packing prints the labels straight away; the links stay as the fallback."""
    login_as("operator")
    bench.station_on(client, label_printer.port, print_on_last_scan=False)
    r = pack_all(client, bench)
    assert r.status_code == 200 and "Finish packing" in r.get_data(as_text=True)
    r = post(client, "/handheld/packing/finish", box="BOX-S", weight="2.2")
    body = r.get_data(as_text=True)
    assert r.status_code == 200 and "Shipping label sent to Zebra bench 1" in body, body
    assert "RX1000" in label_printer.wait()
    assert "Shipping labels (PDF)" in body  # the links are still there


def test_finishing_with_a_printer_that_does_not_answer_offers_the_pdf(client, login_as, bench):
    login_as("operator")
    bench.station_on(client, closed_port(), print_on_last_scan=False)
    pack_all(client, bench)
    r = post(client, "/handheld/packing/finish", box="BOX-S", weight="2.2")
    body = r.get_data(as_text=True)
    assert r.status_code == 200 and "NOT printed" in body and "data-pdf-fallback" in body
    assert "scan-error" in r.headers["HX-Trigger"]
    db.session.expire_all()
    assert bench.order.status is OrderStatus.PACKED  # packed all the same
