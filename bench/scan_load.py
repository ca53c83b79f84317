"""Benchmark the handheld's picking scans under load, through the production server.

Run: .venv/bin/python bench/scan_load.py --db sqlite|postgresql [--large]

It makes a fresh database (a SQLite file in a temporary folder, or a scratch PostgreSQL
database wms_bench_<pid> on WMS_TEST_PG_URL, default postgresql://postgres@127.0.0.1:5432,
dropped afterwards), runs `wms db upgrade` and `wms seed --demo-orders` (`--large`: 100,000 SKUs, 20,000
bins, 1,000,000 movements), creates operators and single-order pick lists (orders,
allocate_orders, create_pick_list), starts `wms serve` (gunicorn, gthread) on 127.0.0.1,
signs every operator in through /handheld/login (badge, PIN, CSRF token), and has each one
pick through the same requests static/js/scan.js sends: scan the location the screen
shows, then the product, one unit per scan. Each operator reads the next step from the
screen fragment it gets back, and takes a new list when its list is picked.

- paced: every operator scans once a second (N = 8, 32, 64): p50/p95/p99 latency, over 30 s
  (--paced-seconds): at N = 8, 240 scans.
- saturation: every operator scans again as soon as the answer arrives (N = 1, 8, 32):
  scans per second, the capacity of the machine.
- per run, the server's CPU per scan: the CPU time of the server's processes (gunicorn and its
  workers, one process group, from /proc) over the run, divided by its scans; on PostgreSQL
  also the CPU of the database's backends serving it.
- statements per scan: after the load, one operator picks a list in-process (Flask's test
  client of an app on the same database) with a listener counting every statement and COMMIT.
- the bare floor: bench/floor_app.py, a minimal Flask + Flask-SQLAlchemy app doing one INSERT
  and COMMIT per request, served the same way (gunicorn gthread, same workers and threads,
  an access log), driven at saturation (N = 8, 32) by the same client code, once before the
  scans and once after (a shared machine's speed drifts over minutes: the two bracket the
  scans); `ratio` is the best saturation scans/s over the best floor requests/s, each floor
  figure the mean of its two runs ("floor_runs" gives them all).

Afterwards: the ledger balances, the picked units equal the accepted product scans (no scan
applied twice), scan ids are unique, errors are counted. The last line of output is one
JSON object with the figures (top level: "cpu_ms_per_scan" over the saturation runs,
"statements_per_scan", "floor_per_s", "scans_per_s", "ratio"). The client threads run on the
same machine as the server.
"""
from __future__ import annotations

import argparse
import gc
import json
import os
import random
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import deque
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, func, select, text  # noqa: E402

from wms import create_app  # noqa: E402
from wms.db import db  # noqa: E402

PG_SERVER_URL = os.environ.get("WMS_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432")
WMS = str(ROOT / ".venv" / "bin" / "wms")
PIN = "4321"
PACED_CLIENTS = (8, 32, 64)
SATURATION_CLIENTS = (1, 8, 32)
FLOOR_CLIENTS = (8, 32)
HX = {"HX-Request": "true"}
CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)"')
CSRF_INPUT = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')
PICK_LOCATION = re.compile(r'class="pick-loc( pick-here)?" id="pick-location">([^<]+)<')
PICK_SKU = re.compile(r'id="pick-sku">([^<]+)<')


def on_screen(screen: str, answer: str, partial: bool) -> str:
    """The screen after an answer: the whole screen, or (an answer carrying only what changed,
    HX-Retarget #status) the same screen with the bin's element as the answer sends it."""
    if not partial:
        return answer
    where = PICK_LOCATION.search(answer)
    return PICK_LOCATION.sub(lambda _m: where.group(0), screen, count=1) if where else screen


# ------------------------------------------------------------------ database and server

def scratch_database(kind: str, folder: str):
    """Return (url, drop) for an empty database of this kind."""
    if kind == "sqlite":
        return f"sqlite:///{folder}/bench.db", lambda: None, None, None
    name = f"wms_bench_{os.getpid()}"
    server = create_engine(PG_SERVER_URL.replace("postgresql://", "postgresql+psycopg://", 1) + "/postgres",
                           isolation_level="AUTOCOMMIT")
    with server.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))

    def drop():
        with server.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        server.dispose()

    return f"{PG_SERVER_URL}/{name}", drop, server, name


def run_wms(env: dict, *args: str, timeout: float = 1800) -> str:
    """Run a `wms` command; fail loudly with its output."""
    done = subprocess.run([WMS, *args], env=env, capture_output=True, text=True, timeout=timeout)
    if done.returncode != 0:
        raise SystemExit(f"wms {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(env: dict, workers: int, threads: int, log_path: Path, floor_url: str | None = None):
    """Start `wms serve` (or, with floor_url, the bare floor app) on a free port of 127.0.0.1;
    return (process, base url). The server runs in its own process group (its CPU is measured)."""
    port = free_port()
    log = open(log_path, "w")
    if floor_url is None:
        command = [WMS, "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers),
                   "--threads", str(threads)]
    else:
        command = [sys.executable, str(ROOT / "bench" / "floor_app.py"), "--url", floor_url, "--port", str(port),
                   "--workers", str(workers), "--threads", str(threads),
                   "--access-log", env.get("WMS_ACCESS_LOG", "-") + ".floor"]
    process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"wms serve exited ({process.returncode}); see {log_path}:\n{log_path.read_text()[-2000:]}")
        try:
            if requests.get(url + "/healthz", timeout=2).status_code == 200:
                return process, url
        except requests.ConnectionError:
            pass
        time.sleep(0.2)
    stop_server(process)
    raise SystemExit(f"wms serve did not answer on {url} within 60 s; see {log_path}")


def stop_server(process) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(10)


# ------------------------------------------------------------------ CPU of the server processes

TICKS = os.sysconf("SC_CLK_TCK")


def _proc_cpu_s(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime + stime


def group_cpu_s(pgid: int) -> float:
    """CPU seconds used so far by the live processes of a process group (gunicorn and workers)."""
    total = 0.0
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except (OSError, IndexError):
                continue
            if int(fields[2]) == pgid:
                total += (int(fields[11]) + int(fields[12])) / TICKS
    return total


class CpuMeter:
    """CPU seconds of the server's processes, and of its PostgreSQL backends when there are."""

    def __init__(self, pgid: int, pg_admin=None, dbname: str | None = None):
        self.pgid, self.pg_admin, self.dbname = pgid, pg_admin, dbname

    def backends(self) -> dict[int, float]:
        if self.pg_admin is None:
            return {}
        with self.pg_admin.connect() as conn:
            pids = conn.execute(text("SELECT pid FROM pg_stat_activity WHERE datname = :d"),
                                {"d": self.dbname}).scalars().all()
        return {pid: _proc_cpu_s(pid) for pid in pids}

    def snapshot(self) -> tuple[float, dict[int, float]]:
        return group_cpu_s(self.pgid), self.backends()

    @staticmethod
    def spent(before, after) -> tuple[float, float]:
        """(server CPU s, database CPU s) between two snapshots (backends alive at the end)."""
        db_s = sum(cpu - before[1].get(pid, 0.0) for pid, cpu in after[1].items())
        return after[0] - before[0], db_s


# ------------------------------------------------------------------ operators and pick lists

def prepare(app, operators: int, lists: int, lines: int, qty: int, large: bool, rng: random.Random):
    """Create operators and single-order pick lists; return (badges, list codes, sku->barcode)."""
    from wms.domain.catalog.models import Barcode, Product
    from wms.domain.inventory.models import StockLevel
    from wms.domain.inventory.services import receive
    from wms.domain.locations.models import Location, LocationKind
    from wms.domain.orders.models import Order, OrderLine
    from wms.domain.picking.allocation import allocate_orders
    from wms.domain.picking.services import create_pick_list
    from wms.domain.users.models import Role, User

    with app.app_context():
        template = User(username="bench-template", name="template", role=Role.OPERATOR)
        template.set_pin(PIN)  # scrypt is slow on purpose: hash once, share the hash
        badges = []
        for n in range(1, operators + 1):
            badge = f"BENCH-{n:03d}"
            db.session.add(User(username=f"bench{n:03d}", name=f"Bench operator {n}", role=Role.OPERATOR,
                                badge_code=badge, pin_hash=template.pin_hash, session_version=1))
            badges.append(badge)
        db.session.flush()
        # The demo has two sites: the lists are picked in the first (the operators' handhelds
        # have no station, so any site's bins are theirs; the orders must come from one site).
        site = db.session.execute(select(func.min(Location.warehouse_id))).scalar_one()
        needed = lists * lines
        if large:
            # Distinct products of the large catalogue, each holding 105 units in its own bin.
            skus = [f"LG-{n:06d}" for n in rng.sample(range(100_000), needed)]
            products = dict(db.session.execute(select(Product.sku, Product.id).where(Product.sku.in_(skus))).all())
            picks = [[(products[skus[i * lines + j]], qty) for j in range(lines)] for i in range(lists)]
        else:
            # Demo products that have a pick face; receive there what the lists will take.
            faces = db.session.execute(
                select(StockLevel.product_id, StockLevel.location_id).join(Location, Location.id == StockLevel.location_id)
                .where(Location.kind == LocationKind.PICK_FACE, Location.warehouse_id == site)
                .order_by(StockLevel.product_id)).all()
            face_of = {}
            for product_id, location_id in faces:
                face_of.setdefault(product_id, location_id)
            pool = sorted(face_of)
            picks = [[(p, qty) for p in rng.sample(pool, lines)] for _ in range(lists)]
            demand: dict[int, int] = {}
            for order in picks:
                for p, q in order:
                    demand[p] = demand.get(p, 0) + q
            for p, q in demand.items():
                receive(p, face_of[p], q, reference="BENCH")
        product_rows = {p.id: p for p in db.session.execute(
            select(Product).where(Product.id.in_({p for order in picks for p, _ in order}))).scalars()}
        orders = []
        for n, order_picks in enumerate(picks, start=1):
            order = Order(reference=f"BENCH-{n}", warehouse_id=site)
            for line_no, (p, q) in enumerate(order_picks, start=1):
                product = product_rows[p]
                order.lines.append(OrderLine(line_no=line_no, product_id=p, sku=product.sku, name=product.name,
                                             quantity=q))
            db.session.add(order)
            orders.append(order)
        db.session.flush()
        report = allocate_orders([o.id for o in orders])
        codes = [create_pick_list([o.id]).code for o in orders]
        barcodes = dict(db.session.execute(
            select(Product.sku, Barcode.code).join(Barcode, Barcode.product_id == Product.id)
            .where(Product.id.in_(list(product_rows)))).all())
        db.session.commit()
        db.session.remove()
        return badges, codes, barcodes, report


class Operator:
    """One simulated picker: a signed-in session, a pick list, and what the screen shows."""

    def __init__(self, base: str, badge: str, barcodes: dict, lists: deque, lock: threading.Lock):
        self.base, self.badge, self.barcodes, self.lists, self.lock = base, badge, barcodes, lists, lock
        self.http = requests.Session()
        self.csrf = ""
        self.screen = ""
        self.product_scans_ok = 0
        self.scans_ok = 0
        self.replayed = 0
        self.last_kind = ""
        self.errors: list[str] = []

    def sign_in(self) -> None:
        form = self.http.get(f"{self.base}/handheld/login", timeout=30).text
        token = CSRF_META.search(form) or CSRF_INPUT.search(form)
        if token is None:
            raise SystemExit("No CSRF token on /handheld/login.")
        r = self.http.post(f"{self.base}/handheld/login", timeout=30, allow_redirects=False,
                           data={"badge": self.badge, "pin": PIN, "csrf_token": next(g for g in token.groups() if g)})
        if r.status_code != 302:
            raise SystemExit(f"Sign-in of {self.badge} failed: HTTP {r.status_code}")
        page = self.http.get(f"{self.base}/handheld/pick", timeout=30).text
        self.csrf = CSRF_META.search(page).group(1)
        self.screen = page

    def next_code(self) -> tuple[str, str] | None:
        """What the operator scans next, read from the screen: (kind, code), or None (no list left)."""
        where = PICK_LOCATION.search(self.screen)
        if where is None:  # no list held, or the list is picked: take the next one
            with self.lock:
                if not self.lists:
                    return None
                return "list", self.lists.popleft()
        if not where.group(1):
            return "location", where.group(2).strip()
        return "product", self.barcodes[PICK_SKU.search(self.screen).group(1).strip()]

    def scan(self, code: str) -> tuple[int, float, str, bool]:
        """Send one scan as scan.js does (retrying a network failure with the same id);
        (status, seconds, body, whether the answer carries only what changed)."""
        scan_id = "s-" + secrets.token_hex(16)
        data = {"code": code, "qty": "1", "scan_id": scan_id, "csrf_token": self.csrf}
        headers = {**HX, "X-CSRFToken": self.csrf, "X-Scan-Id": scan_id}
        started = time.perf_counter()
        for attempt in range(3):
            try:
                r = self.http.post(f"{self.base}/handheld/pick/scan", data=data, headers=headers, timeout=30)
                break
            except requests.RequestException as exc:
                if attempt == 2:
                    return 0, time.perf_counter() - started, f"network: {exc.__class__.__name__}", False
        elapsed = time.perf_counter() - started
        if r.headers.get("X-Scan-Replayed"):
            self.replayed += 1
        return r.status_code, elapsed, r.text, r.headers.get("HX-Retarget") == "#status"

    def step(self) -> float | None:
        """Scan the next thing; return the latency in seconds, or None when no list is left."""
        nxt = self.next_code()
        if nxt is None:
            return None
        kind, code = nxt
        self.last_kind = kind
        status, elapsed, body, partial = self.scan(code)
        if status == 200:
            self.scans_ok += 1
            self.product_scans_ok += kind == "product"
            self.screen = on_screen(self.screen, body, partial)
            if kind == "product" and PICK_LOCATION.search(self.screen) is None:
                self.last_kind = "last unit"  # the list's last: it closes the list and its order
        else:
            self.errors.append(f"{kind} {code}: HTTP {status} {body[:160]!r}")
            if kind == "list":
                self.screen = ""
        return elapsed


class FloorClient:
    """A client of the bare floor app: POST /hit as fast as answers come (saturation)."""

    def __init__(self, base: str, n: int):
        self.base, self.badge, self.errors = base, f"floor-{n}", []
        self.http = requests.Session()

    def step(self) -> float | None:
        started = time.perf_counter()
        try:
            r = self.http.post(f"{self.base}/hit", data={"code": "3760000000017", "qty": "1"},
                               headers=HX, timeout=30)
            if r.status_code != 200:
                self.errors.append(f"floor HTTP {r.status_code}")
        except requests.RequestException as exc:
            self.errors.append(f"floor network: {exc.__class__.__name__}")
        return time.perf_counter() - started


def count_statements(url: str, badge: str, list_code: str, barcodes: dict, scans: int = 40) -> dict:
    """Statements per picking scan, counted in-process on the bench's database.

    The same requests as the load (sign-in by badge and PIN, then bin and product scans of
    one list) through Flask's test client of a separate app, its own session per request as
    under gunicorn; a listener counts every statement the engine sends, and each COMMIT.
    """
    from sqlalchemy import event

    app = create_app({"TESTING": True, "DATABASE_URL": url, "WTF_CSRF_ENABLED": False})
    with app.app_context():
        engine = db.engine
    counted: list[str] = []
    event.listen(engine, "before_cursor_execute", lambda *a: counted.append(a[2]))
    event.listen(engine, "commit", lambda *a: counted.append("COMMIT"))
    client = app.test_client()
    r = client.post("/handheld/login", data={"badge": badge, "pin": PIN})
    if r.status_code != 302:
        raise SystemExit(f"statement count: sign-in of {badge} failed (HTTP {r.status_code})")
    by_kind: dict[str, list[int]] = {"location": [], "product": []}
    screen, code, kind = "", list_code, "list"
    for n in range(scans + 1):
        counted.clear()
        scan_id = f"count-{n:06d}-{secrets.token_hex(4)}"
        r = client.post("/handheld/pick/scan", data={"code": code, "qty": "1", "scan_id": scan_id},
                        headers={**HX, "X-Scan-Id": scan_id})
        if r.status_code != 200:
            break
        if kind in by_kind:
            by_kind[kind].append(len(counted))
        screen = on_screen(screen, r.get_data(as_text=True), r.headers.get("HX-Retarget") == "#status")
        where = PICK_LOCATION.search(screen)
        if where is None:
            break
        code, kind = ((where.group(2).strip(), "location") if not where.group(1)
                      else (barcodes[PICK_SKU.search(screen).group(1).strip()], "product"))
    with app.app_context():
        db.engine.dispose()
    every = by_kind["location"] + by_kind["product"]
    product_ok = len(by_kind["product"])  # each picked one unit: the ledger check counts them
    mean = lambda xs: round(statistics.fmean(xs), 2) if xs else None  # noqa: E731
    return {"mean": mean(every), "location": mean(by_kind["location"]), "product": mean(by_kind["product"]),
            "max_product": max(by_kind["product"], default=None), "scans": len(every),
            "product_scans_ok": product_ok}


def percentile(ms: list[float], p: float) -> float | None:
    """The p-th percentile of sorted milliseconds (nearest rank), rounded to 0.1 ms."""
    return round(ms[min(len(ms) - 1, int(round(p / 100 * (len(ms) - 1))))], 1) if ms else None


def run(operators: list[Operator], mode: str, seconds: float) -> dict:
    """Drive the operators for a bounded time; return the figures of the run."""
    latencies: list[tuple[str, float]] = []  # (kind of scan, seconds)
    errors_before = sum(len(o.errors) for o in operators)
    starved = []
    sink = threading.Lock()
    start = time.perf_counter() + 0.5
    deadline = start + seconds

    def work(op: Operator, offset: float):
        mine = []
        tick = start + offset
        for _ in range(100_000):  # bounded: the deadline ends it long before
            now = time.perf_counter()
            if mode == "paced":
                if tick >= deadline:
                    break
                if tick > now:
                    time.sleep(tick - now)
                tick += 1.0
            elif now >= deadline:
                break
            elif now < start:
                time.sleep(start - now)
            elapsed = op.step()
            if elapsed is None:
                starved.append(op.badge)
                break
            mine.append((getattr(op, "last_kind", ""), elapsed))
        with sink:
            latencies.extend(mine)

    # The client's own garbage collector must not stop its threads mid-scan: a full pass over
    # this process (it built the data and holds the app) took up to 180 ms, counted as latency.
    gc.collect()
    gc.freeze()
    rng = random.Random(len(operators))
    threads = [threading.Thread(target=work, args=(op, rng.random() if mode == "paced" else 0.0))
               for op in operators]
    for t in threads:
        t.start()
    for t in threads:
        t.join(seconds + 120)
    wall = max(time.perf_counter() - start, 1e-9)
    ms = sorted(x * 1000 for _, x in latencies)
    by_kind = {}
    for kind in sorted({k for k, _ in latencies}):
        xs = sorted(1000 * x for k, x in latencies if k == kind)
        by_kind[kind or "request"] = {"scans": len(xs), "p50_ms": percentile(xs, 50), "p99_ms": percentile(xs, 99)}
    return {"mode": mode, "clients": len(operators), "scans_per_s": round(len(ms) / wall, 1), "by_kind": by_kind,
            "p50_ms": percentile(ms, 50), "p95_ms": percentile(ms, 95), "p99_ms": percentile(ms, 99),
            "errors": sum(len(o.errors) for o in operators) - errors_before,
            "scans": len(ms), "mean_ms": round(statistics.fmean(ms), 1) if ms else None,
            "starved": len(starved)}


# ------------------------------------------------------------------ checks

def measure_floor(env: dict, args, folder: Path, url: str, pg_admin, dbname, when: str) -> list[dict]:
    """The bare floor: bench/floor_app.py, a minimal Flask + SQLAlchemy app, one INSERT a
    request, served alike, at saturation; one result per number of clients."""
    floor_url = url if args.db == "postgresql" else f"sqlite:///{folder}/floor.db"
    server, floor_base = start_server(env, args.workers, args.threads, folder / "floor.log",
                                      floor_url=floor_url)
    try:
        floor_meter = CpuMeter(server.pid, pg_admin, dbname)
        floor = []
        for n in FLOOR_CLIENTS:
            load = os.getloadavg()[0]
            before = floor_meter.snapshot()
            result = run([FloorClient(floor_base, i) for i in range(n)], "saturation", args.seconds)
            cpu_s, db_cpu_s = CpuMeter.spent(before, floor_meter.snapshot())
            result["cpu_ms_per_request"] = round(1000 * cpu_s / max(result["scans"], 1), 2)
            result["db_cpu_ms_per_request"] = round(1000 * db_cpu_s / max(result["scans"], 1), 2)
            result["load_before"] = round(load, 2)
            result["when"] = when
            floor.append(result)
            print(f"floor {when:<6} N={n:<3} {result['scans']:>6} requests {result['scans_per_s']:>7} /s  "
                  f"p50 {result['p50_ms']} ms  p99 {result['p99_ms']} ms  errors {result['errors']}  "
                  f"server CPU {result['cpu_ms_per_request']} ms/request  (load {load:.2f})", flush=True)
    finally:
        stop_server(server)
    return floor


def check(app, first_move_id: int, product_scans_ok: int) -> tuple[bool, int, dict]:
    """Ledger balances; picked units equal accepted product scans; scan ids unique."""
    from wms.domain.inventory.models import MoveReason, StockMove
    from wms.domain.inventory.services import ledger_problems
    from wms.domain.scans.models import ScanRecord

    with app.app_context():
        problems = ledger_problems()
        moves, units = db.session.execute(
            select(func.count(), func.coalesce(func.sum(StockMove.quantity), 0))
            .where(StockMove.reason == MoveReason.PICKED, StockMove.id > first_move_id)).one()
        records, distinct = db.session.execute(
            select(func.count(ScanRecord.id), func.count(ScanRecord.scan_id.distinct()))).one()
        db.session.remove()
    duplicates = max(0, units - product_scans_ok) + (records - distinct)
    details = {"ledger_problems": len(problems), "picked_moves": moves, "picked_units": units,
               "product_scans_ok": product_scans_ok, "scan_records": records}
    if problems:
        details["first_problems"] = problems[:5]
    return not problems, duplicates, details


# ------------------------------------------------------------------ main

def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--large", action="store_true", help="100,000 SKUs, 20,000 bins, 1,000,000 movements")
    parser.add_argument("--seconds", type=float, default=12.0, help="length of each saturation and floor run")
    parser.add_argument("--paced-seconds", type=float, default=30.0,
                        help="length of each paced run: at 8 pickers, 30 s make 240 scans, so p99 is not "
                             "just the slowest one")
    parser.add_argument("--workers", type=int, default=None,
                        help="gunicorn workers (default: 1 on SQLite, 2 on PostgreSQL; see docs/performance.md)")
    parser.add_argument("--threads", type=int, default=16)
    parser.add_argument("--lists", type=int, default=240, help="pick lists to create")
    parser.add_argument("--lines", type=int, default=6, help="lines per pick list")
    parser.add_argument("--qty", type=int, default=8, help="units per line (one scan each)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (server log)")
    args = parser.parse_args()

    if args.workers is None:
        # SQLite runs one transaction at a time (BEGIN IMMEDIATE): a second process only adds
        # a busy-handler race for the lock. PostgreSQL works in parallel: one process a core.
        args.workers = 1 if args.db == "sqlite" else 2
    rng = random.Random(args.seed)
    folder = Path(tempfile.mkdtemp(prefix="wms-scan-load-"))
    url, drop, pg_admin, dbname = scratch_database(args.db, str(folder))
    env = {**os.environ, "WMS_DATABASE_URL": url, "WMS_SECRET_KEY": secrets.token_hex(32),
           "WMS_INSTANCE_PATH": str(folder / "instance"), "WMS_ACCESS_LOG": str(folder / "access.log"),
           # Plain HTTP on loopback (since issue 17 the cookies are Secure unless this is set).
           "WMS_ALLOW_PLAIN_HTTP": "true"}
    os.environ.update({k: env[k] for k in ("WMS_DATABASE_URL", "WMS_SECRET_KEY", "WMS_INSTANCE_PATH")})
    server = app = None
    try:
        t0 = time.perf_counter()
        run_wms(env, "db", "upgrade")
        out = run_wms(env, "seed", "--demo-orders", *(["--large"] if args.large else []))
        seeded = time.perf_counter() - t0
        print(f"database {args.db} ({'large' if args.large else 'demo'}) migrated and seeded in {seeded:.1f} s")
        for line in out.splitlines():
            if line.startswith("  ") and " in " in line and " s" in line or line.startswith("Large"):
                print("  " + line.strip())
        app = create_app({"CLI_MODE": True})
        operators_needed = max(max(PACED_CLIENTS), max(SATURATION_CLIENTS))
        t0 = time.perf_counter()
        badges, codes, barcodes, report = prepare(app, operators_needed, args.lists, args.lines, args.qty,
                                                  args.large, rng)
        from wms.domain.inventory.models import StockMove

        with app.app_context():
            first_move_id = db.session.scalar(select(func.max(StockMove.id))) or 0
            db.session.remove()
        print(f"{len(badges)} operators, {len(codes)} pick lists of {args.lines} lines x {args.qty} units "
              f"in {time.perf_counter() - t0:.1f} s")

        # The floor is measured before the scans and again after them: the machine's speed
        # drifts over minutes (a shared VM), and the mean of the two brackets the scans' run.
        floor_before = measure_floor(env, args, folder, url, pg_admin, dbname, "before")
        server, base = start_server(env, args.workers, args.threads, folder / "server.log")
        print(f"wms serve on {base}: {args.workers} workers x {args.threads} threads (gthread)")
        meter = CpuMeter(server.pid, pg_admin, dbname)
        counting_list = codes.pop()  # kept for the statement count
        lists = deque(codes)
        lock = threading.Lock()
        operators = [Operator(base, badge, barcodes, lists, lock) for badge in badges]
        t0 = time.perf_counter()
        for op in operators:
            op.sign_in()
        print(f"{len(operators)} operators signed in through /handheld/login in {time.perf_counter() - t0:.1f} s")

        # Warm-up, not counted, by every operator: a fresh server process compiles each
        # statement, template and catalogue on first use, the first list's end looks the
        # packing location up, each worker's pool opens its connections as the load needs
        # them, and an operator's very first scan makes their flow state (once per account,
        # through the full service). Warmed by 8 operators only, the 24 first scans of the
        # run at 32 were its 24 list scans, all such first scans.
        warm = run(operators, "saturation", 3.0)
        print(f"warm-up    N={len(operators):<3} {warm['scans']:>6} scans (not counted)")

        results = []
        for mode, sizes in (("paced", PACED_CLIENTS), ("saturation", SATURATION_CLIENTS)):
            for n in sizes:
                load = os.getloadavg()[0]
                before = meter.snapshot()
                result = run(operators[:n], mode, args.paced_seconds if mode == "paced" else args.seconds)
                cpu_s, db_cpu_s = CpuMeter.spent(before, meter.snapshot())
                result["load_before"] = round(load, 2)
                result["cpu_s"], result["db_cpu_s"] = cpu_s, db_cpu_s
                result["cpu_ms_per_scan"] = round(1000 * cpu_s / max(result["scans"], 1), 2)
                result["db_cpu_ms_per_scan"] = round(1000 * db_cpu_s / max(result["scans"], 1), 2)
                results.append(result)
                print(f"{mode:<10} N={n:<3} {result['scans']:>6} scans {result['scans_per_s']:>7} /s  "
                      f"p50 {result['p50_ms']} ms  p95 {result['p95_ms']} ms  p99 {result['p99_ms']} ms  "
                      f"errors {result['errors']}  server CPU {result['cpu_ms_per_scan']} ms/scan"
                      + (f" (+ PostgreSQL {result['db_cpu_ms_per_scan']})" if pg_admin is not None else "")
                      + f"  (lists left {len(lists)}, load {load:.2f})", flush=True)
                print("           by scan: " + "  ".join(
                    f"{kind} {v['scans']} p50 {v['p50_ms']} p99 {v['p99_ms']} ms" for kind, v in result["by_kind"].items()))
        stop_server(server)
        server = None
        statements = count_statements(url, badges[-1], counting_list, barcodes)
        print("statements per scan (in-process, COMMIT included):",
              json.dumps({k: v for k, v in statements.items() if k != "product_scans_ok"}))

        floor = measure_floor(env, args, folder, url, pg_admin, dbname, "after")
        floor_runs = floor_before + floor
        errors = [e for op in operators for e in op.errors]
        for e in errors[:10]:
            print("  error:", e)
        for log_name, failed in (("server.log", errors), ("floor.log", [e for r in floor_runs for e in range(r["errors"])])):
            if failed:  # what the server said about them (the folder is removed afterwards)
                causes = [ln for ln in (folder / log_name).read_text(errors="replace").splitlines()
                          if "Error" in ln or "error" in ln][-6:]
                print(f"  {log_name}:", *causes, sep="\n    ")
        product_scans_ok = sum(op.product_scans_ok for op in operators) + statements["product_scans_ok"]
        ledger_ok, duplicates, details = check(app, first_move_id, product_scans_ok)
        print("checks:", json.dumps(details), f"replayed answers: {sum(op.replayed for op in operators)}")
        keys = ("mode", "clients", "scans_per_s", "p50_ms", "p95_ms", "p99_ms", "errors", "cpu_ms_per_scan", "by_kind")
        saturated = [r for r in results if r["mode"] == "saturation"]
        cpu_ms = round(1000 * sum(r["cpu_s"] for r in saturated) / max(sum(r["scans"] for r in saturated), 1), 2)
        db_cpu_ms = round(1000 * sum(r["db_cpu_s"] for r in saturated) / max(sum(r["scans"] for r in saturated), 1), 2)
        # Per number of clients, the mean of the floor before and after the scans; the best of those.
        floor_mean = [{key: statistics.fmean([b[key], a[key]]) for key in ("scans_per_s", "cpu_ms_per_request")}
                      for b, a in zip(floor_before, floor)]
        floor_per_s = round(max(r["scans_per_s"] for r in floor_mean), 1)
        best = max(r["scans_per_s"] for r in saturated)
        print(json.dumps({"db": args.db, "workers": args.workers, "threads": args.threads,
                          "results": [{k: r[k] for k in keys} for r in results],
                          "ledger_ok": ledger_ok, "duplicates": duplicates,
                          "cpu_ms_per_scan": cpu_ms,
                          **({"db_cpu_ms_per_scan": db_cpu_ms} if pg_admin is not None else {}),
                          "statements_per_scan": statements["mean"],
                          "statements_per_scan_by_kind": {k: statements[k] for k in ("location", "product")},
                          "floor_per_s": floor_per_s,
                          "floor_cpu_ms_per_request": round(min(r["cpu_ms_per_request"] for r in floor_mean), 2),
                          "floor_runs": [{k: r[k] for k in ("when", "clients", "scans_per_s", "p50_ms", "p99_ms",
                                                            "cpu_ms_per_request")} for r in floor_runs],
                          "scans_per_s": best, "ratio": round(best / floor_per_s, 3) if floor_per_s else None}))
    finally:
        if server is not None:
            stop_server(server)
        if app is not None:
            with app.app_context():
                db.engine.dispose()
        drop()
        if args.keep:
            print(f"kept {folder}", file=sys.stderr)
        else:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
