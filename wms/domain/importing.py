"""CSV imports of products and stock: every row is checked first; one bad row imports nothing.

Large files stream: rows are read from the file as text (decoded as it is read), checked in
batches of BATCH rows in a first pass, then applied in batches in a second pass over the same
file, so memory does not grow with the file's size (only the keys kept to find a SKU, barcode
or bin appearing twice do). A refused file or a dry run writes nothing; errors past
ERRORS_SHOWN are counted, not kept.
"""
from __future__ import annotations

import codecs
import csv
import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import BinaryIO

from sqlalchemy import select, text

from wms.barcodes import validate_product_barcode
from wms.db import db, text_problem
from wms.domain.catalog.models import Barcode, Product
from wms.domain.catalog.services import SYMBOLOGY_BY_NAME
from wms.domain.inventory import services as inventory
from wms.domain.inventory.models import MoveReason, StockLevel, StockMove
from wms.domain.locations.models import Location, PICKABLE_KINDS, LocationKind
from wms.errors import DomainError
from wms.i18n import _

PRODUCT_COLUMNS = ["sku", "name", "variant", "barcodes", "ps_product_id", "ps_combination_id",
                   "weight_g", "length_mm", "width_mm", "height_mm", "zone"]
PRODUCT_REQUIRED = ["sku", "name"]
STOCK_COLUMNS = ["location", "sku", "quantity"]
BATCH = 500  # rows checked, then written, per batch (one look-up per batch, one flush per batch)
ERRORS_SHOWN = 100  # row errors kept for the screen; the rest are counted
PREVIEW_ROWS = 200  # rows kept for the desk's preview
_CHUNK = 1 << 16


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
    more_errors: int = 0  # errors found past the first ERRORS_SHOWN, counted only

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def error_count(self) -> int:
        return len(self.errors) + self.more_errors

    def add_errors(self, errors: Iterable[RowError]) -> None:
        for error in errors:
            if len(self.errors) < ERRORS_SHOWN:
                self.errors.append(error)
            else:
                self.more_errors += 1


class ImportRefused(Exception):
    """Raised with the list of row errors when a file cannot be imported as a whole."""

    def __init__(self, result: ImportResult):
        super().__init__("; ".join(str(e) for e in result.errors[:20]))
        self.result = result


class CsvSource:
    """A CSV file that can be read from its start more than once, one line at a time."""

    def lines(self) -> Iterator[str]:  # pragma: no cover - abstract
        raise NotImplementedError

    def head(self, size: int = 2048) -> str:
        sample = []
        for line in self.lines():
            sample.append(line)
            if sum(map(len, sample)) >= size:
                break
        return "".join(sample)[:size]


class TextSource(CsvSource):
    """Text already in memory (pasted on the desk, or a string in code): lines are sliced
    from it one at a time, never copied whole."""

    def __init__(self, text: str):
        self.text = text[1:] if text.startswith("\ufeff") else text  # Excel writes a BOM

    def lines(self) -> Iterator[str]:
        text, start = self.text, 0
        while start < len(text):
            end = text.find("\n", start)
            end = len(text) if end < 0 else end + 1
            yield text[start:end]
            start = end

    def head(self, size: int = 2048) -> str:
        return self.text[:size]


class FileSource(CsvSource):
    """A seekable binary file (an upload, a file on disk), decoded as it is read: UTF-8
    (with or without a BOM), else Windows-1252 as Excel saves "CSV" on Windows."""

    def __init__(self, raw: BinaryIO):
        self.raw = raw
        self.encoding = _encoding_of(raw)

    def lines(self) -> Iterator[str]:
        self.raw.seek(0)
        reader = codecs.getreader(self.encoding)(self.raw)
        pending = ""
        while chunk := reader.read(_CHUNK):
            # Split on "\n" only, as a string does (csv handles "\r\n" and quoted newlines).
            parts = (pending + chunk).split("\n")
            pending = parts.pop()
            for part in parts:
                yield part + "\n"
        if pending:
            yield pending


def _encoding_of(raw: BinaryIO) -> str:
    """UTF-8 if the whole file decodes as UTF-8, else Windows-1252 if it decodes as that;
    else refuse. Checked in chunks: the file is never held whole."""
    for encoding in ("utf-8-sig", "cp1252"):
        raw.seek(0)
        decoder = codecs.getincrementaldecoder(encoding)()
        try:
            while chunk := raw.read(_CHUNK):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            continue
        raw.seek(0)
        return encoding
    raise DomainError(_("The file is neither UTF-8 nor Windows-1252 text: save it from the "
                        "spreadsheet as “CSV UTF-8”."), code="bad_encoding")


def open_source(source: str | BinaryIO | CsvSource) -> CsvSource:
    """What an import reads: text, a seekable binary file, or a source already opened.
    Refuses (DomainError) a file in neither UTF-8 nor Windows-1252."""
    if isinstance(source, CsvSource):
        return source
    if isinstance(source, str):
        return TextSource(source)
    return FileSource(source)


class CsvRows:
    """A CSV with a header, read from a source: header errors at once, then rows on demand
    (each call of rows() reads the file again from its start)."""

    def __init__(self, source, columns: list[str], required: list[str]):
        self.source = open_source(source)
        self.columns = columns
        self.errors: list[RowError] = []
        try:
            self.dialect = csv.Sniffer().sniff(self.source.head(2048), delimiters=",;\t")
        except csv.Error:
            self.dialect = csv.excel
        self.header: list[str] = []
        try:
            first = next(csv.reader(self.source.lines(), dialect=self.dialect), [])
        except csv.Error as exc:
            self.errors.append(RowError(1, _csv_error(exc)))
            return
        header = self.header = [h.strip().lower() for h in first]
        missing = [c for c in required if c not in header]
        unknown = [h for h in header if h and h not in columns]
        twice = sorted({h for h in header if h and header.count(h) > 1})
        errors = self.errors
        if twice:
            # csv.DictReader would keep the last of two "sku" columns and drop the first silently.
            errors.append(RowError(1, _("column(s) appearing twice: %(twice)s", twice=', '.join(twice))))
        if missing:
            errors.append(RowError(1, _("missing column(s): %(missing)s (expected %(columns)s)",
                                        missing=', '.join(missing), columns=', '.join(columns))))
        if unknown:
            errors.append(RowError(1, _("unknown column(s): %(unknown)s (expected %(columns)s)",
                                        unknown=', '.join(unknown), columns=', '.join(columns))))

    def rows(self) -> Iterator[tuple[int, dict]]:
        """(line number, row) for every non-empty row; a CSV error ends the rows and is added
        to self.errors (once)."""
        reader = csv.DictReader(self.source.lines(), dialect=self.dialect)
        reader.fieldnames = self.header
        try:
            next(reader.reader)  # the header line
            for row in reader:
                cleaned = {k: _unquote((v or "").strip() if isinstance(v, str) else "") for k, v in row.items() if k}
                if any(cleaned.values()):
                    yield reader.line_num, cleaned
        except StopIteration:
            return
        except csv.Error as exc:
            error = RowError(reader.line_num + 1, _csv_error(exc))
            if error not in self.errors:
                self.errors.append(error)

    def batches(self, size: int = BATCH) -> Iterator[list[tuple[int, dict]]]:
        batch: list[tuple[int, dict]] = []
        for item in self.rows():
            batch.append(item)
            if len(batch) >= size:
                yield batch
                batch = []
        if batch:
            yield batch


def read_csv(text, columns: list[str], required: list[str]) -> tuple[list[tuple[int, dict]], list[RowError]]:
    """Read a whole (small) CSV with a header; return (line number, row) pairs and errors."""
    reader = CsvRows(text, columns, required)
    if reader.errors and not reader.header:
        return [], reader.errors
    rows = list(reader.rows())
    return rows, reader.errors


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


def _open(source, columns, required, result: ImportResult) -> CsvRows:
    reader = CsvRows(source, columns, required)
    if reader.errors:
        result.add_errors(reader.errors)
        raise ImportRefused(result)
    return reader


def _first_pass(reader: CsvRows, result: ImportResult) -> Iterator[list[tuple[int, dict]]]:
    """The checking pass's batches, counting the rows."""
    for batch in reader.batches():
        result.rows += len(batch)
        yield batch
    if reader.errors:  # the file stopped being CSV part-way
        result.add_errors(reader.errors)


def _barcodes_of(row: dict) -> list[str]:
    return [c.strip() for c in row.get("barcodes", "").split("|") if c.strip()]


def _product_fields(row: dict, errs: list, line: int):
    ps_pid = _opt_int(row, "ps_product_id", errs, line, 1)
    ps_cid = _opt_int(row, "ps_combination_id", errs, line, 0)
    numbers = {n: _opt_int(row, n, errs, line) for n in ("weight_g", "length_mm", "width_mm", "height_mm")}
    return ps_pid, ps_cid, numbers


def import_products(source, *, dry_run: bool = False) -> ImportResult:
    """Create or update products by SKU from CSV; nothing is written if any row is bad.

    `source`: the CSV's text, a seekable binary file, or a CsvSource (see open_source)."""
    result = ImportResult()
    reader = _open(source, PRODUCT_COLUMNS, PRODUCT_REQUIRED, result)
    seen_skus: dict[str, int] = {}
    seen_barcodes: dict[str, int] = {}
    seen_ps: dict[tuple, int] = {}
    for batch in _first_pass(reader, result):
        codes = {code for _line, row in batch for code in _barcodes_of(row)}
        barcode_owner = dict(db.session.execute(
            select(Barcode.code, Product.sku).join(Product).where(Barcode.code.in_(codes))).all()) if codes else {}
        pids = {row["ps_product_id"] for _line, row in batch if row.get("ps_product_id", "").isdecimal()
                and len(row["ps_product_id"]) <= 10}
        ps_owner = {(pid, cid): sku for pid, cid, sku in db.session.execute(
            select(Product.ps_product_id, Product.ps_combination_id, Product.sku)
            .where(Product.ps_product_id.in_([int(p) for p in pids])))} if pids else {}
        for line, row in batch:
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
            for code in _barcodes_of(row):
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
                                                 "%(row)s)", code=code, row=seen_barcodes[code])))
                else:
                    seen_barcodes[code] = line
            ps_pid, ps_cid, _numbers = _product_fields(row, errs, line)
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
            result.add_errors(errs)
    del seen_skus, seen_barcodes, seen_ps
    if result.errors:
        raise ImportRefused(result)
    if dry_run:
        return result
    for batch in reader.batches():
        _apply_products(batch, result)
    _analyze_after(result, Product, Barcode)
    return result


ANALYZE_AFTER = 1000  # rows created by one import past which PostgreSQL's statistics are refreshed


def _analyze_after(result: ImportResult, *models) -> None:
    """After a large first load on PostgreSQL, refresh the planner's statistics of the tables
    written (ANALYZE, a sample: a fraction of a second; it blocks no reads or writes). Until
    autovacuum gets to it, the planner still sizes the tables as they were before, e.g. empty,
    and scans them whole: re-importing 50,000 products just after loading them ran at 500
    rows/s instead of 6,500 (bench/import_large.py). SQLite plans by its indexes alone."""
    if result.created < ANALYZE_AFTER or db.session.get_bind().dialect.name != "postgresql":
        return
    for model in models:
        db.session.execute(text(f'ANALYZE "{model.__table__.name}"'))


def _apply_products(batch: list[tuple[int, dict]], result: ImportResult) -> None:
    """Write one checked batch: one look-up of its products and barcodes, two flushes."""
    skus = [row["sku"] for _line, row in batch]
    existing = {p.sku: p for p in db.session.execute(select(Product).where(Product.sku.in_(skus))).scalars()}
    products = []
    for line, row in batch:
        ps_pid, ps_cid, numbers = _product_fields(row, [], line)
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
        products.append((product, _barcodes_of(row)))
    db.session.flush()
    codes = {code for _product, row_codes in products for code in row_codes}
    if not codes:
        return
    # The first pass refused a code of another product: a code found here is the product's own.
    known = set(db.session.execute(select(Barcode.code).where(Barcode.code.in_(codes))).scalars())
    for product, row_codes in products:
        for code in row_codes:
            if code not in known:
                known.add(code)
                db.session.add(Barcode(code=code, product_id=product.id, pack_qty=1,
                                       symbology=SYMBOLOGY_BY_NAME[validate_product_barcode(code)]))
    db.session.flush()


STOCK_KINDS = (*PICKABLE_KINDS, LocationKind.RECEIVING, LocationKind.QUARANTINE)


def import_stock(source, *, user=None, dry_run: bool = False) -> ImportResult:
    """Post an initial load of stock from CSV (location, sku, quantity) through the ledger."""
    result = ImportResult()
    reader = _open(source, STOCK_COLUMNS, STOCK_COLUMNS, result)
    seen: dict[tuple, int] = {}
    for batch in _first_pass(reader, result):
        codes = {row.get("location", "").upper() for _line, row in batch}
        locations = {loc.code: loc for loc in db.session.execute(
            select(Location.id, Location.code, Location.kind, Location.active).where(Location.code.in_(codes)))}
        skus = {row.get("sku", "") for _line, row in batch}
        products = dict(db.session.execute(select(Product.sku, Product.id).where(Product.sku.in_(skus))).all())
        stocked = set(db.session.execute(
            select(StockLevel.location_id, StockLevel.product_id).where(
                StockLevel.on_hand > 0, StockLevel.product_id.in_(set(products.values())),
                StockLevel.location_id.in_([loc.id for loc in locations.values()]))).all()) if products else set()
        for line, row in batch:
            errs: list[RowError] = []
            code, sku, raw_qty = row.get("location", "").upper(), row.get("sku", ""), row.get("quantity", "")
            location, product_id = locations.get(code), products.get(sku)
            if location is None:
                errs.append(RowError(line, _("location %(value)s does not exist", value=code or _('(empty)'))))
            elif location.kind not in STOCK_KINDS:
                errs.append(RowError(line, _("location %(code)s is a %(kind)s location; "
                                             "stock is loaded into storage, pick faces, "
                                             "docks or quarantine",
                                             code=code, kind=location.kind.label.lower())))
            elif not location.active:
                errs.append(RowError(line, _("location %(code)s is not in use", code=code)))
            if product_id is None:
                errs.append(RowError(line, _("sku %(value)s is not a known product", value=sku or _('(empty)'))))
            if not (raw_qty.isascii() and raw_qty.isdecimal()) or len(raw_qty) > 9 or int(raw_qty) <= 0:
                errs.append(RowError(line, _("quantity must be a whole number above 0 (at "
                                             "most 999999999), not “%(value)s”",
                                             value=_short(raw_qty))))
            if location is not None and product_id is not None:
                key = (location.id, product_id)
                if key in seen:
                    errs.append(RowError(line, _("%(code)s / %(sku)s appears twice (also on "
                                                 "row %(seen)s)", code=code, sku=sku, seen=seen[key])))
                elif key in stocked:
                    errs.append(RowError(line, _("%(code)s already holds %(sku)s: an "
                                                 "initial load goes into empty bins; use an "
                                                 "adjustment or a count", code=code, sku=sku)))
                seen[key] = line
            result.add_errors(errs)
    del seen
    if result.errors:
        raise ImportRefused(result)
    if dry_run:
        return result
    for batch in reader.batches():
        codes = {row["location"].upper() for _line, row in batch}
        locations = {loc.code: loc for loc in db.session.execute(
            select(Location).where(Location.code.in_(codes))).scalars()}
        products = {p.sku: p for p in db.session.execute(
            select(Product).where(Product.sku.in_({row["sku"] for _line, row in batch}))).scalars()}
        for _line, row in batch:
            inventory.receive(products[row["sku"]], locations[row["location"].upper()], int(row["quantity"]),
                              user=user, reason=MoveReason.INITIAL_LOAD, reference="initial-load")
            result.created += 1
        db.session.flush()
    _analyze_after(result, StockLevel, StockMove)
    return result


# "warehouse": the site's code (several sites); empty or absent: the first site.
LOCATION_COLUMNS = ["code", "kind", "zone", "aisle", "bay", "level", "pos_x", "pos_y", "walk_sequence", "warehouse"]
LOCATION_REQUIRED = ["code", "kind"]


def _location_fields(row: dict, errs: list, line: int):
    from wms.barcodes import DEFAULT_LOCATION_PATTERN, ScanKind, parse_scan

    code = row.get("code", "").upper()
    if parse_scan(code, DEFAULT_LOCATION_PATTERN).kind is not ScanKind.LOCATION:
        errs.append(RowError(line, _("code “%(code)s” is not a location code (e.g. A-01-02-3 "
                                     "or DOCK-01)", code=code)))
        code = None
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
    return code, kind, row.get("zone") or None, numbers, coords


def _location_site(row: dict, sites: dict, default, errs: list, line: int):
    """The site a location row names in its `warehouse` column (its code), else the first."""
    named = (row.get("warehouse") or "").strip()
    if not named:
        return default
    site = sites.get(named.upper())
    if site is None:
        errs.append(RowError(line, _("warehouse “%(code)s” does not exist (sites: %(sites)s)",
                                     code=_short(named), sites=", ".join(sites))))
    return site


def import_locations(source, *, dry_run: bool = False) -> ImportResult:
    """Create or update locations by code from CSV; nothing is written if any row is bad.

    A row's `warehouse` column names its site by code (empty: the first site); an existing
    location keeps its site: a code does not move between sites."""
    from wms.domain.locations.models import Warehouse

    result = ImportResult()
    reader = _open(source, LOCATION_COLUMNS, LOCATION_REQUIRED, result)
    sites = {w.code.upper(): w for w in db.session.execute(select(Warehouse).order_by(Warehouse.id)).scalars()}
    warehouse = next(iter(sites.values()), None)
    if warehouse is None:
        result.errors.append(RowError(1, _("there is no warehouse yet: create one (wms seed) first")))
        raise ImportRefused(result)
    seen: dict[str, int] = {}
    for batch in _first_pass(reader, result):
        codes = {row.get("code", "").upper() for _line, row in batch}
        site_of = dict(db.session.execute(select(Location.code, Location.warehouse_id)
                                          .where(Location.code.in_(codes))).all())
        for line, row in batch:
            errs: list[RowError] = []
            code = _location_fields(row, errs, line)[0]
            if code is not None and code in seen:
                errs.insert(0, RowError(line, _("code %(code)s appears twice (also on row %(seen)s)",
                                                code=code, seen=seen[code])))
            elif code is not None:
                seen[code] = line
            site = _location_site(row, sites, warehouse, errs, line)
            named = (row.get("warehouse") or "").strip()  # empty: an existing location keeps its site
            if named and site is not None and code in site_of and site_of[code] != site.id:
                errs.append(RowError(line, _("%(code)s is a location of another site: a location does not "
                                             "move between sites (create a new code)", code=code)))
            result.add_errors(errs)
    del seen
    if result.errors:
        raise ImportRefused(result)
    if dry_run:
        return result
    for batch in reader.batches():
        fields = [(*_location_fields(row, [], line), _location_site(row, sites, warehouse, [], line))
                  for line, row in batch]
        existing = {loc.code: loc for loc in db.session.execute(
            select(Location).where(Location.code.in_([f[0] for f in fields]))).scalars()}
        for code, kind, zone, numbers, coords, site in fields:
            location = existing.get(code)
            if location is None:
                location = Location(code=code, kind=kind, warehouse_id=site.id)
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
    _analyze_after(result, Location)
    return result
