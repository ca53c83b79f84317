"""Allocations (stock promised to order lines) and the pick lists that collect them."""
from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from wms.db import UTCDateTime, created_at_column, db, enum_column
from wms.i18n import N_, _


class Allocation(db.Model):
    """Units of one order line promised at one location.

    The open part (quantity - picked) is reserved in the StockLevel of (location, product):
    per (location, product) the open parts of all allocations sum to StockLevel.reserved.
    """

    __tablename__ = "allocation"
    __table_args__ = (
        CheckConstraint("quantity >= 0", name="allocation_quantity_not_negative"),
        CheckConstraint("picked >= 0 AND picked <= quantity", name="allocation_picked_within"),
        Index("ix_allocation_order_id", "order_id"),
        Index("ix_allocation_location_product", "location_id", "product_id"),
        Index("ix_allocation_pick_list_id", "pick_list_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("customer_order.id", ondelete="CASCADE"))
    order_line_id: Mapped[int] = mapped_column(ForeignKey("order_line.id", ondelete="CASCADE"))
    location_id: Mapped[int] = mapped_column(ForeignKey("location.id"))
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id"))
    quantity: Mapped[int]
    picked: Mapped[int] = mapped_column(default=0)
    # Units the picker reported missing from this bin (released, maybe reallocated elsewhere).
    short: Mapped[int] = mapped_column(default=0)
    pick_list_id: Mapped[int | None] = mapped_column(ForeignKey("pick_list.id"))
    sequence: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = created_at_column()

    order = relationship("Order")
    order_line = relationship("OrderLine")
    location = relationship("Location")
    product = relationship("Product")
    pick_list: Mapped["PickList | None"] = relationship(back_populates="allocations")

    @property
    def open_qty(self) -> int:
        """Units still reserved in the bin for this line."""
        return self.quantity - self.picked


class PickListKind(enum.Enum):
    ORDER = N_("Single order")
    BATCH = N_("Batch")
    WAVE = N_("Wave")

    @property
    def label(self) -> str:
        return _(self.value)


class PickListStatus(enum.Enum):
    OPEN = N_("To pick")
    PICKING = N_("Picking")
    PAUSED = N_("Paused")
    DONE = N_("Picked")
    CANCELLED = N_("Cancelled")

    @property
    def label(self) -> str:
        return _(self.value)


class PickList(db.Model):
    __tablename__ = "pick_list"
    __table_args__ = (Index("ix_pick_list_status", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[PickListKind] = enum_column(PickListKind, default=PickListKind.ORDER)
    status: Mapped[PickListStatus] = enum_column(PickListStatus, default=PickListStatus.OPEN)
    # The one operator picking it now; None while open or paused.
    assigned_user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    # What released the wave, e.g. "carrier COLISSIMO, ship by 2026-11-23 15:00".
    note: Mapped[str | None] = mapped_column(String(300))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = created_at_column()
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    assigned_user = relationship("User", foreign_keys=[assigned_user_id])
    allocations: Mapped[list[Allocation]] = relationship(
        back_populates="pick_list", order_by="(Allocation.sequence, Allocation.id)")
    orders: Mapped[list["PickListOrder"]] = relationship(
        back_populates="pick_list", cascade="all, delete-orphan", order_by="PickListOrder.position")

    @property
    def code(self) -> str:
        """The scannable code printed on the list."""
        return f"PL-{self.id}"

    @property
    def needs_totes(self) -> bool:
        return self.kind is not PickListKind.ORDER

    @property
    def units(self) -> int:
        """Units to pick on the list (all its lines)."""
        return sum(a.quantity for a in self.allocations)

    @property
    def carriers(self) -> list[str]:
        """The carriers of its orders, by name (one for a carrier's wave)."""
        return sorted({plo.order.carrier.name for plo in self.orders if plo.order.carrier is not None})


class PickListOrder(db.Model):
    """An order on a pick list, and the tote its units go into (batches and waves)."""

    __tablename__ = "pick_list_order"
    __table_args__ = (UniqueConstraint("pick_list_id", "order_id", name="uq_pick_list_order"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    pick_list_id: Mapped[int] = mapped_column(ForeignKey("pick_list.id", ondelete="CASCADE"))
    order_id: Mapped[int] = mapped_column(ForeignKey("customer_order.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(default=1)
    tote: Mapped[str | None] = mapped_column(String(32))

    pick_list: Mapped[PickList] = relationship(back_populates="orders")
    order = relationship("Order")
