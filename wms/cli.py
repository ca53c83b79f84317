"""The `wms` command: database, demo data, users, CSV imports and the production server."""
from __future__ import annotations

import os
import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import FlaskGroup, with_appcontext
from sqlalchemy import func, select


def _cli_app():
    from wms import create_app

    # Commands other than `serve` do not sign sessions, so they run without WMS_SECRET_KEY.
    return create_app({"CLI_MODE": True})


main = FlaskGroup(
    name="wms", create_app=_cli_app, add_default_commands=False, add_version_option=False,
    help="Warehouse management for PrestaShop merchants. Configure with WMS_* environment variables.",
)


@click.command("seed")
@click.option("--demo-orders", is_flag=True,
              help="Also load the demo catalog, its stock and 24 demo orders (refused when a shop is configured).")
@click.option("--large", is_flag=True, help="Also generate a large warehouse for benchmarks.")
@with_appcontext
def seed(demo_orders: bool, large: bool) -> None:
    """Load the master data of seed_data/ (layout, carriers, boxes, users); --demo-orders adds demo data."""
    from wms.db import db
    from wms.seed import demo_refusal, seed_demo_orders, seed_demo_stock, seed_master

    if demo_orders and (reason := demo_refusal(current_app.config)):
        raise click.ClickException(reason)
    users = seed_master(current_app.config)
    if demo_orders:
        seed_demo_stock(current_app.config)
        seed_demo_orders()
    if large:
        from wms.seed_large import seed_large

        seed_large(echo=click.echo)
    db.session.commit()
    click.echo("Master data loaded: warehouse layout, carriers, boxes, users"
               + (", demo catalog, stock and orders (never sent to a shop)." if demo_orders else
                  ". No products, stock or orders: import yours, or connect the shop."))
    _print_demo_users(users)


def _print_demo_users(users) -> None:
    click.echo("Sign in with:")
    click.echo(f"  {'role':<11} {'desk user / password':<26} {'scanner badge / PIN'}")
    for u in users:
        click.echo(f"  {u['role'].lower():<11} {u['username'] + ' / ' + u['password']:<26} {u['badge']} / {u['pin']}")


@click.group("user")
def user() -> None:
    """Manage users."""


@user.command("create")
@click.argument("username")
@click.option("--name", help="Full name shown on screens (defaults to the user name).")
@click.option("--role", type=click.Choice(["operator", "supervisor", "admin"]), default="operator")
@click.option("--password", help="Desk password (asked for when omitted).")
@click.option("--badge", help="Badge barcode for the scanner sign-in, e.g. BADGE-0042.")
@click.option("--pin", help="Scanner PIN (4 to 8 digits).")
@with_appcontext
def user_create(username, name, role, password, badge, pin) -> None:
    """Create a user."""
    from wms.db import db
    from wms.domain.users.models import Role, User

    if db.session.execute(select(User).where(User.username == username)).scalar_one_or_none():
        raise click.ClickException(f"User {username} already exists.")
    if password is None:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    if len(password) < 8:
        raise click.ClickException("The password must have at least 8 characters.")
    if pin is not None:
        from wms.domain.users.services import check_pin_rules
        from wms.errors import DomainError

        try:
            check_pin_rules(pin, Role[role.upper()])  # administrators: 6 digits at least
        except DomainError as exc:
            raise click.ClickException(exc.message) from None
    if badge and not badge.upper().startswith("BADGE-"):
        raise click.ClickException("A badge code starts with BADGE- (e.g. BADGE-0042).")
    new = User(username=username, name=name or username, role=Role[role.upper()],
               badge_code=badge.upper() if badge else None)
    new.set_password(password)
    if pin:
        new.set_pin(pin)
    db.session.add(new)
    db.session.commit()
    click.echo(f"Created {role} {username}.")


from wms.user_cli import USER_COMMANDS  # noqa: E402  (unlock, set-pin, deactivate)

for _command in USER_COMMANDS:
    user.add_command(_command)


@click.group("import")
def import_group() -> None:
    """Import CSV files (every row is checked; one bad row imports nothing)."""


def _run_import(kind: str, path: str, dry_run: bool) -> None:
    from wms.db import db
    from wms.domain.importing import ImportRefused, import_products, import_stock, open_source
    from wms.errors import DomainError
    from wms.i18n import _, ngettext

    with open(path, "rb") as raw:  # read as a stream, in batches: a file of any size
        try:
            source = open_source(raw)
            result = (import_products(source, dry_run=dry_run) if kind == "products"
                      else import_stock(source, dry_run=dry_run))
        except DomainError as exc:  # a file in neither UTF-8 nor Windows-1252
            click.echo(f"{path}: {exc.message}", err=True)
            sys.exit(1)
        except ImportRefused as exc:
            db.session.rollback()
            click.echo(ngettext("Nothing imported: %(num)d problem in %(path)s:",
                                "Nothing imported: %(num)d problems in %(path)s:",
                                exc.result.error_count, path=path), err=True)
            for error in exc.result.errors:
                click.echo(f"  {error}", err=True)
            if exc.result.more_errors:
                click.echo("  " + ngettext("… and %(num)d more problem.", "… and %(num)d more problems.",
                                           exc.result.more_errors), err=True)
            sys.exit(1)
    if dry_run:
        db.session.rollback()
        click.echo(_("%(path)s: %(rows)d rows are valid (dry run, nothing imported).",
                     path=path, rows=result.rows))
        return
    db.session.commit()
    click.echo(_("Imported %(path)s: %(created)d created, %(updated)d updated.",
                 path=path, created=result.created, updated=result.updated))


@import_group.command("products")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--dry-run", is_flag=True, help="Check the file without importing.")
@with_appcontext
def import_products_cmd(path, dry_run) -> None:
    """Create or update products from a CSV file (see README for the columns)."""
    _run_import("products", path, dry_run)


@import_group.command("stock")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--dry-run", is_flag=True, help="Check the file without importing.")
@with_appcontext
def import_stock_cmd(path, dry_run) -> None:
    """Post an initial stock load (location, sku, quantity) to the ledger."""
    _run_import("stock", path, dry_run)


@click.command("check-ledger")
@with_appcontext
def check_ledger() -> None:
    """Check that every balance equals the sum of its movements (exit 1 if not)."""
    from wms.domain.inventory.services import ledger_problems
    from wms.domain.transfers.services import transit_problems

    # In-transit stock is in the balances like any location's; it must also match the transfers.
    problems = ledger_problems() + transit_problems()
    for p in problems:
        click.echo(p, err=True)
    click.echo("ledger ok" if not problems else f"{len(problems)} problem(s)")
    sys.exit(1 if problems else 0)


@click.command("void-carrier-labels")
@with_appcontext
def void_carrier_labels() -> None:
    """Void at their carrier the labels of unpacked parcels that are still to void."""
    from wms.domain.shipping.labels import void_pending

    done = void_pending()
    for sentence in done:
        click.echo(sentence)
    click.echo(f"{len(done)} label(s) handled")


@click.command("backup")
@click.argument("target", type=click.Path(dir_okay=False, writable=True))
@click.option("--force", is_flag=True, help="Overwrite TARGET if it exists.")
@with_appcontext
def backup(target: str, force: bool) -> None:
    """Copy the SQLite database to TARGET while the WMS runs (SQLite's online backup API).

    For PostgreSQL use pg_dump (see docs/deploy.md). Restore: stop the WMS, copy TARGET over the
    database file (or point WMS_DATABASE_URL at it), run `wms check-ledger`, start the WMS."""
    from wms.backup import BackupError, backup_sqlite

    try:
        pages = backup_sqlite(current_app.config["SQLALCHEMY_DATABASE_URI"], Path(target), overwrite=force)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Backed up {pages} page(s) to {target} (integrity check ok).")


@click.command("serve")
@click.option("--host", default=lambda: os.environ.get("WMS_HOST", "127.0.0.1"), show_default="127.0.0.1")
@click.option("--port", default=lambda: int(os.environ.get("WMS_PORT", "8000")), type=int, show_default="8000")
@click.option("--workers", default=lambda: int(os.environ.get("WMS_WORKERS", "2")), type=int, show_default="2")
@click.option("--threads", default=lambda: int(os.environ.get("WMS_THREADS", "8")), type=int, show_default="8")
def serve(host, port, workers, threads) -> None:
    """Serve the WMS with gunicorn, a production WSGI server."""
    run_gunicorn(host, port, workers, threads)


def gunicorn_options(host: str, port: int, workers: int, threads: int) -> dict:
    """The production server's settings."""
    return {"bind": f"{host}:{port}", "workers": workers, "threads": threads,
            "worker_class": "gthread", "accesslog": os.environ.get("WMS_ACCESS_LOG", "-"),
            "timeout": 60, "graceful_timeout": 20,
            # A scanner sends a scan every few seconds: keep its connection open between them
            # (gunicorn's default is 2 s), or the first scan after a pause pays a new connection
            # (and TLS, behind a proxy), which made it several times slower than the next ones.
            "keepalive": int(os.environ.get("WMS_KEEPALIVE", "75")),
            # X-Forwarded-Proto is believed by the app only behind WMS_TRUSTED_PROXIES (ProxyFix):
            # gunicorn must not believe it on its own (it would, from 127.0.0.1).
            "secure_scheme_headers": {}}


def run_gunicorn(host: str, port: int, workers: int, threads: int, config: dict | None = None) -> None:
    from gunicorn.app.base import BaseApplication
    from gunicorn.glogging import Logger

    from wms.resources import default_instance_path

    if workers > 1 or os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        # Before the app (and so prometheus_client) is imported: every worker writes its
        # metrics there and /metrics adds them up.
        _setup_metrics_dir(os.environ.get("WMS_INSTANCE_PATH") or str(default_instance_path()), port)
    from wms import create_app
    from wms.observability import JsonFormatter, mark_worker_dead

    app = create_app(config)  # fails here, before binding, if WMS_SECRET_KEY is missing
    settle_heap()
    json_logs = str(app.config.get("LOG_FORMAT", "")).lower() == "json"

    class JsonLogger(Logger):
        def setup(self, cfg):
            super().setup(cfg)
            for handler in self.error_log.handlers:
                handler.setFormatter(JsonFormatter())

    options = gunicorn_options(host, port, workers, threads)

    class Server(BaseApplication):
        def load_config(self):
            for key, value in options.items():
                self.cfg.set(key, value)
            # JSON logs: the app logs each request itself (with its request and scan ids).
            if json_logs:
                self.cfg.set("accesslog", None)
                self.cfg.set("logger_class", JsonLogger)
            self.cfg.set("child_exit", lambda arbiter, worker: mark_worker_dead(worker.pid))

            # Said once the socket is bound, never before (and not at all when binding fails).
            self.cfg.set("when_ready", lambda arbiter: click.echo(f"WMS listening on http://{host}:{port}/"))

        def load(self):
            return app

    _check_port_free(host, port)
    Server().run()  # gunicorn exits 1 itself if the port is taken between the check and its bind


def settle_heap() -> None:
    """Keep the garbage collector's full passes short in the server's processes.

    A full collection walks every object the process holds: the app, SQLAlchemy's mappers,
    Jinja, Babel: some hundreds of thousands of objects. Under the scan bench a full pass
    held the GIL for 110-170 ms in the worker (every request waiting behind it: the tail of
    the scan latencies) and 25-120 ms at start-up. What start-up built lives as long as the
    process: it is collected once here and frozen (gc.freeze), so later passes walk only
    what requests left (a full pass under scans then took 2-12 ms); the workers, forked
    from this process, inherit it frozen, and share its memory pages longer. The thresholds
    stay Python's: a request's objects nearly all die by reference count, and a larger
    first generation only made its passes longer (5-10 ms) without making scans cheaper.
    """
    import gc

    from sqlalchemy.orm import configure_mappers

    configure_mappers()  # what the first request would otherwise build after the freeze
    gc.collect()
    gc.freeze()


def _setup_metrics_dir(instance_path: str, port: int) -> str:
    """Point prometheus_client at a fresh folder for this server's workers; return it.

    One folder per server (per port), so two servers on one host never mix or wipe each
    other's values. It must run before prometheus_client is first imported (it picks its
    multiprocess mode then), so this lives here and not in wms.observability."""
    import shutil

    folder = os.environ.get("PROMETHEUS_MULTIPROC_DIR") or os.path.join(instance_path, "metrics", str(port))
    shutil.rmtree(folder, ignore_errors=True)  # values of a previous run must not add up
    os.makedirs(folder, exist_ok=True)
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = folder
    return folder


def _check_port_free(host: str, port: int) -> None:
    """Exit 1 with the reason when the address is taken, before gunicorn retries for seconds."""
    import errno
    import socket

    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        raise click.ClickException(f"Cannot listen on {host}:{port}: unknown host ({exc.strerror}).") from None
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as gunicorn does
        try:
            probe.bind(address)
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                reason = "the address is already in use (another WMS or program listens there)"
            elif exc.errno == errno.EACCES:
                reason = "permission denied (ports below 1024 need privileges)"
            else:
                reason = exc.strerror or str(exc)
            raise click.ClickException(f"Cannot listen on {host}:{port}: {reason}. "
                                       "Stop the other program or choose another --port.") from None


@click.command("demo")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="0.0.0.0 to try it from a phone or scanner on the same network.")
@click.option("--port", default=8000, type=int, show_default=True)
def demo(host, port) -> None:
    """Create or upgrade the database, load the demo warehouse once, and serve it."""
    os.environ.setdefault("WMS_ENV", "demo")
    import json

    from flask_migrate import upgrade

    from wms import create_app
    from wms.db import db
    from wms.demo import barcode_sheet_pdf, seed_demo_work
    from wms.domain.orders.models import Order
    from wms.domain.users.models import User
    from wms.seed import demo_refusal, seed_demo, seed_demo_orders, seed_dir

    app = create_app({"CLI_MODE": True})
    with app.app_context():
        upgrade()
        users_now = db.session.scalar(select(func.count()).select_from(User))
        if not users_now:
            if reason := demo_refusal(app.config):
                raise click.ClickException(reason)
            users = seed_demo(app.config)
            seed_demo_orders()
            seed_demo_work()
            db.session.commit()
            click.echo("Demo warehouse loaded: an expected receipt, released pick lists, a packing "
                       "station printing to PDF (demo orders never reach a shop).")
        else:
            orders = db.session.scalar(select(func.count()).select_from(Order))
            click.echo(f"The database already has data ({users_now} user(s), {orders} order(s)): kept as it "
                       "is, nothing loaded. To start the demo afresh, stop it and delete "
                       f"{Path(app.instance_path) / 'wms.db'} (SQLite).")
            users = json.loads((seed_dir(app.config) / "users.json").read_text())
        sheet = Path(app.instance_path) / "demo-barcodes.pdf"
        sheet.write_bytes(barcode_sheet_pdf(users))
        db.session.remove()
        click.echo(f"Database: {app.config['SQLALCHEMY_DATABASE_URI']}")
        _print_demo_users(users)
    click.echo(f"Barcodes to scan (print it): {sheet}")
    shown = _lan_address() if host in ("0.0.0.0", "::") else host
    click.echo(f"Desk: http://{shown}:{port}/login   Scanner: http://{shown}:{port}/handheld/login")
    run_gunicorn(host, port, workers=1, threads=8)


def _lan_address() -> str:
    """This machine's address on the local network (for a phone), else 127.0.0.1."""
    import socket

    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            probe.connect(("192.0.2.1", 9))  # no packet is sent: this only picks the route
            return probe.getsockname()[0]
    except OSError:
        return "127.0.0.1"


from wms.i18n_catalog import translations  # noqa: E402  (after the commands above, like them)

for _command in (seed, user, import_group, serve, demo, check_ledger, backup, void_carrier_labels,
                 translations):
    main.add_command(_command)


@main.command("routes")
@with_appcontext
def routes() -> None:
    """List the URL routes."""
    for rule in sorted(current_app.url_map.iter_rules(), key=lambda r: r.rule):
        methods = ",".join(sorted(m for m in rule.methods if m not in ("HEAD", "OPTIONS")))
        click.echo(f"{rule.rule:<50} {methods:<12} {rule.endpoint}")


from wms.sync_cli import prune_scans, sync, worker  # noqa: E402  (the PrestaShop sync commands)

main.add_command(sync)
main.add_command(worker)
main.add_command(prune_scans)
