"""The desk dashboard: the whole warehouse at a glance, refreshed every few seconds.

Filtered to the desk's chosen site (None: all): orders, late, shorts, bins and counts, receipts.
The PrestaShop sync (outbox, last import) is one for every site and stays global."""
from __future__ import annotations

from datetime import datetime, time, timezone
from zoneinfo import ZoneInfo

from flask import render_template
from sqlalchemy import func, select

from wms.db import db, utcnow
from wms.domain.counts.models import CountStatus, CountTask
from wms.domain.locations.models import Location
from wms.domain.orders.models import Order, OrderStatus
from wms.domain.receiving.models import OPEN_RECEIPT_STATUSES, Receipt
from wms.integrations.prestashop.models import OutboxMessage, OutboxStatus, SyncCursor
from wms.web.desk import bp
from wms.web.desk.sites import chosen_site, count_in_site, location_in_site, order_in_site, receipt_in_site
from wms.web.menu import DESK_MENU

# Order statuses as the dashboard shows them, in the order work flows through.
STATUS_TILES = [OrderStatus.NEW, OrderStatus.BACKORDERED, OrderStatus.ALLOCATED, OrderStatus.PICKING,
                OrderStatus.PICKED, OrderStatus.PACKING, OrderStatus.PACKED, OrderStatus.ON_HOLD,
                OrderStatus.CANCELLED]


def _start_of_today() -> datetime:
    """Midnight of today where the desk's times are shown (the chosen site's zone, else WMS_TIMEZONE)."""
    from wms.i18n import select_timezone

    zone = ZoneInfo(select_timezone())
    today = utcnow().astimezone(zone).date()
    return datetime.combine(today, time.min, tzinfo=zone).astimezone(timezone.utc)


def order_counts(site: int | None = None) -> dict[OrderStatus, int]:
    """Orders per status."""
    rows = db.session.execute(select(Order.status, func.count()).where(order_in_site(site))
                              .group_by(Order.status)).all()
    counts = {status: 0 for status in OrderStatus}
    counts.update({status: n for status, n in rows})
    return counts


def shipped_today(site: int | None = None) -> int:
    return db.session.scalar(select(func.count()).select_from(Order).where(
        Order.status == OrderStatus.SHIPPED, Order.shipped_at >= _start_of_today(), order_in_site(site))) or 0


def lines_short(site: int | None = None) -> int:
    """Open order lines that could not be given all their stock: the exceptions page's query."""
    from wms.web.desk.exceptions import lines_short_query

    return db.session.scalar(select(func.count()).select_from(lines_short_query(site).subquery())) or 0


def late_orders(site: int | None = None) -> int:
    """Open orders past their ship-by time, or that missed their carrier's cut-off at their site."""
    from wms.domain.orders.services import late_condition

    return db.session.scalar(select(func.count()).select_from(Order).where(late_condition(),
                                                                           order_in_site(site))) or 0


def bins_to_count(site: int | None = None) -> int:
    return db.session.scalar(select(func.count()).select_from(Location).where(
        Location.needs_count.is_(True), location_in_site(site))) or 0


def counts_by_status(site: int | None = None) -> dict[CountStatus, int]:
    rows = db.session.execute(select(CountTask.status, func.count()).where(count_in_site(site))
                              .group_by(CountTask.status)).all()
    return dict(rows)


def open_receipts(site: int | None = None) -> int:
    return db.session.scalar(select(func.count()).select_from(Receipt).where(
        Receipt.status.in_(OPEN_RECEIPT_STATUSES), receipt_in_site(site))) or 0


def short_picks(site: int | None = None) -> int:
    """Short picks of open orders: the same query the exceptions page lists."""
    from wms.web.desk.exceptions import short_picks_query

    return db.session.scalar(select(func.count()).select_from(short_picks_query(site).subquery())) or 0


def sync_health() -> dict:
    """Last successful import (None before the first), messages waiting and dead letters of the PrestaShop sync."""
    per_status = dict(db.session.execute(
        select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)).all())
    return {"last_import": db.session.scalar(select(func.max(SyncCursor.last_run_at))),
            "waiting": per_status.get(OutboxStatus.PENDING, 0),
            "dead": per_status.get(OutboxStatus.DEAD, 0)}


def dashboard_numbers(site: int | None = None) -> dict:
    """Every number the dashboard shows, computed now, for one site (None: all)."""
    return {"orders": order_counts(site), "shipped_today": shipped_today(site), "lines_short": lines_short(site),
            "late": late_orders(site), "bins_to_count": bins_to_count(site), "counts": counts_by_status(site),
            "receipts_open": open_receipts(site), "short_picks": short_picks(site), "sync": sync_health(),
            "at": utcnow()}


@bp.route("/", endpoint="home")
def dashboard_page():
    """The desk's start page: the warehouse at a glance."""
    return render_template("desk/dashboard/page.html", n=dashboard_numbers(chosen_site()), tiles=STATUS_TILES,
                           statuses=CountStatus, menu=DESK_MENU)


@bp.route("/dashboard/numbers")
def dashboard_numbers_fragment():
    """The live part of the dashboard, polled by htmx."""
    return render_template("desk/dashboard/_numbers.html", n=dashboard_numbers(chosen_site()), tiles=STATUS_TILES,
                           statuses=CountStatus)
