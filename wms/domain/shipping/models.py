"""Carriers (mapped to PrestaShop carriers by id_reference)."""
from __future__ import annotations

from datetime import time

from sqlalchemy import String, Time
from sqlalchemy.orm import Mapped, mapped_column

from wms.db import db


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
    # Which adapter issues tracking numbers: "manual" (scanned) or "range".
    adapter: Mapped[str] = mapped_column(String(32), default="manual")
    # Orders not shipped by this time of day (warehouse local time) are late.
    cutoff: Mapped[time | None] = mapped_column(Time())
    express: Mapped[bool] = mapped_column(default=False)
    active: Mapped[bool] = mapped_column(default=True)
