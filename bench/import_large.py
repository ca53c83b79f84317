"""Benchmark the CSV imports on large files: products and an initial stock load.

Run: .venv/bin/python bench/import_large.py [--rows 50000] [--db sqlite|postgresql]
Generates a products CSV (~5 MB at 50,000 rows: SKU, name, variant, one EAN-13, weights and
sizes) and a stock CSV (one row per product, into as many bins), then imports each through the
code path of `wms import products|stock` (wms.domain.importing): a dry run (the desk's
preview) and the real import. Prints rows/s per step, or with --trace the peak of Python
memory (tracemalloc) per step, and the process's peak RSS. The last line of output is one JSON object with the figures.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.import_orders import scratch_database  # noqa: E402
from wms import create_app  # noqa: E402
from wms.db import db  # noqa: E402
from wms.domain import importing  # noqa: E402


def ean13(n: int) -> str:
    body = f"200{n:09d}"
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(body))
    return body + str((10 - total % 10) % 10)


def write_files(folder: str, rows: int) -> tuple[str, str, str]:
    products = os.path.join(folder, "products.csv")
    with open(products, "w", encoding="utf-8", newline="") as out:
        out.write("sku,name,variant,barcodes,weight_g,length_mm,width_mm,height_mm,zone\n")
        for i in range(rows):
            out.write(f"SKU-{i:06d},Organic cotton T-shirt {i},Black / size {i % 7},{ean13(i)},"
                      f"{150 + i % 400},{200 + i % 50},{150 + i % 40},{10 + i % 30},A\n")
    locations = os.path.join(folder, "locations.csv")
    with open(locations, "w", encoding="utf-8", newline="") as out:
        out.write("code,kind,zone,aisle,bay,level\n")
        for i in range(rows):
            aisle, bay, level = 1 + i // 2500, 1 + (i // 50) % 50, 1 + i % 50
            out.write(f"A-{aisle:02d}-{bay:02d}-{level},STORAGE,A,{aisle},{bay},{level}\n")
    stock = os.path.join(folder, "stock.csv")
    with open(stock, "w", encoding="utf-8", newline="") as out:
        out.write("location,sku,quantity\n")
        for i in range(rows):
            aisle, bay, level = 1 + i // 2500, 1 + (i // 50) % 50, 1 + i % 50
            out.write(f"A-{aisle:02d}-{bay:02d}-{level},SKU-{i:06d},{1 + i % 90}\n")
    return products, locations, stock


def run(function, path: str, trace: bool, **kwargs) -> dict:
    """Import one file as `wms import` does (a stream where the code takes one, else its text)."""
    if trace:
        tracemalloc.start()
    started = time.perf_counter()
    if hasattr(importing, "open_source"):
        with open(path, "rb") as raw:
            result = function(importing.open_source(raw), **kwargs)
    else:
        result = function(Path(path).read_text(encoding="utf-8-sig"), **kwargs)
    if kwargs.get("dry_run"):
        db.session.rollback()
    else:
        db.session.commit()
    seconds = time.perf_counter() - started
    figures = {"rows": result.rows, "seconds": round(seconds, 2), "rows_per_s": round(result.rows / seconds)}
    if trace:
        figures["peak_mb"] = round(tracemalloc.get_traced_memory()[1] / 1e6, 1)
        tracemalloc.stop()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--trace", action="store_true",
                        help="measure the peak of Python memory (tracemalloc: 2-3 times slower)")
    parser.add_argument("--steps", default="products_dry_run,products,products_again,locations,stock_dry_run,stock",
                        help="the steps to run, in order (stock needs products and locations)")
    args = parser.parse_args()
    figures: dict = {"rows": args.rows, "db": args.db}
    with tempfile.TemporaryDirectory() as folder:
        products, locations, stock = write_files(folder, args.rows)
        figures["products_file_mb"] = round(os.path.getsize(products) / 1e6, 1)
        figures["stock_file_mb"] = round(os.path.getsize(stock) / 1e6, 1)
        print(f"files: products {figures['products_file_mb']} MB, stock {figures['stock_file_mb']} MB", flush=True)
        url, cleanup = scratch_database(args.db, folder)
        try:
            app = create_app({"TESTING": True, "DATABASE_URL": url, "SECRET_KEY": "bench"})
            with app.app_context():
                db.create_all()
                from wms.domain.locations.models import Warehouse

                db.session.add(Warehouse(code="WH1", name="Bench"))
                db.session.commit()

                def step(name, function, path, **kwargs):
                    if name not in args.steps.split(","):
                        return
                    figures[name] = run(function, path, args.trace, **kwargs)
                    print(f"{name:18} {figures[name]}", flush=True)

                step("products_dry_run", importing.import_products, products, dry_run=True)
                step("products", importing.import_products, products)
                step("products_again", importing.import_products, products)  # all updates
                step("locations", importing.import_locations, locations)
                step("stock_dry_run", importing.import_stock, stock, dry_run=True)
                step("stock", importing.import_stock, stock)
                db.session.remove()
                db.engine.dispose()
        finally:
            cleanup()
    figures["max_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
