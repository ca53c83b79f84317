"""Shared fixtures: an app per test on SQLite and on PostgreSQL, factories, sign-in helpers.

Which databases: `--db sqlite`, `--db postgresql` or `--db all` (the default: all that are
reachable). PostgreSQL is at WMS_TEST_PG_URL (default postgresql://postgres@127.0.0.1:5432).
With WMS_TEST_REQUIRE_ALL=1 (set by .ci/run in CI) a missing PostgreSQL or Chromium fails
the run instead of skipping.
"""
from __future__ import annotations

import os
import shutil
import socket
import threading
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from wms import create_app
from wms.db import db
from wms.domain.users.models import User

import tempfile

os.environ.setdefault("WMS_INSTANCE_PATH", tempfile.mkdtemp(prefix="wms-test-instance-"))
PG_SERVER_URL = os.environ.get("WMS_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
REQUIRE_ALL = os.environ.get("WMS_TEST_REQUIRE_ALL") == "1"

# Tests hash passwords thousands of times; scrypt would make that take minutes.
User.HASH_METHOD = "pbkdf2:sha256:1000"


def pytest_addoption(parser):
    parser.addoption("--db", default=os.environ.get("WMS_TEST_DB", "all"),
                     choices=["all", "sqlite", "postgresql"],
                     help="database(s) to run the suite on (default: all reachable)")


def missing(reason: str):
    """Skip for a missing service, or fail when the run must be complete (CI)."""
    if REQUIRE_ALL:
        pytest.fail(f"{reason} (WMS_TEST_REQUIRE_ALL=1: CI must run every test)")
    pytest.skip(reason)


_pg_state: dict = {}


def postgresql_available() -> bool:
    if "ok" not in _pg_state:
        try:
            engine = create_engine(PG_SERVER_URL, isolation_level="AUTOCOMMIT")
            with engine.connect() as conn:
                conn.execute(text("SELECT 1"))
            engine.dispose()
            _pg_state["ok"] = True
        except Exception as exc:  # any failure means "not reachable"
            _pg_state["ok"] = False
            _pg_state["why"] = f"PostgreSQL not reachable at {PG_SERVER_URL}: {exc.__class__.__name__}"
    return _pg_state["ok"]


def pytest_generate_tests(metafunc):
    if "db_backend" in metafunc.fixturenames:
        choice = metafunc.config.getoption("--db")
        backends = ["sqlite", "postgresql"] if choice == "all" else [choice]
        if metafunc.definition.get_closest_marker("postgresql"):
            backends = ["postgresql"]
        metafunc.parametrize("db_backend", backends, indirect=True, scope="session")


@pytest.fixture(scope="session")
def db_backend(request):
    return request.param


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory):
    """A SQLite file with the schema, copied for each test (much faster than create_all)."""
    folder = tmp_path_factory.mktemp("sqlite-template")
    path = folder / "template.db"
    app = create_app({"TESTING": True, "DATABASE_URL": f"sqlite:///{path}", "SECRET_KEY": "t",
                      "WMS_INSTANCE_PATH": str(folder)})
    with app.app_context():
        db.create_all()
        db.session.remove()
        db.engine.dispose()
    for suffix in ("-wal", "-shm"):
        Path(str(path) + suffix).unlink(missing_ok=True)
    return path


@pytest.fixture(scope="session")
def pg_database():
    """A scratch PostgreSQL database for this run, with the schema; dropped at the end."""
    if not postgresql_available():
        missing(_pg_state.get("why", "PostgreSQL not reachable"))
    name = f"wms_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    server = create_engine(PG_SERVER_URL, isolation_level="AUTOCOMMIT")
    with server.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(PG_SERVER_URL).set(database=name).render_as_string(hide_password=False)
    app = create_app({"TESTING": True, "DATABASE_URL": url, "SECRET_KEY": "t"})
    with app.app_context():
        db.create_all()
        tables = [t.name for t in db.metadata.sorted_tables]
        db.session.remove()
        db.engine.dispose()
    yield url, tables
    with server.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    server.dispose()


@pytest.fixture
def db_url(request, db_backend, tmp_path):
    """A clean database for one test."""
    if db_backend == "sqlite":
        template = request.getfixturevalue("sqlite_template")
        path = tmp_path / "wms.db"
        shutil.copyfile(template, path)
        yield f"sqlite:///{path}"
        return
    url, tables = request.getfixturevalue("pg_database")
    yield url
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        # TRUNCATE is not a row operation, so the ledger's append-only trigger allows it.
        conn.execute(text("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE"))
    engine.dispose()


@pytest.fixture
def app(db_url, tmp_path):
    app = create_app({
        "TESTING": True,
        "DATABASE_URL": db_url,
        "SECRET_KEY": "test-secret",
        "WTF_CSRF_ENABLED": False,
        "SERVER_NAME": None,
    })
    app.instance_path = str(tmp_path)
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


# ---------------------------------------------------------------- factories

@pytest.fixture
def make_warehouse(app):
    from wms.domain.locations.models import Warehouse

    def make(code="WH1", name="Main warehouse", **kw):
        wh = db.session.query(Warehouse).filter_by(code=code).one_or_none()
        if wh is None:
            wh = Warehouse(code=code, name=name, company="Demo Shop Ltd", address1="12 Dock Road",
                           postcode="75001", city="Paris", country="FR", **kw)
            db.session.add(wh)
            db.session.flush()
        return wh

    return make


@pytest.fixture
def make_location(app, make_warehouse):
    from wms.domain.locations.models import Location, LocationKind

    def make(code="A-01-01-1", kind=LocationKind.STORAGE, **kw):
        parts = code.split("-")
        defaults = {}
        if len(parts) == 4 and all(p.isdigit() for p in parts[1:]):
            defaults = {"zone": parts[0], "aisle": int(parts[1]), "bay": int(parts[2]),
                        "level": int(parts[3]), "pos_x": int(parts[1]) * 3.0,
                        "pos_y": ((int(parts[2]) + 1) // 2) * 1.2}
        defaults.update(kw)
        loc = Location(warehouse_id=make_warehouse().id, code=code, kind=kind, **defaults)
        db.session.add(loc)
        db.session.flush()
        return loc

    return make


_ean_counter = iter(range(10_000, 99_999))


def make_ean(prefix: str = "376000") -> str:
    from wms.barcodes import gs1_check_digit

    body = f"{prefix}{next(_ean_counter):06d}"
    return body + str(gs1_check_digit(body))


@pytest.fixture
def make_product(app):
    from wms.domain.catalog.models import Product
    from wms.domain.catalog.services import add_barcode

    def make(sku="SKU-1", name=None, barcode: str | None = "auto", **kw):
        product = Product(sku=sku, name=name or f"Product {sku}", **kw)
        db.session.add(product)
        db.session.flush()
        if barcode == "auto":
            barcode = make_ean()
        if barcode:
            add_barcode(product, barcode)
        return product

    return make


@pytest.fixture
def make_user(app):
    from wms.domain.users.models import Role

    counter = iter(range(1, 10_000))

    def make(role="operator", username=None, password="password-123", pin="1234", badge=None):
        n = next(counter)
        user = User(username=username or f"{role}{n}", name=f"{role.title()} {n}",
                    role=Role[role.upper()], badge_code=badge or f"BADGE-T{n:04d}-{role[:2].upper()}")
        user.set_password(password)
        user.set_pin(pin)
        db.session.add(user)
        db.session.flush()
        return user

    return make


@pytest.fixture
def login_as(client, make_user):
    """Sign the test client in as a new user of the given role; return the user."""

    def login(role="operator", **kw):
        user = make_user(role, **kw)
        db.session.commit()
        response = client.post("/login", data={"username": user.username, "password": "password-123"})
        assert response.status_code == 302, response.get_data(as_text=True)
        return user

    return login


@pytest.fixture
def demo(app):
    """The demo warehouse from seed_data/, committed."""
    from wms.seed import seed_demo

    users = seed_demo(app.config)
    db.session.commit()
    return users


# ---------------------------------------------------------------- live server + browser

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def live_server(db_url, tmp_path):
    """The app served over HTTP on 127.0.0.1 in a thread (real cookies, CSRF on)."""
    from werkzeug.serving import make_server

    # ASK_LANGUAGE off: the browser tests sign in and go straight to work; the French run
    # (tests/e2e/test_french_e2e.py) turns it on to tap its language first.
    app = create_app({"TESTING": True, "DATABASE_URL": db_url, "SECRET_KEY": "live-secret",
                      "ASK_LANGUAGE": False})
    app.instance_path = str(tmp_path)
    port = free_port()
    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()

    class Live:
        url = f"http://127.0.0.1:{port}"
        application = app

    yield Live
    server.shutdown()
    thread.join(5)
    with app.app_context():
        db.engine.dispose()


CHROMIUM = os.environ.get("WMS_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-quic", "--no-first-run", "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        missing(f"Chromium not found at {CHROMIUM} (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        missing("the playwright package is not installed (pip install -e '.[test]')")
    pw = sync_playwright().start()
    browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
    yield browser
    browser.close()
    pw.stop()


SCREENSHOTS = Path(os.environ.get("WMS_SCREENSHOTS", Path(__file__).resolve().parent.parent / "test-artifacts"))
DOCS_SCREENSHOTS = Path(__file__).resolve().parent.parent / "docs" / "screenshots"


@pytest.fixture
def phone(browser):
    """A page the size of a handheld scanner (360x640)."""
    context = browser.new_context(viewport={"width": 360, "height": 640}, device_scale_factor=2,
                                  is_mobile=True, has_touch=True, user_agent="Mozilla/5.0 (Linux; Android 13) Mobile WMS-test",
                                  # Playwright's wait_for_function evaluates strings, which the
                                  # app's CSP forbids; tests/e2e/test_csp_e2e.py runs without this.
                                  bypass_csp=True)
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


@pytest.fixture
def desktop(browser):
    context = browser.new_context(viewport={"width": 1366, "height": 900}, bypass_csp=True)
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


def screenshot(page, name: str) -> Path:
    """Save a full-page screenshot in test-artifacts/; with WMS_DOCS_SCREENSHOTS=1 also refresh
    the copy in docs/screenshots/ that the README links to (never on an ordinary run)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.evaluate("window.scrollTo(0, 0)")  # the sticky bar would land mid-page otherwise
    page.screenshot(path=str(path), full_page=True)
    if os.environ.get("WMS_DOCS_SCREENSHOTS") == "1":
        DOCS_SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, DOCS_SCREENSHOTS / f"{name}.png")
    return path
