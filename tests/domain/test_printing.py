"""Printers and stations: configuration, raw-TCP ZPL to a stand-in printer, and closing on the last scan."""
from __future__ import annotations

import socket
import threading

import pytest

from tests.domain.test_packing import ean, packing_setup  # noqa: F401 (fixture)
from wms.domain.orders.models import OrderStatus
from wms.domain.packing import services as packing
from wms.domain.printing import services as printing
from wms.domain.printing.models import PrinterKind
from wms.domain.shipping.models import ShipmentStatus
from wms.errors import Conflict, DomainError
from wms.labels.zpl import parse_zpl


class FakeLabelPrinter:
    """A raw-TCP listener on 127.0.0.1 standing in for a label printer on port 9100."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(4)
        self.port = self.sock.getsockname()[1]
        self.jobs: list[bytes] = []
        self.received = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return  # closed
            with conn:
                conn.settimeout(5)
                chunks = []
                while True:
                    try:
                        data = conn.recv(65536)
                    except OSError:
                        break
                    if not data:
                        break
                    chunks.append(data)
            self.jobs.append(b"".join(chunks))
            self.received.set()

    def wait(self, timeout=5.0) -> str:
        assert self.received.wait(timeout), "the printer received nothing"
        return self.jobs[-1].decode("ascii")

    def close(self):
        self.sock.close()
        self.thread.join(2)


@pytest.fixture
def label_printer():
    printer = FakeLabelPrinter()
    yield printer
    printer.close()


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # nobody listens once the socket is closed


def test_save_printer_and_station_refuse_bad_input(app):
    zebra = printing.save_printer("Zebra 1", "zpl_tcp", "127.0.0.1", "9100")
    assert (zebra.kind, zebra.port, zebra.address) == (PrinterKind.ZPL_TCP, 9100, "127.0.0.1:9100")
    pdf = printing.save_printer("Office PDF", "pdf_browser", "ignored")
    assert pdf.host is None and pdf.address is None
    with pytest.raises(DomainError, match="IP address or host name"):
        printing.save_printer("Zebra 2", "zpl_tcp", "")
    with pytest.raises(DomainError, match="between 1 and 65535"):
        printing.save_printer("Zebra 2", "zpl_tcp", "10.0.0.9", "70000")
    with pytest.raises(DomainError, match="must be a number"):
        printing.save_printer("Zebra 2", "zpl_tcp", "10.0.0.9", "port")
    with pytest.raises(DomainError, match="printer kind"):
        printing.save_printer("Zebra 2", "laser", "10.0.0.9")
    with pytest.raises(Conflict, match="already exists"):
        printing.save_printer("zebra 1", "zpl_tcp", "10.0.0.9")
    station = printing.save_station("Packing 1", zebra, print_on_last_scan=True)
    assert station.printer is zebra and station.print_on_last_scan
    with pytest.raises(DomainError, match="needs a label printer"):
        printing.save_station("Packing 2", pdf, print_on_last_scan=True)
    printing.delete_printer(zebra)
    assert station.printer is None and not station.print_on_last_scan
    assert printing.find_station(str(station.id)) is station
    assert printing.find_station("nonsense") is None and printing.find_station(None) is None


def test_send_zpl_reaches_the_listener(app, label_printer):
    zebra = printing.save_printer("Zebra", "zpl_tcp", "127.0.0.1", label_printer.port)
    zpl = printing.sample_label(zebra)
    assert printing.send_zpl(zebra, zpl, timeout=2) == len(zpl)
    received = label_printer.wait()
    assert received == zpl and len(parse_zpl(received)) == 1


def test_send_zpl_to_a_printer_that_does_not_answer_says_which_and_what_to_do(app):
    zebra = printing.save_printer("Zebra dock", "zpl_tcp", "127.0.0.1", closed_port())
    with pytest.raises(printing.PrinterUnreachable) as caught:
        printing.send_zpl(zebra, "^XA^XZ", timeout=1)
    assert "Zebra dock (127.0.0.1:" in caught.value.message and "Use the PDF" in caught.value.message
    station = printing.save_station("Bench", zebra)
    outcome = printing.print_labels(station, "^XA^XZ", "shipping label", timeout=1)
    assert not outcome.sent and outcome.message.startswith("Shipping label NOT printed: Zebra dock")
    assert not printing.print_labels(None, "^XA^XZ", "the label").sent
    assert "has no printer" in printing.print_labels(printing.save_station("Bare"), "", "x").message
    zebra.active = False
    with pytest.raises(printing.PrinterUnreachable, match="switched off in the WMS"):
        printing.send_zpl(zebra, "^XA^XZ")


def test_last_scan_closes_the_order_with_the_default_box_and_estimated_weight(packing_setup):
    s = packing_setup()
    packing.scan(s.operator, s.order.code)
    view, _ = packing.scan(s.operator, ean(s.a), 2, close_on_last=True)
    assert view.step == "items" and not view.closed_now  # SKU-B still to pack
    view, message = packing.scan(s.operator, ean(s.b), close_on_last=True)
    assert view.closed_now and view.step == "done"
    assert "packed in 1 parcel (BOX-S, 2.15 kg estimated)" in message
    parcel = view.shipment.parcels[0]
    assert (parcel.box.code, parcel.weight_g, parcel.tracking_number) == ("BOX-S", 2150, "RX1000")  # items and the box
    assert view.shipment.status is ShipmentStatus.PACKED and s.order.status is OrderStatus.PACKED


def test_last_scan_does_not_close_without_the_setting_or_with_items_missing(packing_setup):
    s = packing_setup(picked=(1, 1), ordered=(2, 1))
    packing.scan(s.operator, s.order.code)
    packing.scan(s.operator, ean(s.a), close_on_last=True)
    view, _ = packing.scan(s.operator, ean(s.b), close_on_last=True)
    assert view.step == "items" and not view.closed_now  # one SKU-A missing: a supervisor decides


def test_last_scan_picks_a_box_that_takes_the_weight(packing_setup):
    s = packing_setup(picked=(15, 1), ordered=(15, 1))  # 15 × 0.4 kg + 1.2 kg = 7.2 kg > BOX-S 5 kg
    packing.scan(s.operator, s.order.code)
    packing.scan(s.operator, ean(s.a), 15)
    view, message = packing.scan(s.operator, ean(s.b), close_on_last=True)
    assert view.closed_now and view.shipment.parcels[0].box.code == "BOX-M"
    assert view.shipment.parcels[0].weight_g == 7200 + 280  # items and the medium box


def test_when_closing_fails_the_scan_still_counts_and_the_operator_finishes_by_hand(packing_setup):
    s = packing_setup()
    s.carrier.range_next = s.carrier.range_end + 1  # the carrier's tracking range is used up
    packing.scan(s.operator, s.order.code)
    packing.scan(s.operator, ean(s.a), 2, close_on_last=True)
    view, message = packing.scan(s.operator, ean(s.b), close_on_last=True)
    assert not view.closed_now and view.step == "items"
    assert "Not closed automatically: The tracking range of Rangex is used up" in message
    assert [line.quantity_packed for line in s.order.lines] == [2, 1]  # both scans counted
    parcel = view.shipment.parcels[0]
    assert parcel.closed_at is None and parcel.box is None  # the savepoint undid the closing
    assert s.order.status is OrderStatus.PACKING


def test_too_heavy_for_every_box_is_left_to_the_operator(packing_setup):
    s = packing_setup(picked=(40, 1), ordered=(40, 1))  # 17.2 kg: no box takes it
    packing.scan(s.operator, s.order.code)
    packing.scan(s.operator, ean(s.a), 40)
    view, message = packing.scan(s.operator, ean(s.b), close_on_last=True)
    assert not view.closed_now and "choose the box, weigh, finish" in message
