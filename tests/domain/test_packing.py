"""Packing: verify items against the order, refuse wrong and extra items, split, finish."""
from __future__ import annotations

import pytest

from wms.db import db
from wms.domain.inventory import services as inventory
from wms.domain.locations.models import LocationKind
from wms.domain.orders.models import Order, OrderLine, OrderStatus
from wms.domain.packing import services as packing
from wms.domain.shipping.models import BoxSize, Carrier, ShipmentStatus
from wms.errors import DomainError, PermissionDenied


@pytest.fixture
def packing_setup(app, make_location, make_product, make_user):
    """A PICKED order of 2 × A and 1 × B, its stock in the packing area, boxes, two carriers."""

    def make(adapter="range", picked=(2, 1), ordered=(2, 1)):
        pack = make_location("PACK-01", kind=LocationKind.PACKING)
        a = make_product("SKU-A", weight_g=400)
        b = make_product("SKU-B", weight_g=1200)
        other = make_product("SKU-X")
        for product, qty in ((a, picked[0]), (b, picked[1])):
            if qty:
                inventory.receive(product, pack, qty)
        carrier = Carrier(code="RNG", name="Rangex", service="Standard", adapter=adapter,
                          range_prefix="RX", range_start=1000, range_end=1002)
        db.session.add(carrier)
        db.session.add_all([BoxSize(code="BOX-S", name="Small box", length_mm=250, width_mm=180,
                                    height_mm=100, tare_g=150, max_weight_g=5000),
                            BoxSize(code="BOX-M", name="Medium box", length_mm=350, width_mm=250,
                                    height_mm=150, tare_g=280, max_weight_g=15000)])
        db.session.flush()
        order = Order(reference="WEBSHOP-1", status=OrderStatus.PICKED, carrier_id=carrier.id,
                      ship_name="Jane Doe", ship_address1="1 Main St", ship_postcode="69001",
                      ship_city="Lyon", ship_country="FR", shop="default", ps_order_id=77)
        order.lines = [
            OrderLine(line_no=1, product_id=a.id, sku=a.sku, name=a.name, quantity=ordered[0],
                      quantity_allocated=ordered[0], quantity_picked=picked[0]),
            OrderLine(line_no=2, product_id=b.id, sku=b.sku, name=b.name, quantity=ordered[1],
                      quantity_allocated=ordered[1], quantity_picked=picked[1]),
        ]
        db.session.add(order)
        db.session.flush()
        operator = make_user("operator")
        supervisor = make_user("supervisor")
        return type("Setup", (), dict(order=order, a=a, b=b, other=other, carrier=carrier,
                                      pack=pack, operator=operator, supervisor=supervisor))

    return make


def ean(product):
    return product.barcodes[0].code


def test_pack_verify_split_and_finish_with_range_carrier(packing_setup):
    s = packing_setup()
    view, message = packing.scan(s.operator, s.order.code)
    assert view.step == "items" and "WEBSHOP-1" in message
    assert s.order.status is OrderStatus.PACKING
    packing.scan(s.operator, ean(s.a), 2)
    view, _ = packing.split_parcel(s.operator, "BOX-S", "0.95")
    assert view.parcel.number == 2
    view, message = packing.scan(s.operator, ean(s.b))
    view, message = packing.finish(s.operator, "BOX-M", "1,5")
    shipment = view.shipment
    assert view.step == "done"
    assert shipment.status is ShipmentStatus.PACKED and s.order.status is OrderStatus.PACKED
    assert [(p.number, p.box.code, p.weight_g, p.tracking_number) for p in shipment.parcels] == [
        (1, "BOX-S", 950, "RX1000"), (2, "BOX-M", 1500, "RX1001")]
    assert [(i.line.sku, i.quantity) for i in shipment.parcels[0].items] == [("SKU-A", 2)]
    assert [line.quantity_packed for line in s.order.lines] == [2, 1]
    assert s.carrier.range_next == 1002


def test_wrong_item_and_too_many_are_refused_and_change_nothing(packing_setup):
    s = packing_setup()
    packing.scan(s.operator, s.order.code)
    with pytest.raises(DomainError, match="WRONG ITEM: SKU-X") as wrong:
        packing.scan(s.operator, ean(s.other))
    assert wrong.value.code == "wrong_item"
    with pytest.raises(DomainError, match="TOO MANY SKU-A") as many:
        packing.scan(s.operator, ean(s.a), 3)
    assert many.value.code == "too_many"
    packing.scan(s.operator, ean(s.a), 2)
    with pytest.raises(DomainError, match="TOO MANY SKU-A"):  # scanned a third time
        packing.scan(s.operator, ean(s.a))
    assert s.order.lines[0].quantity_packed == 2


def test_missing_items_block_an_operator_and_a_supervisor_accepts_partial(packing_setup):
    s = packing_setup(picked=(1, 1), ordered=(2, 1))
    packing.scan(s.operator, s.order.code)
    packing.scan(s.operator, ean(s.a))
    packing.scan(s.operator, ean(s.b))
    with pytest.raises(DomainError, match=r"Items missing: SKU-A × 1") as refused:
        packing.finish(s.operator, "BOX-M", "2")
    assert refused.value.code == "items_missing"
    with pytest.raises(PermissionDenied, match="Only a supervisor"):
        packing.finish(s.operator, "BOX-M", "2", accept_partial=True)
    # The supervisor takes over the same order at their station.
    packing.scan(s.supervisor, s.order.code)
    view, _ = packing.finish(s.supervisor, "BOX-M", "2", accept_partial=True)
    assert view.shipment.partial and view.step == "done"
    assert any(e.kind == "partial" and "SKU-A × 1" in e.message for e in s.order.events)


def test_bad_box_weight_and_empty_parcel_are_refused(packing_setup):
    s = packing_setup()
    packing.scan(s.operator, s.order.code)
    with pytest.raises(DomainError, match="Nothing is packed"):
        packing.finish(s.operator, "BOX-S", "1")
    packing.scan(s.operator, ean(s.a))
    with pytest.raises(DomainError, match="Choose a box size"):
        packing.split_parcel(s.operator, "CRATE", "1")
    with pytest.raises(DomainError, match="not a weight"):
        packing.split_parcel(s.operator, "BOX-S", "heavy")
    with pytest.raises(DomainError, match="over the 5 kg limit"):
        packing.split_parcel(s.operator, "BOX-S", "6")
    view, _ = packing.split_parcel(s.operator, "BOX-S", "0.6")
    with pytest.raises(DomainError, match="Parcel 2 is empty"):
        packing.split_parcel(s.operator, "BOX-S", "0.6")


def test_manual_carrier_asks_for_each_tracking_barcode(packing_setup):
    s = packing_setup(adapter="manual")
    packing.scan(s.operator, s.order.code)
    packing.scan(s.operator, ean(s.a), 2)
    packing.split_parcel(s.operator, "BOX-S", "1")
    packing.scan(s.operator, ean(s.b))
    view, _ = packing.finish(s.operator, "BOX-M", "1.3")
    assert view.step == "tracking" and "parcel 1/2" in view.prompt
    with pytest.raises(DomainError, match="warehouse code"):
        packing.scan(s.operator, "SO-1")
    view, _ = packing.scan(s.operator, "6A12345678901")
    with pytest.raises(DomainError, match="already on PCL-"):
        packing.scan(s.operator, "6A12345678901")
    view, message = packing.scan(s.operator, "6a 12345678902")
    assert view.step == "done" and "is packed" in message
    assert [p.tracking_number for p in view.shipment.parcels] == ["6A12345678901", "6A12345678902"]


def test_orders_not_picked_or_already_packed_are_refused(packing_setup):
    s = packing_setup()
    s.order.status = OrderStatus.ALLOCATED
    with pytest.raises(DomainError, match="not picked"):
        packing.scan(s.operator, s.order.code)
    s.order.status = OrderStatus.PACKED
    with pytest.raises(DomainError, match="already packed"):
        packing.scan(s.operator, s.order.code)
    with pytest.raises(DomainError, match="There is no order SO-999"):  # orders.order_by_code
        packing.scan(s.operator, "SO-999")
    with pytest.raises(DomainError, match="Scan the tote or the order first"):
        packing.scan(s.operator, ean(s.a))


def test_scanning_the_tote_of_a_batch_pick_opens_its_order(packing_setup):
    from wms.domain.picking.models import PickList, PickListOrder

    s = packing_setup()
    pick_list = PickList()
    db.session.add(pick_list)
    db.session.flush()
    db.session.add(PickListOrder(pick_list_id=pick_list.id, order_id=s.order.id, tote="TOTE-007"))
    db.session.flush()
    view, message = packing.scan(s.operator, "tote-007")
    assert view.order.id == s.order.id and "WEBSHOP-1" in message
    view, message = packing.scan(s.operator, "TOTE-007")  # the same tote again: still this order
    assert message == "Packing WEBSHOP-1"
    packing.next_order(s.operator)
    with pytest.raises(DomainError, match="No picked order is in TOTE-008"):
        packing.scan(s.operator, "TOTE-008")


def test_totes_are_looked_up_by_picking_and_orders_by_the_orders_service(packing_setup):
    from wms.domain.picking import services as picking
    from wms.domain.picking.models import PickList, PickListOrder

    s = packing_setup()
    pick_list = PickList()
    db.session.add(pick_list)
    db.session.flush()
    db.session.add(PickListOrder(pick_list_id=pick_list.id, order_id=s.order.id, tote="TOTE-009"))
    db.session.flush()
    assert picking.order_for_tote("TOTE-009") is s.order
    with pytest.raises(DomainError, match="No picked order is in TOTE-010"):
        picking.order_for_tote("TOTE-010")
    assert not hasattr(packing, "_order_for_tote")  # one tote lookup, in picking


@pytest.mark.postgresql
def test_two_packers_on_one_order_lose_no_unit(app, packing_setup, make_user):
    import threading
    import time

    from wms.domain.users.models import User

    s = packing_setup()
    other = make_user("operator")
    packing.scan(s.operator, s.order.code)
    packing.scan(other, s.order.code)  # the same shipment at a second station
    db.session.commit()
    user_ids, code = [s.operator.id, other.id], ean(s.a)
    first_scanned = threading.Event()
    errors = []

    def pack(n):
        with app.app_context():
            try:
                if n == 1:
                    first_scanned.wait(10)
                packing.scan(db.session.get(User, user_ids[n]), code)
                if n == 0:
                    first_scanned.set()
                    time.sleep(0.5)  # the other packer scans the same product meanwhile
                db.session.commit()
            except Exception as exc:  # a lost update or a duplicate parcel item lands here
                db.session.rollback()
                errors.append(repr(exc))
            finally:
                first_scanned.set()
                db.session.remove()

    threads = [threading.Thread(target=pack, args=(n,)) for n in (0, 1)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    db.session.expire_all()
    assert errors == []
    line = db.session.get(OrderLine, s.order.lines[0].id)
    assert line.quantity_packed == 2
    from wms.domain.shipping.models import ParcelItem
    items = db.session.execute(db.select(ParcelItem)).scalars().all()
    assert [(i.order_line_id, i.quantity) for i in items] == [(line.id, 2)]
