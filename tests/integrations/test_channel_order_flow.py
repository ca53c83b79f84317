"""A B2B order sent through the API flows to shipped like a shop order, and the shop never
hears of it: no request to the (fake) shop, no "shipped" message in its outbox. The ERP hears
of it through the order.shipped webhook instead."""
from __future__ import annotations

import json

from sqlalchemy import select

from tests.integrations.sync_helpers import configure_shop
from tests.webhook_receiver import Receiver
from wms.db import db
from wms.domain.inventory import services as inventory
from wms.domain.locations.models import LocationKind
from wms.domain.orders.models import Order, OrderStatus
from wms.domain.packing import services as packing
from wms.domain.picking import services as picking
from wms.domain.picking.allocation import allocate_orders
from wms.domain.shipping import services as shipping
from wms.domain.shipping.models import BoxSize, Carrier
from wms.integrations.prestashop.models import OutboxMessage, OutboxStatus
from wms.integrations.prestashop.sync import run_round
from wms.integrations.webhooks import events as ev
from wms.integrations.webhooks.services import register_endpoint

SECRET = "erp-secret-for-the-b2b-flow-test-0123456789"


def test_a_b2b_order_flows_to_shipped_without_any_call_to_the_shop(app, client, login_as, fake_shop, shop_url,
                                                                  make_location, make_product, make_user):
    configure_shop(app, shop_url, fake_shop.key)
    app.config.update(WEBHOOK_BACKOFF_S=0, WEBHOOK_STOCK_DEBOUNCE_S=0, WEBHOOK_SETTLE_S=0)
    make_location("PACK-01", kind=LocationKind.PACKING)
    bin_a = make_location("A-01-01-1", kind=LocationKind.PICK_FACE)
    bin_b = make_location("A-02-01-1", kind=LocationKind.PICK_FACE)
    a, b = make_product("SKU-A", weight_g=400), make_product("SKU-B", weight_g=1200)
    inventory.receive(a, bin_a, 5)
    inventory.receive(b, bin_b, 3)
    carrier = Carrier(code="RNG", name="Rangex", adapter="range", range_prefix="RX", range_start=1000,
                      range_end=1009, tracking_url="https://track.example/@")
    db.session.add_all([carrier, BoxSize(code="BOX-M", name="Medium box", length_mm=350, width_mm=250,
                                         height_mm=150, tare_g=280)])
    operator = make_user("operator")
    db.session.commit()

    with Receiver() as erp:
        register_endpoint(erp.url, [ev.ORDER_SHIPPED], secret=SECRET)
        db.session.commit()
        login_as("supervisor")
        response = client.post("/api/v1/orders", json={
            "channel": "b2b", "external_ref": "SAGE-CMD-4471", "priority": 10, "carrier": "RNG",
            "customer": {"name": "Boutique Lumière"},
            "ship_to": {"name": "Boutique Lumière", "address1": "3 rue Neuve", "postcode": "69002",
                        "city": "Lyon", "country": "FR"},
            "lines": [{"sku": "SKU-A", "quantity": 2}, {"sku": "SKU-B", "quantity": 1}]})
        assert response.status_code == 201, response.get_json()
        order = db.session.get(Order, response.get_json()["id"])

        # Allocated and picked like a shop order.
        assert order.id in allocate_orders().allocated  # the desk's "Allocate": every NEW order
        db.session.refresh(order)
        assert order.status is OrderStatus.ALLOCATED
        pick_list = picking.create_pick_list([order.id])
        picking.scan(operator, pick_list.code)
        picking.scan(operator, bin_a.code)
        picking.scan(operator, a.main_barcode, 2)
        picking.scan(operator, bin_b.code)
        picking.scan(operator, b.main_barcode)
        assert order.status is OrderStatus.PICKED
        packing.scan(operator, order.code)
        packing.scan(operator, a.main_barcode, 2)
        packing.scan(operator, b.main_barcode)
        view, _ = packing.finish(operator, "BOX-M", "2.2")
        packing.next_order(operator)
        dispatch = shipping.open_dispatch(carrier, operator)
        for parcel in view.shipment.parcels:
            shipping.add_parcel(dispatch, parcel.code, operator)
        shipping.close_dispatch(dispatch, operator)
        db.session.commit()
        assert order.status is OrderStatus.SHIPPED

        report = run_round(app.config)  # the worker's round: import, outbox, stock push
        assert not report.errors, report.errors

    # Nothing about this order went to the shop: no write at all, no shipped message.
    assert [r for r in fake_shop.request_log if r.method in ("POST", "PUT", "PATCH", "DELETE")] == []
    assert fake_shop.requests_to("order_histories") == [] and fake_shop.requests_to("order_carriers") == []
    messages = db.session.execute(select(OutboxMessage)).scalars().all()
    assert [m.kind for m in messages] == ["webhook"] and messages[0].status is OutboxStatus.DONE
    # The ERP got order.shipped with the parcels, carrier and tracking.
    (shipped,) = [json.loads(body) for _, body in erp.accepted]
    data = shipped["data"]
    assert shipped["event"] == ev.ORDER_SHIPPED
    assert (data["channel"], data["external_ref"], data["complete"]) == ("b2b", "SAGE-CMD-4471", True)
    assert data["carrier"]["code"] == "RNG"
    assert [p["tracking_number"] for p in data["parcels"]] == ["RX1000"]
    assert data["parcels"][0]["tracking_url"] == "https://track.example/RX1000"
    assert [(ln["sku"], ln["shipped_now"]) for ln in data["lines"]] == [("SKU-A", 2), ("SKU-B", 1)]
