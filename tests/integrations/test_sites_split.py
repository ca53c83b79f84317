"""A split order (issue 14) against the fake shop: each site ships its part with its own
tracking number; the shop gets one "Shipped" state, when the last part left, with every number."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.domain.test_sites import _fulfil
from tests.integrations.sync_helpers import client_for, configure_shop, mirror_catalog
from wms.db import db
from wms.domain.inventory import services as inventory
from wms.domain.locations.models import Location, LocationKind
from wms.domain.orders.models import Order, OrderStatus
from wms.domain.picking.allocation import allocate_orders
from wms.domain.shipping.models import BoxSize, Carrier
from wms.integrations.prestashop.outbox import process_outbox
from wms.integrations.prestashop.shops import shop_settings
from wms.integrations.prestashop.sync import import_orders


@pytest.fixture
def settings(app, fake_shop, shop_url):
    return configure_shop(app, shop_url, fake_shop.key, PRESTASHOP_SPLIT_POLICY="split")


@pytest.mark.parametrize("partial_state", [None, 3])
def test_a_split_shop_order_is_shipped_once_with_every_tracking_number(app, fake_shop, settings, make_warehouse,
                                                                       make_user, partial_state):
    """With partial_state: the shop has a "partially shipped" state (here 3), set when the first part left."""
    if partial_state:
        app.config["PRESTASHOP_PARTIAL_SHIPPED_STATE"] = str(partial_state)
        settings = shop_settings("default", app.config)
    p1 = fake_shop.add_product(reference="SPL-1", ean13="3000000000205", quantity=10)
    p2 = fake_shop.add_product(reference="SPL-2", ean13="3000000000212", quantity=10)
    ps_id = fake_shop.add_order(lines=[{"product_id": p1, "quantity": 2}, {"product_id": p2, "quantity": 3}])
    products = mirror_catalog(fake_shop)
    carrier = db.session.execute(select(Carrier).where(Carrier.ps_id_reference == 2)).scalar_one()
    carrier.adapter, carrier.range_prefix, carrier.range_start, carrier.range_end = "range", "SP", 100, 999
    db.session.add(BoxSize(code="BOX-M", name="Medium box", length_mm=350, width_mm=250, height_mm=150,
                           tare_g=280, max_weight_g=15000))
    for code, name, prefix, product, qty in (("PAR", "Paris", "A", "SPL-1", 2), ("LYO", "Lyon", "B", "SPL-2", 3)):
        site = make_warehouse(code, name)
        face = Location(warehouse_id=site.id, code=f"{prefix}-01-01-1", kind=LocationKind.PICK_FACE, aisle=1, pos_y=1.2)
        db.session.add_all([face, Location(warehouse_id=site.id, code=f"PAK{prefix}-01", kind=LocationKind.PACKING)])
        db.session.flush()
        inventory.receive(products[product], face, qty)
    db.session.commit()
    client = client_for(settings)
    try:
        import_orders(settings, client)
        order = db.session.execute(select(Order).where(Order.ps_order_id == ps_id)).scalar_one()
        allocate_orders([order.id])
        [part] = order.parts
        assert order.status is OrderStatus.ALLOCATED and part.status is OrderStatus.ALLOCATED
        assert order.warehouse_id != part.warehouse_id
        db.session.commit()
        s = type("S", (), dict(operator=make_user("operator"), carrier=carrier))
        first = _fulfil(s, order)
        db.session.commit()
        assert process_outbox(lambda shop: (settings, client)).done == (1 if partial_state else 0)
        assert [h for h in fake_shop.histories(ps_id) if h["id_order_state"] == 4] == []
        if partial_state:
            assert fake_shop.histories(ps_id)[-1]["id_order_state"] == partial_state
            assert fake_shop.order_carriers_of(ps_id)[0]["tracking_number"] == first.parcels[0].tracking_number
        second = _fulfil(s, part)
        db.session.commit()
        process_outbox(lambda shop: (settings, client))
        shipped = [h for h in fake_shop.histories(ps_id) if h["id_order_state"] == 4]
        assert len(shipped) == 1
        numbers = [p.tracking_number for p in first.parcels + second.parcels]
        assert len(set(numbers)) == 2
        [row] = fake_shop.order_carriers_of(ps_id)
        assert row["tracking_number"] == ", ".join(numbers)
        # The shop's next change of the order: its lines still match the parent and its part.
        import_orders(settings, client)
        db.session.expire_all()
        assert not [e for e in order.events if e.kind in ("shop_lines_changed", "resynced")]
        assert inventory.ledger_problems() == []
    finally:
        client.close()
