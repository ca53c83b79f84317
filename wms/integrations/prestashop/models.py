"""Database state of the PrestaShop sync: import cursors, the outbox, seen callbacks, pushed stock."""
from __future__ import annotations

import enum
import json
from datetime import datetime
from typing import Any

from sqlalchemy import DateTime, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from wms.db import UTCDateTime, created_at_column, db, enum_column, utcnow


class SyncCursor(db.Model):
    """How far the order import of one shop got, in the shop's own (naive, local) date_upd."""

    __tablename__ = "ps_sync_cursor"

    id: Mapped[int] = mapped_column(primary_key=True)
    shop: Mapped[str] = mapped_column(String(32), unique=True)
    # Naive on purpose: PrestaShop writes its local time without a zone.
    last_date_upd: Mapped[datetime | None] = mapped_column(DateTime(timezone=False))
    last_run_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    orders_seen: Mapped[int] = mapped_column(default=0)
    # A lease, so two workers never import the same shop at once (each page renews it).
    locked_by: Mapped[str | None] = mapped_column(String(64))
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime())


class OutboxStatus(enum.Enum):
    PENDING = "Pending"
    DONE = "Done"
    DEAD = "Dead"


class OutboxMessage(db.Model):
    """A job written in the same transaction as the change that needs it (push shipped, fetch order, webhook)."""

    __tablename__ = "ps_outbox_message"
    __table_args__ = (Index("ix_ps_outbox_message_due", "status", "next_attempt_at"),
                      Index("ix_ps_outbox_message_ordering", "ordering_key", "id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    # The same business event enqueued twice (a retried request) is stored once.
    dedupe_key: Mapped[str] = mapped_column(String(200), unique=True)
    payload_json: Mapped[str] = mapped_column(Text)
    # Messages with the same key are sent one after the other, in id order (e.g. every webhook
    # about one order to one endpoint); None: no ordering with other messages.
    ordering_key: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[OutboxStatus] = enum_column(OutboxStatus, default=OutboxStatus.PENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = created_at_column()
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    @property
    def payload(self) -> dict[str, Any]:
        return json.loads(self.payload_json)

    def __repr__(self) -> str:
        return f"<OutboxMessage {self.id} {self.kind} {self.status.name}>"


class SeenCallback(db.Model):
    """A callback event id already accepted: a replay of it is answered without acting."""

    __tablename__ = "ps_seen_callback"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[str] = mapped_column(String(36), unique=True)
    shop: Mapped[str] = mapped_column(String(32))
    ps_order_id: Mapped[int | None]
    received_at: Mapped[datetime] = created_at_column()


class StockPushState(db.Model):
    """The quantity last pushed to a shop for one product, so unchanged SKUs are not re-sent."""

    __tablename__ = "ps_stock_push_state"
    __table_args__ = (UniqueConstraint("shop", "product_id", name="uq_ps_stock_push_state_shop_product"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    shop: Mapped[str] = mapped_column(String(32))
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id", ondelete="CASCADE"))
    quantity: Mapped[int]
    pushed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
