"""Profile the handheld picking scan in-process: CPU and SQL statements per scan, hot spots.

Run: .venv/bin/python bench/scan_profile.py --db sqlite|postgresql [--scans 600] [--profile]

A fresh database (SQLite file in a temporary folder, or a scratch PostgreSQL database on
WMS_TEST_PG_URL), single-order pick lists of a few lines, one operator signed in through
the test client of a second app (its own session per request, as under gunicorn). It
scans list, location, product, product... through every list and reports per scan kind: CPU
(process time) and statements per scan; with --profile, cProfile's top functions and the
Python function calls per scan of each kind (deterministic: unlike CPU time, a loaded machine
does not change it, so two versions of the code compare on a shared machine).
No network, no server: what one scan costs the server's Python and its database driver.
"""
from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, event, text  # noqa: E402

from wms import create_app  # noqa: E402
from wms.db import db  # noqa: E402

# The screen's bin and SKU, and how a partial answer changes the screen: as the load bench reads them.
from scan_load import PG_SERVER_URL, PICK_LOCATION, PICK_SKU, on_screen  # noqa: E402


def setup(url: str, lists: int, lines: int, qty: int) -> tuple[list[str], dict]:
    from wms.domain.catalog.models import Product
    from wms.domain.catalog.services import add_barcode
    from wms.domain.inventory.services import receive
    from wms.domain.locations.models import Location, LocationKind, Warehouse
    from wms.domain.orders.models import Order, OrderLine
    from wms.domain.picking.allocation import allocate_orders
    from wms.domain.picking.services import create_pick_list
    from wms.domain.users.models import Role, User
    from wms.barcodes import gs1_check_digit

    app = create_app({"TESTING": True, "DATABASE_URL": url, "SECRET_KEY": "p"})
    with app.app_context():
        db.create_all()
        wh = Warehouse(code="WH1", name="Main", company="X", address1="1 Road", postcode="75001",
                       city="Paris", country="FR")
        db.session.add(wh)
        db.session.flush()
        db.session.add(Location(warehouse_id=wh.id, code="PACK-01", kind=LocationKind.PACKING))
        user = User(username="prof", name="Profiler", role=Role.OPERATOR)
        user.HASH_METHOD = "pbkdf2:sha256:1000"
        user.set_password("password-123")
        db.session.add(user)
        barcodes = {}
        products = []
        for n in range(1, lines + 1):
            loc = Location(warehouse_id=wh.id, code=f"A-01-{n:02d}-1", kind=LocationKind.PICK_FACE,
                           zone="A", aisle=1, bay=n, level=1, pos_x=3.0, pos_y=((n + 1) // 2) * 1.2)
            product = Product(sku=f"P-{n}", name=f"Product {n}")
            db.session.add_all([loc, product])
            db.session.flush()
            body = f"376000{n:06d}"
            add_barcode(product, body + str(gs1_check_digit(body)))
            barcodes[product.sku] = body + str(gs1_check_digit(body))
            receive(product, loc, lists * qty)
            products.append(product)
        orders = []
        for n in range(lists):
            order = Order(reference=f"PROF-{n}")
            for line_no, product in enumerate(products, start=1):
                order.lines.append(OrderLine(line_no=line_no, product_id=product.id, sku=product.sku,
                                             name=product.name, quantity=qty))
            db.session.add(order)
            orders.append(order)
        db.session.flush()
        allocate_orders([o.id for o in orders])
        codes = [create_pick_list([o.id]).code for o in orders]
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    return codes, barcodes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--scans", type=int, default=600)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--profile-out", metavar="FILE",
                        help="with --profile, also save the product scans' profile (pstats) there")
    args = parser.parse_args()
    folder = tempfile.mkdtemp(prefix="wms-prof-")
    os.environ.setdefault("WMS_INSTANCE_PATH", folder)
    drop = lambda: None  # noqa: E731
    if args.db == "sqlite":
        url = f"sqlite:///{folder}/prof.db"
    else:
        name = f"wms_prof_{os.getpid()}"
        server = create_engine(PG_SERVER_URL.replace("postgresql://", "postgresql+psycopg://", 1) + "/postgres",
                               isolation_level="AUTOCOMMIT")
        with server.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        url = f"{PG_SERVER_URL}/{name}"

        def drop():
            with server.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    try:
        lines, qty = 6, 4
        codes, barcodes = setup(url, max(4, args.scans // (lines * (qty + 1)) + 2), lines, qty)
        app = create_app({"TESTING": True, "DATABASE_URL": url, "SECRET_KEY": "p", "WTF_CSRF_ENABLED": False})
        with app.app_context():
            engine = db.engine
        statements: list[str] = []
        event.listen(engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
        event.listen(engine, "commit", lambda *a: statements.append("COMMIT"))
        client = app.test_client()
        assert client.post("/login", data={"username": "prof", "password": "password-123"}).status_code == 302
        hx = {"HX-Request": "true"}
        screen = client.get("/handheld/pick").get_data(as_text=True)
        cost = {"list": [0.0, 0, 0], "location": [0.0, 0, 0], "product": [0.0, 0, 0]}  # cpu s, statements, scans
        profiles = {"location": cProfile.Profile(), "product": cProfile.Profile()} if args.profile else None
        n = 0
        while n < args.scans:
            where = PICK_LOCATION.search(screen)
            if where is None:
                code, kind = codes.pop(0), "list"
            elif not where.group(1):
                code, kind = where.group(2).strip(), "location"
            else:
                code, kind = barcodes[PICK_SKU.search(screen).group(1).strip()], "product"
            n += 1
            scan_id = f"prof-{n:08d}"
            statements.clear()
            profile = profiles and profiles.get(kind)
            if profile:
                profile.enable()
            t0 = time.process_time()
            r = client.post("/handheld/pick/scan", data={"code": code, "qty": "1", "scan_id": scan_id},
                            headers={**hx, "X-Scan-Id": scan_id})
            spent = time.process_time() - t0
            if profile:
                profile.disable()
            if r.status_code != 200:
                raise SystemExit(f"{kind} scan {code}: HTTP {r.status_code}\n{r.get_data(as_text=True)[:500]}")
            screen = on_screen(screen, r.get_data(as_text=True), r.headers.get("HX-Retarget") == "#status")
            if n > 1:  # the first list scan of the run also creates the operator's flow state
                cost[kind][0] += spent
                cost[kind][1] += len(statements)
                cost[kind][2] += 1
        result = {"db": args.db}
        for kind, (cpu, stmts, count) in cost.items():
            result[f"{kind}_cpu_ms"] = round(1000 * cpu / max(count, 1), 2)
            result[f"{kind}_statements"] = round(stmts / max(count, 1), 2)
            result[f"{kind}_scans"] = count
        if profiles:
            for kind, profile in profiles.items():
                result[f"{kind}_calls"] = round(pstats.Stats(profile).total_calls / max(cost[kind][2], 1))
            if args.profile_out:
                profiles["product"].dump_stats(args.profile_out)
            stats = pstats.Stats(profiles["location"]).add(profiles["product"])
            stats.sort_stats("cumulative").print_stats(45)
            stats.sort_stats("tottime").print_stats(30)
        with app.app_context():
            db.engine.dispose()
        print(json.dumps(result))
    finally:
        drop()


if __name__ == "__main__":
    main()
