"""The Sendcloud and Colissimo adapters against fake servers that answer as documented."""
from __future__ import annotations

import base64
import logging

import pytest

from tests.fakecarrier import FakeCarrier, serve
from wms.domain.shipping.carriers import Address, CarrierError, LabelRequest, redact
from wms.integrations.carriers.colissimo import ColissimoAdapter, parse_multipart
from wms.integrations.carriers.sendcloud import SendcloudAdapter

SENDER = Address(name="Demo Shop Ltd", company="Demo Shop Ltd", address1="12 Dock Road",
                 postcode="75001", city="Paris", country="FR", phone="0102030405")


def request(ref="WMS-PCL-1", postcode="69001", city="Lyon", street="1 Main St", weight_g=1250,
            fmt="pdf", service=None, relay=None):
    return LabelRequest(reference=ref, order_reference="WEBSHOP-1", sender=SENDER,
                        recipient=Address(name="Jane Doe", address1=street, postcode=postcode,
                                          city=city, country="FR", phone="0612345678",
                                          email="jane@example.com"),
                        weight_g=weight_g, service_code=service, relay_point_id=relay,
                        label_format=fmt)


@pytest.fixture
def fake():
    fake = FakeCarrier()
    with serve(fake) as url:
        fake.url = url
        yield fake


@pytest.fixture
def sendcloud(fake):
    return {"adapter": "sendcloud", "url": fake.url + "/sendcloud/api/v2", "public_key": "pub-key-123",
            "secret_key": "sec-key-456", "timeout": 2}


@pytest.fixture
def colissimo(fake):
    return {"adapter": "colissimo", "url": fake.url + "/colissimo/sls-ws/SlsServiceWSRest/2.0",
            "contract_number": "123456", "password": "colis-pass-789", "timeout": 2}


# ---------------------------------------------------------------- Sendcloud

def test_sendcloud_creates_the_parcel_with_its_label_in_pdf_or_zpl(fake, sendcloud):
    adapter = SendcloudAdapter()
    created = adapter.create(sendcloud, request(service="8", relay="10663"))
    assert created.tracking_number.startswith("3SCLD") and created.label.startswith(b"%PDF")
    assert created.label_format == "pdf" and created.external_id == "1000"
    assert created.tracking_url.endswith(created.tracking_number)
    body = fake.bodies[-1]["parcel"]
    assert body["external_reference"] == "WMS-PCL-1" and body["request_label"] is True
    assert body["weight"] == "1.250" and body["shipment"] == {"id": 8}
    assert body["to_service_point"] == 10663 and body["postal_code"] == "69001"
    assert body["from_postal_code"] == "75001" and body["from_city"] == "Paris"
    zpl = adapter.create(sendcloud, request(ref="WMS-PCL-2", fmt="zpl"))
    assert zpl.label_format == "zpl" and zpl.label.startswith(b"^XA")


@pytest.mark.parametrize("kw, kind, words", [
    ({"street": ""}, "address", "address: This field may not be blank"),
    ({"postcode": "99999"}, "postcode", "not a valid postal code"),
    ({"postcode": "75001", "city": "Lyon"}, "postcode", "does not match the city Lyon"),
    ({"weight_g": 25_000}, "weight", "exceeds the maximum weight"),
])
def test_sendcloud_refusals_say_the_carriers_reason(fake, sendcloud, kw, kind, words):
    with pytest.raises(CarrierError) as err:
        SendcloudAdapter().create(sendcloud, request(**kw))
    assert err.value.kind == kind and words in err.value.message and not err.value.unknown
    assert err.value.message.startswith("Sendcloud refused the parcel: ")
    assert not [p for p in fake.parcels.values() if p["tracking_number"]]


def test_sendcloud_external_reference_is_unique_and_a_failed_announcement_is_a_refusal(fake, sendcloud):
    adapter = SendcloudAdapter()
    with pytest.raises(CarrierError, match="does not match the city"):
        adapter.create(sendcloud, request(ref="WMS-PCL-7", postcode="75001", city="Lyon"))
    # Sendcloud keeps the refused parcel (status 1002) under that reference:
    with pytest.raises(CarrierError) as err:
        adapter.find(sendcloud, request(ref="WMS-PCL-7"))
    assert "Announcement failed" in err.value.message and not err.value.unknown
    with pytest.raises(CarrierError, match="already exists"):
        adapter.create(sendcloud, request(ref="WMS-PCL-7"))
    assert adapter.create(sendcloud, request(ref="WMS-PCL-7-2")).tracking_number


def test_sendcloud_wrong_keys_down_and_timeout(fake, sendcloud):
    adapter = SendcloudAdapter()
    with pytest.raises(CarrierError) as err:
        adapter.create({**sendcloud, "secret_key": "nope"}, request())
    assert err.value.kind == "auth" and "nope" not in err.value.message
    fake.down = 1
    with pytest.raises(CarrierError) as err:
        adapter.create(sendcloud, request())
    assert err.value.kind == "down" and "HTTP 503" in err.value.message
    fake.sleep = 2.5  # longer than the account's 2 s: the parcel is made, the answer is late
    with pytest.raises(CarrierError) as err:
        adapter.create(sendcloud, request(ref="WMS-PCL-9"))
    assert err.value.kind == "timeout" and err.value.unknown
    fake.sleep = 0
    # The retry finds the parcel by our reference instead of creating a second one.
    found = adapter.find(sendcloud, request(ref="WMS-PCL-9"))
    assert found is not None and found.tracking_number == fake.parcels[1000]["tracking_number"]
    assert len(fake.parcels) == 1
    assert adapter.find(sendcloud, request(ref="WMS-PCL-404")) is None


def test_sendcloud_cancel(fake, sendcloud):
    adapter = SendcloudAdapter()
    created = adapter.create(sendcloud, request())
    assert "cancelled" in adapter.cancel(sendcloud, created.external_id, created.tracking_number)
    assert fake.parcels[1000]["status"]["id"] == 2000
    assert adapter.find(sendcloud, request()) is None  # a cancelled parcel is not "found"
    # Cancelled twice (a retry whose first answer was lost): done, not an error.
    assert "already been cancelled" in adapter.cancel(sendcloud, created.external_id, None)
    fake.down = 1
    with pytest.raises(CarrierError, match="not working right now"):
        adapter.cancel(sendcloud, created.external_id, None)


# ---------------------------------------------------------------- Colissimo

def test_colissimo_generates_the_label_from_the_multipart_answer(fake, colissimo):
    adapter = ColissimoAdapter()
    created = adapter.create(colissimo, request(service="DOS"))
    assert created.tracking_number.startswith("6A") and created.label.startswith(b"%PDF")
    assert created.tracking_url == "https://www.laposte.fr/outils/suivre-vos-envois?code=" + created.tracking_number
    body = fake.bodies[-1]
    assert body["contractNumber"] == "123456" and body["outputFormat"]["outputPrintingType"] == "PDF_10x15_300dpi"
    letter = body["letter"]
    assert letter["service"]["productCode"] == "DOS" and letter["parcel"]["weight"] == 1.25
    assert letter["addressee"]["address"]["zipCode"] == "69001" and letter["addressee"]["address"]["lastName"] == "Doe"
    assert letter["sender"]["senderParcelRef"] == "WMS-PCL-1"
    relay = adapter.create(colissimo, request(service="A2P", relay="986532", fmt="zpl"))
    assert relay.label_format == "zpl" and relay.label.startswith(b"^XA")
    assert fake.colissimo_labels[-1]["pickup"] == "986532"


@pytest.mark.parametrize("kw, kind, words", [
    ({"street": ""}, "address", "n'est pas renseignée"),
    ({"postcode": "99999"}, "postcode", "Le code postal du destinataire n'est pas valide (code 30220)"),
    ({"postcode": "75001", "city": "Lyon"}, "postcode", "ne correspond pas à la ville"),
    ({"weight_g": 31_000}, "weight", "poids maximum"),
    ({"service": "A2P"}, "relay", "pickupLocationId"),
])
def test_colissimo_refusals_say_the_carriers_reason(fake, colissimo, kw, kind, words):
    with pytest.raises(CarrierError) as err:
        ColissimoAdapter().create(colissimo, request(**kw))
    assert err.value.kind == kind and words in err.value.message and not err.value.unknown
    assert not fake.colissimo_labels


def test_colissimo_wrong_password_down_and_timeout(fake, colissimo):
    adapter = ColissimoAdapter()
    with pytest.raises(CarrierError) as err:
        adapter.create({**colissimo, "password": "wrong"}, request())
    assert err.value.kind == "auth" and "Identifiant ou mot de passe incorrect" in err.value.message
    fake.down = 1
    with pytest.raises(CarrierError) as err:
        adapter.create(colissimo, request())
    assert err.value.kind == "down"
    fake.sleep = 2.5
    with pytest.raises(CarrierError) as err:
        adapter.create(colissimo, request())
    assert err.value.kind == "timeout" and err.value.unknown
    # No look-up in SLS; an unused label is not billed (docs/carriers.md).
    assert adapter.find(colissimo, request()) is None
    assert "nothing to cancel" in adapter.cancel(colissimo, "6A1", "6A1")


def test_parse_multipart_plain_json_and_garbage():
    assert parse_multipart("application/json", b'{"messages": []}') == ({"messages": []}, None)
    assert parse_multipart("text/html", b"<html>") == ({}, None)
    assert parse_multipart("multipart/mixed", b"no boundary") == ({}, None)


# ---------------------------------------------------------------- credentials

def test_credentials_are_redacted_and_never_logged(fake, sendcloud, caplog):
    basic = base64.b64encode(b"pub-key-123:sec-key-456").decode()
    text = f"Authorization: Basic {basic}; secret sec-key-456; key pub-key-123"
    assert redact(text, sendcloud) == "Authorization: Basic ***; secret ***; key ***"
    assert redact("Identifiant 123456 mot colis-pass-789", {"contract_number": "123456",
                                                          "password": "colis-pass-789"}) == \
        "Identifiant *** mot ***"
    with caplog.at_level(logging.DEBUG):
        SendcloudAdapter().create(sendcloud, request())
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "sec-key-456" not in logged and basic not in logged and "pub-key-123" not in logged


def test_colissimo_deposit_slip(fake, colissimo):
    adapter = ColissimoAdapter()
    numbers = [adapter.create(colissimo, request(ref=f"WMS-PCL-{n}")).tracking_number for n in (1, 2)]
    pdf, number = adapter.close_manifest(colissimo, numbers)
    assert pdf.startswith(b"%PDF") and number == "B0000001" and fake.bordereaux == [numbers]
    with pytest.raises(CarrierError, match="Numéro de colis inconnu : 6A999"):
        adapter.close_manifest(colissimo, ["6A999"])
    assert not hasattr(SendcloudAdapter(), "close_manifest")
