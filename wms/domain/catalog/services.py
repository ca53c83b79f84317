"""Find and maintain products and their barcodes."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from wms.barcodes import has_valid_check_digit, validate_product_barcode
from wms.gs1 import GS1Data, GS1Error, configured_separator, gtin_candidates, looks_like_gs1, parse_gs1
from wms.db import db
from wms.domain.catalog.models import Barcode, Product, Symbology
from wms.errors import Conflict, DomainError, NotFound
from wms.i18n import _

SYMBOLOGY_BY_NAME = {s.value: s for s in Symbology}
SYMBOLOGY_BY_NAME["EAN-8"] = Symbology.EAN13  # stored with the EAN family


@dataclass(frozen=True)
class ProductMatch:
    """A product found by a scanned code, and how many units that code stands for."""

    product: Product
    pack_qty: int = 1
    barcode: str | None = None
    gs1: GS1Data | None = None  # lot, expiry, serial of a GS1 scan


def _gs1_of(code: str) -> GS1Data | None:
    separator = configured_separator()
    if not looks_like_gs1(code, separator):
        return None
    try:
        return parse_gs1(code, separator)
    except GS1Error as exc:
        raise DomainError(_("GS1 barcode not understood: %(reason)s", reason=exc), code="bad_scan") from None


def _barcode_for_gtin(code: str) -> Barcode | None:
    # A GTIN-14 with indicator 0 is the same item as its EAN-13 (or UPC-A, EAN-8), and a shop
    # may have stored either form; indicators 1-8 are packs and must be linked as such.
    candidates = gtin_candidates(code) if len(code) == 14 else (
        [code, code.rjust(14, "0")] if len(code) in (8, 12, 13) else [code])
    rows = db.session.execute(select(Barcode).where(Barcode.code.in_(candidates))
                              .options(joinedload(Barcode.product))).scalars().all()
    by_code = {row.code: row for row in rows}
    return next((by_code[c] for c in candidates if c in by_code), None)


def _gs1_match(data: GS1Data) -> ProductMatch | None:
    gtin = data.gtin
    row = _barcode_for_gtin(gtin)
    if row is None:
        return None
    units = row.pack_qty
    if data.count_ai == "30":
        units = data.count  # a variable count states the units themselves
    elif data.count_ai == "37":
        units = data.count * row.pack_qty  # so many trade items of that GTIN (packs count N each)
    return ProductMatch(row.product, units, row.code, data)


def find_by_code(code: str) -> ProductMatch | None:
    """Find a product by barcode (exact), GTIN or GS1 scan, else by SKU (case-insensitive).

    For a GS1 scan the match's pack_qty is the units the scan counts: its (30)/(37) count
    when it has one, else the pack quantity of the barcode its GTIN maps to.
    """
    data = _gs1_of(code)
    if data is not None:
        return _gs1_match(data) if data.gtin else None
    # The product with its barcode, in one statement (a scan always wants both).
    row = db.session.execute(
        select(Barcode).where(Barcode.code == code).options(joinedload(Barcode.product))
    ).scalar_one_or_none()
    if row is None and code.isdecimal() and has_valid_check_digit(code):
        row = _barcode_for_gtin(code)
    if row is not None:
        return ProductMatch(row.product, row.pack_qty, row.code)
    product = db.session.execute(
        select(Product).where(func.upper(Product.sku) == code.upper())).scalar_one_or_none()
    return ProductMatch(product) if product is not None else None


def product_by_code(code: str) -> ProductMatch:
    """Find a product by barcode or SKU, or refuse with what to do next."""
    match = find_by_code(code)
    if match is None:
        data = _gs1_of(code)
        if data is not None and data.gtin:
            if data.gtin[0] in "12345678":
                raise NotFound(_("GTIN %(gtin)s (a pack, indicator %(indicator)s) is not known. Put "
                                 "it aside and ask a supervisor to link it to its product as a "
                                 "pack barcode with its count.",
                                 gtin=data.gtin, indicator=data.gtin[0]), code="unknown_barcode")
            code = data.gtin
        raise NotFound(_("Barcode %(code)s is not known. Put the item aside and ask a supervisor "
                         "to link the barcode to its product.", code=code), code="unknown_barcode")
    if not match.product.active:
        raise DomainError(_("%(sku)s is no longer in use. Ask a supervisor.", sku=match.product.sku))
    return match


def product_by_sku(sku: str) -> Product:
    product = db.session.execute(select(Product).where(Product.sku == sku)).scalar_one_or_none()
    if product is None:
        raise NotFound(_("No product has the SKU %(sku)s.", sku=sku), code="unknown_sku")
    return product


def add_barcode(product: Product, code: str, pack_qty: int = 1) -> Barcode:
    """Attach a validated barcode to a product; refuse one that belongs to another product.

    A GS1 scan (e.g. an unknown carton scanned at receiving) attaches its GTIN.
    """
    code = (code or "").strip()
    data = _gs1_of(code)
    if data is not None:
        if not data.gtin:
            raise DomainError(_("That GS1 scan has no GTIN to link."), code="bad_barcode")
        code = data.gtin[1:] if data.gtin.startswith("0") else data.gtin
    try:
        symbology_name = validate_product_barcode(code)
    except ValueError as exc:
        raise DomainError(str(exc), code="bad_barcode") from None
    existing = db.session.execute(select(Barcode).where(Barcode.code == code)).scalar_one_or_none()
    if existing is not None:
        if existing.product_id == product.id:
            return existing
        raise Conflict(_("Barcode %(code)s already belongs to %(sku)s.",
                         code=code, sku=existing.product.sku))
    if isinstance(pack_qty, bool) or not isinstance(pack_qty, int) or pack_qty < 1:
        raise DomainError(_("A pack barcode stands for a whole number of units, 1 or more."))
    barcode = Barcode(code=code, symbology=SYMBOLOGY_BY_NAME[symbology_name], pack_qty=pack_qty)
    product.barcodes.append(barcode)
    db.session.flush()
    return barcode
