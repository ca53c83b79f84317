"""Find and maintain products and their barcodes."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from wms.barcodes import validate_product_barcode
from wms.db import db
from wms.domain.catalog.models import Barcode, Product, Symbology
from wms.errors import Conflict, DomainError, NotFound

SYMBOLOGY_BY_NAME = {s.value: s for s in Symbology}
SYMBOLOGY_BY_NAME["EAN-8"] = Symbology.EAN13  # stored with the EAN family


@dataclass(frozen=True)
class ProductMatch:
    """A product found by a scanned code, and how many units that code stands for."""

    product: Product
    pack_qty: int = 1
    barcode: str | None = None


def find_by_code(code: str) -> ProductMatch | None:
    """Find a product by barcode (exact), else by SKU (case-insensitive)."""
    row = db.session.execute(
        select(Barcode).where(Barcode.code == code)).scalar_one_or_none()
    if row is not None:
        return ProductMatch(row.product, row.pack_qty, row.code)
    product = db.session.execute(
        select(Product).where(func.upper(Product.sku) == code.upper())).scalar_one_or_none()
    return ProductMatch(product) if product is not None else None


def product_by_code(code: str) -> ProductMatch:
    """Find a product by barcode or SKU, or refuse with what to do next."""
    match = find_by_code(code)
    if match is None:
        raise NotFound(f"Barcode {code} is not known. Put the item aside and ask a supervisor "
                       "to link the barcode to its product.", code="unknown_barcode")
    if not match.product.active:
        raise DomainError(f"{match.product.sku} is no longer in use. Ask a supervisor.")
    return match


def product_by_sku(sku: str) -> Product:
    product = db.session.execute(select(Product).where(Product.sku == sku)).scalar_one_or_none()
    if product is None:
        raise NotFound(f"No product has the SKU {sku}.", code="unknown_sku")
    return product


def add_barcode(product: Product, code: str, pack_qty: int = 1) -> Barcode:
    """Attach a validated barcode to a product; refuse one that belongs to another product."""
    try:
        symbology_name = validate_product_barcode(code)
    except ValueError as exc:
        raise DomainError(str(exc), code="bad_barcode") from None
    code = code.strip()
    existing = db.session.execute(select(Barcode).where(Barcode.code == code)).scalar_one_or_none()
    if existing is not None:
        if existing.product_id == product.id:
            return existing
        raise Conflict(f"Barcode {code} already belongs to {existing.product.sku}.")
    if isinstance(pack_qty, bool) or not isinstance(pack_qty, int) or pack_qty < 1:
        raise DomainError("A pack barcode stands for a whole number of units, 1 or more.")
    barcode = Barcode(code=code, symbology=SYMBOLOGY_BY_NAME[symbology_name], pack_qty=pack_qty)
    product.barcodes.append(barcode)
    db.session.flush()
    return barcode
