"""The exceptions inbox: everything stuck, short or out of sync, each with the action that fixes it.

Filtered to the desk's chosen site (None: all); the shop messages that failed are one for every
site and always shown."""
from __future__ import annotations

from dataclasses import dataclass

from flask import flash, redirect, render_template, url_for
from sqlalchemy import select

from wms.db import db
from wms.domain.counts.models import CountStatus, CountTask
from wms.domain.locations.models import Location
from wms.domain.orders.models import OPEN_STATUSES, Order, OrderLine, OrderStatus
from wms.domain.picking.models import Allocation
from wms.domain.receiving.models import Receipt, ReceiptStatus
from wms.errors import DomainError
from wms.integrations.prestashop.outbox import dead_messages, retry_message
from wms.web.desk import bp
from wms.web.desk.sites import chosen_site, count_in_site, location_in_site, order_in_site, receipt_in_site
from wms.web.menu import DESK_MENU, MenuItem, add
from wms.web.tx import transactional
from wms.i18n import _, N_

add(DESK_MENU, MenuItem(N_("Exceptions"), "desk.exceptions", N_("Unknown SKUs, shorts, differences, sync"), order=5))

LIMIT = 100


@dataclass
class Section:
    """One kind of exception: its rows."""

    key: str
    title: str
    fix: str
    rows: list


def unknown_skus(site: int | None = None) -> list[OrderLine]:
    return list(db.session.execute(
        select(OrderLine).join(Order).where(OrderLine.product_id.is_(None), Order.status.in_(OPEN_STATUSES),
                                            order_in_site(site))
        .order_by(OrderLine.order_id).limit(LIMIT)).scalars())


def held_orders(site: int | None = None) -> list[Order]:
    return list(db.session.execute(select(Order).where(Order.status == OrderStatus.ON_HOLD, order_in_site(site))
                                   .order_by(Order.id).limit(LIMIT)).scalars())


def counts_to_approve(site: int | None = None) -> list[CountTask]:
    return list(db.session.execute(select(CountTask).where(CountTask.status == CountStatus.REVIEW,
                                                           count_in_site(site))
                                   .order_by(CountTask.id).limit(LIMIT)).scalars())


def bins_to_count(site: int | None = None) -> list[Location]:
    return list(db.session.execute(select(Location).where(Location.needs_count.is_(True), location_in_site(site))
                                   .order_by(Location.walk_sequence).limit(LIMIT)).scalars())


def short_picks_query(site: int | None = None):
    """Short picks still to act on: those of open orders. The dashboard's tile counts this same
    query, so the tile and this page never disagree."""
    return (select(Allocation).join(Order, Allocation.order_id == Order.id)
            .where(Allocation.short > 0, Order.status.in_(OPEN_STATUSES), order_in_site(site)))


def lines_short_query(site: int | None = None):
    """Lines of backordered orders still missing stock; the dashboard's "lines short" tile
    counts this same query and links to its section here."""
    return (select(OrderLine).join(Order, OrderLine.order_id == Order.id)
            .where(Order.status == OrderStatus.BACKORDERED, order_in_site(site),
                   OrderLine.quantity_allocated + OrderLine.quantity_picked < OrderLine.quantity))


def lines_short(site: int | None = None) -> list[OrderLine]:
    return list(db.session.execute(
        lines_short_query(site).order_by(OrderLine.order_id, OrderLine.line_no).limit(LIMIT)).scalars())


def short_picks(site: int | None = None) -> list[Allocation]:
    return list(db.session.execute(
        short_picks_query(site).order_by(Allocation.id.desc()).limit(LIMIT)).scalars())


def receipt_discrepancies(site: int | None = None) -> list[Receipt]:
    return list(db.session.execute(
        select(Receipt).where((Receipt.status == ReceiptStatus.CLOSED_SHORT) | Receipt.discrepancy.is_not(None),
                              receipt_in_site(site))
        .order_by(Receipt.id.desc()).limit(LIMIT)).scalars())


def dead_letters() -> list:
    return dead_messages(LIMIT)


def sections(site: int | None = None) -> list[Section]:
    """Every kind of exception the inbox shows, in the order to look at them, for one site (None: all)."""
    return [
        Section("unknown_skus", _("Unknown SKUs in shop orders"), _("Create the product, then release the order."), unknown_skus(site)),
        Section("dead_letters", _("Shop messages and webhooks that failed"), _("Fix the cause, then retry."), dead_letters()),
        Section("short_picks", _("Short picks"), _("Count the bin; allocate the order again."), short_picks(site)),
        Section("lines_short", _("Order lines short of stock"), _("Receive or move stock in, then allocate again."),
                lines_short(site)),
        Section("counts", _("Count differences to approve"), _("Approve, or send back for a recount."), counts_to_approve(site)),
        Section("receipts", _("Receipts with discrepancies"), _("Check with the supplier."), receipt_discrepancies(site)),
        Section("held", _("Orders on hold"), _("Release when the reason is gone."), held_orders(site)),
        Section("bins", _("Bins flagged for a count"), _("Create count tasks."), bins_to_count(site)),
    ]


@bp.route("/exceptions")
def exceptions():
    return render_template("desk/exceptions/page.html", sections=sections(chosen_site()))


@bp.route("/exceptions/dead-letters/<int:message_id>/retry", methods=["POST"])
@transactional
def exception_retry_message(message_id: int):
    try:
        retry_message(message_id)
    except (DomainError, ValueError) as exc:
        flash(getattr(exc, "message", str(exc)), "error")
        return redirect(url_for("desk.exceptions"))
    flash(_("Message %(id)s is queued again.", id=message_id), "ok")
    return redirect(url_for("desk.exceptions"))
