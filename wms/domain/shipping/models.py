"""Carriers, box sizes, shipments with their parcels, and carrier dispatches (manifests)."""
from __future__ import annotations

import enum
from datetime import datetime, time

from sqlalchemy import ForeignKey, Index, LargeBinary, String, Text, Time, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from wms.db import UTCDateTime, created_at_column, db, enum_column
from wms.i18n import N_, _


class Carrier(db.Model):
    __tablename__ = "carrier"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    service: Mapped[str | None] = mapped_column(String(80))
    # PrestaShop keeps id_reference when a carrier is edited (its id changes): map on it.
    ps_id_reference: Mapped[int | None] = mapped_column(unique=True)
    # Tracking URL with @ where the number goes, as PrestaShop stores it.
    tracking_url: Mapped[str | None] = mapped_column(String(300))
    # Which adapter issues tracking numbers: "manual" (scanned), "range", or a carrier API
    # that also gives the label ("sendcloud", "colissimo"; see docs/carriers.md).
    adapter: Mapped[str] = mapped_column(String(32), default="manual")
    # API adapters: the name of the account in the WMS_CARRIER_ACCOUNTS setting (credentials
    # live there, never in the database), and the carrier's code of this service (Sendcloud's
    # shipping method id, Colissimo's productCode such as DOS or A2P).
    account: Mapped[str | None] = mapped_column(String(64))
    service_code: Mapped[str | None] = mapped_column(String(64))
    # The service delivers to the relay point the customer chose in the shop.
    relay: Mapped[bool] = mapped_column(default=False)
    # Orders not shipped by this time of day (warehouse local time) are late.
    cutoff: Mapped[time | None] = mapped_column(Time())
    express: Mapped[bool] = mapped_column(default=False)
    active: Mapped[bool] = mapped_column(default=True)
    # The "range" adapter: numbers handed out by the carrier, prefix + zero-padded counter.
    range_prefix: Mapped[str | None] = mapped_column(String(16))
    range_start: Mapped[int | None]
    range_end: Mapped[int | None]
    # The next number to hand out; persisted so a restart never reuses one.
    range_next: Mapped[int | None]


class BoxSize(db.Model):
    """A carton the packing station offers (configured in seed_data/boxes.json or the desk)."""

    __tablename__ = "box_size"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(80))
    length_mm: Mapped[int]
    width_mm: Mapped[int]
    height_mm: Mapped[int]
    tare_g: Mapped[int] = mapped_column(default=0)
    max_weight_g: Mapped[int | None]
    active: Mapped[bool] = mapped_column(default=True)

    @property
    def label(self) -> str:
        return f"{self.name} ({self.length_mm // 10}×{self.width_mm // 10}×{self.height_mm // 10} cm)"


class ShipmentStatus(enum.Enum):
    PACKING = N_("Packing")
    PACKED = N_("Packed")
    SHIPPED = N_("Shipped")
    CANCELLED = N_("Cancelled")

    @property
    def label(self) -> str:
        return _(self.value)


class Shipment(db.Model):
    """What leaves for one order: a carrier and service, one or more parcels."""

    __tablename__ = "shipment"
    __table_args__ = (Index("ix_shipment_order_id", "order_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("customer_order.id"))
    carrier_id: Mapped[int] = mapped_column(ForeignKey("carrier.id"))
    service: Mapped[str | None] = mapped_column(String(80))
    status: Mapped[ShipmentStatus] = enum_column(ShipmentStatus, default=ShipmentStatus.PACKING)
    # A supervisor accepted it with items missing; the rest stays on the order as a backorder.
    partial: Mapped[bool] = mapped_column(default=False)
    # Where the packed goods wait for the carrier (the stock leaves from here at dispatch).
    location_id: Mapped[int | None] = mapped_column(ForeignKey("location.id"))
    created_at: Mapped[datetime] = created_at_column()
    packed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    shipped_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    packed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    order = relationship("Order")
    carrier = relationship("Carrier")
    location = relationship("Location")
    parcels: Mapped[list["Parcel"]] = relationship(
        back_populates="shipment", cascade="all, delete-orphan", order_by="Parcel.number")

    @property
    def code(self) -> str:
        return f"SHP-{self.id}"

    def units_by_line(self) -> dict[int, int]:
        """Units packed in this shipment's parcels, per order line id (in line id order)."""
        units: dict[int, int] = {}
        for parcel in self.parcels:
            for item in parcel.items:
                units[item.order_line_id] = units.get(item.order_line_id, 0) + item.quantity
        return dict(sorted(units.items()))


class Parcel(db.Model):
    """One box with a label: its size, weight, tracking number and contents."""

    __tablename__ = "parcel"
    __table_args__ = (
        UniqueConstraint("carrier_id", "tracking_number", name="uq_parcel_carrier_tracking"),
        Index("ix_parcel_shipment_id", "shipment_id"),
        Index("ix_parcel_dispatch_id", "dispatch_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    shipment_id: Mapped[int] = mapped_column(ForeignKey("shipment.id", ondelete="CASCADE"))
    # Copied from the shipment so the tracking number is unique per carrier in the database.
    carrier_id: Mapped[int] = mapped_column(ForeignKey("carrier.id"))
    number: Mapped[int] = mapped_column(default=1)
    box_id: Mapped[int | None] = mapped_column(ForeignKey("box_size.id"))
    weight_g: Mapped[int | None]
    tracking_number: Mapped[str | None] = mapped_column(String(64))
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    dispatch_id: Mapped[int | None] = mapped_column(ForeignKey("dispatch.id"))
    dispatched_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Unpacked (its shipment cancelled): never dispatched; its tracking number stays on it so
    # no other parcel is ever given that number.
    voided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    shipment: Mapped[Shipment] = relationship(back_populates="parcels")
    box = relationship("BoxSize")
    dispatch = relationship("Dispatch", back_populates="parcels")
    items: Mapped[list["ParcelItem"]] = relationship(
        back_populates="parcel", cascade="all, delete-orphan", order_by="ParcelItem.id")

    @property
    def code(self) -> str:
        """The scannable code of the parcel."""
        return f"PCL-{self.id}"

    @property
    def units(self) -> int:
        return sum(item.quantity for item in self.items)


class ParcelItem(db.Model):
    """How many units of one order line went into one parcel."""

    __tablename__ = "parcel_item"
    __table_args__ = (
        UniqueConstraint("parcel_id", "order_line_id", name="uq_parcel_item_parcel_line"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    parcel_id: Mapped[int] = mapped_column(ForeignKey("parcel.id", ondelete="CASCADE"))
    order_line_id: Mapped[int] = mapped_column(ForeignKey("order_line.id"))
    quantity: Mapped[int] = mapped_column(default=0)

    parcel: Mapped[Parcel] = relationship(back_populates="items")
    line = relationship("OrderLine")


class DispatchStatus(enum.Enum):
    OPEN = N_("Open")
    CLOSED = N_("Closed")

    @property
    def label(self) -> str:
        return _(self.value)


class Dispatch(db.Model):
    """The parcels handed to one carrier in one collection (the manifest)."""

    __tablename__ = "dispatch"
    __table_args__ = (Index("ix_dispatch_carrier_status", "carrier_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    carrier_id: Mapped[int] = mapped_column(ForeignKey("carrier.id"))
    status: Mapped[DispatchStatus] = enum_column(DispatchStatus, default=DispatchStatus.OPEN)
    created_at: Mapped[datetime] = created_at_column()
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    carrier = relationship("Carrier")
    parcels: Mapped[list[Parcel]] = relationship(back_populates="dispatch", order_by="Parcel.id")

    @property
    def code(self) -> str:
        return f"DSP-{self.id}"


class CarrierLabelStatus(enum.Enum):
    PENDING = N_("Asked")  # recorded before the call: the carrier may or may not have it
    CREATED = N_("Created")
    FAILED = N_("Refused")  # the carrier said why (error); nothing exists at the carrier
    VOID_PENDING = N_("To void")  # the parcel was unpacked: void it at the carrier
    VOIDED = N_("Voided")

    @property
    def label(self) -> str:
        return _(self.value)


class CarrierLabel(db.Model):
    """A parcel's shipment at a carrier's API: the attempt, recorded before the call, and
    its result (tracking number and the carrier's own label), or the carrier's reason."""

    __tablename__ = "carrier_label"
    __table_args__ = (Index("ix_carrier_label_status", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    parcel_id: Mapped[int] = mapped_column(ForeignKey("parcel.id", ondelete="CASCADE"), unique=True)
    carrier_id: Mapped[int] = mapped_column(ForeignKey("carrier.id"))
    # Our reference sent to the carrier (Sendcloud's external_reference): a retry looks it up.
    reference: Mapped[str] = mapped_column(String(64), unique=True)
    status: Mapped[CarrierLabelStatus] = enum_column(CarrierLabelStatus,
                                                      default=CarrierLabelStatus.PENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    external_id: Mapped[str | None] = mapped_column(String(64))  # the carrier's id of it
    tracking_number: Mapped[str | None] = mapped_column(String(64))
    tracking_url: Mapped[str | None] = mapped_column(String(300))
    label_format: Mapped[str | None] = mapped_column(String(8))  # "pdf" or "zpl"
    label: Mapped[bytes | None] = mapped_column(LargeBinary)
    # The carrier's reason in one sentence, credentials removed.
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    parcel: Mapped[Parcel] = relationship()
    carrier = relationship("Carrier")
