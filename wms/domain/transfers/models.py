"""Transfer orders: stock sent from one warehouse to another, through an in-transit location.

Each step is a ledger movement: released (stock reserved in source bins), picked (bin ->
source packing area, PICKED), shipped (packing area -> the destination's in-transit location,
TRANSFER_OUT), received (in transit -> the destination's receiving dock, TRANSFER_IN), closed
short (what never arrived leaves in-transit stock, TRANSFER_LOSS with a note).
"""
from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, backref, mapped_column, relationship

from wms.db import UTCDateTime, created_at_column, db, enum_column
from wms.i18n import N_, _

CODE_PREFIX = "TR-"


class TransferStatus(enum.Enum):
    DRAFT = N_("Draft")
    RELEASED = N_("Released")
    PICKING = N_("Picking")
    SHIPPED = N_("In transit")
    RECEIVED = N_("Received")
    CLOSED = N_("Closed with discrepancies")
    CANCELLED = N_("Cancelled")

    @property
    def label(self) -> str:
        return _(self.value)


class TransferOrder(db.Model):
    __tablename__ = "transfer_order"
    __table_args__ = (
        CheckConstraint("source_warehouse_id <> destination_warehouse_id", name="transfer_two_sites"),
        Index("ix_transfer_order_status", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    source_warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouse.id"))
    destination_warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouse.id"))
    status: Mapped[TransferStatus] = enum_column(TransferStatus, default=TransferStatus.DRAFT)
    note: Mapped[str | None] = mapped_column(String(500))
    # Optional: the carrier's tracking number of the truck or parcels.
    tracking: Mapped[str | None] = mapped_column(String(64))
    # What never arrived when the transfer was closed short, in words (the lines keep numbers).
    discrepancy: Mapped[str | None] = mapped_column(String(2000))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = created_at_column()
    released_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    shipped_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    received_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    source = relationship("Warehouse", foreign_keys=[source_warehouse_id], lazy="joined")
    destination = relationship("Warehouse", foreign_keys=[destination_warehouse_id], lazy="joined")
    created_by = relationship("User", foreign_keys=[created_by_id])
    lines: Mapped[list["TransferLine"]] = relationship(
        back_populates="transfer", cascade="all, delete-orphan", order_by="TransferLine.id")
    parcels: Mapped[list["TransferParcel"]] = relationship(
        back_populates="transfer", cascade="all, delete-orphan", order_by="TransferParcel.number")

    @property
    def carrier(self):
        """The carrier its parcels go with; None: no parcels, or the source's own truck."""
        return next((p.carrier for p in self.parcels if p.carrier_id is not None), None)

    @property
    def code(self) -> str:
        return f"{CODE_PREFIX}{self.id}"

    @property
    def requested_total(self) -> int:
        return sum(line.requested for line in self.lines)

    @property
    def picked_total(self) -> int:
        return sum(line.picked for line in self.lines)

    @property
    def shipped_total(self) -> int:
        return sum(line.shipped for line in self.lines)

    @property
    def received_total(self) -> int:
        return sum(line.received for line in self.lines)

    @property
    def in_transit_total(self) -> int:
        return sum(line.in_transit for line in self.lines)

    @property
    def lost_total(self) -> int:
        return sum(line.lost for line in self.lines)

    def __repr__(self) -> str:
        return f"<TransferOrder {self.code} {self.status.name}>"


class TransferLine(db.Model):
    """One product on a transfer: requested, picked at the source, shipped, received, lost."""

    __tablename__ = "transfer_line"
    __table_args__ = (
        UniqueConstraint("transfer_id", "product_id", name="uq_transfer_line_product"),
        CheckConstraint("requested > 0", name="transfer_line_requested_positive"),
        CheckConstraint("received + lost <= shipped", name="transfer_line_received_within_shipped"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    transfer_id: Mapped[int] = mapped_column(ForeignKey("transfer_order.id", ondelete="CASCADE"))
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id"))
    requested: Mapped[int]
    picked: Mapped[int] = mapped_column(default=0)
    shipped: Mapped[int] = mapped_column(default=0)
    received: Mapped[int] = mapped_column(default=0)
    # Shipped but never arrived: written off from in-transit stock when closed short.
    lost: Mapped[int] = mapped_column(default=0)

    transfer: Mapped[TransferOrder] = relationship(back_populates="lines")
    product = relationship("Product", lazy="joined")
    reservations: Mapped[list["TransferReservation"]] = relationship(
        back_populates="line", cascade="all, delete-orphan",
        order_by="(TransferReservation.sequence, TransferReservation.id)")

    @property
    def in_transit(self) -> int:
        return self.shipped - self.received - self.lost


class TransferReservation(db.Model):
    """Units of a transfer line promised in one source bin (like an order's Allocation).

    The open part (quantity - picked) is reserved in the StockLevel of (location, product).
    """

    __tablename__ = "transfer_reservation"
    __table_args__ = (
        CheckConstraint("quantity >= 0", name="transfer_reservation_quantity_not_negative"),
        CheckConstraint("picked >= 0 AND picked <= quantity", name="transfer_reservation_picked_within"),
        Index("ix_transfer_reservation_line", "line_id"),
        Index("ix_transfer_reservation_location_product", "location_id", "product_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    line_id: Mapped[int] = mapped_column(ForeignKey("transfer_line.id", ondelete="CASCADE"))
    location_id: Mapped[int] = mapped_column(ForeignKey("location.id"))
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id"))
    quantity: Mapped[int]
    picked: Mapped[int] = mapped_column(default=0)
    # Walking order of the source bins: the pick list's order.
    sequence: Mapped[int] = mapped_column(default=0)

    line: Mapped[TransferLine] = relationship(back_populates="reservations")
    location = relationship("Location", lazy="joined")

    @property
    def open_qty(self) -> int:
        return self.quantity - self.picked


PARCEL_PREFIX = "PCL-T"


class TransferParcel(db.Model):
    """One box of a transfer, packed at the source: its label goes from the source site to the
    destination site. With a carrier it joins that carrier's dispatch at the source, and the
    dispatch's closing ships the transfer; without one (own truck) the desk's Ship does.

    A table of its own rather than a `parcel` row: a parcel belongs to an order's shipment,
    and the packing, labels, shop push and returns all read parcel.shipment.order.
    """

    __tablename__ = "transfer_parcel"
    __table_args__ = (
        UniqueConstraint("transfer_id", "number", name="uq_transfer_parcel_number"),
        UniqueConstraint("carrier_id", "tracking_number", name="uq_transfer_parcel_carrier_tracking"),
        CheckConstraint("number > 0", name="transfer_parcel_number_positive"),
        Index("ix_transfer_parcel_dispatch_id", "dispatch_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    transfer_id: Mapped[int] = mapped_column(ForeignKey("transfer_order.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(default=1)
    box_id: Mapped[int | None] = mapped_column(ForeignKey("box_size.id"))
    weight_g: Mapped[int | None]
    # None: the source's own truck (no carrier, no dispatch).
    carrier_id: Mapped[int | None] = mapped_column(ForeignKey("carrier.id"))
    tracking_number: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = created_at_column()
    dispatch_id: Mapped[int | None] = mapped_column(ForeignKey("dispatch.id"))
    dispatched_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    transfer: Mapped[TransferOrder] = relationship(back_populates="parcels")
    box = relationship("BoxSize")
    carrier = relationship("Carrier")
    dispatch = relationship("Dispatch", backref=backref("transfer_parcels", order_by="TransferParcel.id"))

    @property
    def code(self) -> str:
        """The scannable code of the parcel (a PCL- code, so the dispatch scan takes it)."""
        return f"{PARCEL_PREFIX}{self.id}"

    @property
    def count(self) -> int:
        return len(self.transfer.parcels)
