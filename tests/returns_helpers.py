"""Shared set-up of the returns tests: an order that shipped, with its parcel and tracking number."""
from __future__ import annotations

from wms.db import db, utcnow
from wms.domain.locations.models import LocationKind
from wms.domain.orders.models import Order, OrderLine, OrderStatus
from wms.domain.shipping.models import Carrier, Parcel, Shipment, ShipmentStatus


def shipped_order(make_product, make_location, *, reference="RETREF001", quantities=(2, 1), shop=None,
                  ps_order_id=None, tracking="TRK000123", locations=True):
    """An order whose lines shipped in full (no ledger: the units are with the customer)."""
    if locations:
        make_location("RETN-01", kind=LocationKind.RETURNS)
        make_location("QUAR-01", kind=LocationKind.QUARANTINE)
    products = [make_product(f"RP-{reference}-{n}") for n in range(1, len(quantities) + 1)]
    order = Order(reference=reference, status=OrderStatus.SHIPPED, shop=shop, ps_order_id=ps_order_id,
                  shipped_at=utcnow())
    for n, (product, qty) in enumerate(zip(products, quantities), start=1):
        order.lines.append(OrderLine(line_no=n, product_id=product.id, sku=product.sku, name=product.name,
                                     quantity=qty, quantity_shipped=qty, ps_order_detail_id=(100 + n) if shop else None))
    db.session.add(order)
    db.session.flush()
    carrier = db.session.query(Carrier).filter_by(code="RETC").one_or_none()
    if carrier is None:
        carrier = Carrier(code="RETC", name="Return test carrier")
        db.session.add(carrier)
        db.session.flush()
    shipment = Shipment(order_id=order.id, carrier_id=carrier.id, status=ShipmentStatus.SHIPPED, shipped_at=utcnow())
    db.session.add(shipment)
    db.session.flush()
    db.session.add(Parcel(shipment_id=shipment.id, carrier_id=carrier.id, tracking_number=tracking))
    db.session.flush()
    return order, products
