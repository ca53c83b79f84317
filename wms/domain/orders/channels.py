"""Orders from other channels (B2B, marketplaces, phone) sent by other systems through the API.

They are allocated, picked, packed and shipped like shop orders, and never pushed to a shop
(`Order.from_shop` is False for them). An order is all-or-nothing (every wrong line listed), and
idempotent on (channel, external_ref): the same order sent again changes nothing; a changed one
is applied while the order is not started (nothing allocated or picked), refused after.
"""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from wms.db import db, utcnow
from wms.domain.orders.models import SHOP_CHANNEL, Order, OrderLine, OrderStatus, record_event
from wms.domain.orders.routing import route_new_orders
from wms.domain.receiving.asn import CREATED, UNCHANGED, UPDATED, resolve_skus
from wms.errors import Conflict, DomainError, NotFound
from wms.i18n import _, ngettext

ADDRESS_FIELDS = ("name", "company", "address1", "address2", "postcode", "city", "country", "phone")


def order_by_external_ref(channel: str, external_ref: str, *, lock: bool = False) -> Order | None:
    query = select(Order).where(Order.channel == channel, Order.external_ref == external_ref)
    if lock:
        query = query.with_for_update()
    return db.session.execute(query).scalar_one_or_none()


def _header(data: dict) -> dict:
    """The order's columns from the request (everything but the lines)."""
    from wms.domain.shipping.services import carrier_by_code

    try:
        carrier_id = carrier_by_code(data["carrier"]).id if data.get("carrier") else None
    except NotFound as exc:
        raise DomainError(_("%(message)s Use a carrier code the warehouse has (desk > Master "
                            "data).", message=exc.message),
                          code="unknown_carrier") from None
    address = data.get("ship_to") or {}
    customer = data.get("customer") or {}
    values = {"reference": data.get("reference") or data["external_ref"], "priority": data.get("priority", 0),
              "carrier_id": carrier_id, "ship_by": data.get("ship_by"),
              "customer_name": customer.get("name"), "customer_email": customer.get("email"),
              "language": (data.get("language") or "").lower().replace("_", "-") or None}
    values.update({f"ship_{f}": address.get(f) for f in ADDRESS_FIELDS})
    if values["ship_country"]:
        values["ship_country"] = values["ship_country"].upper()
    return values


def _not_started(order: Order) -> bool:
    return order.status in (OrderStatus.NEW, OrderStatus.ON_HOLD) and not any(
        ln.quantity_allocated or ln.quantity_picked or ln.quantity_packed or ln.quantity_shipped for ln in order.lines)


def upsert_channel_order(data: dict, *, user=None) -> tuple[Order, str]:
    """Create an order of another channel, or update it while not started; return it and what happened.

    ``data``: channel, external_ref, reference, priority, carrier (code), ship_by, customer {name,
    email}, ship_to {name, company, address1, address2, postcode, city, country, phone},
    lines [{sku, quantity, name}].
    """
    channel, ref = data["channel"], data["external_ref"]
    if channel == SHOP_CHANNEL:
        raise DomainError(_("Channel %(shop_channel)s is the shop's own: its orders come from "
                            "the shop import. Name your channel (e.g. 'b2b', 'marketplace').",
                            shop_channel=repr(SHOP_CHANNEL)), code="invalid")
    products = resolve_skus(data["lines"])
    header = _header(data)
    lines = [(products[str(ln["sku"]).strip()], int(ln["quantity"]), ln.get("name")) for ln in data["lines"]]
    order = order_by_external_ref(channel, ref, lock=True)
    if order is None:
        order = Order(channel=channel, external_ref=ref, shop=None, status=OrderStatus.NEW, ordered_at=utcnow(),
                      **header)
        order.lines = [OrderLine(line_no=n, product_id=p.id, sku=p.sku, name=(name or p.name)[:255], quantity=qty)
                       for n, (p, qty, name) in enumerate(lines, start=1)]
        try:
            with db.session.begin_nested():
                db.session.add(order)
        except IntegrityError:
            order = order_by_external_ref(channel, ref, lock=True)
            if order is None:
                raise
        else:
            record_event(order, "received", ngettext("Received from channel %(channel)s "
                                                     "(%(ref)s) through the API, %(num)d line.",
                                                     "Received from channel %(channel)s "
                                                     "(%(ref)s) through the API, %(num)d lines.",
                                                     len(lines), channel=channel, ref=ref), user)
            db.session.flush()
            route_new_orders([order])  # its site shows on the desk at once
            return order, CREATED
    same_header = all(getattr(order, k) == v for k, v in header.items())
    same_lines = [(ln.product_id, ln.quantity) for ln in order.lines] == [(p.id, q) for p, q, _ in lines]
    if same_header and same_lines:
        return order, UNCHANGED
    if order.status is OrderStatus.CANCELLED:
        raise Conflict(_("%(code)s (%(channel)s %(ref)s) was cancelled: send it again under a "
                         "new reference.", code=order.code, channel=channel, ref=ref))
    if not _not_started(order):
        raise Conflict(_("%(code)s (%(channel)s %(ref)s) is %(status)s: it can no longer be "
                         "changed. Cancel it (POST /api/v1/orders/{id}/cancel) while it is not "
                         "packed, and send a new order.",
                         code=order.code, channel=channel, ref=ref, status=order.status.label.lower()))
    for key, value in header.items():
        setattr(order, key, value)
    if not same_lines:
        order.lines.clear()
        db.session.flush()
        order.lines.extend(OrderLine(line_no=n, product_id=p.id, sku=p.sku, name=(name or p.name)[:255], quantity=qty)
                           for n, (p, qty, name) in enumerate(lines, start=1))
    record_event(order, "updated", _("Updated by channel %(channel)s through the API.",
                                     channel=channel), user)
    db.session.flush()
    route_new_orders([order])  # other lines, carrier or country: maybe another site
    return order, UPDATED
