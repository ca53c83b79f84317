"""Transfers shipped like an order (issue 14 item 3): printed pick list, parcels with labels from
the source site to the destination site, the carrier's dispatch at the source ships the
transfer exactly once with the ledger balanced; refusals change nothing."""
import threading

import pytest
from sqlalchemy import func, select

from tests.domain.test_packing import packing_setup  # noqa: F401  (fixture)
from tests.domain.test_transfers import _ledger_ok, _on_hand, sites  # noqa: F401  (fixture)
from tests.labels.conftest import decode_page, pdf_text
from wms.db import db
from wms.domain.inventory.models import MoveReason, StockMove
from wms.domain.shipping import services as shipping
from wms.domain.shipping.models import BoxSize, Carrier, CarrierSite, DispatchStatus
from wms.domain.transfers import parcels
from wms.domain.transfers import services as transfers
from wms.domain.transfers.models import TransferParcel, TransferStatus
from wms.errors import Conflict, DomainError, NotFound


@pytest.fixture
def carriers(app, sites):
    s = sites
    for site, street, postcode, city in ((s["paris"], "1 rue de Rivoli", "75001", "Paris"),
                                         (s["lyon"], "5 quai Perrache", "69002", "Lyon")):
        site.address1, site.postcode, site.city, site.country = street, postcode, city, "FR"
    rng = Carrier(code="RNG", name="Rangex", adapter="range", range_prefix="RX", range_start=1000,
                  range_end=1999, range_next=1000)
    manual = Carrier(code="MAN", name="Manualpost", adapter="manual")
    lyon_only = Carrier(code="LYC", name="Lyon Courier", adapter="range", range_start=1, range_end=99)
    lyon_only.sites.append(CarrierSite(warehouse_id=s["lyon"].id))
    db.session.add_all([rng, manual, lyon_only,
                        BoxSize(code="BOX-L", name="Large box", length_mm=600, width_mm=400, height_mm=400)])
    db.session.commit()
    return {"range": rng, "manual": manual, "lyon_only": lyon_only}


def _picked(qty_tee=6, qty_mug=2):
    tr = transfers.create_transfer("PAR", "LYO", [("TEE-1", qty_tee), ("MUG-1", qty_mug)])
    transfers.release(tr)
    transfers.pick_all(tr)
    return tr


def _transfer_out_moves():
    return db.session.scalar(select(func.count()).select_from(StockMove)
                             .where(StockMove.reason == MoveReason.TRANSFER_OUT))


def test_printed_pick_list_lists_the_source_bins_in_walking_order(app, sites):
    tr = transfers.create_transfer("PAR", "LYO", [("TEE-1", 10), ("MUG-1", 3)])
    with pytest.raises(DomainError, match="release it first"):
        parcels.pick_list_document(tr)
    transfers.release(tr)
    data = parcels.pick_list_document(tr)
    assert data["code"] == tr.code and data["warehouse"] == "Paris"
    # Walking order: the pick face (sequence 1) before the storage bin (sequence 2).
    assert [(ln["location"], ln["sku"], ln["quantity"]) for ln in data["lines"]] == [
        ("A-01-02-1", "TEE-1", 2), ("A-01-01-1", "TEE-1", 8), ("A-01-01-1", "MUG-1", 3)]
    pdf = parcels.pick_list_pdf(tr)
    text = pdf_text(pdf)
    assert "PICK LIST" in text and tr.code in text and "Paris" in text
    assert text.index("A-01-02-1") < text.index("A-01-01-1")
    assert "TEE-1" in text and "MUG-1" in text and "LYO" in text
    assert tr.code in [code for code, _fmt in decode_page(pdf)]


def test_pack_with_a_range_carrier_labels_each_parcel_from_site_to_site(app, sites, carriers):
    tr = _picked()
    made = parcels.pack(tr, "2", "3,5", box="box-l", carrier="rng")
    assert [p.number for p in made] == [1, 2] and [p.tracking_number for p in made] == ["RX1000", "RX1001"]
    assert all(p.weight_g == 3500 and p.box.code == "BOX-L" for p in made)
    assert tr.carrier.code == "RNG" and tr.status is TransferStatus.PICKING
    assert made[0].code == f"PCL-T{made[0].id}"
    records = parcels.label_records(tr)
    assert records[1]["sender"]["city"] == "Paris" and records[1]["recipient"]["city"] == "Lyon"
    assert records[1]["sender"]["name"].endswith("Paris")
    assert records[1]["order"]["reference"] == tr.code and records[1]["parcel"]["count"] == 2
    pdf = parcels.labels_pdf(tr)
    page2 = pdf_text(pdf, 1)
    assert tr.code in page2 and "2/2" in page2 and "69002" in page2 and "75001" in page2
    assert "RX1001" in [code for code, _fmt in decode_page(pdf, 1)]
    zpl = parcels.labels_zpl(tr)
    assert zpl.count("^XA") == 2 and tr.code in zpl and "RX1000" in zpl
    # Packing again replaces the parcels; the range never hands a number out twice.
    again = parcels.pack(tr, "1", "7", carrier="RNG")
    assert [p.tracking_number for p in again] == ["RX1002"] and len(tr.parcels) == 1
    _ledger_ok(app)


@pytest.mark.parametrize("kwargs, code", [
    (dict(count="0", weight_kg="2"), "bad_count"),
    (dict(count="", weight_kg="2"), "bad_count"),
    (dict(count="abc", weight_kg="2"), "bad_count"),
    (dict(count="100", weight_kg="2"), "bad_count"),
    (dict(count="1", weight_kg="heavy"), "bad_weight"),
    (dict(count="1", weight_kg="0"), "bad_weight"),
    (dict(count="1", weight_kg="2", carrier="LYC"), "wrong_site_carrier"),
    (dict(count="1", weight_kg="2", carrier="NOPE"), "unknown_carrier"),
    (dict(count="2", weight_kg="2", carrier="MAN", tracking="TRACK12345"), "tracking_needed"),
    (dict(count="1", weight_kg="2", box="NOBOX"), "box_needed"),
])
def test_bad_packing_is_refused_and_changes_nothing(app, sites, carriers, kwargs, code):
    tr = _picked()
    db.session.commit()
    kwargs = dict(kwargs)
    with pytest.raises(DomainError) as refused:
        parcels.pack(tr, kwargs.pop("count"), kwargs.pop("weight_kg"), **kwargs)
    assert refused.value.code == code and refused.value.message
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(TransferParcel)) == 0


def test_packing_before_picking_is_refused(app, sites, carriers):
    tr = transfers.create_transfer("PAR", "LYO", [("TEE-1", 2)])
    with pytest.raises(DomainError, match="can no longer be packed|no longer"):
        parcels.pack(tr, "1", "2")
    transfers.release(tr)
    with pytest.raises(DomainError) as refused:
        parcels.pack(tr, "1", "2")
    assert refused.value.code == "nothing_picked" and "pick it before packing" in refused.value.message


def test_a_manual_carrier_takes_one_scanned_number_per_parcel(app, sites, carriers):
    tr = _picked()
    made = parcels.pack(tr, "2", "1", carrier="MAN", tracking="mp123456 MP654321")
    assert [p.tracking_number for p in made] == ["MP123456", "MP654321"]
    other = _picked(1, 1)
    with pytest.raises(Conflict, match="already on"):
        parcels.pack(other, "1", "1", carrier="MAN", tracking="MP123456")
    with pytest.raises(DomainError, match="warehouse code"):
        parcels.pack(other, "1", "1", carrier="MAN", tracking="PCL-T1")


def test_closing_the_dispatch_ships_the_transfer_once_with_the_ledger_balanced(app, sites, carriers):
    tr = _picked()
    parcels.pack(tr, "2", "4", carrier="RNG")
    # Packed for a carrier: the desk's Ship is refused, the dispatch ships it.
    with pytest.raises(DomainError) as refused:
        transfers.ship(tr)
    assert refused.value.code == "ships_with_carrier"
    dispatch = shipping.open_dispatch(carriers["range"], None, sites["paris"].id)
    shipping.add_parcel(dispatch, tr.parcels[0].code)
    with pytest.raises(Conflict, match="scanned twice"):
        shipping.add_parcel(dispatch, tr.parcels[0].code)
    # Closing with one of the two parcels missing is refused and changes nothing.
    with pytest.raises(DomainError) as refused:
        shipping.close_dispatch(dispatch)
    assert refused.value.code == "parcels_missing" and tr.status is TransferStatus.PICKING
    shipping.add_parcel(dispatch, "RX1001")  # the tracking barcode works as well
    db.session.commit()
    assert _transfer_out_moves() == 0

    shipping.close_dispatch(dispatch)
    db.session.commit()
    assert dispatch.status is DispatchStatus.CLOSED
    assert tr.status is TransferStatus.SHIPPED and tr.shipped_at is not None
    assert tr.tracking == "RX1000, RX1001" and tr.in_transit_total == 8
    assert _on_hand("TRANSIT-LYO", sites["tee"]) == (6, 0) and _on_hand("PACK-PAR", sites["tee"]) == (0, 0)
    assert _transfer_out_moves() == 2  # one per line
    _ledger_ok(app)
    with pytest.raises(Conflict, match="already closed"):
        shipping.close_dispatch(dispatch)
    with pytest.raises(DomainError):
        transfers.ship(tr)
    assert _transfer_out_moves() == 2

    # The day's manifest lists the transfer's parcels: TR-n to the destination site.
    data = shipping.manifest_data(carriers["range"], dispatch.closed_at.date(), sites["paris"].id)
    assert [(p["tracking_number"], p["order_reference"]) for p in data["parcels"]] == [
        ("RX1000", tr.code), ("RX1001", tr.code)]
    assert data["parcels"][0]["recipient"] == "Lyon" and "69002" in data["parcels"][0]["destination"]
    assert data["shipper"]["city"] == "Paris"
    text = pdf_text(shipping.manifest(carriers["range"], dispatch.closed_at.date(), sites["paris"].id))
    assert tr.code in text and "RX1001" in text

    # The destination opens the transfer by a parcel's label or tracking number.
    assert parcels.transfer_for_scan(tr.parcels[1].code).id == tr.id
    assert parcels.transfer_for_scan("RX1000").id == tr.id
    assert parcels.transfer_for_scan(tr.code).id == tr.id
    with pytest.raises(NotFound):
        parcels.transfer_for_scan("NOTHING-HERE")
    # In transit, the parcels are still on the closed dispatch: no new dispatch takes them.
    later = shipping.open_dispatch(carriers["range"], None, sites["paris"].id)
    with pytest.raises(DomainError) as refused:
        shipping.add_parcel(later, tr.parcels[0].code)
    assert refused.value.code == "already_shipped"


def test_dispatch_refusals_for_transfer_parcels(app, sites, carriers, make_warehouse):
    tr = _picked()
    parcels.pack(tr, "1", "2", carrier="RNG")
    manual = shipping.open_dispatch(carriers["manual"], None, sites["paris"].id)
    with pytest.raises(DomainError) as refused:
        shipping.add_parcel(manual, tr.parcels[0].code)
    assert refused.value.code == "wrong_carrier"
    at_lyon = shipping.open_dispatch(carriers["range"], None, sites["lyon"].id)
    with pytest.raises(DomainError) as refused:
        shipping.add_parcel(at_lyon, tr.parcels[0].code)
    assert refused.value.code == "other_site"
    with pytest.raises(NotFound):
        shipping.add_parcel(at_lyon, "PCL-T999999")
    with pytest.raises(NotFound):
        shipping.remove_parcel(at_lyon, "PCL-T999999")
    # On and off the right dispatch: it stays packed, and can go on again.
    paris = shipping.open_dispatch(carriers["range"], None, sites["paris"].id)
    shipping.add_parcel(paris, tr.parcels[0].code)
    assert tr.parcels[0].dispatch is paris and paris.transfer_parcels == [tr.parcels[0]]
    shipping.remove_parcel(paris, tr.parcels[0].code)
    assert tr.parcels[0].dispatch is None and paris.transfer_parcels == []
    with pytest.raises(DomainError, match="not on the open dispatch"):
        shipping.remove_parcel(paris, tr.parcels[0].code)
    # Own truck: no carrier dispatch takes its parcels; the desk's Ship sends it.
    own = _picked(1, 1)
    parcels.pack(own, "1", "1", carrier="OWN")
    assert own.carrier is None and own.parcels[0].tracking_number is None
    with pytest.raises(DomainError) as refused:
        shipping.add_parcel(manual, own.parcels[0].code)
    assert refused.value.code == "own_truck"
    assert parcels.label_records(own)[0]["parcel"]["tracking_number"] == own.parcels[0].code
    with pytest.raises(DomainError, match="no carrier parcels"):
        parcels.hand_to_dispatch(own)
    assert transfers.ship(own, tracking="VAN-3") == 2
    _ledger_ok(app)


def test_cancel_unpacks_and_takes_the_parcels_off_the_dispatch(app, sites, carriers):
    tr = _picked()
    parcels.pack(tr, "1", "2", carrier="RNG")
    dispatch = parcels.hand_to_dispatch(tr)
    assert [p.code for p in dispatch.transfer_parcels] == [tr.parcels[0].code]
    # On a dispatch: packing again is refused until it is taken off.
    with pytest.raises(Conflict) as refused:
        parcels.pack(tr, "1", "2")
    assert refused.value.code == "on_dispatch"
    transfers.cancel(tr)
    db.session.commit()
    db.session.expire_all()
    assert tr.parcels == [] and dispatch.transfer_parcels == []
    with pytest.raises(DomainError, match="no parcels"):
        shipping.close_dispatch(dispatch)
    _ledger_ok(app)


@pytest.mark.postgresql
def test_two_closes_of_the_same_dispatch_ship_once(app, sites, carriers):
    tr = _picked()
    parcels.pack(tr, "1", "3", carrier="RNG")
    dispatch = parcels.hand_to_dispatch(tr)
    db.session.commit()
    dispatch_id, tr_id = dispatch.id, tr.id
    barrier = threading.Barrier(2)
    outcomes, errors = [], []

    def run():
        with app.app_context():
            barrier.wait()
            try:
                shipping.close_dispatch(shipping.get_dispatch(dispatch_id))
                db.session.commit()
                outcomes.append("done")
            except DomainError as exc:
                db.session.rollback()
                outcomes.append(exc.code)
            except Exception as exc:
                db.session.rollback()
                errors.append(repr(exc))
            db.session.remove()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == [] and sorted(outcomes) == ["closed", "done"]
    db.session.expire_all()
    assert transfers.get_transfer(tr_id).status is TransferStatus.SHIPPED
    assert _transfer_out_moves() == 2
    _ledger_ok(app)


def test_a_dispatch_with_order_and_transfer_parcels(app, packing_setup, make_warehouse, make_location):  # noqa: F811
    from tests.domain.test_shipping import packed
    from wms.domain.locations.models import LocationKind
    from wms.domain.orders.models import OrderStatus

    s = packing_setup()
    s.carrier.range_end = 1999
    shipment = packed(s)  # RX1000, RX1001
    source = make_warehouse()  # the setup's site (its packing area PACK-01)
    other = make_warehouse("LYO", "Lyon")
    bin_ = make_location("B-01-01-1")
    from wms.domain.inventory import services as inventory
    from wms.domain.locations.models import Location

    inventory.receive(s.other, bin_, 4)
    db.session.add(Location(warehouse_id=other.id, code="DOCK-LYO", kind=LocationKind.RECEIVING))
    tr = transfers.create_transfer(source.code, "LYO", [(s.other, 4)])
    transfers.release(tr)
    transfers.pick_all(tr)
    parcels.pack(tr, "2", "5", carrier="RNG")
    assert [p.tracking_number for p in tr.parcels] == ["RX1002", "RX1003"]
    dispatch = shipping.open_dispatch(s.carrier, s.operator)
    for code in [p.code for p in shipment.parcels] + [tr.parcels[0].code]:
        shipping.add_parcel(dispatch, code, s.operator)
    db.session.commit()
    # One of the transfer's parcels missing: refused before the order ships either.
    with pytest.raises(DomainError) as refused:
        shipping.close_dispatch(dispatch, s.operator)
    assert refused.value.code == "parcels_missing"
    assert s.order.status is OrderStatus.PACKED and tr.status is TransferStatus.PICKING
    assert db.session.scalar(select(func.count()).select_from(StockMove)
                             .where(StockMove.reason == MoveReason.SHIPPED)) == 0
    db.session.rollback()
    shipping.add_parcel(dispatch, "RX1003", s.operator)
    shipped = shipping.close_dispatch(dispatch, s.operator)
    assert [x.id for x in shipped] == [shipment.id]
    assert s.order.status is OrderStatus.SHIPPED and tr.status is TransferStatus.SHIPPED
    assert tr.tracking == "RX1002, RX1003"
    _ledger_ok(app)
    data = shipping.manifest_data(s.carrier, dispatch.closed_at.date())
    assert [p["order_reference"] for p in data["parcels"]] == ["WEBSHOP-1", "WEBSHOP-1", tr.code, tr.code]
