"""Receipts of goods from suppliers (expected or blind) and their lines."""
from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from wms.db import UTCDateTime, created_at_column, db, enum_column
from wms.i18n import N_, _

CODE_PREFIX = "RCV-"


class ReceiptStatus(enum.Enum):
    EXPECTED = N_("Expected")
    RECEIVING = N_("Receiving")
    RECEIVED = N_("Received")
    CLOSED_SHORT = N_("Closed with discrepancies")
    # An advance shipping notice withdrawn by its sender before anything was received.
    CANCELLED = N_("Cancelled")

    @property
    def label(self) -> str:
        return _(self.value)


OPEN_RECEIPT_STATUSES = (ReceiptStatus.EXPECTED, ReceiptStatus.RECEIVING)


class Receipt(db.Model):
    """A delivery from a supplier: expected (purchase order / ASN) or blind (no expectation)."""

    __tablename__ = "receipt"
    __table_args__ = (
        Index("ix_receipt_status", "status"),
        Index("ix_receipt_warehouse_id", "warehouse_id"),
        # An ASN sent through the API: the sender's reference, once per sending system.
        UniqueConstraint("source", "external_ref", name="uq_receipt_source_external_ref"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    supplier: Mapped[str | None] = mapped_column(String(120))
    # The supplier's own number (PO, ASN, delivery note), used to group CSV rows.
    reference: Mapped[str | None] = mapped_column(String(64))
    expected_date: Mapped[date | None] = mapped_column(Date)
    # Set for ASNs received through the API: which system sent it ("erp") and its own id for it.
    source: Mapped[str | None] = mapped_column(String(32))
    external_ref: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[ReceiptStatus] = enum_column(ReceiptStatus, default=ReceiptStatus.EXPECTED)
    blind: Mapped[bool] = mapped_column(default=False)
    # The site the delivery is expected at (None: any site, e.g. receipts older than sites).
    warehouse_id: Mapped[int | None] = mapped_column(ForeignKey("warehouse.id"))
    # What was missing when the receipt was closed short, in words (the lines keep the numbers).
    discrepancy: Mapped[str | None] = mapped_column(String(2000))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = created_at_column()

    lines: Mapped[list["ReceiptLine"]] = relationship(
        back_populates="receipt", cascade="all, delete-orphan", order_by="ReceiptLine.id")
    created_by = relationship("User", foreign_keys=[created_by_id])
    warehouse = relationship("Warehouse")
    closed_by = relationship("User", foreign_keys=[closed_by_id])

    @property
    def code(self) -> str:
        """The scannable code printed on the receipt."""
        return f"{CODE_PREFIX}{self.id}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_RECEIPT_STATUSES

    @property
    def expected_total(self) -> int:
        return sum(line.expected for line in self.lines)

    @property
    def received_total(self) -> int:
        return sum(line.received for line in self.lines)

    @property
    def missing_total(self) -> int:
        return sum(line.missing for line in self.lines)

    def __repr__(self) -> str:
        return f"<Receipt {self.code} {self.status.name}>"


class ReceiptLine(db.Model):
    """One product on a receipt: how many were expected, how many were received."""

    __tablename__ = "receipt_line"
    __table_args__ = (
        UniqueConstraint("receipt_id", "product_id", name="uq_receipt_line_receipt_product"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    receipt_id: Mapped[int] = mapped_column(ForeignKey("receipt.id", ondelete="CASCADE"))
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id"))
    expected: Mapped[int] = mapped_column(default=0)
    received: Mapped[int] = mapped_column(default=0)
    # A supervisor's approval: the line may be received up to this many units.
    approved_max: Mapped[int | None]
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    receipt: Mapped[Receipt] = relationship(back_populates="lines")
    product = relationship("Product", lazy="joined")
    approved_by = relationship("User", foreign_keys=[approved_by_id])

    @property
    def missing(self) -> int:
        return max(self.expected - self.received, 0)

    @property
    def over(self) -> int:
        return max(self.received - self.expected, 0)
