"""Customer orders (imported from PrestaShop or created by hand) and their history."""
from __future__ import annotations

import enum
from datetime import datetime
from decimal import Decimal

from sqlalchemy import ForeignKey, Index, Numeric, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from wms.db import UTCDateTime, created_at_column, db, enum_column
from wms.i18n import N_, _


class OrderStatus(enum.Enum):
    NEW = N_("To allocate")
    BACKORDERED = N_("Backordered")
    ALLOCATED = N_("To pick")
    PICKING = N_("Picking")
    PICKED = N_("To pack")
    PACKING = N_("Packing")
    PACKED = N_("Packed")
    SHIPPED = N_("Shipped")
    ON_HOLD = N_("On hold")
    CANCELLED = N_("Cancelled")

    @property
    def label(self) -> str:
        return _(self.value)


SHOP_CHANNEL = "prestashop"

OPEN_STATUSES = tuple(s for s in OrderStatus if s not in (OrderStatus.SHIPPED, OrderStatus.CANCELLED))


class Order(db.Model):
    __tablename__ = "customer_order"
    __table_args__ = (
        UniqueConstraint("shop", "ps_order_id", name="uq_customer_order_shop_ps_order_id"),
        # The sender's own order number, once per channel (an order posted twice is stored once).
        UniqueConstraint("channel", "external_ref", name="uq_customer_order_channel_external_ref"),
        Index("ix_customer_order_status", "status"),
        Index("ix_customer_order_warehouse_id", "warehouse_id"),
        Index("ix_customer_order_parent_id", "parent_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Which shop the order came from ("default" for the first); None for manual orders.
    shop: Mapped[str | None] = mapped_column(String(32))
    ps_order_id: Mapped[int | None]
    # Where the order came from: "prestashop" for shop orders (the only ones ever pushed to a
    # shop), else the sender's channel name given through the API ("b2b", "marketplace", ...).
    channel: Mapped[str] = mapped_column(String(32), default=SHOP_CHANNEL, server_default=SHOP_CHANNEL)
    external_ref: Mapped[str | None] = mapped_column(String(64))
    reference: Mapped[str] = mapped_column(String(64))
    status: Mapped[OrderStatus] = enum_column(OrderStatus, default=OrderStatus.NEW)
    hold_reason: Mapped[str | None] = mapped_column(String(500))
    ps_state: Mapped[int | None]
    ps_date_upd: Mapped[datetime | None] = mapped_column(UTCDateTime())

    customer_name: Mapped[str | None] = mapped_column(String(200))
    customer_email: Mapped[str | None] = mapped_column(String(200))
    # The customer's language as the shop recorded it (ISO code, e.g. "fr"): the packing slip
    # speaks it. None: the warehouse's default language.
    language: Mapped[str | None] = mapped_column(String(8))
    ship_name: Mapped[str | None] = mapped_column(String(200))
    ship_company: Mapped[str | None] = mapped_column(String(200))
    ship_address1: Mapped[str | None] = mapped_column(String(200))
    ship_address2: Mapped[str | None] = mapped_column(String(200))
    ship_postcode: Mapped[str | None] = mapped_column(String(20))
    ship_city: Mapped[str | None] = mapped_column(String(80))
    ship_country: Mapped[str | None] = mapped_column(String(2))
    ship_phone: Mapped[str | None] = mapped_column(String(40))
    # The relay point (pick-up point) the customer chose in the shop, for relay services.
    relay_point_id: Mapped[str | None] = mapped_column(String(32))

    carrier_id: Mapped[int | None] = mapped_column(ForeignKey("carrier.id"))
    # The site that ships it; None until routed (wms.domain.orders.routing).
    warehouse_id: Mapped[int | None] = mapped_column(ForeignKey("warehouse.id"))
    # Why it was routed there, shown on the order page.
    routing_reason: Mapped[str | None] = mapped_column(String(500))
    # A supervisor chose the site on the desk: allocation keeps it (an import's site is a
    # forecast that the first allocation checks against the stock of that moment).
    site_pinned: Mapped[bool] = mapped_column(default=False, server_default=false())
    # A part of a split order: the shop order it belongs to (the part is never pushed itself;
    # the shop hears "shipped" from the parent once every part left).
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("customer_order.id"))
    total_paid: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    total_shipping: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    currency: Mapped[str | None] = mapped_column(String(3))
    # Higher goes first when stock is scarce; express and cut-off raise it.
    priority: Mapped[int] = mapped_column(default=0)
    # A demo order (`wms demo`): the PrestaShop connector never tells a shop about it.
    is_demo: Mapped[bool] = mapped_column(default=False, server_default=false())
    ship_by: Mapped[datetime | None] = mapped_column(UTCDateTime())
    ordered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = created_at_column()
    shipped_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    lines: Mapped[list["OrderLine"]] = relationship(
        back_populates="order", cascade="all, delete-orphan", order_by="OrderLine.line_no")
    events: Mapped[list["OrderEvent"]] = relationship(
        back_populates="order", cascade="all, delete-orphan", order_by="OrderEvent.id")
    carrier = relationship("Carrier")
    warehouse = relationship("Warehouse")
    parent = relationship("Order", remote_side="Order.id", back_populates="parts")
    parts: Mapped[list["Order"]] = relationship(back_populates="parent", order_by="Order.id")

    @property
    def code(self) -> str:
        """The scannable code printed on documents."""
        return f"SO-{self.id}"

    @property
    def from_shop(self) -> bool:
        """True for an order imported from a PrestaShop shop: the only kind told "shipped" there
        (a demo order never is, whatever it looks like)."""
        return (self.channel == SHOP_CHANNEL and bool(self.shop) and self.ps_order_id is not None
                and not self.is_demo)


class OrderLine(db.Model):
    __tablename__ = "order_line"
    __table_args__ = (Index("ix_order_line_order_id", "order_id"),
                      Index("ix_order_line_product_id", "product_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("customer_order.id", ondelete="CASCADE"))
    line_no: Mapped[int] = mapped_column(default=1)
    ps_order_detail_id: Mapped[int | None]
    # None while the shop's product is unknown to the warehouse (the order is on hold).
    product_id: Mapped[int | None] = mapped_column(ForeignKey("product.id"))
    sku: Mapped[str | None] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(255))
    ean13: Mapped[str | None] = mapped_column(String(14))
    ps_product_id: Mapped[int | None]
    ps_combination_id: Mapped[int | None]
    quantity: Mapped[int]
    quantity_allocated: Mapped[int] = mapped_column(default=0)
    quantity_picked: Mapped[int] = mapped_column(default=0)
    quantity_packed: Mapped[int] = mapped_column(default=0)
    quantity_shipped: Mapped[int] = mapped_column(default=0)
    unit_price: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))

    order: Mapped[Order] = relationship(back_populates="lines")
    product = relationship("Product")


class OrderEvent(db.Model):
    """One line of an order's history: imported, allocated, picked, shipped, pushed..."""

    __tablename__ = "order_event"
    __table_args__ = (Index("ix_order_event_order_id", "order_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("customer_order.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(40))
    message: Mapped[str] = mapped_column(Text)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = created_at_column()

    order: Mapped[Order] = relationship(back_populates="events")
    user = relationship("User")


def record_event(order: Order, kind: str, message: str, user=None) -> OrderEvent:
    """Append a line to an order's history.

    Without reading the history: the event names its order (back_populates puts it in
    order.events when that list is loaded or read later), where appending to order.events
    would first load every event the order has.
    """
    event = OrderEvent(kind=kind, message=message, user_id=getattr(user, "id", user))
    event.order = order
    db.session.add(event)
    return event


class SplitPolicy(enum.Enum):
    """What happens to an order no single site can ship whole (per shop)."""

    WAIT = "wait"  # no site yet: it waits until one site can ship it all
    BACKORDER = "backorder"  # the site with the most ships what it has, the rest is backordered
    SPLIT = "split"  # each site ships its part (a part order), the shop hears once the last left


class RoutingRule(db.Model):
    """A supervisor's routing preference: orders to these countries (and carrier) go to this site.

    Rules are read by ascending priority; the first rule that matches an order and names a site
    able to ship it whole decides. Empty countries or carrier: any.
    """

    __tablename__ = "routing_rule"

    id: Mapped[int] = mapped_column(primary_key=True)
    priority: Mapped[int] = mapped_column(default=0)
    # ISO codes separated by commas ("FR,BE,LU"); None: every country.
    countries: Mapped[str | None] = mapped_column(String(200))
    carrier_id: Mapped[int | None] = mapped_column(ForeignKey("carrier.id", ondelete="CASCADE"))
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouse.id", ondelete="CASCADE"))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = created_at_column()

    carrier = relationship("Carrier")
    warehouse = relationship("Warehouse")

    @property
    def country_list(self) -> list[str]:
        return [c.strip().upper() for c in (self.countries or "").split(",") if c.strip()]

    def matches(self, order: Order) -> bool:
        countries = self.country_list
        if countries and (order.ship_country or "").upper() not in countries:
            return False
        return self.carrier_id is None or self.carrier_id == order.carrier_id
