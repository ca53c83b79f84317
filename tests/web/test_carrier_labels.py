"""Labels from the carrier at the packing bench, over HTTP, against the fake carriers:
the label on closing, printing, refusals fixed on the desk, retries that never ship twice,
voiding at the carrier, relay points, and a slow carrier that does not slow other packers."""
from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import create_engine, select, text

from tests.domain.test_packing import ean, packing_setup  # noqa: F401 (fixture)
from tests.domain.test_printing import FakeLabelPrinter, label_printer  # noqa: F401 (fixture)
from tests.fakecarrier import PDF, FakeCarrier, serve
from wms.db import db
from wms.domain.orders.models import Order, OrderLine, OrderStatus
from wms.domain.printing import services as printing
from wms.domain.shipping import services as shipping
from wms.domain.shipping.models import CarrierLabel, CarrierLabelStatus, Parcel, Shipment
from wms.integrations.prestashop.models import OutboxMessage

HX = {"HX-Request": "true"}


def post(client, url, **data):
    return client.post(url, data=data, headers=HX)


@pytest.fixture
def fake():
    fake = FakeCarrier()
    with serve(fake) as url:
        fake.url = url
        yield fake


@pytest.fixture
def bench(app, fake, packing_setup, make_warehouse):
    """A picked order (2 × SKU-A, 1 × SKU-B, to Lyon) whose carrier is a carrier API."""
    app.config["CARRIER_ACCOUNTS"] = {
        "sc": {"adapter": "sendcloud", "url": fake.url + "/sendcloud/api/v2",
               "public_key": "pub-key-123", "secret_key": "sec-key-456", "timeout": 3},
        "colis": {"adapter": "colissimo", "url": fake.url + "/colissimo/sls-ws/SlsServiceWSRest/2.0",
                  "contract_number": "123456", "password": "colis-pass-789", "timeout": 3},
    }
    make_warehouse()

    def make(adapter="sendcloud", service_code="8", relay=False, **order_fields):
        s = packing_setup()
        carrier = s.carrier
        carrier.adapter, carrier.service_code, carrier.relay = adapter, service_code, relay
        carrier.account = {"sendcloud": "sc", "colissimo": "colis"}.get(adapter)
        for name, value in order_fields.items():
            setattr(s.order, name, value)
        db.session.commit()
        return s

    return make


def pack(client, s, finish=True, ids="a"):
    post(client, "/handheld/packing/scan", code=s.order.code, scan_id=f"cl-{ids}-0001")
    post(client, "/handheld/packing/scan", code=ean(s.a), qty="2", scan_id=f"cl-{ids}-0002")
    r = post(client, "/handheld/packing/scan", code=ean(s.b), scan_id=f"cl-{ids}-0003")
    if finish:
        r = post(client, "/handheld/packing/finish", box="BOX-M", weight="2.1")
    return r


def label_row() -> CarrierLabel:
    db.session.expire_all()
    return db.session.execute(select(CarrierLabel)).scalar_one()


def test_closing_gets_the_sendcloud_label_and_its_number_goes_to_the_shop(client, login_as, bench, fake):
    s = bench("sendcloud")
    login_as("operator")
    r = pack(client, s)
    body = r.get_data(as_text=True)
    assert r.status_code == 200 and "getting the Rangex label" in body
    assert 'hx-trigger="load"' in body and "/handheld/packing/label" in body
    # The attempt is recorded in the closing transaction; the carrier is not called in it.
    row = label_row()
    assert (row.status, row.attempts, row.reference) == (CarrierLabelStatus.PENDING, 0, f"WMS-PCL-{row.parcel_id}")
    assert not fake.parcels
    r = post(client, "/handheld/packing/label")
    body = r.get_data(as_text=True)
    number = fake.parcels[1000]["tracking_number"]
    assert r.status_code == 200 and f"label created: {number}" in body and "WEBSHOP-1 is packed" in body
    assert "data-pdf-fallback" in body  # no station printer: the carrier's PDF to open
    row = label_row()
    assert row.status is CarrierLabelStatus.CREATED and row.external_id == "1000" and row.label == PDF
    assert row.parcel.tracking_number == number and row.tracking_url.endswith(number)
    assert s.order.status is OrderStatus.PACKED
    assert fake.bodies[0]["parcel"]["shipment"] == {"id": 8}
    shipment = db.session.execute(select(Shipment)).scalar_one()
    pdf = client.get(f"/handheld/packing/shipments/{shipment.id}/labels.pdf")
    assert pdf.status_code == 200 and pdf.data == PDF  # the carrier's own label, not ours
    zpl = client.get(f"/handheld/packing/shipments/{shipment.id}/labels.zpl", headers=HX)
    assert zpl.status_code == 422 and "as a PDF" in zpl.get_data(as_text=True)
    # Asking again does not call the carrier again.
    r = post(client, "/handheld/packing/label")
    assert r.status_code == 422 and "No parcel waits" in r.get_data(as_text=True)
    assert len(fake.parcels) == 1
    # The tracking number goes to the shop as before: dispatch, then the outbox.
    dispatch = shipping.open_dispatch(s.carrier)
    shipping.add_parcel(dispatch, row.parcel.code)
    shipping.close_dispatch(dispatch)
    db.session.commit()
    message = db.session.execute(select(OutboxMessage)).scalar_one()
    assert message.payload["tracking_number"] == number


def test_last_scan_prints_the_colissimo_zpl_on_the_station_printer(client, login_as, bench, fake,
                                                                   label_printer):
    s = bench("colissimo", service_code="DOS")
    login_as("operator")
    zebra = printing.save_printer("Zebra bench 1", "zpl_tcp", "127.0.0.1", label_printer.port)
    station = printing.save_station("Packing 1", zebra, True)
    db.session.commit()
    assert client.post("/handheld/station", data={"station": str(station.id)}).status_code == 302
    r = pack(client, s, finish=False)  # the last scan closes the parcel
    assert r.status_code == 200 and "getting the Rangex label" in r.get_data(as_text=True)
    assert not label_printer.jobs  # nothing printed before the carrier's label exists
    r = post(client, "/handheld/packing/label")
    body = r.get_data(as_text=True)
    number = fake.colissimo_labels[0]["number"]
    assert r.status_code == 200 and "sent to Zebra bench 1" in body, body
    assert label_printer.wait() == f"^XA^FO50,50^BCN,100^FD{number}^FS^XZ"  # the carrier's ZPL
    assert fake.bodies[0]["outputFormat"]["outputPrintingType"] == "ZPL_10x15_203dpi"
    assert fake.bodies[0]["letter"]["service"]["productCode"] == "DOS"
    assert label_row().parcel.tracking_number == number


def test_a_refused_address_is_fixed_on_the_desk_and_retried(client, app, login_as, bench, fake):
    s = bench("colissimo", service_code="DOM", ship_city="Paris")  # 69001 is Lyon
    login_as("operator")
    pack(client, s)
    r = post(client, "/handheld/packing/label")
    body = r.get_data(as_text=True)
    assert r.status_code == 422 and "scan-error" in r.headers["HX-Trigger"]
    assert "Le code postal du destinataire ne correspond pas à la ville" in body
    assert "Get the label again" in body and "order page" in body
    assert label_row().status is CarrierLabelStatus.FAILED and not fake.colissimo_labels
    # A scan meanwhile says what to do.
    r = post(client, "/handheld/packing/scan", code=ean(s.a), scan_id="cl-x-0009")
    assert r.status_code == 422 and "waits for its Rangex label" in r.get_data(as_text=True)
    # The packer may park it and pack another; scanning it again comes back to the label.
    assert "Park this order" in body
    assert post(client, "/handheld/packing/next").status_code == 200
    r = post(client, "/handheld/packing/scan", code=s.order.code, scan_id="cl-x-0010")
    assert r.status_code == 200 and "Get the label again" in r.get_data(as_text=True)
    # The supervisor corrects the address on the order page; bad input changes nothing.
    desk = app.test_client()
    supervisor = s.supervisor
    assert desk.post("/login", data={"username": supervisor.username,
                                     "password": "password-123"}).status_code == 302
    page = desk.get(f"/desk/orders/{s.order.id}").get_data(as_text=True)
    assert "Edit shipping address" in page 
    assert "ne correspond pas à la ville" in page  # the carrier's reason is on the desk too
    fields = {"ship_name": "Jane Doe", "ship_address1": "1 Main St", "ship_postcode": "69001",
              "ship_city": "Lyon", "ship_country": "France"}
    r = desk.post(f"/desk/orders/{s.order.id}/address", data=fields)
    assert r.status_code == 422 and "two-letter ISO code" in r.get_data(as_text=True)
    db.session.expire_all()
    assert s.order.ship_city == "Paris"
    r = desk.post(f"/desk/orders/{s.order.id}/address", data={**fields, "ship_country": "fr"})
    assert r.status_code == 302
    db.session.expire_all()
    assert (s.order.ship_city, s.order.ship_country) == ("Lyon", "FR")
    assert "Shipping address corrected: City" in s.order.events[-1].message
    r = post(client, "/handheld/packing/label")
    assert r.status_code == 200 and "is packed" in r.get_data(as_text=True)
    assert len(fake.colissimo_labels) == 1 and fake.bodies[-1]["letter"]["addressee"]["address"]["city"] == "Lyon"
    row = label_row()
    assert row.status is CarrierLabelStatus.CREATED and row.attempts == 2 and row.error is None


def test_a_sendcloud_refusal_is_retried_under_a_new_reference(client, login_as, bench, fake):
    s = bench("sendcloud", ship_postcode="75001")  # Paris postcode, Lyon city
    login_as("operator")
    pack(client, s)
    r = post(client, "/handheld/packing/label")
    assert r.status_code == 422 and "does not match the city Lyon" in r.get_data(as_text=True)
    row = label_row()
    assert (row.status, row.reference) == (CarrierLabelStatus.FAILED, f"WMS-PCL-{row.parcel_id}")
    s.order.ship_postcode = "69001"
    db.session.commit()
    r = post(client, "/handheld/packing/label")
    assert r.status_code == 200, r.get_data(as_text=True)
    row = label_row()
    # Sendcloud keeps the refused parcel under the first reference, which must stay unique.
    assert row.reference == f"WMS-PCL-{row.parcel_id}-2" and row.status is CarrierLabelStatus.CREATED
    assert [p["status"]["id"] for p in fake.parcels.values()] == [1002, 1000]


def test_a_timeout_then_a_retry_ships_once_and_a_down_carrier_is_said(client, login_as, bench, fake, app):
    app.config["CARRIER_ACCOUNTS"]["sc"]["timeout"] = 1
    s = bench("sendcloud")
    login_as("operator")
    pack(client, s)
    fake.sleep = 1.5  # Sendcloud makes the parcel but answers after our 1 s
    r = post(client, "/handheld/packing/label")
    assert r.status_code == 422 and "did not answer within 1 s" in r.get_data(as_text=True)
    assert len(fake.parcels) == 1
    row = label_row()
    assert row.status is CarrierLabelStatus.PENDING and row.attempts == 1  # outcome unknown
    fake.sleep, fake.down = 0, 1
    r = post(client, "/handheld/packing/label")
    assert r.status_code == 422 and "Sendcloud is not working right now (HTTP 503)" in r.get_data(as_text=True)
    r = post(client, "/handheld/packing/label")
    assert r.status_code == 200 and "is packed" in r.get_data(as_text=True)
    assert len(fake.parcels) == 1  # looked up by our reference, not created twice
    assert [m for m, p in fake.requests].count("POST") == 1
    assert ("GET", "/sendcloud/api/v2/parcels") in fake.requests
    assert label_row().parcel.tracking_number == fake.parcels[1000]["tracking_number"]


def test_a_label_already_being_asked_for_is_not_asked_twice(client, login_as, bench, fake):
    from datetime import timedelta

    from wms.db import utcnow

    s = bench("sendcloud")
    login_as("operator")
    pack(client, s)
    row = label_row()
    # As a first request leaves the row while it waits for Sendcloud.
    row.status, row.attempts, row.error, row.updated_at = CarrierLabelStatus.PENDING, 1, None, utcnow()
    db.session.commit()
    r = post(client, "/handheld/packing/label")
    assert r.status_code == 422 and "already asking Rangex" in r.get_data(as_text=True)
    assert not fake.requests
    # That request died (no answer written): after its timeout the retry looks it up first.
    row = label_row()
    row.updated_at = utcnow() - timedelta(minutes=5)
    db.session.commit()
    r = post(client, "/handheld/packing/label")
    assert r.status_code == 200
    assert [m for m, _ in fake.requests][:2] == ["GET", "POST"] and len(fake.parcels) == 1


def test_unpacking_voids_the_parcel_at_the_carrier(client, app, login_as, bench, fake):
    s = bench("sendcloud")
    login_as("operator")
    pack(client, s)
    post(client, "/handheld/packing/label")
    desk = app.test_client()
    desk.post("/login", data={"username": s.supervisor.username, "password": "password-123"})
    r = desk.post(f"/desk/orders/{s.order.id}/unpack")
    assert r.status_code == 302
    assert fake.parcels[1000]["status"]["id"] == 2000  # cancelled at Sendcloud
    row = label_row()
    assert row.status is CarrierLabelStatus.VOIDED and "cancelled" in row.error
    assert row.parcel.voided_at is not None


def test_a_void_that_fails_stays_to_void_and_the_command_retries(client, app, login_as, bench, fake):
    s = bench("sendcloud")
    login_as("operator")
    pack(client, s)
    post(client, "/handheld/packing/label")
    desk = app.test_client()
    desk.post("/login", data={"username": s.supervisor.username, "password": "password-123"})
    fake.down = 5
    assert desk.post(f"/desk/orders/{s.order.id}/unpack").status_code == 302
    assert label_row().status is CarrierLabelStatus.VOID_PENDING
    fake.down = 0
    from click.testing import CliRunner

    from wms.cli import void_carrier_labels

    result = CliRunner().invoke(void_carrier_labels)  # `wms void-carrier-labels`
    assert "1 label(s) handled" in result.output, result.output
    assert label_row().status is CarrierLabelStatus.VOIDED and fake.parcels[1000]["status"]["id"] == 2000


def test_relay_point_reaches_the_carrier_and_its_absence_is_said(client, app, login_as, bench, fake):
    s = bench("sendcloud", relay=True)
    login_as("operator")
    pack(client, s)
    r = post(client, "/handheld/packing/label")
    assert r.status_code == 422 and "delivers to a relay point but WEBSHOP-1 has none" in r.get_data(as_text=True)
    s.order.relay_point_id = "10663"
    db.session.commit()
    r = post(client, "/handheld/packing/label")
    assert r.status_code == 200
    assert fake.bodies[-1]["parcel"]["to_service_point"] == 10663


def test_missing_account_refuses_the_close_and_changes_nothing(client, login_as, bench, fake):
    s = bench("sendcloud")
    s.carrier.account = "nowhere"
    db.session.commit()
    login_as("operator")
    r = pack(client, s)
    assert r.status_code == 422 and "no carrier account “nowhere”" in r.get_data(as_text=True)
    db.session.expire_all()
    assert s.order.status is OrderStatus.PACKING
    assert db.session.execute(select(Parcel.closed_at)).scalar_one() is None
    assert not db.session.execute(select(CarrierLabel)).first()


def test_a_wrong_key_is_said_without_the_key(client, app, login_as, bench, fake):
    app.config["CARRIER_ACCOUNTS"]["sc"]["secret_key"] = "sec-WRONG-999"
    s = bench("sendcloud")
    login_as("operator")
    pack(client, s)
    r = post(client, "/handheld/packing/label")
    body = r.get_data(as_text=True)
    assert r.status_code == 422 and "refused the API keys" in body and "sec-WRONG-999" not in body
    assert "sec-WRONG" not in label_row().error


# ---------------------------------------------------------------- performance

def _login(app, user):
    c = app.test_client()
    assert c.post("/login", data={"username": user.username, "password": "password-123"}).status_code == 302
    return c


@pytest.mark.postgresql
def test_a_slow_carrier_holds_no_transaction_and_does_not_slow_another_packer(app, bench, fake, make_user,
                                                                            db_url):
    app.config["CARRIER_ACCOUNTS"]["sc"]["timeout"] = 10
    s = bench("sendcloud")
    second = Order(reference="WEBSHOP-2", status=OrderStatus.PICKED, carrier_id=s.carrier.id,
                   ship_name="Max Roe", ship_address1="2 Quai", ship_postcode="69001",
                   ship_city="Lyon", ship_country="FR", shop="default", ps_order_id=78)
    second.lines = [OrderLine(line_no=1, product_id=s.a.id, sku=s.a.sku, name=s.a.name, quantity=3,
                              quantity_allocated=3, quantity_picked=3)]
    db.session.add(second)
    other = make_user("operator")
    db.session.commit()
    second_code = second.code
    code_a = ean(s.a)
    packer1, packer2 = _login(app, s.operator), _login(app, other)
    packer1_other_tab = _login(app, s.operator)
    pack(packer1, s)
    post(packer2, "/handheld/packing/scan", code=second_code, scan_id="slow-b-0001")
    db.session.remove()  # the test's own session holds nothing either

    engine = create_engine(db_url.replace("postgresql://", "postgresql+psycopg://", 1)
                           if db_url.startswith("postgresql://") else db_url)
    seen = {}
    calling = threading.Event()

    def while_the_carrier_sleeps():
        if seen:
            return  # looked once, while the create call waits (the test's own requests follow)
        with engine.connect() as conn:
            seen["idle_in_tx"] = conn.execute(text(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND state LIKE 'idle in transaction%' AND pid <> pg_backend_pid()")).scalar()
            seen["locks"] = conn.execute(text(
                "SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
                "WHERE a.datname = current_database() AND l.mode LIKE 'Row%' AND a.pid <> pg_backend_pid()")).scalar()
        calling.set()

    fake.sleep, fake.on_sleep = 5.0, while_the_carrier_sleeps
    result = {}

    def get_label():
        started = time.monotonic()
        result["response"] = post(packer1, "/handheld/packing/label")
        result["seconds"] = time.monotonic() - started

    thread = threading.Thread(target=get_label)
    thread.start()
    assert calling.wait(10), "the label request never reached the carrier"
    started = time.monotonic()
    r = post(packer2, "/handheld/packing/scan", code=code_a, scan_id="slow-b-0002")
    scan_seconds = time.monotonic() - started
    # The same packer presses "Get the label" again meanwhile (another tab): refused at once.
    again = post(packer1_other_tab, "/handheld/packing/label")
    assert again.status_code == 422 and "already asking" in again.get_data(as_text=True)
    thread.join(20)
    engine.dispose()
    assert r.status_code == 200 and "OK SKU-A" in r.get_data(as_text=True)
    assert scan_seconds < 1.0, f"another packer's scan took {scan_seconds:.2f} s"
    assert seen == {"idle_in_tx": 0, "locks": 0}, seen  # nothing held open during the call
    assert result["response"].status_code == 200 and result["seconds"] >= 5.0
    assert [m for m, _ in fake.requests].count("POST") == 1  # one shipment at the carrier
    print(f"\nslow carrier: label request {result['seconds']:.2f} s; concurrent scan {scan_seconds * 1000:.0f} ms")


def test_desk_maps_a_carrier_to_its_service_and_refuses_bad_input(client, app, login_as, bench, fake):
    s = bench("range")  # the range carrier of packing_setup, to be mapped to Colissimo relais
    login_as("supervisor")
    url = f"/desk/dispatch/carriers/{s.carrier.code}/service"
    page = client.get(f"/desk/dispatch/carriers/{s.carrier.code}").get_data(as_text=True)
    assert "Carrier service (where labels come from)" in page
    for form, words in (
        ({"adapter": "fedex"}, "Choose the adapter"),
        ({"adapter": "colissimo", "account": "colis", "service_code": "home delivery"}, "product code"),
        ({"adapter": "sendcloud", "account": "sc", "service_code": "DOS"}, "shipping method id"),
        ({"adapter": "colissimo", "account": "nowhere", "service_code": "A2P"}, "no carrier account"),
        ({"adapter": "colissimo", "account": "sc", "service_code": "A2P"}, "is a sendcloud account"),
        ({"adapter": "colissimo", "account": "colis", "service_code": "A2P", "ps_id_reference": "x"}, "is a number"),
    ):
        r = client.post(url, data=form, headers=HX)
        assert r.status_code == 422 and words in r.get_data(as_text=True), (form, r.get_data(as_text=True))
    db.session.expire_all()
    assert (s.carrier.adapter, s.carrier.account) == ("range", None)  # nothing changed
    r = client.post(url, data={"adapter": "colissimo", "account": "colis", "service_code": "a2p",
                               "relay": "1", "ps_id_reference": "12"}, headers=HX)
    assert r.status_code == 200, r.get_data(as_text=True)
    db.session.expire_all()
    assert (s.carrier.adapter, s.carrier.account, s.carrier.service_code, s.carrier.relay,
            s.carrier.ps_id_reference) == ("colissimo", "colis", "A2P", True, 12)
    # Back to manual: the API fields are cleared.
    r = client.post(url, data={"adapter": "manual", "account": "colis", "service_code": "A2P", "relay": "1"},
                    headers=HX)
    db.session.expire_all()
    assert (s.carrier.adapter, s.carrier.account, s.carrier.relay, s.carrier.ps_id_reference) == \
        ("manual", None, False, None)


def test_colissimo_deposit_slip_of_a_closed_dispatch(client, app, login_as, bench, fake):
    s = bench("colissimo", service_code="DOS")
    login_as("operator")
    pack(client, s)
    assert post(client, "/handheld/packing/label").status_code == 200
    number = fake.colissimo_labels[0]["number"]
    dispatch = shipping.open_dispatch(s.carrier)
    shipping.add_parcel(dispatch, label_row().parcel.code)
    db.session.commit()
    desk = app.test_client()
    desk.post("/login", data={"username": s.supervisor.username, "password": "password-123"})
    r = desk.get(f"/desk/dispatch/{dispatch.id}/carrier-manifest.pdf", headers=HX)
    assert r.status_code == 422 and "still open" in r.get_data(as_text=True)
    page = desk.post(f"/desk/dispatch/{dispatch.id}/close", headers=HX).get_data(as_text=True)
    assert "Rangex deposit slip (PDF)" in page and "Manifest (PDF)" in page
    fake.down = 1
    r = desk.get(f"/desk/dispatch/{dispatch.id}/carrier-manifest.pdf", headers=HX)
    assert r.status_code == 503 and "did not give its deposit slip" in r.get_data(as_text=True)
    r = desk.get(f"/desk/dispatch/{dispatch.id}/carrier-manifest.pdf")
    assert r.status_code == 200 and r.data == PDF and 'filename="B0000001.pdf"' in r.headers["Content-Disposition"]
    assert fake.bordereaux == [[number]]
