"""Generate a large warehouse for benchmarks: 100,000 SKUs, 20,000 bins, 1,000,000 movements.

Rows go in with bulk statements (COPY on PostgreSQL, executemany on SQLite) instead of the
inventory service, which is far too slow for a million rows; the ledger invariant still
holds because every balance is written as the sum of the movements generated for it:
per product, 4 receipts of 30 into its bin, 3 picks of 5 from the bin to the packing
bench, 3 shipments of 5 from the bench (bin 105, bench 0). `wms check-ledger` passes.
"""
from __future__ import annotations

import enum
import time
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select, text

from wms.barcodes import gs1_check_digit
from wms.db import db, utcnow
from wms.domain.catalog.models import Barcode, Product, Symbology
from wms.domain.inventory.models import MoveReason, StockLevel, StockMove
from wms.domain.locations.models import Location, LocationKind, Warehouse
from wms.domain.picking.allocation import picked_location
from wms.domain.users.models import Role, User

PRODUCTS = 100_000
LOCATIONS = 20_000
MOVES_PER_PRODUCT = 10  # 100,000 x 10 = 1,000,000 movements
SKU_PREFIX = "LG-"
# 20 zones LA..LT x 50 aisles x 20 bays, level 1: codes like LA-01-01-1 the scanner reads.
ZONES = [f"L{chr(ord('A') + n)}" for n in range(20)]
CHUNK = 20_000
RECEIPTS, RECEIPT_QTY, PICKS, PICK_QTY = 4, 30, 3, 5


def large_sku(n: int) -> str:
    """The SKU of the n-th generated product (0-based)."""
    return f"{SKU_PREFIX}{n:06d}"


def large_ean(n: int) -> str:
    """The EAN-13 of the n-th generated product: prefix 200 (in-store numbers) + check digit."""
    body = f"200{n:09d}"
    return body + str(gs1_check_digit(body))


def large_location_code(n: int) -> str:
    """The code of the n-th generated bin."""
    zone, rest = divmod(n, 1000)
    aisle, bay = divmod(rest, 20)
    return f"{ZONES[zone]}-{aisle + 1:02d}-{bay + 1:02d}-1"


def seed_large(echo: Callable[[str], None] = print, *, products: int = PRODUCTS,
               locations: int = LOCATIONS) -> dict:
    """Add the large catalogue, bins and ledger to a seeded demo warehouse; return the counts."""
    if products < 1 or locations < 1 or locations > len(ZONES) * 1000:
        raise ValueError(f"Choose 1 to {PRODUCTS} products and 1 to {len(ZONES) * 1000} locations.")
    if db.session.scalar(select(func.count()).select_from(Product).where(Product.sku.like(f"{SKU_PREFIX}%"))):
        raise RuntimeError("The large warehouse is already loaded (products LG-…): use a fresh database.")
    warehouse = db.session.execute(select(Warehouse).order_by(Warehouse.id)).scalars().first()
    if warehouse is None:
        raise RuntimeError("Load the demo warehouse first (`wms seed`): the large one is added to it.")
    pack_id = picked_location().id
    admin_id = db.session.scalar(select(User.id).where(User.role == Role.ADMIN).order_by(User.id).limit(1))
    db.session.flush()
    started = time.perf_counter()
    now = utcnow().replace(microsecond=0)

    def step(label: str, t0: float) -> None:
        echo(f"  {label} in {time.perf_counter() - t0:.1f} s")

    t0 = time.perf_counter()
    last_walk = db.session.scalar(select(func.max(Location.walk_sequence))) or 0
    _bulk(Location, ["warehouse_id", "code", "kind", "zone", "aisle", "bay", "level", "pos_x", "pos_y",
                     "walk_sequence", "active", "needs_count"],
          ((warehouse.id, large_location_code(n), LocationKind.PICK_FACE, ZONES[n // 1000], None,
            n % 20 + 1, 1, None, None, last_walk + 10 * (n + 1), True, False) for n in range(locations)))
    first_location = db.session.scalar(select(Location.id).where(Location.code == large_location_code(0)))
    step(f"{locations:,} locations", t0)

    t0 = time.perf_counter()
    _bulk(Product, ["sku", "name", "variant", "weight_g", "active", "created_at"],
          ((large_sku(n), f"Benchmark article {n:06d}", None, 100 + n % 900, True, now) for n in range(products)))
    first_product = db.session.scalar(select(Product.id).where(Product.sku == large_sku(0)))
    _bulk(Barcode, ["code", "product_id", "symbology", "pack_qty"],
          ((large_ean(n), first_product + n, Symbology.EAN13, 1) for n in range(products)))
    step(f"{products:,} products with barcodes", t0)
    # Both tables were filled in one statement stream, so their ids are consecutive.
    _check_consecutive(Location, first_location, locations, large_location_code)
    _check_consecutive(Product, first_product, products, large_sku)

    t0 = time.perf_counter()
    start = now - timedelta(days=365)
    _bulk(StockMove, ["product_id", "quantity", "from_location_id", "to_location_id", "reason",
                      "reference", "note", "user_id", "created_at"],
          _moves(products, locations, first_product, first_location, pack_id, admin_id, start))
    step(f"{products * MOVES_PER_PRODUCT:,} movements", t0)

    t0 = time.perf_counter()
    on_bin = RECEIPTS * RECEIPT_QTY - PICKS * PICK_QTY

    def levels() -> Iterator[tuple]:
        for n in range(products):
            last_receipt = _when(start, n, RECEIPTS - 1)
            yield (first_location + n % locations, first_product + n, on_bin, 0, last_receipt,
                   _when(start, n, MOVES_PER_PRODUCT - 1 - PICKS))
            yield (pack_id, first_product + n, 0, 0, None, _when(start, n, MOVES_PER_PRODUCT - 1))

    _bulk(StockLevel, ["location_id", "product_id", "on_hand", "reserved", "first_in_at", "updated_at"], levels())
    step(f"{2 * products:,} stock balances", t0)

    t0 = time.perf_counter()
    db.session.flush()
    db.session.execute(text("ANALYZE"))
    step("statistics (ANALYZE)", t0)
    counts = {"products": products, "locations": locations, "movements": products * MOVES_PER_PRODUCT,
              "seconds": round(time.perf_counter() - started, 1)}
    echo(f"Large warehouse generated in {counts['seconds']} s: {products:,} SKUs, {locations:,} locations, "
         f"{counts['movements']:,} movements.")
    return counts


def _when(start, n: int, k: int):
    # Product n's k-th movement: products spread over the year, movements an hour apart.
    return start + timedelta(seconds=n * 300 + k * 3600)


def _moves(products, locations, first_product, first_location, pack_id, admin_id, start) -> Iterator[tuple]:
    received, picked, shipped = MoveReason.RECEIVED, MoveReason.PICKED, MoveReason.SHIPPED
    for n in range(products):
        product, bin_ = first_product + n, first_location + n % locations
        k = 0
        for r in range(RECEIPTS):
            yield (product, RECEIPT_QTY, None, bin_, received, f"RCV-LG{n * RECEIPTS + r}", None, admin_id,
                   _when(start, n, k))
            k += 1
        for p in range(PICKS):
            yield (product, PICK_QTY, bin_, pack_id, picked, f"PL-LG{n}", None, admin_id, _when(start, n, k))
            k += 1
        for p in range(PICKS):
            yield (product, PICK_QTY, pack_id, None, shipped, f"SO-LG{n}-{p}", None, admin_id, _when(start, n, k))
            k += 1


def _check_consecutive(model, first_id: int, count: int, code_of) -> None:
    column = model.code if model is Location else model.sku
    last = db.session.scalar(select(column).where(model.id == first_id + count - 1))
    if last != code_of(count - 1):
        raise RuntimeError(f"{model.__tablename__} ids are not consecutive; use a fresh database.")


def _bulk(model, columns: list[str], rows: Iterable[tuple]) -> None:
    """Insert rows (tuples in the order of columns): COPY on PostgreSQL, executemany on SQLite."""
    connection = db.session.connection()
    if connection.dialect.name == "postgresql":
        table = model.__table__
        cursor = connection.connection.driver_connection.cursor()
        names = ", ".join(f'"{c}"' for c in columns)
        enums = [i for i, c in enumerate(columns) if hasattr(table.c[c].type, "enum_class")
                 and table.c[c].type.enum_class is not None]
        with cursor.copy(f"COPY {table.name} ({names}) FROM STDIN") as copy:
            for row in rows:
                if enums:
                    row = list(row)
                    for i in enums:
                        row[i] = row[i].name
                copy.write_row(row)
        cursor.close()
        return
    # Plain executemany of tuples: SQLAlchemy's per-value type processing would take most of
    # the time, so values are given in SQLite's stored form (see _sqlite_value).
    sql = (f"INSERT INTO {model.__table__.name} ({', '.join(chr(34) + c + chr(34) for c in columns)}) "
           f"VALUES ({', '.join('?' for _ in columns)})")
    chunk: list[tuple] = []
    for row in rows:
        chunk.append(tuple(_sqlite_value(v) for v in row))
        if len(chunk) >= CHUNK:
            connection.exec_driver_sql(sql, chunk)
            chunk = []
    if chunk:
        connection.exec_driver_sql(sql, chunk)


def _sqlite_value(value):
    """A value as SQLAlchemy stores it on SQLite: enums by name, UTC times as naive text."""
    if isinstance(value, enum.Enum):
        return value.name
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    if isinstance(value, bool):
        return int(value)
    return value
