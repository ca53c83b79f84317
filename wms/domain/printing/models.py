"""Label printers and the stations (handhelds, packing benches) that print on them."""
from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from wms.db import created_at_column, db, enum_column
from wms.i18n import N_, _


class PrinterKind(enum.Enum):
    ZPL_TCP = "zpl_tcp"  # a network label printer taking ZPL on a raw TCP port (9100)
    PDF_BROWSER = "pdf_browser"  # no printer to reach: the browser opens the PDF

    @property
    def label(self) -> str:
        labels = {"zpl_tcp": N_("Label printer (ZPL over TCP)"),
                  "pdf_browser": N_("PDF in the browser")}
        return _(labels[self.value])


class Printer(db.Model):
    __tablename__ = "printer"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    kind: Mapped[PrinterKind] = enum_column(PrinterKind)
    host: Mapped[str | None] = mapped_column(String(255))
    port: Mapped[int] = mapped_column(default=9100)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = created_at_column()

    @property
    def address(self) -> str | None:
        return f"{self.host}:{self.port}" if self.kind is PrinterKind.ZPL_TCP else None

    def __repr__(self) -> str:
        return f"<Printer {self.name}>"


class Station(db.Model):
    """A place labels are printed from; a device chooses its station once (a cookie)."""

    __tablename__ = "station"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    printer_id: Mapped[int | None] = mapped_column(ForeignKey("printer.id", ondelete="SET NULL"))
    # Packing: when the last item of the order is scanned, close the parcel and print its label.
    print_on_last_scan: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = created_at_column()

    printer: Mapped[Printer | None] = relationship()

    def __repr__(self) -> str:
        return f"<Station {self.name}>"
