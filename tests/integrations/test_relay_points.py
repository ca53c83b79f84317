"""The relay point the customer chose in the shop reaches the WMS order: the shop module's
lookup in the relay modules' tables (PHP, on the command line) and the import that reads it
through the "wms_relay_points" webservice resource (fake shop)."""
from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.integrations.sync_helpers import client_for, configure_shop, mirror_catalog
from wms.db import db
from wms.domain.orders.models import Order
from wms.domain.shipping.models import Carrier
from wms.integrations.prestashop.sync import import_orders

ROOT = Path(__file__).resolve().parents[2]
PHP = shutil.which("php")


@pytest.mark.skipif(PHP is None, reason="php is not on PATH (CI installs php-cli)")
def test_the_module_finds_the_relay_point_in_each_relay_modules_tables():
    tables = {
        "colissimo": [{"id_cart": 1, "colissimo_id": "986532", "iso_country": "fr", "product_code": "A2P",
                       "mobile_phone": "0612345678"}],
        "mondialrelay": [{"id_cart": 2, "selected_relay_num": "024159", "selected_relay_country_iso": "FR"}],
        "sendcloud": [{"id_cart": 3, "details": json.dumps({"id": 10663, "name": "Tabac", "country": "NL"})},
                      {"id_cart": 4, "details": "not json"}],
    }
    out = subprocess.run([PHP, str(ROOT / "tests/php/run_relay_point.php"), json.dumps({"tables": tables})],
                         capture_output=True, text=True, timeout=60, check=True)
    results = json.loads(out.stdout)["results"]
    assert results["cart1"] == {"module": "colissimo", "relay_point_id": "986532", "country": "FR",
                            "product_code": "A2P", "mobile_phone": "0612345678"}
    assert results["cart2"] == {"module": "mondialrelay", "relay_point_id": "024159", "country": "FR",
                            "product_code": None, "mobile_phone": None}
    assert results["cart3"]["module"] == "sendcloud" and results["cart3"]["relay_point_id"] == "10663"
    assert results["cart4"] is None and results["cart5"] is None and results["cart0"] is None
    # A shop without some of the modules (their tables absent) still answers for the others.
    out = subprocess.run([PHP, str(ROOT / "tests/php/run_relay_point.php"),
                          json.dumps({"tables": tables, "missing": ["colissimo", "mondialrelay"]})],
                         capture_output=True, text=True, timeout=60, check=True)
    results = json.loads(out.stdout)["results"]
    assert results["cart1"] is None and results["cart2"] is None and results["cart3"]["relay_point_id"] == "10663"


@pytest.fixture
def settings(app, fake_shop, shop_url):
    return configure_shop(app, shop_url, fake_shop.key)


@pytest.fixture
def client(settings):
    c = client_for(settings)
    yield c
    c.close()


def relay_carrier(relay=True) -> Carrier:
    carrier = db.session.execute(select(Carrier).where(Carrier.ps_id_reference == 2)).scalar_one()
    carrier.relay, carrier.adapter, carrier.account, carrier.service_code = relay, "colissimo", "colis", "A2P"
    db.session.commit()
    return carrier


def test_import_reads_the_relay_point_of_a_relay_service(app, fake_shop, settings, client):
    first = fake_shop.add_order(reference="RELAY-1")
    second = fake_shop.add_order(reference="RELAY-2")
    mirror_catalog(fake_shop)
    relay_carrier()
    fake_shop.relay_points = {first: {"module": "colissimo", "relay_point_id": "986532", "country": "FR"}}
    assert import_orders(settings, client).imported == 2
    orders = {o.reference: o for o in db.session.execute(select(Order)).scalars()}
    assert orders["RELAY-1"].relay_point_id == "986532"
    assert any(e.kind == "relay_point" and e.message == "Relay point 986532 chosen in the shop (colissimo)."
               for e in orders["RELAY-1"].events)
    assert orders["RELAY-2"].relay_point_id is None
    assert any(e.kind == "relay_unknown" and "Set it on the order page" in e.message
               for e in orders["RELAY-2"].events)
    assert len([r for r in fake_shop.request_log if r.resource == "wms_relay_points"]) == 2


def test_a_shop_without_the_resource_is_asked_once_and_said(app, fake_shop, settings, client):
    for n in range(3):
        fake_shop.add_order(reference=f"R-{n}")
    mirror_catalog(fake_shop)
    relay_carrier()
    assert fake_shop.relay_points is None  # the module is not there (or an older version)
    assert import_orders(settings, client).imported == 3
    assert len([r for r in fake_shop.request_log if r.resource == "wms_relay_points"]) == 1
    for order in db.session.execute(select(Order)).scalars():
        assert order.relay_point_id is None
        assert any(e.kind == "relay_unknown" and "does not answer wms_relay_points" in e.message
                   for e in order.events)


def test_home_delivery_does_not_ask_for_a_relay_point(app, fake_shop, settings, client):
    fake_shop.add_order(reference="HOME-1")
    mirror_catalog(fake_shop)
    relay_carrier(relay=False)
    fake_shop.relay_points = {}
    assert import_orders(settings, client).imported == 1
    assert not [r for r in fake_shop.request_log if r.resource == "wms_relay_points"]
