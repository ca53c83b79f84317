"""A handheld works in its station's site on every scan path, fast paths included: a bin of
another site is refused by name and nothing changes (ledger, flow state, scan record); the same
scan from a station of the bin's site works; the locations a scan chooses itself (receiving
dock, putaway source and suggestion, returns bin, transfer dock) are the site's own."""
from __future__ import annotations

from sqlalchemy import func, select, update

from tests.domain.test_sites import order_of, two_sites  # noqa: F401 (fixture)
from wms.db import db
from wms.domain.counts import services as counts
from wms.domain.counts.models import CountLine
from wms.domain.inventory import services as inventory
from wms.domain.inventory.models import StockLevel, StockMove
from wms.domain.locations.models import Location, LocationKind
from wms.domain.orders.models import OrderLine
from wms.domain.picking import services as picking
from wms.domain.picking.allocation import allocate_orders
from wms.domain.printing.models import Station
from wms.domain.receiving import services as receiving
from wms.domain.scans.models import FlowState, ScanRecord
from wms.domain.transfers import services as transfers
from wms.domain.transfers.models import TransferStatus

HX = {"HX-Request": "true"}


def _sites(two_sites, **stock):
    s = two_sites(**stock)
    for wh, prefix in ((s.paris, "A"), (s.lyon, "B")):
        db.session.add(Location(warehouse_id=wh.id, code=f"DCK{prefix}-01", kind=LocationKind.RECEIVING))
    s.paris_station = Station(name="Paris 1", warehouse_id=s.paris.id)
    s.lyon_station = Station(name="Lyon 1", warehouse_id=s.lyon.id)
    db.session.add_all([s.paris_station, s.lyon_station])
    db.session.flush()
    return s


def _at(station, client):
    r = client.post("/handheld/station", data={"station": str(station.id)})
    assert r.status_code == 302


class _Scanner:
    def __init__(self, client, flow):
        self.client, self.flow, self.n = client, flow, 0

    def __call__(self, code, qty=None):
        self.n += 1
        sid = f"{self.flow.replace('-', '')}-{self.n:04d}-site"
        data = {"code": code, "scan_id": sid, **({"qty": qty} if qty else {})}
        return self.client.post(f"/handheld/{self.flow}/scan", data=data, headers={**HX, "X-Scan-Id": sid})


def _loc(code):
    return db.session.execute(select(Location).where(Location.code == code)).scalar_one()


def _on_hand(code, product):
    return db.session.scalar(select(func.coalesce(func.sum(StockLevel.on_hand), 0))
                             .where(StockLevel.location_id == _loc(code).id, StockLevel.product_id == product.id))


def _snapshot():
    db.session.expire_all()
    return (db.session.scalar(select(func.count()).select_from(StockMove)),
            sorted(db.session.execute(select(StockLevel.location_id, StockLevel.product_id,
                                             StockLevel.on_hand, StockLevel.reserved)).all()),
            sorted((f.flow, repr(f.data)) for f in db.session.execute(select(FlowState)).scalars()),
            db.session.scalar(select(func.count()).select_from(ScanRecord)),
            sorted(db.session.execute(select(CountLine.id, CountLine.expected, CountLine.counted)).all()),
            sorted(db.session.execute(select(OrderLine.id, OrderLine.quantity_packed)).all()))


def _refused(r, sentence, before):
    body = r.get_data(as_text=True)
    assert r.status_code == 422 and sentence in body, body[:400]
    assert _snapshot() == before


def test_move_refuses_a_bin_of_another_site_on_the_fast_path(client, login_as, two_sites):
    s = _sites(two_sites, paris={"SKU-A": 5}, lyon={"SKU-A": 5})
    sku_a = s.products["SKU-A"].main_barcode
    db.session.commit()
    login_as("operator")
    _at(s.lyon_station, client)
    move = _Scanner(client, "move")
    assert move("B-01-01-1").status_code == 200
    assert move(sku_a).status_code == 200
    _refused(move("A-02-01-1"), "A-02-01-1 is a bin of Paris, not of Lyon", _snapshot())
    # Taking from a Paris bin with nothing held: the fast path refuses it too.
    assert move("B-02-01-1").status_code == 200
    assert _on_hand("B-02-01-1", s.products["SKU-A"]) == 1
    _refused(move("A-01-01-1"), "A-01-01-1 is a bin of Paris, not of Lyon", _snapshot())
    # A source held when the station changes is not moved into the other site.
    assert move("B-01-01-1").status_code == 200 and move(sku_a).status_code == 200
    _at(s.paris_station, client)
    _refused(move("A-02-01-1"), "B-01-01-1 is a bin of Lyon, not of Paris", _snapshot())
    assert client.post("/handheld/move/cancel", headers=HX).status_code == 200
    # The same scans from a Paris station work.
    _at(s.paris_station, client)
    assert move("A-01-01-1").status_code == 200
    assert move(sku_a).status_code == 200
    assert move("A-02-01-1").status_code == 200
    assert _on_hand("A-02-01-1", s.products["SKU-A"]) == 1


def test_putaway_takes_from_the_site_dock_and_refuses_a_bin_of_another_site(client, login_as, two_sites):
    s = _sites(two_sites, paris={"SKU-A": 1}, lyon={"SKU-A": 1})
    product = s.products["SKU-A"]
    inventory.receive(product, _loc("DCKA-01"), 5)  # Paris' dock is the fullest
    inventory.receive(product, _loc("DCKB-01"), 3)
    db.session.commit()
    login_as("operator")
    _at(s.lyon_station, client)
    putaway = _Scanner(client, "putaway")
    r = putaway(product.main_barcode)
    assert r.status_code == 200 and "put away in B-01-01-1" in r.get_data(as_text=True)
    _refused(putaway("A-02-01-1"), "A-02-01-1 is a bin of Paris, not of Lyon", _snapshot())
    assert putaway("B-01-01-1").status_code == 200
    assert (_on_hand("DCKB-01", product), _on_hand("DCKA-01", product)) == (2, 5)
    # Nothing held any more: the fast path's own choice of dock and bin is Lyon's.
    db.session.execute(update(FlowState).where(FlowState.flow == "putaway").values(data={}))
    db.session.commit()
    r = putaway(product.main_barcode)
    assert r.status_code == 200 and "put away in B-01-01-1" in r.get_data(as_text=True)
    assert putaway("B-02-01-1").status_code == 200
    assert (_on_hand("DCKB-01", product), _on_hand("DCKA-01", product), _on_hand("B-02-01-1", product)) == (1, 5, 1)
    # A unit taken from the Lyon dock is not put away in Paris when the station changes.
    assert putaway(product.main_barcode).status_code == 200
    _at(s.paris_station, client)
    _refused(putaway("A-02-01-1"), "DCKB-01 is a bin of Lyon, not of Paris", _snapshot())
    assert client.post("/handheld/putaway/cancel", headers=HX).status_code == 200
    # From a Paris station: the Lyon dock still held has nothing for it (said by name) and
    # is refused when scanned; the Paris dock scanned, Paris' bins.
    _refused(putaway(product.main_barcode), "No SKU-A waiting on DCKB-01", _snapshot())
    _refused(putaway("DCKB-01"), "DCKB-01 is a bin of Lyon, not of Paris", _snapshot())
    assert putaway("DCKA-01").status_code == 200
    r = putaway(product.main_barcode)
    assert r.status_code == 200 and "put away in A-01-01-1" in r.get_data(as_text=True), r.get_data(as_text=True)[-1500:]
    assert putaway("A-02-01-1").status_code == 200
    assert (_on_hand("DCKA-01", product), _on_hand("A-02-01-1", product)) == (4, 1)


def test_receiving_puts_units_on_the_dock_of_the_handheld_site(client, login_as, two_sites):
    s = _sites(two_sites)
    product = s.products["SKU-A"]
    receipt = receiving.create_receipt([(product, 5)], supplier="Acme")
    receipt.warehouse_id = None  # a receipt of no site: any site receives it
    db.session.commit()
    login_as("operator")
    _at(s.lyon_station, client)
    rcv = _Scanner(client, "receiving")
    assert rcv(receipt.code).status_code == 200
    assert rcv(product.main_barcode).status_code == 200  # the first unit: the full service
    assert rcv(product.main_barcode).status_code == 200  # then the fast path
    assert (_on_hand("DCKB-01", product), _on_hand("DCKA-01", product)) == (2, 0)
    _at(s.paris_station, client)
    assert rcv(product.main_barcode).status_code == 200
    assert (_on_hand("DCKB-01", product), _on_hand("DCKA-01", product)) == (2, 1)


def test_counting_refuses_a_bin_of_another_site_on_the_fast_path(client, login_as, two_sites):
    s = _sites(two_sites, paris={"SKU-A": 3}, lyon={"SKU-A": 4})
    task = counts.create_count(user=s.supervisor, product=s.products["SKU-A"])
    db.session.commit()
    login_as("operator")
    _at(s.lyon_station, client)
    assert client.post(f"/handheld/count/start/{task.id}", headers=HX).status_code == 200
    count = _Scanner(client, "count")
    _refused(count("A-01-01-1"), "A-01-01-1 is a bin of Paris, not of Lyon", _snapshot())
    r = count("B-01-01-1")
    assert r.status_code == 200 and "Counting in B-01-01-1" in r.get_data(as_text=True)
    _at(s.paris_station, client)
    r = count("A-01-01-1")
    assert r.status_code == 200 and "Counting in A-01-01-1" in r.get_data(as_text=True)


def test_packing_fast_path_refuses_an_order_of_another_site(client, login_as, two_sites):
    s = _sites(two_sites, paris={"SKU-A": 5})
    order = order_of(s, {"SKU-A": 3})
    allocate_orders([order.id])
    pick_list = picking.create_pick_list([order.id])
    picking.scan(s.operator, pick_list.code)
    picking.scan(s.operator, "A-01-01-1")
    picking.scan(s.operator, s.products["SKU-A"].main_barcode, 3)
    db.session.commit()
    login_as("operator")
    _at(s.paris_station, client)
    pack = _Scanner(client, "packing")
    assert pack(order.code).status_code == 200
    assert pack(s.products["SKU-A"].main_barcode).status_code == 200
    _at(s.lyon_station, client)
    _refused(pack(s.products["SKU-A"].main_barcode), f"{order.code} ships from Paris, not from Lyon", _snapshot())
    _at(s.paris_station, client)
    assert pack(s.products["SKU-A"].main_barcode).status_code == 200
    db.session.expire_all()
    assert order.lines[0].quantity_packed == 2


def test_returns_fast_path_grades_into_the_bins_of_the_handheld_site(app, two_sites):
    from wms.domain.returns.scan import _READ

    s = _sites(two_sites)
    for wh, prefix in ((s.paris, "A"), (s.lyon, "B")):
        db.session.add(Location(warehouse_id=wh.id, code=f"RET-{prefix}", kind=LocationKind.RETURNS))
        db.session.add(Location(warehouse_id=wh.id, code=f"QUA-{prefix}", kind=LocationKind.QUARANTINE))
    db.session.flush()
    # The read's returns and quarantine columns, without a return open: computed on an empty
    # row set, so read them through the same expressions.
    columns = [c for c in _READ.selected_columns][17:21]
    for site, expected in ((s.lyon.id, ["RET-B", "QUA-B"]), (s.paris.id, ["RET-A", "QUA-A"]),
                           (0, ["RET-A", "QUA-A"])):
        row = db.session.execute(select(*columns), {"site": site}).one()
        assert [row[1], row[3]] == expected


def test_transfer_pick_at_the_source_and_receive_at_the_destination_only(client, login_as, two_sites):
    s = _sites(two_sites, paris={"SKU-A": 3})
    product = s.products["SKU-A"]
    tr = transfers.create_transfer("PAR", "LYO", [(product, 2)])
    transfers.release(tr)
    db.session.commit()
    login_as("operator")
    pick = _Scanner(client, "transfer-pick")
    _at(s.lyon_station, client)
    _refused(pick(tr.code), f"{tr.code} leaves from Paris, not from Lyon", _snapshot())
    _at(s.paris_station, client)
    assert pick(tr.code).status_code == 200
    _refused(pick("B-01-01-1"), "B-01-01-1 is a bin of Lyon, not of Paris", _snapshot())
    assert pick("A-01-01-1").status_code == 200
    # The station changed after the transfer's code: refused too.
    _at(s.lyon_station, client)
    _refused(pick(product.main_barcode), f"{tr.code} leaves from Paris, not from Lyon", _snapshot())
    _at(s.paris_station, client)
    assert pick(product.main_barcode, qty="2").status_code == 200
    db.session.expire_all()
    transfers.ship(transfers.get_transfer(tr.id))
    db.session.commit()
    receive = _Scanner(client, "transfer-receive")
    _refused(receive(tr.code), f"{tr.code} goes to Lyon, not to Paris", _snapshot())
    _at(s.lyon_station, client)
    assert receive(tr.code).status_code == 200
    _at(s.paris_station, client)
    _refused(receive(product.main_barcode), f"{tr.code} goes to Lyon, not to Paris", _snapshot())
    _at(s.lyon_station, client)
    assert receive(product.main_barcode, qty="2").status_code == 200
    db.session.expire_all()
    assert transfers.get_transfer(tr.id).status is TransferStatus.RECEIVED
    assert _on_hand("DCKB-01", product) == 2
