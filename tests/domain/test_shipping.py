"""Shipping: tracking ranges, dispatch scanning, closing a dispatch, labels and the manifest."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from tests.domain.test_packing import ean, packing_setup  # noqa: F401 (fixture)
from wms.db import db, utcnow
from wms.domain.inventory import services as inventory
from wms.domain.inventory.models import MoveReason, StockMove
from wms.domain.orders.models import OrderStatus
from wms.domain.packing import services as packing
from wms.domain.shipping import services as shipping
from wms.domain.shipping.carriers import RangeCarrier, check_tracking
from wms.domain.shipping.models import Carrier, DispatchStatus, Parcel, ShipmentStatus
from wms.errors import DomainError
from wms.integrations.prestashop.models import OutboxMessage


def packed(s, split=True):
    """Pack the setup's order (two parcels when split) and return its shipment."""
    packing.scan(s.operator, s.order.code)
    packing.scan(s.operator, ean(s.a), 2)
    if split:
        packing.split_parcel(s.operator, "BOX-S", "0.95")
    packing.scan(s.operator, ean(s.b))
    view, _ = packing.finish(s.operator, "BOX-M", "2.2")
    return view.shipment


def test_range_carrier_numbers_parcels_and_refuses_when_exhausted(packing_setup):
    s = packing_setup()
    shipment = packed(s)
    assert [p.tracking_number for p in shipment.parcels] == ["RX1000", "RX1001"]
    parcel = Parcel(carrier_id=s.carrier.id, number=3)
    shipment.parcels.append(parcel)
    assert RangeCarrier().assign(s.carrier, parcel) == "RX1002"
    with pytest.raises(DomainError, match="range of Rangex is used up") as exhausted:
        RangeCarrier().assign(s.carrier, parcel)
    assert exhausted.value.code == "range_exhausted"
    assert s.carrier.range_next == 1003  # the refusal did not move the counter
    shipping.set_tracking_range(s.carrier, 5, 20, prefix="rx")
    assert RangeCarrier().assign(s.carrier, parcel) == "RX05"
    with pytest.raises(DomainError, match="last number not below"):
        shipping.set_tracking_range(s.carrier, 9, 3)


def test_unconfigured_range_carrier_refuses_at_finish(packing_setup):
    s = packing_setup()
    s.carrier.range_start = s.carrier.range_end = None
    packing.scan(s.operator, s.order.code)
    packing.scan(s.operator, ean(s.a), 2)
    packing.scan(s.operator, ean(s.b))
    with pytest.raises(DomainError, match="has no tracking number range"):
        packing.finish(s.operator, "BOX-M", "2")


def test_check_tracking_refuses_junk():
    assert check_tracking(" 6a1234567890\r") == "6A1234567890"
    for junk in ("", "PCL-3", "12", "4006381333931", "ab$%cdefg"):
        with pytest.raises(DomainError):
            check_tracking(junk)


def test_dispatch_scan_close_ships_moves_stock_and_enqueues_once(packing_setup):
    s = packing_setup()
    shipment = packed(s)
    other = Carrier(code="OTH", name="Othercar", adapter="manual")
    db.session.add(other)
    db.session.flush()
    wrong = shipping.open_dispatch(other, s.operator)
    with pytest.raises(DomainError, match="goes with Rangex, not Othercar") as refused:
        shipping.add_parcel(wrong, shipment.parcels[0].code, s.operator)
    assert refused.value.code == "wrong_carrier"

    dispatch = shipping.open_dispatch(s.carrier, s.operator)
    assert shipping.open_dispatch(s.carrier, s.operator).id == dispatch.id
    shipping.add_parcel(dispatch, shipment.parcels[0].code, s.operator)
    with pytest.raises(DomainError, match="scanned twice"):
        shipping.add_parcel(dispatch, shipment.parcels[0].code, s.operator)
    with pytest.raises(DomainError, match="PCL-.* is not scanned"):
        shipping.close_dispatch(dispatch, s.operator)
    shipping.add_parcel(dispatch, "rx1001", s.operator)  # the tracking barcode works too
    with pytest.raises(DomainError, match="no parcels"):
        shipping.close_dispatch(wrong, s.operator)

    shipping.close_dispatch(dispatch, s.operator)
    assert dispatch.status is DispatchStatus.CLOSED
    assert shipment.status is ShipmentStatus.SHIPPED and s.order.status is OrderStatus.SHIPPED
    assert [line.quantity_shipped for line in s.order.lines] == [2, 1]
    assert inventory.stock_at(s.a, s.pack).on_hand == 0 and inventory.stock_at(s.b, s.pack).on_hand == 0
    moves = db.session.execute(select(StockMove).where(StockMove.reason == MoveReason.SHIPPED)).scalars().all()
    assert sorted((m.product_id, m.quantity, m.reference) for m in moves) == sorted(
        [(s.a.id, 2, s.order.code), (s.b.id, 1, s.order.code)])
    assert inventory.ledger_problems() == []
    assert any(e.kind == "shipped" and "RX1000, RX1001" in e.message for e in s.order.events)
    messages = db.session.execute(select(OutboxMessage)).scalars().all()
    assert [(m.kind, m.dedupe_key) for m in messages] == [("order_shipped", f"order_shipped:{shipment.id}")]
    assert json.loads(messages[0].payload_json) == {
        "order_id": s.order.id, "tracking_number": "RX1000", "tracking_numbers": ["RX1000", "RX1001"],
        "carrier_id": s.carrier.id}
    with pytest.raises(DomainError, match="already closed"):
        shipping.close_dispatch(dispatch, s.operator)
    new = shipping.open_dispatch(s.carrier, s.operator)
    with pytest.raises(DomainError, match="already shipped"):
        shipping.add_parcel(new, shipment.parcels[0].code, s.operator)

    data = shipping.manifest_data(s.carrier, utcnow().date())
    assert [p["tracking_number"] for p in data["parcels"]] == ["RX1000", "RX1001"]
    assert shipping.manifest(s.carrier, utcnow().date()).startswith(b"%PDF")


def test_partial_shipment_leaves_a_backorder(packing_setup):
    s = packing_setup(picked=(1, 1), ordered=(2, 1))
    packing.scan(s.supervisor, s.order.code)
    packing.scan(s.supervisor, ean(s.a))
    packing.scan(s.supervisor, ean(s.b))
    view, _ = packing.finish(s.supervisor, "BOX-M", "1.6", accept_partial=True)
    dispatch = shipping.open_dispatch(s.carrier, s.supervisor)
    shipping.add_parcel(dispatch, view.shipment.parcels[0].code, s.supervisor)
    shipping.close_dispatch(dispatch, s.supervisor)
    assert s.order.status is OrderStatus.BACKORDERED
    assert [line.quantity - line.quantity_shipped for line in s.order.lines] == [1, 0]
    assert shipping.packing_slip_data(view.shipment)["order"]["note"] == "Still to come (backordered): SKU-A × 1"


def test_not_packed_parcels_and_unknown_codes_are_refused(packing_setup):
    s = packing_setup()
    packing.scan(s.operator, s.order.code)
    packing.scan(s.operator, ean(s.a), 2)
    parcel = packing.current(s.operator).parcel
    dispatch = shipping.open_dispatch(s.carrier, s.operator)
    with pytest.raises(DomainError, match="still being packed"):
        shipping.add_parcel(dispatch, parcel.code, s.operator)
    with pytest.raises(DomainError, match="PCL-999 does not exist"):
        shipping.add_parcel(dispatch, "PCL-999", s.operator)
    with pytest.raises(DomainError, match="not a parcel packed here"):
        shipping.add_parcel(dispatch, "ZZ999999", s.operator)


def test_labels_and_packing_slip_carry_the_shipment(packing_setup, make_warehouse):
    from pypdf import PdfReader
    import io

    from wms.labels.zpl import parse_zpl

    make_warehouse()
    s = packing_setup()
    shipment = packed(s)
    records = shipping.label_records(shipment)
    assert [(r["parcel"]["number"], r["parcel"]["count"], r["parcel"]["weight_kg"]) for r in records] == [
        (1, 2, 0.95), (2, 2, 2.2)]
    pdf = PdfReader(io.BytesIO(shipping.shipping_labels_pdf(shipment)))
    assert len(pdf.pages) == 2
    text = pdf.pages[1].extract_text()
    for expected in ("Jane Doe", "Lyon", "WEBSHOP-1", "2/2", "2.20 kg", "RX1001", "Demo Shop Ltd"):
        assert expected in text
    import pypdfium2
    import zxingcpp

    page = pypdfium2.PdfDocument(shipping.shipping_labels_pdf(shipment))[1]
    image = page.render(scale=300 / 72).to_pil()
    assert [(r.text, r.format.name) for r in zxingcpp.read_barcodes(image)] == [("RX1001", "Code128")]
    zpl = shipping.shipping_labels_zpl(shipment)
    labels = parse_zpl(zpl)
    assert len(labels) == 2
    barcodes = []
    for label in labels:
        commands = [cmd for cmd, _ in label]
        start = commands.index("BC")  # Code 128, then its field data
        barcodes.append(next(args for cmd, args in label[start:] if cmd == "FD"))
    assert barcodes == ["RX1000", "RX1001"]
    slip = PdfReader(io.BytesIO(shipping.packing_slip(shipment))).pages[0].extract_text()
    assert "SKU-A" in slip and "SKU-B" in slip and "WEBSHOP-1" in slip


def test_reentering_a_tracking_range_continues_after_the_numbers_used(packing_setup):
    s = packing_setup()
    shipment = packed(s)
    assert [p.tracking_number for p in shipment.parcels] == ["RX1000", "RX1001"]
    # The supervisor types the same block again, wider: numbers on parcels are not handed out.
    shipping.set_tracking_range(s.carrier, 1000, 1009, prefix="rx")
    assert s.carrier.range_next == 1002
    parcel = Parcel(carrier_id=s.carrier.id, number=3)
    shipment.parcels.append(parcel)
    assert shipping.assign_tracking(parcel) == "RX1002"
    # Another prefix or another width prints other numbers: nothing of them is used yet.
    shipping.set_tracking_range(s.carrier, 1000, 1009, prefix="RY")
    assert s.carrier.range_next == 1000
    shipping.set_tracking_range(s.carrier, 1000, 10000, prefix="RX")
    assert s.carrier.range_next == 1000  # printed RX01000, never on a parcel
    with pytest.raises(DomainError, match="from 1000 to 1002 is already on a parcel") as used:
        shipping.set_tracking_range(s.carrier, 1000, 1002, prefix="RX")
    assert used.value.code == "range_used"


def test_an_order_cancelled_in_the_shop_after_packing_never_ships(packing_setup):
    from wms.domain.orders.services import cancel_order

    s = packing_setup()
    shipment = packed(s)
    dispatch = shipping.open_dispatch(s.carrier, s.operator)
    shipping.add_parcel(dispatch, shipment.parcels[0].code)
    cancel_order(s.order, "The shop set state 6.", from_shop=True)
    assert s.order.status is OrderStatus.ON_HOLD
    with pytest.raises(DomainError, match="on hold .*Cancelled in the shop after packing") as refused:
        shipping.add_parcel(dispatch, shipment.parcels[1].code)
    assert refused.value.code == "order_not_packed"
    with pytest.raises(DomainError, match="not packed: take PCL-"):
        shipping.close_dispatch(dispatch, s.operator)
    assert shipment.status is ShipmentStatus.PACKED and dispatch.status is DispatchStatus.OPEN
    assert db.session.execute(select(OutboxMessage)).scalars().all() == []


def test_packing_stops_when_the_order_is_held_or_cancelled_on_the_bench(packing_setup):
    s = packing_setup()
    packing.scan(s.operator, s.order.code)
    packing.scan(s.operator, ean(s.a), 2)
    s.order.status = OrderStatus.CANCELLED  # e.g. cancelled while the operator packs it
    with pytest.raises(DomainError, match="is cancelled: stop packing it") as refused:
        packing.scan(s.operator, ean(s.b))
    assert refused.value.code == "not_packing" and s.order.lines[1].quantity_packed == 0
    with pytest.raises(DomainError, match="is cancelled: stop packing it"):
        packing.finish(s.operator, "BOX-M", "1")
    assert s.order.status is OrderStatus.CANCELLED


# ---------------------------------------------------------------- unpacking

@pytest.fixture
def picked_from_bins(app, make_location, make_product, make_user):
    """An order of 2 × A and 1 × B, allocated and picked from two bins, carrier with a range."""
    from wms.domain.locations.models import LocationKind
    from wms.domain.orders.models import Order, OrderLine
    from wms.domain.picking import services as picking
    from wms.domain.picking.allocation import allocate_orders
    from wms.domain.shipping.models import BoxSize

    pack = make_location("PACK-01", kind=LocationKind.PACKING)
    bin_a = make_location("A-01-01-1", kind=LocationKind.PICK_FACE)
    bin_b = make_location("A-02-01-1", kind=LocationKind.PICK_FACE)
    a, b = make_product("SKU-A", weight_g=400), make_product("SKU-B", weight_g=1200)
    inventory.receive(a, bin_a, 5)
    inventory.receive(b, bin_b, 3)
    carrier = Carrier(code="RNG", name="Rangex", adapter="range", range_prefix="RX",
                      range_start=1000, range_end=1009)
    db.session.add_all([carrier, BoxSize(code="BOX-M", name="Medium box", length_mm=350,
                                         width_mm=250, height_mm=150, tare_g=280)])
    db.session.flush()
    order = Order(reference="WEBSHOP-9", carrier_id=carrier.id, shop="default", ps_order_id=99,
                  ship_name="Jane Doe", ship_city="Lyon", ship_country="FR")
    order.lines = [OrderLine(line_no=1, product_id=a.id, sku=a.sku, name=a.name, quantity=2),
                   OrderLine(line_no=2, product_id=b.id, sku=b.sku, name=b.name, quantity=1)]
    db.session.add(order)
    db.session.flush()
    operator, supervisor = make_user("operator"), make_user("supervisor")
    allocate_orders([order.id])
    pick_list = picking.create_pick_list([order.id])
    picking.scan(operator, pick_list.code)
    picking.scan(operator, bin_a.code)
    picking.scan(operator, a.main_barcode, 2)
    picking.scan(operator, bin_b.code)
    picking.scan(operator, b.main_barcode)
    assert order.status is OrderStatus.PICKED
    return type("Setup", (), dict(order=order, a=a, b=b, bin_a=bin_a, bin_b=bin_b, pack=pack,
                                  carrier=carrier, operator=operator, supervisor=supervisor))


def _pack(s):
    packing.scan(s.operator, s.order.code)
    packing.scan(s.operator, s.a.main_barcode, 2)
    packing.scan(s.operator, s.b.main_barcode)
    view, _ = packing.finish(s.operator, "BOX-M", "2.2")
    packing.next_order(s.operator)
    return view.shipment


def test_shop_cancel_after_packing_then_unpack_then_desk_cancel_puts_units_back(picked_from_bins):
    from wms.domain.orders.services import cancel_order, release_order

    s = picked_from_bins
    shipment = _pack(s)
    parcel = shipment.parcels[0]
    dispatch = shipping.open_dispatch(s.carrier, s.operator)
    shipping.add_parcel(dispatch, parcel.code, s.operator)
    cancel_order(s.order, "The shop set state 6.", from_shop=True)
    assert s.order.status is OrderStatus.ON_HOLD
    with pytest.raises(DomainError, match="packed units: unpack"):
        cancel_order(s.order, "customer cancelled", s.supervisor)

    packing.unpack_order(s.order, s.supervisor)
    assert s.order.status is OrderStatus.ON_HOLD  # still held: a supervisor decides what next
    assert shipment.status is ShipmentStatus.CANCELLED
    assert parcel.voided_at is not None and parcel.dispatch_id is None
    assert parcel.tracking_number == "RX1000"  # kept: the number stays reserved
    assert [ln.quantity_packed for ln in s.order.lines] == [0, 0]
    assert [ln.quantity_picked for ln in s.order.lines] == [2, 1]
    assert inventory.stock_at(s.a, s.pack).on_hand == 2  # no stock moved by unpacking
    assert s.order.events[-1].kind == "unpacked" and "RX1000" in s.order.events[-1].message
    assert f"taken off {dispatch.code}" in s.order.events[-1].message
    with pytest.raises(DomainError, match="unpacked and is void") as void:
        shipping.add_parcel(dispatch, parcel.code, s.operator)
    assert void.value.code == "void_parcel"
    with pytest.raises(DomainError, match="unpacked and is void"):
        shipping.add_parcel(dispatch, "RX1000", s.operator)  # its tracking barcode, too

    cancel_order(s.order, "customer cancelled", s.supervisor)
    assert s.order.status is OrderStatus.CANCELLED
    assert inventory.stock_at(s.a, s.bin_a).on_hand == 5 and inventory.stock_at(s.a, s.bin_a).reserved == 0
    assert inventory.stock_at(s.b, s.bin_b).on_hand == 3
    assert inventory.stock_at(s.a, s.pack).on_hand == 0 and inventory.stock_at(s.b, s.pack).on_hand == 0
    assert inventory.ledger_problems() == []
    with pytest.raises(DomainError, match="has no parcels"):
        shipping.close_dispatch(dispatch, s.operator)
    assert db.session.execute(select(OutboxMessage)).scalars().all() == []
    with pytest.raises(DomainError, match="cancelled: there is nothing to unpack"):
        packing.unpack_order(s.order, s.supervisor)
    with pytest.raises(DomainError, match="not on hold"):
        release_order(s.order, s.supervisor)


def test_unpack_then_release_packs_again_with_new_tracking_numbers(picked_from_bins):
    from wms.domain.orders.services import cancel_order, release_order

    s = picked_from_bins
    first = _pack(s)
    cancel_order(s.order, "The shop set state 6.", from_shop=True)
    packing.unpack_order(s.order, s.supervisor)
    release_order(s.order, s.supervisor)
    assert s.order.status is OrderStatus.PICKED  # to pack again
    second = _pack(s)
    assert second.id != first.id and s.order.status is OrderStatus.PACKED
    assert [p.tracking_number for p in second.parcels] == ["RX1001"]  # RX1000 stays void
    # Re-entering the range never hands out the void parcel's number either.
    shipping.set_tracking_range(s.carrier, 1000, 1009, prefix="RX")
    assert s.carrier.range_next == 1002
    dispatch = shipping.open_dispatch(s.carrier, s.operator)
    shipping.add_parcel(dispatch, second.parcels[0].code, s.operator)
    shipping.close_dispatch(dispatch, s.operator)
    assert s.order.status is OrderStatus.SHIPPED
    messages = db.session.execute(select(OutboxMessage)).scalars().all()
    assert [m.payload["tracking_numbers"] for m in messages] == [["RX1001"]]
    assert inventory.ledger_problems() == []


def test_unpacking_a_packed_order_sends_it_back_to_packing(picked_from_bins):
    s = picked_from_bins
    shipment = _pack(s)
    packing.unpack_order(s.order, s.supervisor)
    assert s.order.status is OrderStatus.PICKED and shipment.status is ShipmentStatus.CANCELLED
    with pytest.raises(DomainError, match="no packed units") as nothing:
        s.order.status = OrderStatus.PACKED  # as if: the check is on the parcels, not the status
        packing.unpack_order(s.order, s.supervisor)
    assert nothing.value.code == "nothing_packed"


def test_unpack_refuses_a_shipped_order_a_closed_dispatch_and_an_order_on_the_bench(picked_from_bins):
    s = picked_from_bins
    packing.scan(s.operator, s.order.code)
    packing.scan(s.operator, s.a.main_barcode)
    with pytest.raises(DomainError, match="is packing: finish packing it") as bench:
        packing.unpack_order(s.order, s.supervisor)
    assert bench.value.code == "not_unpackable"
    packing.scan(s.operator, s.a.main_barcode)
    packing.scan(s.operator, s.b.main_barcode)
    shipment = packing.finish(s.operator, "BOX-M", "2.2")[0].shipment
    dispatch = shipping.open_dispatch(s.carrier, s.operator)
    shipping.add_parcel(dispatch, shipment.parcels[0].code, s.operator)
    shipping.close_dispatch(dispatch, s.operator)
    with pytest.raises(DomainError, match="is shipped: there is nothing to unpack"):
        packing.unpack_order(s.order, s.supervisor)
    # Even held again by hand, parcels that left with a closed dispatch stay as they are.
    s.order.status = OrderStatus.ON_HOLD
    shipment.status = ShipmentStatus.PACKED
    s.order.lines[0].quantity_shipped = 0
    with pytest.raises(DomainError, match=f"left with {dispatch.code}") as gone:
        packing.unpack_order(s.order, s.supervisor)
    assert gone.value.code == "already_dispatched" and shipment.status is ShipmentStatus.PACKED


def test_released_without_unpacking_the_parcels_go_on_to_the_dispatch(picked_from_bins):
    from wms.domain.orders.services import cancel_order, release_order

    s = picked_from_bins
    shipment = _pack(s)
    cancel_order(s.order, "The shop set state 6.", from_shop=True)
    release_order(s.order, s.supervisor)  # the shop took the cancellation back
    assert s.order.status is OrderStatus.PACKED
    dispatch = shipping.open_dispatch(s.carrier, s.operator)
    shipping.add_parcel(dispatch, shipment.parcels[0].code, s.operator)
    shipping.close_dispatch(dispatch, s.operator)
    assert s.order.status is OrderStatus.SHIPPED and inventory.ledger_problems() == []


def test_released_mid_packing_goes_back_to_the_bench(picked_from_bins):
    from wms.domain.orders.services import cancel_order, release_order

    s = picked_from_bins
    packing.scan(s.operator, s.order.code)
    packing.scan(s.operator, s.a.main_barcode)
    cancel_order(s.order, "The shop set state 6.", from_shop=True)
    assert s.order.status is OrderStatus.ON_HOLD
    release_order(s.order, s.supervisor)
    assert s.order.status is OrderStatus.PACKING
    packing.scan(s.operator, s.a.main_barcode)  # the packer carries on
    assert s.order.lines[0].quantity_packed == 2
