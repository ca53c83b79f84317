"""Customer returns: what was announced, what came back, in what condition, and where it went."""
from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from wms.db import UTCDateTime, created_at_column, db, enum_column
from wms.i18n import N_, _


class ReturnStatus(enum.Enum):
    EXPECTED = N_("Expected")
    IN_PROGRESS = N_("In progress")
    RECEIVED = N_("Received")
    CANCELLED = N_("Cancelled")

    @property
    def label(self) -> str:
        return _(self.value)


OPEN_RETURN_STATUSES = (ReturnStatus.EXPECTED, ReturnStatus.IN_PROGRESS)


class ReturnCondition(enum.Enum):
    """The grade an operator gives a returned unit, with the key that chooses it."""

    SELLABLE = N_("Sellable")
    DAMAGED = N_("Damaged")
    OPENED = N_("Opened / incomplete")
    WRONG_ITEM = N_("Wrong item, not ours")

    @property
    def label(self) -> str:
        return _(self.value)

    @property
    def key(self) -> str:
        return CONDITION_KEYS_BY_CONDITION[self]


CONDITION_KEYS = {"1": ReturnCondition.SELLABLE, "2": ReturnCondition.DAMAGED,
                  "3": ReturnCondition.OPENED, "4": ReturnCondition.WRONG_ITEM}
CONDITION_KEYS_BY_CONDITION = {c: k for k, c in CONDITION_KEYS.items()}


class CustomerReturn(db.Model):
    """One return of one order: announced lines, the units scanned back, and the outcome."""

    __tablename__ = "customer_return"
    __table_args__ = (
        UniqueConstraint("shop", "ps_return_id", name="uq_customer_return_shop_ps_return_id"),
        UniqueConstraint("source", "external_ref", name="uq_customer_return_source_external_ref"),
        Index("ix_customer_return_order_id", "order_id"),
        Index("ix_customer_return_status", "status"),
        Index("ix_customer_return_holder_id", "holder_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("customer_order.id"))
    status: Mapped[ReturnStatus] = enum_column(ReturnStatus, default=ReturnStatus.EXPECTED)
    # Who announced it: "shop" (PrestaShop merchandise return), "desk", "api", or "parcel"
    # (nobody: a parcel arrived and was received against its order).
    source: Mapped[str] = mapped_column(String(16), default="desk")
    external_ref: Mapped[str | None] = mapped_column(String(64))
    shop: Mapped[str | None] = mapped_column(String(32))
    ps_return_id: Mapped[int | None]
    ps_state: Mapped[int | None]
    reason: Mapped[str | None] = mapped_column(Text)
    # The operator receiving it on a handheld now (one open return per operator).
    holder_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    discrepancy: Mapped[str | None] = mapped_column(Text)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = created_at_column()
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    received_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    received_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    # When the shop was told (its return set to received) and when the refund was seen done.
    shop_notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    refunded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    order = relationship("Order")
    lines: Mapped[list["ReturnLine"]] = relationship(
        back_populates="customer_return", cascade="all, delete-orphan", order_by="ReturnLine.id")
    items: Mapped[list["ReturnItem"]] = relationship(
        back_populates="customer_return", cascade="all, delete-orphan", order_by="ReturnItem.id")
    events: Mapped[list["ReturnEvent"]] = relationship(
        back_populates="customer_return", cascade="all, delete-orphan", order_by="ReturnEvent.id")

    @property
    def code(self) -> str:
        return f"RMA-{self.id}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_RETURN_STATUSES

    @property
    def announced_total(self) -> int:
        return sum(line.announced for line in self.lines)

    @property
    def received_total(self) -> int:
        return sum(i.quantity for i in self.items if i.condition not in (None, ReturnCondition.WRONG_ITEM)
                   and i.return_line_id is not None)

    @property
    def waiting_for_refund(self) -> bool:
        return self.status is ReturnStatus.RECEIVED and self.refunded_at is None and self.received_total > 0


class ReturnLine(db.Model):
    """One order line in a return: shipped, announced (0 for an unexpected parcel), received."""

    __tablename__ = "return_line"
    __table_args__ = (Index("ix_return_line_return_id", "return_id"),
                      CheckConstraint("announced >= 0", name="announced_not_negative"))

    id: Mapped[int] = mapped_column(primary_key=True)
    return_id: Mapped[int] = mapped_column(ForeignKey("customer_return.id", ondelete="CASCADE"))
    order_line_id: Mapped[int | None] = mapped_column(ForeignKey("order_line.id"))
    product_id: Mapped[int | None] = mapped_column(ForeignKey("product.id"))
    sku: Mapped[str | None] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(255))
    shipped: Mapped[int] = mapped_column(default=0)
    announced: Mapped[int] = mapped_column(default=0)
    ps_order_detail_id: Mapped[int | None]

    customer_return: Mapped[CustomerReturn] = relationship(back_populates="lines")
    product = relationship("Product")

    @property
    def received(self) -> int:
        return sum(i.quantity for i in self.customer_return.items
                   if i.return_line_id == self.id and i.condition not in (None, ReturnCondition.WRONG_ITEM))


class ReturnItem(db.Model):
    """Units scanned back: graded (condition) or waiting for their grade; or set aside."""

    __tablename__ = "return_item"
    __table_args__ = (Index("ix_return_item_return_id", "return_id"),
                      Index("ix_return_item_product_time", "product_id", "created_at"),
                      CheckConstraint("quantity > 0", name="quantity_positive"))

    id: Mapped[int] = mapped_column(primary_key=True)
    return_id: Mapped[int] = mapped_column(ForeignKey("customer_return.id", ondelete="CASCADE"))
    # None: not in the order (set aside as an exception).
    return_line_id: Mapped[int | None] = mapped_column(ForeignKey("return_line.id"))
    product_id: Mapped[int | None] = mapped_column(ForeignKey("product.id"))
    code: Mapped[str] = mapped_column(String(128))
    quantity: Mapped[int] = mapped_column(default=1)
    # None while the operator has not chosen the condition yet.
    condition: Mapped[ReturnCondition | None] = enum_column(ReturnCondition, nullable=True)
    location_id: Mapped[int | None] = mapped_column(ForeignKey("location.id"))
    exception: Mapped[bool] = mapped_column(default=False)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = created_at_column()

    customer_return: Mapped[CustomerReturn] = relationship(back_populates="items")
    product = relationship("Product")
    location = relationship("Location")


class ReturnEvent(db.Model):
    """One line of a return's history."""

    __tablename__ = "return_event"
    __table_args__ = (Index("ix_return_event_return_id", "return_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    return_id: Mapped[int] = mapped_column(ForeignKey("customer_return.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(40))
    message: Mapped[str] = mapped_column(Text)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = created_at_column()

    customer_return: Mapped[CustomerReturn] = relationship(back_populates="events")
    user = relationship("User")


def record_return_event(ret: CustomerReturn, kind: str, message: str, user=None) -> ReturnEvent:
    """Append a line to a return's history."""
    event = ReturnEvent(kind=kind, message=message, user_id=getattr(user, "id", user))
    ret.events.append(event)
    return event
