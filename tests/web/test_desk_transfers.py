"""The desk's transfers page: create by SKU, release, pick, ship, receive, close short, and bad
inputs answered 4xx with a sentence that changes nothing."""
import pytest
from sqlalchemy import func, select

from wms.db import db
from wms.domain.inventory import services as inventory
from wms.domain.inventory.models import StockMove
from wms.domain.locations.models import Location, LocationKind
from wms.domain.transfers.models import TransferOrder, TransferStatus


@pytest.fixture
def two_sites(app, make_warehouse, make_product):
    paris, lyon = make_warehouse("PAR", "Paris"), make_warehouse("LYO", "Lyon")
    locs = [Location(warehouse_id=paris.id, code="A-01-01-1", kind=LocationKind.STORAGE),
            Location(warehouse_id=paris.id, code="PACK-PAR", kind=LocationKind.PACKING),
            Location(warehouse_id=lyon.id, code="DOCK-LYO", kind=LocationKind.RECEIVING)]
    db.session.add_all(locs)
    tee = make_product("TEE-1")
    inventory.receive(tee, locs[0], 10)
    db.session.commit()
    return tee


def _moves():
    return db.session.scalar(select(func.count()).select_from(StockMove))


def test_a_supervisor_runs_a_transfer_from_the_desk(client, login_as, two_sites):
    login_as("supervisor")
    assert "/desk/transfers" in client.get("/desk/stock").get_data(as_text=True)
    r = client.post("/desk/transfers/new", data={"source": "PAR", "destination": "LYO", "lines": "tee-1 6"})
    assert r.status_code == 302, r.get_data(as_text=True)
    tr = db.session.execute(select(TransferOrder)).unique().scalar_one()
    url = f"/desk/transfers/{tr.id}"
    assert tr.code in client.get("/desk/transfers").get_data(as_text=True)
    assert client.post(f"{url}/release").status_code == 302
    page = client.get(url).get_data(as_text=True)
    assert "A-01-01-1" in page and "Pick list" in page
    assert client.post(f"{url}/pick", data={"location": "A-01-01-1", "sku": "TEE-1", "qty": "6"}).status_code == 302
    assert client.post(f"{url}/ship", data={"tracking": "TRK-1"}).status_code == 302
    r = client.post(f"{url}/ship")
    assert r.status_code == 422 and "cannot be shipped" in r.get_data(as_text=True)
    page = client.get(url).get_data(as_text=True)
    assert "In transit" in page and "TRK-1" in page
    r = client.post(f"{url}/receive", data={"lines": "TEE-1 9"})
    assert r.status_code == 422 and "Only 6 of TEE-1 are still in transit" in r.get_data(as_text=True)
    assert client.post(f"{url}/receive", data={"lines": "TEE-1 4"}).status_code == 302
    r = client.post(f"{url}/close", data={"note": ""})
    assert r.status_code == 422 and "note is required" in r.get_data(as_text=True)
    assert client.post(f"{url}/close", data={"note": "box lost"}).status_code == 302
    db.session.expire_all()
    tr = db.session.get(TransferOrder, tr.id)
    assert tr.status is TransferStatus.CLOSED and tr.received_total == 4 and tr.lost_total == 2
    page = client.get(url).get_data(as_text=True)
    assert "TEE-1: 2 of 6 missing" in page
    assert inventory.ledger_problems() == []


@pytest.mark.parametrize("data, sentence", [
    ({"source": "PAR", "destination": "LYO", "lines": "NOPE 3"}, "No product has the SKU NOPE"),
    ({"source": "PAR", "destination": "LYO", "lines": "TEE-1 0"}, "above zero"),
    ({"source": "PAR", "destination": "LYO", "lines": "TEE-1 -2"}, "is not a quantity"),
    ({"source": "PAR", "destination": "LYO", "lines": "TEE-1 99999999999"}, "is not a quantity"),
    ({"source": "PAR", "destination": "PAR", "lines": "TEE-1 1"}, "both the source and the destination"),
    ({"source": "PAR", "destination": "XYZ", "lines": "TEE-1 1"}, "no warehouse XYZ"),
    ({"source": "PAR", "destination": "LYO", "lines": ""}, "at least one line"),
])
def test_bad_inputs_are_4xx_sentences(client, login_as, two_sites, data, sentence):
    login_as("supervisor")
    r = client.post("/desk/transfers/new", data=data)
    assert 400 <= r.status_code < 500
    assert sentence in r.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(TransferOrder)) == 0


def test_unknown_transfer_and_bad_pick_are_4xx(client, login_as, two_sites):
    login_as("supervisor")
    assert client.get("/desk/transfers/999").status_code == 404
    client.post("/desk/transfers/new", data={"source": "PAR", "destination": "LYO", "lines": "TEE-1 20"})
    tr = db.session.execute(select(TransferOrder)).unique().scalar_one()
    moves = _moves()
    r = client.post(f"/desk/transfers/{tr.id}/release")
    assert r.status_code == 422 and "TEE-1: 10 of 20 missing" in r.get_data(as_text=True)
    r = client.post(f"/desk/transfers/{tr.id}/pick", data={"location": "A-01-01-1", "sku": "TEE-1", "qty": "x"})
    assert r.status_code == 422
    assert _moves() == moves
    db.session.expire_all()
    assert inventory.stock_at(two_sites, db.session.execute(
        select(Location).where(Location.code == "A-01-01-1")).scalar_one()).reserved == 0


def test_operators_cannot_reach_transfers(client, login_as, two_sites):
    login_as("operator")
    assert client.get("/desk/transfers").status_code in (302, 403)
