"""Benchmark the PrestaShop order import: N orders from the fake shop into a fresh database.

Run: .venv/bin/python bench/import_orders.py [--orders 10000] [--db sqlite|postgresql] [--page-size 100]
     [--sites 2]
--sites N: N sites with stock of every product, so each order is routed to a site at import
(one stock read per page). The output counts the SQL statements of the import too.
PostgreSQL: a scratch database on WMS_TEST_PG_URL (default postgresql://postgres@127.0.0.1:5432),
dropped afterwards. The shop is the in-memory fake served over HTTP on 127.0.0.1, so the
figure includes real HTTP, JSON decoding and the database writes, not network latency.
The last line of output is one JSON object with the figures.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import create_engine, event, func, select, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from tests.fakeshop import FakeShop, serve  # noqa: E402
from tests.integrations.sync_helpers import client_for, configure_shop, mirror_catalog  # noqa: E402
from wms import create_app  # noqa: E402
from wms.db import db  # noqa: E402
from wms.domain.orders.models import Order  # noqa: E402
from wms.integrations.prestashop.sync import import_orders  # noqa: E402

PG_SERVER_URL = os.environ.get("WMS_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


def scratch_database(kind: str, folder: str):
    """Return (url, cleanup) for an empty database of ``kind``."""
    if kind == "sqlite":
        return f"sqlite:///{folder}/bench.db", lambda: None
    name = f"wms_bench_{uuid.uuid4().hex[:8]}"
    server = create_engine(PG_SERVER_URL, isolation_level="AUTOCOMMIT")
    with server.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))

    def drop():
        with server.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        server.dispose()

    return make_url(PG_SERVER_URL).set(database=name).render_as_string(hide_password=False), drop


def _time_requests(client) -> list[float]:
    """Wrap client.request to add up the time spent waiting for the shop; return the running total."""
    total = [0.0]
    real = client.request

    def timed(*args, **kwargs):
        started = time.perf_counter()
        try:
            return real(*args, **kwargs)
        finally:
            total[0] += time.perf_counter() - started

    client.request = timed
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=10_000)
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--page-size", type=int, default=100)
    parser.add_argument("--sites", type=int, default=0, help="sites with stock (orders are routed at import)")
    args = parser.parse_args()
    if args.orders < 1:
        parser.error("--orders must be at least 1")

    folder = tempfile.mkdtemp(prefix="wms-bench-import-")
    os.environ.setdefault("WMS_INSTANCE_PATH", folder)
    url, cleanup = scratch_database(args.db, folder)
    shop = FakeShop()
    started = time.perf_counter()
    shop.generate_orders(args.orders, states=(2, 3, 11), seed=1)
    print(f"fake shop: {args.orders} orders generated in {time.perf_counter() - started:.1f}s", file=sys.stderr)
    try:
        app = create_app({"TESTING": True, "DATABASE_URL": url, "SECRET_KEY": "bench",
                          "PRESTASHOP_PAGE_SIZE": args.page_size})
        with app.app_context(), serve(shop) as shop_url:
            db.create_all()
            products = mirror_catalog(shop)
            _make_sites(args.sites, products)
            settings = configure_shop(app, shop_url, shop.key)
            client = client_for(settings)
            waited = _time_requests(client)
            statements = [0]

            def counted(*_args):
                statements[0] += 1

            event.listen(db.engine, "before_cursor_execute", counted)
            started = time.perf_counter()
            result = import_orders(settings, client)
            seconds = time.perf_counter() - started
            event.remove(db.engine, "before_cursor_execute", counted)
            routed = db.session.scalar(select(func.count()).select_from(Order).where(Order.warehouse_id.is_not(None)))
            count = db.session.scalar(select(func.count()).select_from(Order))
            client.close()
            db.session.remove()
            db.engine.dispose()
    finally:
        cleanup()
    if count != args.orders or result.errors:
        print(f"expected {args.orders} orders, imported {count}; errors: {result.errors[:3]}", file=sys.stderr)
        sys.exit(1)
    print(f"{args.db}: {result.pages} pages of {args.page_size}, {client.request_count} requests, "
          f"{waited[0]:.1f}s of {seconds:.1f}s waiting for the (fake, linear-scan) shop", file=sys.stderr)
    print(json.dumps({"orders": count, "seconds": round(seconds, 2),
                      "orders_per_s": round(count / seconds, 1), "requests": client.request_count,
                      "statements": statements[0], "statements_per_order": round(statements[0] / count, 2),
                      "sites": args.sites, "routed": routed}))


def _make_sites(n: int, products) -> None:
    """N sites, each a pick face with 5 units of every product (received through the ledger)."""
    from wms.domain.inventory import services as inventory
    from wms.domain.locations.models import Location, LocationKind, Warehouse

    for i in range(n):
        site = Warehouse(code=f"S{i + 1}", name=f"Site {i + 1}", priority=i)
        db.session.add(site)
        db.session.flush()
        face = Location(warehouse_id=site.id, code=f"S{i + 1}-01-01-1", kind=LocationKind.PICK_FACE, aisle=1)
        db.session.add(face)
        db.session.flush()
        for product in products.values():
            inventory.receive(product, face, 5)
    db.session.commit()


if __name__ == "__main__":
    main()
