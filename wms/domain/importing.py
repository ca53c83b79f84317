"""CSV imports of products and stock: every row is checked first; one bad row imports nothing."""
from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass, field

from sqlalchemy import select

from wms.barcodes import validate_product_barcode
from wms.db import db, text_problem
from wms.domain.catalog.models import Barcode, Product
from wms.domain.catalog.services import add_barcode
from wms.domain.inventory import services as inventory
from wms.domain.inventory.models import MoveReason, StockLevel
from wms.domain.locations.models import Location, PICKABLE_KINDS, LocationKind
from wms.i18n import _

PRODUCT_COLUMNS = ["sku", "name", "variant", "barcodes", "ps_product_id", "ps_combination_id",
                   "weight_g", "length_mm", "width_mm", "height_mm", "zone"]
PRODUCT_REQUIRED = ["sku", "name"]
STOCK_COLUMNS = ["location", "sku", "quantity"]


@dataclass
class RowError:
    row: int  # the line number in the file (the header is line 1)
    message: str

    def __str__(self) -> str:
        return _("row %(row)s: %(message)s", row=self.row, message=self.message)


@dataclass
class ImportResult:
    errors: list[RowError] = field(default_factory=list)
    created: int = 0
    updated: int = 0
    rows: int = 0

    @property
    def ok(self) -> bool:
        return not self.errors


class ImportRefused(Exception):
    """Raised with the list of row errors when a file cannot be imported as a whole."""

    def __init__(self, result: ImportResult):
        super().__init__("; ".join(str(e) for e in result.errors[:20]))
        self.result = result


def read_csv(text: str, columns: list[str], required: list[str]) -> tuple[list[tuple[int, dict]], list[RowError]]:
    """Read a CSV with a header; return (line number, row) pairs and header errors."""
    if text.startswith("\ufeff"):
        text = text[1:]  # Excel writes a BOM
    sample = text[:2048]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.DictReader(io.StringIO(text), dialect=dialect)
    errors = []
    try:
        header = [h.strip().lower() for h in (reader.fieldnames or [])]
    except csv.Error as exc:
        return [], [RowError(1, _csv_error(exc))]
    missing = [c for c in required if c not in header]
    unknown = [h for h in header if h and h not in columns]
    twice = sorted({h for h in header if h and header.count(h) > 1})
    if twice:
        # csv.DictReader would keep the last of two "sku" columns and drop the first silently.
        errors.append(RowError(1, _("column(s) appearing twice: %(twice)s", twice=', '.join(twice))))
    if missing:
        errors.append(RowError(1, _("missing column(s): %(missing)s (expected %(columns)s)",
                                    missing=', '.join(missing), columns=', '.join(columns))))
    if unknown:
        errors.append(RowError(1, _("unknown column(s): %(unknown)s (expected %(columns)s)",
                                    unknown=', '.join(unknown), columns=', '.join(columns))))
    reader.fieldnames = header
    rows = []
    try:
        for row in reader:
            cleaned = {k: _unquote((v or "").strip() if isinstance(v, str) else "") for k, v in row.items() if k}
            if any(cleaned.values()):
                rows.append((reader.line_num, cleaned))
    except csv.Error as exc:
        errors.append(RowError(reader.line_num + 1, _csv_error(exc)))
    return rows, errors


def _unquote(value: str) -> str:
    """Undo the apostrophe our exports put before a cell starting with = + - @ (formula guard)."""
    if value.startswith("'") and value[1:2] in ("=", "+", "-", "@"):
        return value[1:]
    return value


def _csv_error(exc: csv.Error) -> str:
    if "field larger than field limit" in str(exc):
        return _("a cell is larger than %(kb)s KB: is this the right file?",
                 kb=csv.field_size_limit() // 1024)
    return _("the file cannot be read as CSV (%(error)s)", error=exc)


def _text_errors(model, line: int, row: dict, names) -> list[RowError]:
    """Column lengths of the model and no control or invisible characters, per cell."""
    errors = []
    for name in names:
        value = row.get(name, "")
        if value and (problem := text_problem(getattr(model, name), value)):
            errors.append(RowError(line, _("%(name)s “%(value)s” %(problem)s",
                                           name=name, value=_short(value), problem=problem)))
    return errors


def _short(value: str, limit: int = 40) -> str:
    return value if len(value) <= limit else value[:limit] + "…"


def _opt_int(row: dict, name: str, errors: list, line: int, minimum: int = 0, maximum: int = 2**31 - 1):
    value = row.get(name, "")
    if value == "":
        return None
    digits = value.removeprefix("-")
    if (not (digits.isascii() and digits.isdecimal()) or len(digits) > 10 or int(value) < minimum
            or int(value) > maximum):
        errors.append(RowError(line, _("%(name)s must be a whole number from %(minimum)s to "
                                       "%(maximum)s, not “%(value)s”",
                                       name=name, minimum=minimum, maximum=maximum, value=_short(value))))
        return None
    return int(value)


def import_products(text: str, *, dry_run: bool = False) -> ImportResult:
    """Create or update products by SKU from CSV; nothing is written if any row is bad."""
    rows, errors = read_csv(text, PRODUCT_COLUMNS, PRODUCT_REQUIRED)
    result = ImportResult(errors=errors, rows=len(rows))
    if errors:
        raise ImportRefused(result)
    existing = {p.sku: p for p in db.session.execute(select(Product)).scalars()}
    barcode_owner = dict(db.session.execute(
        select(Barcode.code, Product.sku).join(Product)).all())
    ps_owner = {(p.ps_product_id, p.ps_combination_id): p.sku for p in existing.values()
                if p.ps_product_id is not None}
    seen_skus: dict[str, int] = {}
    seen_barcodes: dict[str, int] = {}
    seen_ps: dict[tuple, int] = {}
    parsed = []
    for line, row in rows:
        errs: list[RowError] = []
        sku, name = row.get("sku", ""), row.get("name", "")
        if not sku:
            errs.append(RowError(line, _("sku is empty")))
        elif len(sku) > 64 or any(c.isspace() for c in sku):
            errs.append(RowError(line, _("sku “%(sku)s” must be at most 64 characters without "
                                         "spaces", sku=sku)))
        elif sku in seen_skus:
            errs.append(RowError(line, _("sku %(sku)s appears twice (also on row %(row)s)",
                                         sku=sku, row=seen_skus[sku])))
        else:
            seen_skus[sku] = line
        if not name:
            errs.append(RowError(line, _("name is empty")))
        errs.extend(_text_errors(Product, line, row, ("sku", "name", "variant", "zone")))
        codes = [c.strip() for c in row.get("barcodes", "").split("|") if c.strip()]
        for code in codes:
            try:
                validate_product_barcode(code)
            except ValueError as exc:
                errs.append(RowError(line, _("barcode %(exc)s", exc=exc)))
                continue
            owner = barcode_owner.get(code)
            if owner and owner != sku:
                errs.append(RowError(line, _("barcode %(code)s already belongs to %(owner)s",
                                             code=code, owner=owner)))
            elif code in seen_barcodes:
                errs.append(RowError(line, _("barcode %(code)s appears twice (also on row "
                                             "%(row)s)",
                                             code=code, row=seen_barcodes[code])))
            else:
                seen_barcodes[code] = line
        ps_pid = _opt_int(row, "ps_product_id", errs, line, 1)
        ps_cid = _opt_int(row, "ps_combination_id", errs, line, 0)
        if ps_cid is not None and ps_pid is None:
            errs.append(RowError(line, _("ps_combination_id needs ps_product_id")))
        if ps_pid is not None:
            key = (ps_pid, ps_cid or 0)
            owner = ps_owner.get(key)
            if owner and owner != sku:
                errs.append(RowError(line, _("PrestaShop product %(product)s/%(combination)s already maps "
                                             "to %(owner)s", product=key[0], combination=key[1], owner=owner)))
            elif key in seen_ps:
                errs.append(RowError(line, _("PrestaShop product %(product)s/%(combination)s appears twice "
                                             "(also on row %(row)s)",
                                             product=key[0], combination=key[1], row=seen_ps[key])))
            else:
                seen_ps[key] = line
        numbers = {n: _opt_int(row, n, errs, line) for n in ("weight_g", "length_mm", "width_mm", "height_mm")}
        result.errors.extend(errs)
        parsed.append((row, codes, ps_pid, ps_cid, numbers))
    if result.errors:
        raise ImportRefused(result)
    if dry_run:
        return result
    for row, codes, ps_pid, ps_cid, numbers in parsed:
        product = existing.get(row["sku"])
        if product is None:
            product = Product(sku=row["sku"], name=row["name"])
            db.session.add(product)
            result.created += 1
        else:
            result.updated += 1
        product.name = row["name"]
        product.variant = row.get("variant") or None
        product.zone = row.get("zone") or product.zone
        product.ps_product_id = ps_pid
        product.ps_combination_id = (ps_cid or 0) if ps_pid is not None else None
        for name, value in numbers.items():
            if value is not None:
                setattr(product, name, value)
        db.session.flush()
        for code in codes:
            add_barcode(product, code)
    return result


def import_stock(text: str, *, user=None, dry_run: bool = False) -> ImportResult:
    """Post an initial load of stock from CSV (location, sku, quantity) through the ledger."""
    rows, errors = read_csv(text, STOCK_COLUMNS, STOCK_COLUMNS)
    result = ImportResult(errors=errors, rows=len(rows))
    if errors:
        raise ImportRefused(result)
    locations = {loc.code: loc for loc in db.session.execute(select(Location)).scalars()}
    products = {p.sku: p for p in db.session.execute(select(Product)).scalars()}
    stocked = set(db.session.execute(
        select(StockLevel.location_id, StockLevel.product_id).where(StockLevel.on_hand > 0)).all())
    seen: dict[tuple, int] = {}
    parsed = []
    for line, row in rows:
        code, sku, raw_qty = row.get("location", "").upper(), row.get("sku", ""), row.get("quantity", "")
        location, product = locations.get(code), products.get(sku)
        if location is None:
            result.errors.append(RowError(line, _("location %(value)s does not exist",
                                                  value=code or _('(empty)'))))
        elif location.kind not in (*PICKABLE_KINDS, LocationKind.RECEIVING, LocationKind.QUARANTINE):
            result.errors.append(RowError(line, _("location %(code)s is a %(kind)s location; "
                                                  "stock is loaded into storage, pick faces, "
                                                  "docks or quarantine",
                                                  code=code, kind=location.kind.label.lower())))
        if product is None:
            result.errors.append(RowError(line, _("sku %(value)s is not a known product",
                                                  value=sku or _('(empty)'))))
        if not (raw_qty.isascii() and raw_qty.isdecimal()) or len(raw_qty) > 9 or int(raw_qty) <= 0:
            result.errors.append(RowError(line, _("quantity must be a whole number above 0 (at "
                                                  "most 999999999), not “%(value)s”",
                                                  value=_short(raw_qty))))
        if location is not None and product is not None:
            key = (location.id, product.id)
            if key in seen:
                result.errors.append(RowError(line, _("%(code)s / %(sku)s appears twice (also on "
                                                      "row %(seen)s)",
                                                      code=code, sku=sku, seen=seen[key])))
            elif key in stocked:
                result.errors.append(RowError(line, _("%(code)s already holds %(sku)s: an "
                                                      "initial load goes into empty bins; use an "
                                                      "adjustment or a count", code=code, sku=sku)))
            seen[key] = line
        parsed.append((location, product, raw_qty))
    if result.errors:
        raise ImportRefused(result)
    if dry_run:
        return result
    for location, product, raw_qty in parsed:
        inventory.receive(product, location, int(raw_qty), user=user, reason=MoveReason.INITIAL_LOAD,
                          reference="initial-load")
        result.created += 1
    return result


LOCATION_COLUMNS = ["code", "kind", "zone", "aisle", "bay", "level", "pos_x", "pos_y", "walk_sequence"]
LOCATION_REQUIRED = ["code", "kind"]


def import_locations(text: str, *, dry_run: bool = False) -> ImportResult:
    """Create or update locations by code from CSV; nothing is written if any row is bad."""
    from wms.barcodes import DEFAULT_LOCATION_PATTERN, parse_scan
    from wms.barcodes import ScanKind
    from wms.domain.locations.models import Warehouse

    rows, errors = read_csv(text, LOCATION_COLUMNS, LOCATION_REQUIRED)
    result = ImportResult(errors=errors, rows=len(rows))
    if errors:
        raise ImportRefused(result)
    existing = {loc.code: loc for loc in db.session.execute(select(Location)).scalars()}
    warehouse = db.session.execute(select(Warehouse).order_by(Warehouse.id)).scalars().first()
    if warehouse is None:
        result.errors.append(RowError(1, _("there is no warehouse yet: create one (wms seed) first")))
        raise ImportRefused(result)
    seen: dict[str, int] = {}
    parsed = []
    for line, row in rows:
        errs: list[RowError] = []
        code = row.get("code", "").upper()
        if parse_scan(code, DEFAULT_LOCATION_PATTERN).kind is not ScanKind.LOCATION:
            errs.append(RowError(line, _("code “%(code)s” is not a location code (e.g. A-01-02-3 "
                                         "or DOCK-01)", code=code)))
        elif code in seen:
            errs.append(RowError(line, _("code %(code)s appears twice (also on row %(seen)s)",
                                         code=code, seen=seen[code])))
        else:
            seen[code] = line
        kind_raw = row.get("kind", "").upper().replace(" ", "_")
        kind = LocationKind.__members__.get(kind_raw)
        if kind is None:
            errs.append(RowError(line, _("kind “%(value)s” is not one of %(kinds)s",
                                         value=row.get('kind', ''), kinds=', '.join(LocationKind.__members__))))
        errs.extend(_text_errors(Location, line, row, ("zone",)))
        numbers = {n: _opt_int(row, n, errs, line) for n in ("aisle", "bay", "level", "walk_sequence")}
        coords = {}
        for name in ("pos_x", "pos_y"):
            value = row.get(name, "")
            try:
                coords[name] = float(value) if value else None
                if coords[name] is not None and not (math.isfinite(coords[name]) and abs(coords[name]) <= 100_000):
                    raise ValueError
            except ValueError:
                errs.append(RowError(line, _("%(name)s must be a number of metres (up to "
                                             "100000), not “%(value)s”",
                                             name=name, value=_short(value))))
        result.errors.extend(errs)
        parsed.append((code, kind, row.get("zone") or None, numbers, coords))
    if result.errors:
        raise ImportRefused(result)
    if dry_run:
        return result
    for code, kind, zone, numbers, coords in parsed:
        location = existing.get(code)
        if location is None:
            location = Location(code=code, kind=kind, warehouse_id=warehouse.id)
            db.session.add(location)
            result.created += 1
        else:
            result.updated += 1
        location.kind = kind
        location.zone = zone or location.zone
        for name, value in {**numbers, **coords}.items():
            if value is not None:
                setattr(location, name, value)
    db.session.flush()
    return result
