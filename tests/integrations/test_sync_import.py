"""Test the order import against the fake shop: paging, crash and resume, mapping, holds, changes."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from tests.integrations.sync_helpers import client_for, configure_shop, mirror_catalog
from wms.db import db
from wms.domain.catalog.models import Product
from wms.domain.inventory.models import StockLevel
from wms.domain.locations.models import LocationKind
from wms.domain.orders.models import Order, OrderEvent, OrderStatus
from wms.integrations.prestashop import sync
from wms.integrations.prestashop.models import SyncCursor
from wms.integrations.prestashop.sync import import_orders, release_held_orders


@pytest.fixture
def settings(app, fake_shop, shop_url):
    return configure_shop(app, shop_url, fake_shop.key)


@pytest.fixture
def client(settings):
    c = client_for(settings)
    yield c
    c.close()


def order_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Order))


def only_order() -> Order:
    return db.session.execute(select(Order)).scalar_one()


def test_import_1000_orders_over_pages_with_a_crash_in_between(app, fake_shop, settings, client, monkeypatch):
    fake_shop.generate_orders(1000, states=(2, 3, 11), seed=7)
    mirror_catalog(fake_shop)
    real_build = sync._build_order
    calls = {"n": 0}

    def crashing_build(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 351:  # in the middle of the fourth page of 100
            raise RuntimeError("worker killed")
        return real_build(*args, **kwargs)

    monkeypatch.setattr(sync, "_build_order", crashing_build)
    with pytest.raises(RuntimeError, match="worker killed"):
        import_orders(settings, client)
    db.session.rollback()
    # Three whole pages committed; the half page is gone, and the cursor did not pass it.
    assert order_count() == 300
    cursor = db.session.execute(select(SyncCursor)).scalar_one()
    third_page_last = max(o.ps_date_upd for o in db.session.execute(select(Order)).scalars())
    assert cursor.last_date_upd == third_page_last.replace(tzinfo=None)

    monkeypatch.setattr(sync, "_build_order", real_build)
    result = import_orders(settings, client)
    assert order_count() == 1000
    assert result.imported == 700 and not result.errors
    ids = db.session.execute(select(Order.ps_order_id)).scalars().all()
    assert sorted(ids) == sorted(fake_shop.tables["orders"])
    assert db.session.scalar(select(func.count()).select_from(Order).where(Order.status == OrderStatus.NEW)) == 1000

    # A third run finds nothing new and creates nothing.
    again = import_orders(settings, client)
    assert again.imported == 0 and order_count() == 1000

    # Batched: never one request per order for bodies, addresses or customers.
    log = fake_shop.request_log
    assert not [r for r in log if r.ident is not None]
    assert len([r for r in log if r.resource == "addresses"]) <= 12
    assert len([r for r in log if r.resource == "customers"]) <= 12
    assert len([r for r in log if r.resource == "orders"]) <= 15


def test_import_keeps_address_customer_carrier_totals_and_is_idempotent(app, fake_shop, settings, client):
    customer = fake_shop.add_customer(email="ada@example.com", firstname="Ada", lastname="Lovelace")
    address = fake_shop.add_address(customer, firstname="Ada", lastname="King", company="Analytical Ltd",
                                    address1="12 Engine St", postcode="W1 1AA", city="London", id_country=17,
                                    phone_mobile="+44 7000 000000")
    ps_id = fake_shop.add_order(customer_id=customer, address_id=address, reference="XKBKNABJK", shipping="4.99")
    mirror_catalog(fake_shop)

    first = import_orders(settings, client)
    assert first.imported == 1
    order = only_order()
    assert (order.shop, order.ps_order_id, order.reference) == ("default", ps_id, "XKBKNABJK")
    assert (order.customer_name, order.customer_email) == ("Ada Lovelace", "ada@example.com")
    assert (order.ship_name, order.ship_company, order.ship_city) == ("Ada King", "Analytical Ltd", "London")
    assert order.ship_country == fake_shop.tables["countries"][17]["iso_code"]
    assert order.ship_phone == "+44 7000 000000"
    assert order.carrier is not None and order.carrier.ps_id_reference == 2
    assert str(order.total_paid) == "24.89" and str(order.total_shipping) == "4.99"
    assert order.lines[0].product.sku.startswith("AUTO-")

    events = db.session.scalar(select(func.count()).select_from(OrderEvent))
    assert import_orders(settings, client).imported == 0
    assert order_count() == 1
    assert db.session.scalar(select(func.count()).select_from(OrderEvent)) == events


def test_unknown_product_is_imported_on_hold_with_the_reason(app, fake_shop, settings, client):
    known = fake_shop.add_product(reference="KNOWN-1", ean13="3000000000017")
    mystery = fake_shop.add_product(reference="MYSTERY-9", ean13="3000000000024", name="Mystery mug")
    fake_shop.add_order(lines=[{"product_id": known}, {"product_id": mystery, "quantity": 2}])
    mirror_catalog(fake_shop, skip_references={"MYSTERY-9"})

    result = import_orders(settings, client)
    assert (result.imported, result.held) == (1, 1)
    order = only_order()
    assert order.status == OrderStatus.ON_HOLD
    assert "MYSTERY-9" in order.hold_reason and "Mystery mug" in order.hold_reason
    assert [ln.product_id is None for ln in order.lines] == [False, True]
    assert [e.kind for e in order.events if e.kind == "hold"] == ["hold"]

    # Nothing changes while the product is still unknown.
    assert release_held_orders("default") == 0
    db.session.add(Product(sku="MYSTERY-9", name="Mystery mug"))
    db.session.flush()
    assert release_held_orders("default") == 1
    assert order.status == OrderStatus.NEW and order.hold_reason is None


def test_lines_map_by_sku_then_ean_then_shop_ids(app, fake_shop, settings, client):
    by_ean = fake_shop.add_product(reference="SHOP-REF-A", ean13="3760000000019")
    by_ids = fake_shop.add_product(reference="SHOP-REF-B", ean13="")
    fake_shop.add_order(lines=[{"product_id": by_ean}, {"product_id": by_ids}])
    from wms.domain.catalog.models import Barcode, Symbology

    ean_product = Product(sku="WMS-A", name="A")
    ean_product.barcodes.append(Barcode(code="3760000000019", symbology=Symbology.EAN13))
    ids_product = Product(sku="WMS-B", name="B", ps_product_id=by_ids, ps_combination_id=0)
    db.session.add_all([ean_product, ids_product])
    db.session.commit()

    import_orders(settings, client)
    order = only_order()
    assert order.status == OrderStatus.NEW
    assert [ln.product.sku for ln in order.lines] == ["WMS-A", "WMS-B"]


def test_order_awaiting_payment_is_imported_once_paid(app, fake_shop, settings, client):
    ps_id = fake_shop.add_order(state=10)
    mirror_catalog(fake_shop)
    assert import_orders(settings, client).imported == 0
    fake_shop.set_order_state(ps_id, 2)
    assert import_orders(settings, client).imported == 1
    assert only_order().ps_state == 2


def test_cancelled_order_is_cancelled_and_its_reservation_released(app, fake_shop, settings, client, make_location):
    from wms.domain.inventory.services import receive
    from wms.domain.picking.allocation import allocate_orders

    ps_id = fake_shop.add_order()
    products = mirror_catalog(fake_shop)
    product = next(iter(products.values()))
    bin_ = make_location("A-01-01-1", kind=LocationKind.PICK_FACE)
    receive(product, bin_, 10)
    db.session.commit()
    import_orders(settings, client)
    order = only_order()
    allocate_orders([order.id])
    db.session.commit()
    level = db.session.execute(select(StockLevel)).scalar_one()
    assert order.status == OrderStatus.ALLOCATED and level.reserved == 1

    fake_shop.set_order_state(ps_id, 6)
    result = import_orders(settings, client)
    assert result.cancelled == 1
    db.session.refresh(level)
    assert order.status == OrderStatus.CANCELLED and level.reserved == 0 and level.on_hand == 10
    assert any(e.kind == "cancelled" for e in order.events)


def test_lines_changed_in_the_shop_before_picking_are_resynchronised(app, fake_shop, settings, client):
    ps_id = fake_shop.add_order()
    mirror_catalog(fake_shop)
    import_orders(settings, client)
    order = only_order()
    assert order.lines[0].quantity == 1

    with fake_shop._lock:
        row = fake_shop.tables["orders"][ps_id]
        row["associations"]["order_rows"][0]["product_quantity"] = 4
        row["date_upd"] = fake_shop.stamp()
    result = import_orders(settings, client)
    assert result.resynced == 1
    db.session.refresh(order)
    assert [ln.quantity for ln in order.lines] == [4]
    assert order.status == OrderStatus.NEW
    assert any(e.kind == "resynced" for e in order.events)


def test_order_changed_between_two_pages_is_not_lost(app, fake_shop, settings, client, monkeypatch):
    ids = fake_shop.generate_orders(25, seed=3)
    mirror_catalog(fake_shop)
    settings = type(settings)(**{**settings.__dict__, "page_size": 10})
    real_page = sync._import_page
    state = {"pages": 0}

    def page_then_change(ctx, rows, result):
        state["pages"] += 1
        if state["pages"] == 1:
            # The back office touches an order of this page while we write it: it moves to
            # the end of the date_upd order, and offset paging would skip the 11th order.
            fake_shop.set_order_state(ids[3], 3)
        return real_page(ctx, rows, result)

    monkeypatch.setattr(sync, "_import_page", page_then_change)
    import_orders(settings, client)
    assert order_count() == 25


def test_first_import_reads_only_importable_states_since_the_configured_date(app, fake_shop, shop_url, client):
    old = fake_shop.add_order()
    fake_shop.now = fake_shop.now.replace(month=6)
    fake_shop.add_order(state=4)  # already shipped by the merchant: never imported
    recent = fake_shop.add_order()
    mirror_catalog(fake_shop)
    settings = configure_shop(app, shop_url, fake_shop.key, PRESTASHOP_IMPORT_SINCE="2026-05-15")
    assert import_orders(settings, client).imported == 1
    assert only_order().ps_order_id == recent
    first_query = [r for r in fake_shop.request_log if r.resource == "orders"][0].query
    assert first_query["filter[current_state]"] == "[2|3|11]"
    assert old not in db.session.execute(select(Order.ps_order_id)).scalars().all()
    with pytest.raises(ValueError, match="PRESTASHOP_IMPORT_SINCE"):
        configure_shop(app, shop_url, fake_shop.key, PRESTASHOP_IMPORT_SINCE="mid-May")


def test_a_shop_being_imported_by_another_worker_is_left_alone(app, fake_shop, settings, client):
    from datetime import timedelta

    from wms.db import utcnow
    from wms.integrations.prestashop.sync import get_cursor

    fake_shop.add_order()
    mirror_catalog(fake_shop)
    cursor = get_cursor("default")
    cursor.locked_by, cursor.lease_until = "other-worker", utcnow() + timedelta(minutes=5)
    db.session.commit()
    result = import_orders(settings, client)
    assert result.busy and result.imported == 0 and order_count() == 0
    # A lease that ran out (its worker died) is taken over.
    cursor = get_cursor("default")
    cursor.lease_until = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert import_orders(settings, client).imported == 1
    assert get_cursor("default").locked_by is None


def test_cancelled_order_already_picked_puts_the_units_back(app, fake_shop, settings, client, make_location):
    from wms.domain.inventory.models import MoveReason
    from wms.domain.inventory.services import ledger_problems, move, receive
    from wms.domain.picking.allocation import allocate_orders, open_allocations

    product_id = fake_shop.add_product(reference="PICKED-1", quantity=20)
    ps_id = fake_shop.add_order(lines=[{"product_id": product_id, "quantity": 2}])
    product = mirror_catalog(fake_shop)["PICKED-1"]
    bin_ = make_location("A-01-01-1", kind=LocationKind.PICK_FACE)
    packing = make_location("PACK-01", kind=LocationKind.PACKING)
    receive(product, bin_, 10)
    db.session.commit()
    import_orders(settings, client)
    order = only_order()
    allocate_orders([order.id])
    # Picked the way the picking flow does it: bin -> packing, consuming the reservation.
    [allocation] = open_allocations(order)
    move(product, bin_, packing, 2, reason=MoveReason.PICKED, reference="PL-1", from_reserved=2)
    allocation.picked += 2
    order.lines[0].quantity_picked += 2
    order.status = OrderStatus.PICKED
    db.session.commit()

    fake_shop.set_order_state(ps_id, 7)  # refunded
    assert import_orders(settings, client).cancelled == 1
    levels = {lv.location_id: lv for lv in db.session.execute(select(StockLevel)).scalars()}
    assert order.status == OrderStatus.CANCELLED
    assert (levels[bin_.id].on_hand, levels[bin_.id].reserved) == (10, 0)
    assert levels[packing.id].on_hand == 0
    assert "2 picked units put back" in order.events[-1].message
    assert ledger_problems() == []


def test_shop_cancellation_after_packing_holds_the_order_instead_of_cancelling(
        app, fake_shop, settings, client, make_location):
    from wms.domain.inventory.services import ledger_problems, receive

    product_id = fake_shop.add_product(reference="PACKED-1", quantity=20)
    ps_id = fake_shop.add_order(lines=[{"product_id": product_id, "quantity": 2}])
    product = mirror_catalog(fake_shop)["PACKED-1"]
    packing = make_location("PACK-01", kind=LocationKind.PACKING)
    receive(product, packing, 2)  # the two units picked and packed, waiting for the carrier
    db.session.commit()
    import_orders(settings, client)
    order = only_order()
    line = order.lines[0]
    line.quantity_allocated = line.quantity_picked = line.quantity_packed = 2
    order.status = OrderStatus.PACKED
    db.session.commit()

    fake_shop.set_order_state(ps_id, 6)
    result = import_orders(settings, client)
    assert (result.cancelled, result.held) == (0, 1)
    assert order.status is OrderStatus.ON_HOLD
    assert order.hold_reason.startswith("Cancelled in the shop after packing: unpack the parcels")
    # Nothing moved: the goods are in a parcel until someone unpacks it.
    level = db.session.execute(select(StockLevel)).scalar_one()
    assert (level.location_id, level.on_hand) == (packing.id, 2)
    assert line.quantity_packed == 2 and ledger_problems() == []
    # One cancel for the desk and the shop.
    from wms.domain.orders import services as order_services
    assert sync.cancel_order is order_services.cancel_order


def test_lines_changed_while_on_a_pick_list_take_the_order_off_it(app, fake_shop, settings, client, make_location):
    from wms.domain.inventory.services import receive
    from wms.domain.picking import services as picking
    from wms.domain.picking.allocation import allocate_orders
    from wms.domain.picking.models import PickListStatus

    ps_id = fake_shop.add_order()
    product = next(iter(mirror_catalog(fake_shop).values()))
    receive(product, make_location("A-01-01-1", kind=LocationKind.PICK_FACE), 10)
    db.session.commit()
    import_orders(settings, client)
    order = only_order()
    allocate_orders([order.id])
    pick_list = picking.create_pick_list([order.id])
    db.session.commit()

    with fake_shop._lock:
        row = fake_shop.tables["orders"][ps_id]
        row["associations"]["order_rows"][0]["product_quantity"] = 3
        row["date_upd"] = fake_shop.stamp()
    assert import_orders(settings, client).resynced == 1
    assert order.status is OrderStatus.NEW and pick_list.status is PickListStatus.CANCELLED
    allocate_orders([order.id])
    assert order.status is OrderStatus.ALLOCATED and order in picking.pickable_orders()
