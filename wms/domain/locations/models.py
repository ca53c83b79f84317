"""Warehouses and their scannable locations."""
from __future__ import annotations

import enum

from sqlalchemy import ForeignKey, Index, String, true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from wms.db import db, enum_column
from wms.i18n import N_, _


class LocationKind(enum.Enum):
    RECEIVING = N_("Receiving dock")
    STORAGE = N_("Storage")
    PICK_FACE = N_("Pick face")
    PACKING = N_("Packing")
    STAGING = N_("Shipping staging")
    QUARANTINE = N_("Quarantine / damaged")
    RETURNS = N_("Returns")
    # Virtual: goods shipped by a transfer and not yet received, one per destination site.
    TRANSIT = N_("In transit")

    @property
    def label(self) -> str:
        return _(self.value)


# Kinds that hold sellable stock an order can be allocated from.
PICKABLE_KINDS = (LocationKind.PICK_FACE, LocationKind.STORAGE)
# Kinds goods may be put away into.
PUTAWAY_KINDS = (LocationKind.PICK_FACE, LocationKind.STORAGE, LocationKind.QUARANTINE)


class Warehouse(db.Model):
    __tablename__ = "warehouse"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    # Sender address printed on shipping labels.
    company: Mapped[str | None] = mapped_column(String(120))
    address1: Mapped[str | None] = mapped_column(String(200))
    address2: Mapped[str | None] = mapped_column(String(200))
    postcode: Mapped[str | None] = mapped_column(String(20))
    city: Mapped[str | None] = mapped_column(String(80))
    country: Mapped[str | None] = mapped_column(String(2))
    phone: Mapped[str | None] = mapped_column(String(40))
    # IANA time zone of the site ("Europe/Paris"); None: WMS_TIMEZONE.
    timezone: Mapped[str | None] = mapped_column(String(64))
    # Its stock counts in what the shops may sell (a returns site or a 3PL may be left out).
    sellable: Mapped[bool] = mapped_column(default=True, server_default=true())
    # Order routing: among sites equally able to ship an order, the lower number goes first.
    priority: Mapped[int] = mapped_column(default=0, server_default="0")

    locations: Mapped[list["Location"]] = relationship(back_populates="warehouse")


class Location(db.Model):
    __tablename__ = "location"
    __table_args__ = (Index("ix_location_walk", "warehouse_id", "walk_sequence"),
                      # default_location(kind) runs on every pick, pack and put-back.
                      Index("ix_location_kind", "kind"))

    id: Mapped[int] = mapped_column(primary_key=True)
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouse.id"))
    # Unique across warehouses so one scan names one place.
    code: Mapped[str] = mapped_column(String(32), unique=True)
    kind: Mapped[LocationKind] = enum_column(LocationKind)
    zone: Mapped[str | None] = mapped_column(String(16))
    aisle: Mapped[int | None]
    bay: Mapped[int | None]
    level: Mapped[int | None]
    # Position on the floor in metres, for walking routes.
    pos_x: Mapped[float | None]
    pos_y: Mapped[float | None]
    walk_sequence: Mapped[int] = mapped_column(default=0)
    active: Mapped[bool] = mapped_column(default=True)
    # Set by a short pick or a supervisor: the bin wants a count.
    needs_count: Mapped[bool] = mapped_column(default=False)

    warehouse: Mapped[Warehouse] = relationship(back_populates="locations")

    def __repr__(self) -> str:
        return f"<Location {self.code}>"
