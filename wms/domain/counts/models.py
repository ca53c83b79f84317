"""Cycle counts: a task to count some bins or some products, blind, then approved."""
from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from wms.db import UTCDateTime, created_at_column, db, enum_column
from wms.i18n import N_, _


class CountScope(enum.Enum):
    LOCATION = N_("Location")
    PRODUCT = N_("Product")

    @property
    def label(self) -> str:
        return _(self.value)


class CountStatus(enum.Enum):
    OPEN = N_("To count")
    REVIEW = N_("To approve")
    DONE = N_("Done")
    CANCELLED = N_("Cancelled")

    @property
    def label(self) -> str:
        return _(self.value)


class LineStatus(enum.Enum):
    PENDING = N_("Not counted")
    MATCHED = N_("Matched")
    DIFFERENCE = N_("Difference")
    POSTED = N_("Posted")
    REJECTED = N_("Rejected")

    @property
    def label(self) -> str:
        return _(self.value)


class CountTask(db.Model):
    __tablename__ = "count_task"
    __table_args__ = (Index("ix_count_task_status", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    scope: Mapped[CountScope] = enum_column(CountScope)
    status: Mapped[CountStatus] = enum_column(CountStatus, default=CountStatus.OPEN)
    # The one location or product the task is about (by scope).
    location_id: Mapped[int | None] = mapped_column(ForeignKey("location.id"))
    product_id: Mapped[int | None] = mapped_column(ForeignKey("product.id"))
    note: Mapped[str | None] = mapped_column(String(500))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    counted_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = created_at_column()
    counted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    location = relationship("Location")
    product = relationship("Product")
    created_by = relationship("User", foreign_keys=[created_by_id])
    counted_by = relationship("User", foreign_keys=[counted_by_id])
    approved_by = relationship("User", foreign_keys=[approved_by_id])
    lines: Mapped[list["CountLine"]] = relationship(
        back_populates="task", cascade="all, delete-orphan", order_by="CountLine.id")

    @property
    def code(self) -> str:
        """The scannable code of the task sheet."""
        return f"CNT-{self.id}"

    @property
    def subject(self) -> str:
        if self.scope is CountScope.LOCATION:
            return self.location.code if self.location else "?"
        return self.product.sku if self.product else "?"

    @property
    def differences(self) -> list["CountLine"]:
        return [line for line in self.lines if line.status is LineStatus.DIFFERENCE]


class CountLine(db.Model):
    """One product in one bin: what the books said when counted, and what was found."""

    __tablename__ = "count_line"
    __table_args__ = (
        Index("ix_count_line_task_id", "task_id"),
        # One line per product per bin per task: two counters add to the same line.
        UniqueConstraint("task_id", "location_id", "product_id", name="uq_count_line_task_location_product"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("count_task.id", ondelete="CASCADE"))
    location_id: Mapped[int] = mapped_column(ForeignKey("location.id"))
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id"))
    # The book quantity when the bin was counted (location scanned or first unit counted);
    # never shown to the counter, never retaken at submit.
    expected: Mapped[int | None]
    counted: Mapped[int | None]
    status: Mapped[LineStatus] = enum_column(LineStatus, default=LineStatus.PENDING)

    task: Mapped[CountTask] = relationship(back_populates="lines")
    location = relationship("Location")
    product = relationship("Product")

    @property
    def difference(self) -> int | None:
        if self.counted is None or self.expected is None:
            return None
        return self.counted - self.expected
