"""Webhook endpoints registered by supervisors, and the worker's watermarks."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from wms.db import UTCDateTime, created_at_column, db


class WebhookEndpoint(db.Model):
    """A URL that receives signed events, with its secret and the events it subscribed to."""

    __tablename__ = "webhook_endpoint"

    id: Mapped[int] = mapped_column(primary_key=True)
    url: Mapped[str] = mapped_column(String(500))
    # Sent as the HMAC key (never shown again after creation on the desk).
    secret: Mapped[str] = mapped_column(String(200))
    # Space-separated event names (wms.integrations.webhooks.events).
    events_text: Mapped[str] = mapped_column(Text)
    description: Mapped[str | None] = mapped_column(String(120))
    active: Mapped[bool] = mapped_column(default=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = created_at_column()
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    @property
    def events(self) -> list[str]:
        return self.events_text.split()

    def wants(self, event: str) -> bool:
        return self.active and event in self.events

    def __repr__(self) -> str:
        return f"<WebhookEndpoint {self.id} {self.url}>"


class WebhookCursor(db.Model):
    """How far the worker read a log (stock moves, order events) to derive events from it."""

    __tablename__ = "webhook_cursor"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(40), unique=True)
    last_id: Mapped[int] = mapped_column(default=0)
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
