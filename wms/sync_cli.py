"""The `wms sync` (one round) and `wms worker` (rounds on an interval) commands."""
from __future__ import annotations

import time

import click
from flask import current_app
from flask.cli import with_appcontext


def _print_report(report) -> None:
    for shop, result in report.imports.items():
        if result.busy:
            click.echo(f"{shop}: another worker is importing this shop; skipped")
            continue
        click.echo(f"{shop}: imported {result.imported} ({result.held} on hold), updated {result.updated}, "
                   f"cancelled {result.cancelled}, re-synced {result.resynced}, pages {result.pages}, "
                   f"cursor {result.cursor or '-'}; released {report.released.get(shop, 0)} held order(s)")
        for error in result.errors:
            click.echo(f"  {error}", err=True)
    if report.outbox is not None:
        click.echo(f"outbox: {report.outbox.done} done, {report.outbox.retried} to retry, {report.outbox.dead} dead")
        for error in report.outbox.errors:
            click.echo(f"  {error}", err=True)
    for shop, stock in report.stock.items():
        click.echo(f"{shop}: stock pushed {stock.pushed}, unchanged {stock.unchanged}"
                   + (f", not in shop: {', '.join(stock.missing_in_shop[:10])}" if stock.missing_in_shop else ""))
    for error in report.errors:
        click.echo(error, err=True)
    click.echo(f"{report.requests} request(s) to the shops")


def _webhooks_round() -> bool:
    """Without a shop the worker still sends the outbox's webhooks (and derives their events)."""
    from wms.integrations.prestashop.outbox import ClientPool, process_outbox
    from wms.integrations.webhooks.services import derive_events

    derived = derive_events()
    pool = ClientPool(current_app.config)
    try:
        result = process_outbox(pool)
    finally:
        pool.close()
    click.echo(f"webhooks: {derived} event(s) derived; outbox: {result.done} done, "
               f"{result.retried} to retry, {result.dead} dead")
    for error in result.errors:
        click.echo(f"  {error}", err=True)
    return True


def _run_once(no_stock: bool, webhooks_only: bool = False) -> bool:
    from wms.integrations.prestashop.shops import configured_shops
    from wms.integrations.prestashop.sync import run_round

    if not configured_shops(current_app.config):
        if not webhooks_only:
            raise click.ClickException(
                "No shop configured: set WMS_PRESTASHOP_URL and WMS_PRESTASHOP_KEY (or WMS_PRESTASHOP_SHOPS).")
        return _webhooks_round()
    report = run_round(current_app.config, push_stock_now=not no_stock)
    _print_report(report)
    return not report.errors


def _housekeeping() -> None:
    """Keep the operators' daily figures, then forget scan answers past their retention
    (WMS_SCAN_ID_RETENTION_HOURS)."""
    from datetime import timedelta

    from wms.db import db, utcnow
    from wms.domain.scans.productivity import aggregate_days
    from wms.domain.scans.services import prune_scan_records

    from wms.domain.users.services import forget_old_attempts

    hours = float(current_app.config.get("SCAN_ID_RETENTION_HOURS", 72))
    aggregate_days(complete_after=utcnow() - timedelta(hours=hours))
    prune_scan_records(timedelta(hours=hours))
    forget_old_attempts()  # wrong sign-in counters whose window and lock have passed
    db.session.commit()


@click.command("prune-scans")
@with_appcontext
def prune_scans() -> None:
    """Keep the operators' daily figures, then forget stored scan answers older than
    WMS_SCAN_ID_RETENTION_HOURS (the worker does this too)."""
    from datetime import timedelta

    from wms.db import db, utcnow
    from wms.domain.scans.productivity import aggregate_days
    from wms.domain.scans.services import prune_scan_records
    from wms.text import plural

    hours = float(current_app.config.get("SCAN_ID_RETENTION_HOURS", 72))
    days = aggregate_days(complete_after=utcnow() - timedelta(hours=hours))
    removed = prune_scan_records(timedelta(hours=hours))
    db.session.commit()
    click.echo(f"Kept {plural(days, 'operator-day')} of figures; forgot {plural(removed, 'scan answer')} "
               f"older than {hours:g} hours.")


@click.command("sync")
@click.option("--no-stock", is_flag=True, help="Skip the stock push.")
@with_appcontext
def sync(no_stock: bool) -> None:
    """Run one sync round: import orders and changes, send the outbox, push stock."""
    ok = _run_once(no_stock)
    raise SystemExit(0 if ok else 1)


@click.command("worker")
@click.option("--interval", default=60.0, type=float, show_default=True, help="Seconds between rounds.")
@click.option("--once", is_flag=True, help="Run one round and stop.")
@click.option("--no-stock", is_flag=True, help="Skip the stock push.")
@click.option("--heartbeat", type=click.Path(dir_okay=False), default=None,
              help="A file touched after every round (for a container health check).")
@with_appcontext
def worker(interval: float, once: bool, no_stock: bool, heartbeat: str | None) -> None:
    """Run sync rounds forever, every --interval seconds (several workers may run at once).

    Also derives and sends the webhooks to the merchant's other systems (with or without a shop)."""
    if interval <= 0:
        raise click.BadParameter("must be positive", param_hint="--interval")
    from wms.db import db

    while True:
        started = time.monotonic()
        try:
            _housekeeping()
            # With no shop configured the worker still delivers webhooks.
            _run_once(no_stock, webhooks_only=True)
        except click.ClickException:
            raise
        except Exception as exc:  # keep the worker alive; the next round tries again
            db.session.rollback()
            click.echo(f"round failed: {exc}", err=True)
        finally:
            db.session.remove()
        if heartbeat:
            from pathlib import Path

            Path(heartbeat).touch()  # the round ended (well or not): the worker is alive
        if once:
            return
        time.sleep(max(interval - (time.monotonic() - started), 0))
