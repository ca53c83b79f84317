"""The handheld transfer screens: pick at the source (bin, then product, refusals with the
screen's sentence and nothing changed), receive at the destination against the transfer."""
import pytest
from sqlalchemy import func, select

from wms.db import db
from wms.domain.inventory import services as inventory
from wms.domain.inventory.models import StockMove
from wms.domain.locations.models import Location, LocationKind
from wms.domain.transfers import services as transfers
from wms.domain.transfers.models import TransferStatus

HX = {"HX-Request": "true"}


@pytest.fixture
def released(app, make_warehouse, make_product):
    paris, lyon = make_warehouse("PAR", "Paris"), make_warehouse("LYO", "Lyon")
    locs = [Location(warehouse_id=paris.id, code="A-01-01-1", kind=LocationKind.STORAGE, walk_sequence=1),
            Location(warehouse_id=paris.id, code="A-01-02-1", kind=LocationKind.STORAGE, walk_sequence=2),
            Location(warehouse_id=paris.id, code="PACK-PAR", kind=LocationKind.PACKING),
            Location(warehouse_id=lyon.id, code="DOCK-LYO", kind=LocationKind.RECEIVING)]
    db.session.add_all(locs)
    tee, mug = make_product("TEE-1"), make_product("MUG-1")
    inventory.receive(tee, locs[0], 3)
    inventory.receive(mug, locs[1], 2)
    tr = transfers.create_transfer("PAR", "LYO", [(tee, 3), (mug, 2)])
    transfers.release(tr)
    db.session.commit()
    return tr, tee, mug


def _scan(client, flow, code, n, qty=None):
    sid = f"{flow[:4]}-{n:04d}-test"
    return client.post(f"/handheld/{flow}/scan", data={"code": code, "scan_id": sid, **({"qty": qty} if qty else {})},
                       headers={**HX, "X-Scan-Id": sid})


def _moves():
    return db.session.scalar(select(func.count()).select_from(StockMove))


def test_pick_then_receive_on_the_handheld(client, login_as, released):
    tr, tee, mug = released
    login_as("operator")
    page = client.get("/handheld/transfer-pick").get_data(as_text=True)
    assert "Scan the transfer code" in page
    r = _scan(client, "transfer-pick", tee.main_barcode, 1)
    assert r.status_code == 422 and "Scan the transfer code (TR-…) first." in r.get_data(as_text=True)
    assert "Go to A-01-01-1" in _scan(client, "transfer-pick", tr.code.lower(), 2).get_data(as_text=True)
    moves = _moves()
    for n, (code, sentence) in enumerate([(tee.main_barcode, "Scan the location A-01-01-1 first."),
                                          ("A-01-02-1", "Wrong location: go to A-01-01-1."),
                                          ("NOT-A-CODE", "neither a location nor a product")], start=3):
        r = _scan(client, "transfer-pick", code, n)
        assert r.status_code == 422 and sentence in r.get_data(as_text=True), r.get_data(as_text=True)
    assert _scan(client, "transfer-pick", "A-01-01-1", 10).status_code == 200
    r = _scan(client, "transfer-pick", mug.main_barcode, 11)
    assert r.status_code == 422 and "Wrong product: take TEE-1 here." in r.get_data(as_text=True)
    assert _moves() == moves
    r = _scan(client, "transfer-pick", tee.main_barcode, 12, qty="3")
    assert "Go to A-01-02-1" in r.get_data(as_text=True)
    _scan(client, "transfer-pick", "A-01-02-1", 13)
    r = _scan(client, "transfer-pick", mug.main_barcode, 14, qty="2")
    assert "is picked" in r.get_data(as_text=True)
    db.session.expire_all()
    tr = transfers.get_transfer(tr.id)
    assert tr.status is TransferStatus.PICKING and tr.picked_total == 5
    transfers.ship(tr)
    db.session.commit()

    assert "Scan the code of the transfer" in client.get("/handheld/transfer-receive").get_data(as_text=True)
    r = _scan(client, "transfer-receive", tr.code, 20)
    assert "Receiving" in r.get_data(as_text=True) and "5 units in transit" in r.get_data(as_text=True)
    r = _scan(client, "transfer-receive", tee.main_barcode, 21, qty="4")
    assert r.status_code == 422 and "Only 3 of TEE-1 are still in transit" in r.get_data(as_text=True)
    assert "+3 TEE-1: 3 of 3 received" in _scan(client, "transfer-receive", tee.main_barcode, 22, qty="3").get_data(as_text=True)
    r = _scan(client, "transfer-receive", mug.main_barcode, 23, qty="2")
    assert "fully received" in r.get_data(as_text=True)
    db.session.expire_all()
    assert transfers.get_transfer(tr.id).status is TransferStatus.RECEIVED
    assert inventory.ledger_problems() == [] and transfers.transit_problems() == []
    r = _scan(client, "transfer-receive", tr.code, 24)
    assert r.status_code == 422 and "nothing more can be received" in r.get_data(as_text=True)
