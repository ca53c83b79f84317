"""A transfer shipped like an order from the desk and the API: printed pick list, parcels and their
labels, the carrier's dispatch at the source (scan, close: the transfer goes in transit once),
the API's parcels; bad inputs answered 4xx with a sentence that changes nothing."""
import io

import pypdf
from sqlalchemy import func, select

from wms.db import db
from wms.domain.inventory import services as inventory
from wms.domain.inventory.models import MoveReason, StockMove
from wms.domain.locations.models import Location, LocationKind
from wms.domain.shipping.models import Carrier, Dispatch
from wms.domain.transfers.models import TransferOrder, TransferParcel, TransferStatus


def _setup(make_warehouse, make_product):
    paris, lyon = make_warehouse("PAR", "Paris"), make_warehouse("LYO", "Lyon")
    lyon.city, lyon.postcode = "Lyon", "69002"
    db.session.add_all([Location(warehouse_id=paris.id, code="A-01-01-1", kind=LocationKind.STORAGE, walk_sequence=1),
                        Location(warehouse_id=paris.id, code="PACK-PAR", kind=LocationKind.PACKING),
                        Location(warehouse_id=lyon.id, code="DOCK-LYO", kind=LocationKind.RECEIVING),
                        Carrier(code="RNG", name="Rangex", adapter="range", range_prefix="RX", range_start=500,
                                range_end=999, range_next=500)])
    db.session.flush()
    inventory.receive(make_product("TEE-1"), db.session.execute(
        select(Location).where(Location.code == "A-01-01-1")).scalar_one(), 10)
    db.session.commit()


def _text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(pdf)).pages)


def _parcels():
    return db.session.scalar(select(func.count()).select_from(TransferParcel))


def test_desk_prints_packs_labels_and_the_dispatch_ships_it(client, login_as, make_warehouse, make_product):
    _setup(make_warehouse, make_product)
    login_as("supervisor")
    assert client.post("/desk/transfers/new", data={"source": "PAR", "destination": "LYO",
                                                     "lines": "TEE-1 6"}).status_code == 302
    tr = db.session.execute(select(TransferOrder)).unique().scalar_one()
    url = f"/desk/transfers/{tr.id}"
    assert client.post(f"{url}/release").status_code == 302
    assert "pick-list.pdf" in client.get(url).get_data(as_text=True)
    r = client.get(f"{url}/pick-list.pdf")
    assert r.status_code == 200 and r.mimetype == "application/pdf"
    text = _text(r.data)
    assert tr.code in text and "A-01-01-1" in text and "TEE-1" in text and "Paris" in text

    # Packing before picking: refused with a sentence, nothing packed.
    r = client.post(f"{url}/pack", data={"count": "1", "weight": "2", "carrier": "RNG"})
    assert r.status_code == 422 and "pick it before packing" in r.get_data(as_text=True) and _parcels() == 0
    assert client.post(f"{url}/pick-all").status_code == 302
    for data, sentence in (({"count": "", "weight": "2"}, "How many parcels"),
                           ({"count": "2", "weight": "lots"}, "is not a weight"),
                           ({"count": "2", "weight": "2", "carrier": "XXX"}, "no active carrier")):
        r = client.post(f"{url}/pack", data=data)
        assert r.status_code == 422 and sentence in r.get_data(as_text=True), data
        assert _parcels() == 0
    assert client.post(f"{url}/pack", data={"count": "2", "weight": "4.5", "carrier": "RNG"}).status_code == 302
    page = client.get(url).get_data(as_text=True)
    assert "RX500" in page and "RX501" in page and "Rangex" in page and "labels.pdf" in page
    assert "Ship what was picked" not in page  # a carrier's dispatch ships it
    r = client.get(f"{url}/labels.pdf")
    assert r.status_code == 200 and tr.code in _text(r.data) and "2/2" in _text(r.data)
    r = client.get(f"{url}/labels.zpl")
    assert r.status_code == 200 and r.data.count(b"^XA") == 2
    r = client.post(f"{url}/ship")
    assert r.status_code == 422 and "it ships when the Rangex dispatch" in r.get_data(as_text=True)
    # No station chosen on this device: the labels are not printed, the page says to open the PDF.
    r = client.post(f"{url}/print-labels", follow_redirects=True)
    assert r.status_code == 200 and "cannot print directly: open the PDF" in r.get_data(as_text=True)

    # The Dispatch page takes the transfer's parcels by scan, like an order's.
    assert client.post("/desk/dispatch/carriers/RNG").status_code == 200
    dispatch = db.session.execute(select(Dispatch)).scalar_one()
    r = client.post(f"/desk/dispatch/{dispatch.id}/scan", data={"code": "RX500"})
    assert r.status_code == 200 and tr.code in r.get_data(as_text=True)
    r = client.post(f"/desk/dispatch/{dispatch.id}/scan", data={"code": "RX500"})
    assert r.status_code == 409 and "scanned twice" in r.get_data(as_text=True)
    r = client.post(f"/desk/dispatch/{dispatch.id}/close")
    assert r.status_code == 422 and "is not scanned" in r.get_data(as_text=True)
    # The transfer page's button puts the rest on the same open dispatch.
    assert client.post(f"{url}/dispatch").status_code == 302
    page = client.get("/desk/dispatch/carriers/RNG").get_data(as_text=True)
    assert page.count(tr.code) >= 2 and "Lyon" in page
    # The close button's question speaks of transfers, not of orders the shop is told about.
    assert "Their transfers go in transit to their destination sites." in page
    assert "The orders become Shipped" not in page
    r = client.post(f"/desk/dispatch/{dispatch.id}/close")
    assert r.status_code == 200 and "1 transfer in transit" in r.get_data(as_text=True)
    r = client.post(f"/desk/dispatch/{dispatch.id}/close")
    assert r.status_code == 409
    db.session.expire_all()
    tr = db.session.get(TransferOrder, tr.id)
    assert tr.status is TransferStatus.SHIPPED and tr.tracking == "RX500, RX501"
    assert db.session.scalar(select(func.count()).select_from(StockMove)
                             .where(StockMove.reason == MoveReason.TRANSFER_OUT)) == 1
    page = client.get(url).get_data(as_text=True)
    assert "In transit" in page and dispatch.code in page
    day = dispatch.closed_at.date().isoformat()
    manifest = client.get(f"/desk/dispatch/manifest/RNG/{day}.pdf")
    assert manifest.status_code == 200 and tr.code in _text(manifest.data)
    assert inventory.ledger_problems() == []


def test_labels_and_pick_list_of_a_transfer_without_them_are_refused(client, login_as, make_warehouse,
                                                                      make_product):
    _setup(make_warehouse, make_product)
    login_as("supervisor")
    client.post("/desk/transfers/new", data={"source": "PAR", "destination": "LYO", "lines": "TEE-1 2"})
    tr = db.session.execute(select(TransferOrder)).unique().scalar_one()
    r = client.get(f"/desk/transfers/{tr.id}/pick-list.pdf")
    assert r.status_code == 422 and "release it first" in r.get_data(as_text=True)
    r = client.get(f"/desk/transfers/{tr.id}/labels.pdf")
    assert r.status_code == 422 and "pack it first" in r.get_data(as_text=True)
    assert client.get("/desk/transfers/999/labels.pdf").status_code == 404


def test_api_packs_and_shows_parcels_and_tracking(client, login_as, make_warehouse, make_product):
    _setup(make_warehouse, make_product)
    login_as("supervisor")
    tr = client.post("/api/v1/transfers", json={"source": "PAR", "destination": "LYO", "release": True,
                                                "lines": [{"sku": "TEE-1", "quantity": 3}]}).get_json()
    base = f"/api/v1/transfers/{tr['id']}"
    r = client.post(f"{base}/pack", json={"count": 1, "weight_kg": 2})
    assert r.status_code == 422 and "pick it before packing" in r.get_json()["error"]["message"]
    client.post(f"{base}/pick-all")
    for body in ({"count": 0, "weight_kg": 2}, {"count": "two", "weight_kg": 2}, {"count": 1},
                 {"count": 1, "weight_kg": 2, "tracking_numbers": "X"}):
        r = client.post(f"{base}/pack", json=body)
        assert r.status_code in (400, 422) and r.get_json()["error"]["message"], body
    assert _parcels() == 0
    packed = client.post(f"{base}/pack", json={"count": 2, "weight_kg": 1.5, "carrier": "RNG"}).get_json()
    assert packed["carrier"] == "RNG" and packed["status"] == "PICKING"
    assert [(p["number"], p["carrier"], p["tracking_number"], p["weight_kg"], p["dispatch"])
            for p in packed["parcels"]] == [(1, "RNG", "RX500", 1.5, None), (2, "RNG", "RX501", 1.5, None)]
    assert packed["parcels"][0]["code"].startswith("PCL-T")
    r = client.post(f"{base}/ship")
    assert r.status_code == 422 and "dispatch" in r.get_json()["error"]["message"]
    own = client.post(f"{base}/pack", json={"count": 1, "weight_kg": 3, "carrier": "OWN"}).get_json()
    assert own["carrier"] is None and own["parcels"][0]["tracking_number"] is None
    shipped = client.post(f"{base}/ship", json={"tracking": "VAN-1"}).get_json()
    assert shipped["status"] == "SHIPPED" and shipped["parcels"][0]["code"].startswith("PCL-T")
    assert "TransferParcel" in client.get("/api/v1/openapi.json").get_data(as_text=True)


def test_the_destination_opens_the_transfer_by_a_parcel_label(client, login_as, make_warehouse, make_product):
    from tests.web.test_transfer_handheld import _scan
    from wms.domain.shipping import services as shipping
    from wms.domain.transfers import parcels
    from wms.domain.transfers import services as transfers

    _setup(make_warehouse, make_product)
    tr = transfers.create_transfer("PAR", "LYO", [("TEE-1", 2)])
    transfers.release(tr)
    transfers.pick_all(tr)
    parcels.pack(tr, "2", "2", carrier="RNG")
    dispatch = parcels.hand_to_dispatch(tr)
    shipping.close_dispatch(dispatch)
    code = tr.parcels[0].code
    db.session.commit()
    login_as("operator")
    assert "PCL-T" in client.get("/handheld/transfer-receive").get_data(as_text=True)
    r = _scan(client, "transfer-receive", "PCL-T999999", 1)
    assert r.status_code in (404, 422) and "does not exist" in r.get_data(as_text=True)
    r = _scan(client, "transfer-receive", code.lower(), 2)
    assert r.status_code == 200 and f"Receiving {tr.code}" in r.get_data(as_text=True)
    # A new session: the carrier's tracking barcode on the second parcel opens it as well.
    from wms.domain.scans.services import load_state, save_state
    from wms.domain.transfers.scan import RECEIVE_FLOW
    from wms.domain.users.models import User

    operator = db.session.execute(select(User).where(User.username.like("operator%"))).scalar_one()
    save_state(load_state(operator, RECEIVE_FLOW))  # the screen emptied, no transfer open
    db.session.commit()
    r = _scan(client, "transfer-receive", "RX501", 3)
    assert r.status_code == 200 and f"Receiving {tr.code}" in r.get_data(as_text=True)
    r = _scan(client, "transfer-receive", "RX501", 4)  # with the transfer open, it is not a product
    assert r.status_code in (404, 422)
