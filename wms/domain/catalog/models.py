"""Products and their barcodes."""
from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from wms.db import created_at_column, db, enum_column


class Symbology(enum.Enum):
    EAN13 = "EAN-13"
    UPCA = "UPC-A"
    GTIN14 = "GTIN-14"
    CODE128 = "Code 128"


class Product(db.Model):
    __tablename__ = "product"
    __table_args__ = (
        UniqueConstraint("ps_product_id", "ps_combination_id", name="uq_product_ps_identity"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    sku: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    # Variant attributes shown to operators ("Red / M").
    variant: Mapped[str | None] = mapped_column(String(120))
    weight_g: Mapped[int | None]
    length_mm: Mapped[int | None]
    width_mm: Mapped[int | None]
    height_mm: Mapped[int | None]
    # PrestaShop identity: product id + combination id (0 = no combination).
    ps_product_id: Mapped[int | None]
    ps_combination_id: Mapped[int | None]
    # Preferred storage zone for putaway.
    zone: Mapped[str | None] = mapped_column(String(16))
    active: Mapped[bool] = mapped_column(default=True)
    # Loaded by `wms demo` / `wms seed --demo-orders`: never pushed to a shop, never matched to
    # a shop's order lines (its shop ids are made up).
    is_demo: Mapped[bool] = mapped_column(default=False, server_default=false())
    created_at: Mapped[datetime] = created_at_column()

    barcodes: Mapped[list["Barcode"]] = relationship(
        back_populates="product", cascade="all, delete-orphan", order_by="Barcode.id"
    )

    @property
    def display_name(self) -> str:
        return f"{self.name} ({self.variant})" if self.variant else self.name

    @property
    def main_barcode(self) -> str | None:
        return self.barcodes[0].code if self.barcodes else None

    def __repr__(self) -> str:
        return f"<Product {self.sku}>"


class Barcode(db.Model):
    """A scannable code for a product; a pack barcode stands for pack_qty units."""

    __tablename__ = "barcode"
    __table_args__ = (Index("ix_barcode_product_id", "product_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id", ondelete="CASCADE"))
    symbology: Mapped[Symbology] = enum_column(Symbology)
    pack_qty: Mapped[int] = mapped_column(default=1)

    product: Mapped[Product] = relationship(back_populates="barcodes")
