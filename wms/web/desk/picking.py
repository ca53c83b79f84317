"""Desk: run allocation, make pick lists (order, batch, wave), print them, see short picks."""
from __future__ import annotations

from datetime import datetime, timezone

from flask import Response, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import or_, select

from wms.db import as_id, db
from wms.domain.locations.models import Location
from wms.domain.orders.models import Order, OrderEvent, OrderStatus
from wms.domain.picking import services as pick_service
from wms.domain.picking.allocation import allocate_orders
from wms.domain.picking.models import PickList, PickListKind, PickListOrder
from wms.domain.shipping.models import Carrier
from wms.errors import DomainError
from wms.i18n import _, ngettext
from wms.web.desk import bp
from wms.web.menu import DESK_MENU, MenuItem, add
from wms.web.tx import transactional
from wms.i18n import _, N_, ngettext

add(DESK_MENU, MenuItem(N_("Picking"), "desk.picking", N_("Allocate, pick lists, waves, short picks"), order=20))


@bp.route("/picking/", endpoint="picking")
def picking_page():
    from wms.web.desk.sites import desk_site_id

    site = desk_site_id()
    waiting_query = select(Order).where(Order.status.in_((OrderStatus.NEW, OrderStatus.BACKORDERED)))
    if site is not None:
        waiting_query = waiting_query.where(or_(Order.warehouse_id == site, Order.warehouse_id.is_(None)))
    waiting = db.session.execute(waiting_query.order_by(Order.id).limit(200)).scalars().all()
    shorts = db.session.execute(
        select(OrderEvent).where(OrderEvent.kind.in_(("short_pick", "picked_short")))
        .order_by(OrderEvent.id.desc()).limit(50)).scalars().all()
    to_count = db.session.execute(
        select(Location).where(Location.needs_count.is_(True)).order_by(Location.code)).scalars().all()
    recent_query = select(PickList).order_by(PickList.id.desc()).limit(30)
    ready = pick_service.pickable_orders()
    if site is not None:
        recent_query = recent_query.where(PickList.id.in_(
            select(PickListOrder.pick_list_id).join(Order, Order.id == PickListOrder.order_id)
            .where(Order.warehouse_id == site)))
        ready = [o for o in ready if o.warehouse_id == site]
        to_count = [loc for loc in to_count if loc.warehouse_id == site]
    recent = db.session.execute(recent_query).scalars().all()
    carriers = db.session.execute(select(Carrier).order_by(Carrier.name)).scalars().all()
    return render_template("desk/picking/page.html", waiting=waiting, ready=ready,
                           lists=recent, shorts=shorts, to_count=to_count, carriers=carriers)



@bp.route("/picking/allocate", methods=["POST"])
@transactional
def picking_allocate():
    report = allocate_orders(user=current_user)
    flash(_("Allocation: %(summary)s.", summary=report.summary), "ok")
    return redirect(url_for("desk.picking"))


@bp.route("/picking/lists", methods=["POST"])
@transactional
def picking_create():
    ids = request.form.getlist("order")
    try:
        if request.form.get("mode") == "batch":
            lists = [pick_service.create_pick_list(ids, kind=PickListKind.BATCH, user=current_user)]
        else:
            lists = [pick_service.create_pick_list([i], user=current_user) for i in ids]
            if not lists:
                raise DomainError(_("Tick at least one order."))
    except DomainError as exc:
        db.session.rollback()  # nothing half-done is committed with the redirect
        flash(exc.message, "error")
        return redirect(url_for("desk.picking")), 303
    flash(_("Created %(codes)s.", codes=", ".join(pl.code for pl in lists)), "ok")
    return redirect(url_for("desk.picking"))


@bp.route("/picking/wave", methods=["POST"])
@transactional
def picking_wave():
    carrier_id = request.form.get("carrier") or None
    raw_cutoff = (request.form.get("ship_by_before") or "").strip()
    try:
        cutoff = None
        if raw_cutoff:
            try:
                cutoff = datetime.fromisoformat(raw_cutoff)
                if cutoff.tzinfo is None:
                    # Typed on the clock the desk shows (the chosen site's zone, else WMS_TIMEZONE).
                    from zoneinfo import ZoneInfo

                    from wms.i18n import select_timezone

                    cutoff = cutoff.replace(tzinfo=ZoneInfo(select_timezone()))
                cutoff = cutoff.astimezone(timezone.utc)
            except ValueError:
                raise DomainError(_("“%(value)s” is not a date and time, e.g. 2026-11-23T15:00.",
                                      value=raw_cutoff[:40])) from None
        if carrier_id and as_id(carrier_id) is None:
            raise DomainError(_("Choose a carrier from the list."))
        from wms.web.desk.sites import desk_site_id

        lists = pick_service.release_waves(carrier_id=int(carrier_id) if carrier_id else None,
                                           ship_by_before=cutoff, user=current_user,
                                           warehouse_id=desk_site_id())
    except DomainError as exc:
        db.session.rollback()  # nothing half-done is committed with the redirect
        flash(exc.message, "error")
        return redirect(url_for("desk.picking")), 303
    if len(lists) == 1:
        flash(ngettext("Released wave %(list)s with %(num)d order.", "Released wave %(list)s with %(num)d orders.",
                       len(lists[0].orders), list=lists[0].code), "ok")
    else:
        # "All sites": a list per site, each walked in its own building.
        each = [ngettext("%(list)s for %(site)s, %(num)d order", "%(list)s for %(site)s, %(num)d orders",
                         len(pl.orders), list=pl.code, site=_site_name(pl)) for pl in lists]
        flash(_("Released %(count)s waves, one per site: %(lists)s.", count=len(lists), lists=" · ".join(each)), "ok")
    return redirect(url_for("desk.picking"))


def _site_name(pick_list: PickList) -> str:
    order = pick_list.orders[0].order if pick_list.orders else None
    return order.warehouse.name if order is not None and order.warehouse is not None else "?"


@bp.route("/picking/lists/<int:list_id>/pause", methods=["POST"])
@transactional
def picking_pause(list_id):
    try:
        pick_list = pick_service.pause_pick_list(pick_service.get_pick_list(list_id), current_user)
    except DomainError as exc:
        db.session.rollback()  # nothing half-done is committed with the redirect
        flash(exc.message, "error")
        return redirect(url_for("desk.picking")), 303
    flash(_("%(list)s paused; any operator can resume it.", list=pick_list.code), "ok")
    return redirect(url_for("desk.picking"))


@bp.route("/picking/lists/<int:list_id>.pdf")
def picking_pdf(list_id):
    from wms.labels.documents import pick_list_pdf

    pick_list = pick_service.get_pick_list(list_id)
    pdf = pick_list_pdf(pick_service.pick_list_document(pick_list))
    return Response(pdf, mimetype="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="{pick_list.code}.pdf"'})
