"""Stock balances per (location, product) and the append-only ledger of movements."""
from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import (
    DDL, CheckConstraint, ForeignKey, Index, String, UniqueConstraint, event,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from wms.db import UTCDateTime, created_at_column, db, enum_column
from wms.i18n import N_, _


class MoveReason(enum.Enum):
    INITIAL_LOAD = N_("Initial load")
    RECEIVED = N_("Received")
    PUTAWAY = N_("Put away")
    MOVED = N_("Moved")
    PICKED = N_("Picked")
    PUT_BACK = N_("Put back")
    PACKED = N_("Packed")
    SHIPPED = N_("Shipped")
    ADJUSTED = N_("Adjusted")
    COUNTED = N_("Counted")
    DAMAGED = N_("Damaged")
    RETURNED = N_("Returned")
    # Transfers between sites: source packing area -> in transit, in transit -> destination
    # dock, and what never arrived written off from in-transit stock (with a note).
    TRANSFER_OUT = N_("Transfer shipped")
    TRANSFER_IN = N_("Transfer received")
    TRANSFER_LOSS = N_("Transfer lost in transit")

    @property
    def label(self) -> str:
        return _(self.value)


# Reasons that change the total quantity in the warehouse by hand: they need a written why.
NEEDS_NOTE = (MoveReason.ADJUSTED, MoveReason.COUNTED, MoveReason.TRANSFER_LOSS)


class StockLevel(db.Model):
    """What is in one location for one product: on hand, and how much of it is promised."""

    __tablename__ = "stock_level"
    __table_args__ = (
        UniqueConstraint("location_id", "product_id", name="uq_stock_level_location_product"),
        CheckConstraint("on_hand >= 0", name="on_hand_not_negative"),
        CheckConstraint("reserved >= 0", name="reserved_not_negative"),
        CheckConstraint("reserved <= on_hand", name="reserved_within_on_hand"),
        Index("ix_stock_level_product_id", "product_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    location_id: Mapped[int] = mapped_column(ForeignKey("location.id"))
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id"))
    on_hand: Mapped[int] = mapped_column(default=0)
    reserved: Mapped[int] = mapped_column(default=0)
    # When the oldest units still here arrived: allocation takes the oldest stock first.
    first_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    location = relationship("Location", lazy="joined")
    product = relationship("Product", lazy="joined")

    @property
    def available(self) -> int:
        return self.on_hand - self.reserved


class StockMove(db.Model):
    """One movement of stock: never updated, never deleted (the database refuses it)."""

    __tablename__ = "stock_move"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint(
            "from_location_id IS NOT NULL OR to_location_id IS NOT NULL", name="has_a_side"
        ),
        Index("ix_stock_move_product_time", "product_id", "created_at"),
        Index("ix_stock_move_from", "from_location_id"),
        Index("ix_stock_move_to", "to_location_id"),
        Index("ix_stock_move_reference", "reference"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id"))
    quantity: Mapped[int]
    from_location_id: Mapped[int | None] = mapped_column(ForeignKey("location.id"))
    to_location_id: Mapped[int | None] = mapped_column(ForeignKey("location.id"))
    reason: Mapped[MoveReason] = enum_column(MoveReason)
    # What the movement belongs to: a receipt, an order, a pick list, a count.
    reference: Mapped[str | None] = mapped_column(String(64))
    note: Mapped[str | None] = mapped_column(String(500))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = created_at_column()

    product = relationship("Product")
    from_location = relationship("Location", foreign_keys=[from_location_id])
    to_location = relationship("Location", foreign_keys=[to_location_id])
    user = relationship("User")


# The ledger is append-only at the database level too: an UPDATE or DELETE of a movement
# fails whoever issues it. (TRUNCATE, used only by the test suite on PostgreSQL, is not a
# row operation.) The same statements are in the initial migration.
APPEND_ONLY_SQLITE = [
    "CREATE TRIGGER stock_move_no_update BEFORE UPDATE ON stock_move "
    "BEGIN SELECT RAISE(ABORT, 'stock_move is append-only'); END",
    "CREATE TRIGGER stock_move_no_delete BEFORE DELETE ON stock_move "
    "BEGIN SELECT RAISE(ABORT, 'stock_move is append-only'); END",
]
APPEND_ONLY_POSTGRESQL = [
    "CREATE OR REPLACE FUNCTION stock_move_append_only() RETURNS trigger AS $$ "
    "BEGIN RAISE EXCEPTION 'stock_move is append-only'; END $$ LANGUAGE plpgsql",
    "CREATE TRIGGER stock_move_no_change BEFORE UPDATE OR DELETE ON stock_move "
    "FOR EACH ROW EXECUTE FUNCTION stock_move_append_only()",
]
for _sql in APPEND_ONLY_SQLITE:
    event.listen(StockMove.__table__, "after_create", DDL(_sql).execute_if(dialect="sqlite"))
for _sql in APPEND_ONLY_POSTGRESQL:
    event.listen(
        StockMove.__table__, "after_create", DDL(_sql).execute_if(dialect="postgresql")
    )
