"""Printed documents speak the right language (issue 18): the packing slip and the shipping
label's captions the order's (else the warehouse's DEFAULT_LANGUAGE), whoever prints them; the
pick list the language of the user printing it. Dates and numbers follow the language."""
from __future__ import annotations

import io

import pypdf
import pytest

from tests.domain.test_packing import ean, packing_setup  # noqa: F401 (fixture)
from wms.db import db
from wms.domain.inventory.services import receive
from wms.domain.locations.models import LocationKind
from wms.domain.orders.models import Order, OrderLine
from wms.domain.packing import services as packing
from wms.domain.picking import services as picking
from wms.domain.shipping.models import Shipment


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(data)).pages)


@pytest.fixture
def packed(packing_setup, make_warehouse):
    """A packed order in 1 parcel; set its language with packed(language)."""
    make_warehouse()
    s = packing_setup()

    def make(language):
        s.order.language = language
        packing.scan(s.operator, s.order.code)
        packing.scan(s.operator, ean(s.a), 2)
        packing.scan(s.operator, ean(s.b))
        packing.finish(s.operator, "BOX-M", "2.25")
        db.session.commit()
        return db.session.execute(db.select(Shipment)).scalar_one()

    return make


def sign_in(login_as, role, language):
    user = login_as(role)
    user.language = language
    db.session.commit()
    return user


def slip_of(client, shipment) -> str:
    response = client.get(f"/handheld/packing/shipments/{shipment.id}/packing-slip.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    return pdf_text(response.data)


def test_a_french_orders_packing_slip_is_in_french_for_an_english_user(client, login_as, packed):
    shipment = packed("fr")
    sign_in(login_as, "operator", "en")
    text = slip_of(client, shipment)
    for french in ("BON DE LIVRAISON", "Bon de livraison WEBSHOP-1", "Commande WEBSHOP-1", "Livrer à",
                   "Article", "Qté", "Total des articles", "Colis de cet envoi : 1"):
        assert french in text, french
    assert "PACKING SLIP" not in text and "Ship to" not in text
    # The order's date in French ("28 nov. 2026"), not ISO nor English.
    month = shipment.order.created_at.month
    assert ["janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.", "nov.",
            "déc."][month - 1] in text


def test_an_english_orders_packing_slip_stays_english_for_a_french_user(client, login_as, packed):
    shipment = packed("en-GB")
    sign_in(login_as, "operator", "fr")
    text = slip_of(client, shipment)
    assert "PACKING SLIP" in text and "Ship to" in text and "Parcels in this shipment: 1" in text
    assert "BON DE LIVRAISON" not in text


@pytest.mark.parametrize("language", [None, "pl", ""])
def test_an_order_without_a_language_we_speak_gets_the_warehouses(app, client, login_as, packed, language):
    app.config["DEFAULT_LANGUAGE"] = "fr"
    shipment = packed(language)
    sign_in(login_as, "operator", "en")
    assert "BON DE LIVRAISON" in slip_of(client, shipment)


def test_shipping_label_captions_follow_the_order_not_the_carrier_fields(client, login_as, packed):
    shipment = packed("fr")
    sign_in(login_as, "operator", "en")
    response = client.get(f"/handheld/packing/shipments/{shipment.id}/labels.pdf")
    text = pdf_text(response.data)
    for french in ("EXPÉDITEUR", "DESTINATAIRE", "COMMANDE", "COLIS", "POIDS", "SUIVI", "2,25 kg"):
        assert french in text, french
    assert "RANGEX" in text and "Standard" in text  # the carrier's own fields as they are
    zpl = client.get(f"/handheld/packing/shipments/{shipment.id}/labels.zpl").get_data(as_text=True)
    assert "DESTINATAIRE" in zpl and "2,25 kg" in zpl


def test_a_pick_list_printed_by_a_french_user_is_in_french(client, login_as, make_location, make_product):
    make_location("PACK-01", kind=LocationKind.PACKING)
    face = make_location("A-02-03-1", kind=LocationKind.PICK_FACE)
    product = make_product("W-1")
    receive(product, face, 5)
    order = Order(reference="R1", language="en")  # the orders' language does not matter here
    order.lines.append(OrderLine(line_no=1, product_id=product.id, sku=product.sku, name=product.name,
                                 quantity=3))
    db.session.add(order)
    db.session.commit()
    from wms.domain.picking.allocation import allocate_orders

    allocate_orders()
    pick_list = picking.create_pick_list([order.id])
    db.session.commit()
    sign_in(login_as, "supervisor", "fr")
    text = pdf_text(client.get(f"/desk/picking/lists/{pick_list.id}.pdf").data)
    for french in ("Liste de préparation PL-", "PRÉPARATION", "Emplacement", "Article", "Bac",
                   "Opérateur", "1 ligne, 3 unités"):
        assert french in text, french
    client.post("/logout")
    sign_in(login_as, "supervisor", "en")
    text = pdf_text(client.get(f"/desk/picking/lists/{pick_list.id}.pdf").data)
    assert "PICK LIST" in text and "1 line, 3 units" in text


def test_the_channel_orders_api_takes_the_customers_language(client, login_as, make_product):
    make_product("SKU-A")
    login_as("supervisor")
    body = {"channel": "b2b", "external_ref": "CMD-1", "lines": [{"sku": "SKU-A", "quantity": 1}]}
    r = client.post("/api/v1/orders", json={**body, "language": "fr_FR"})
    assert r.status_code == 201, r.get_json()
    order = db.session.get(Order, r.get_json()["id"])
    assert order.language == "fr-fr"
    for bad in ("f", "français", "fr-FR-x-very-long", 12):
        r = client.post("/api/v1/orders", json={**body, "external_ref": "CMD-2", "language": bad})
        assert r.status_code == 422, (bad, r.get_json())
        assert "language" in str(r.get_json())
    r = client.post("/api/v1/orders", json={**body, "external_ref": "CMD-3"})
    assert r.status_code == 201 and db.session.get(Order, r.get_json()["id"]).language is None
    assert db.session.scalar(db.select(db.func.count()).select_from(Order)) == 2
