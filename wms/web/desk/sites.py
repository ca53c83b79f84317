"""Desk: sites (sellable, priority), the routing rules, carriers per site, and the site filter.

Every desk page that lists work (dashboard, orders, stock, picking, dispatch, receipts, counts,
returns, exceptions) shows only the chosen site's;
"all" (the default) for a supervisor who runs several. The choice (``?site=<id>|all``) is kept
in the session, so it follows the supervisor from page to page.
"""
from __future__ import annotations

from datetime import time
from functools import lru_cache

from flask import flash, has_request_context, redirect, render_template, request, session, url_for
from flask_login import current_user
from sqlalchemy import or_, select, true

from wms.db import as_id, db
from wms.domain.locations.models import Warehouse
from wms.domain.locations.sites import all_warehouses, default_zone, valid_zone
from wms.domain.orders.models import Order, RoutingRule
from wms.domain.orders.routing import reroute
from wms.domain.shipping.models import Carrier, CarrierSite
from wms.errors import DomainError, NotFound
from wms.i18n import _
from wms.web.desk import bp
from wms.web.tx import transactional

# Not in the desk bar (it must fit one line at 1366 px): reached from the site filter and the
# Printers page.

SESSION_KEY = "desk_site"


def desk_site_id() -> int | None:
    """The site the desk shows (None: all), from ?site= (kept in the session) or the session."""
    raw = request.args.get("site")
    if raw is not None:
        ident = as_id(raw) if raw != "all" else None
        session[SESSION_KEY] = ident
        return ident
    return session.get(SESSION_KEY)


def order_in_site(site: int | None):
    """The SQL condition "this order is the site's" (None: every order). As the Orders page:
    a site's orders and those no site took yet (waiting for one)."""
    if site is None:
        return true()
    return or_(Order.warehouse_id == site, Order.warehouse_id.is_(None))


def location_in_site(site: int | None):
    """The SQL condition "this location is in the site" (None: every location)."""
    from wms.domain.locations.models import Location

    return true() if site is None else Location.warehouse_id == site


def count_in_site(site: int | None):
    """A count task is a site's when its bin is there; a product count when one of its lines is
    (or before it has lines: every site may count it). One EXISTS each, no statement per row."""
    from wms.domain.counts.models import CountLine, CountTask
    from wms.domain.locations.models import Location

    if site is None:
        return true()
    in_site = select(Location.id).where(Location.warehouse_id == site)
    return or_(CountTask.location_id.in_(in_site),
               CountTask.lines.any(CountLine.location_id.in_(in_site)),
               CountTask.location_id.is_(None) & ~CountTask.lines.any())


def receipt_in_site(site: int | None):
    """A receipt is the site's it is expected at; one with no site (older than sites) is every
    site's."""
    from wms.domain.receiving.models import Receipt

    if site is None:
        return true()
    return or_(Receipt.warehouse_id == site, Receipt.warehouse_id.is_(None))


def return_in_site(site: int | None):
    """A customer return is its order's site's (it comes back from the parcel that site shipped)."""
    from wms.domain.returns.models import CustomerReturn

    return true() if site is None else CustomerReturn.order.has(order_in_site(site))


def chosen_site() -> int | None:
    """The site the desk shows, None for all (and always None with a single site)."""
    return desk_site_id() if len(all_warehouses()) > 1 else None


@bp.app_context_processor
def _site_filter():
    # Templates of the desk read desk_sites (every site) and desk_site (the chosen one's id).
    if not has_request_context() or request.blueprint != "desk":
        return {}
    sites = all_warehouses()
    return {"desk_sites": sites, "desk_site": desk_site_id() if len(sites) > 1 else None}


def _page(error: str | None = None, status: int = 200):
    rules = db.session.execute(select(RoutingRule).order_by(RoutingRule.priority, RoutingRule.id)).scalars().all()
    carriers = db.session.execute(select(Carrier).where(Carrier.active.is_(True)).order_by(Carrier.name)).scalars().all()
    return render_template("desk/sites/page.html", warehouses=all_warehouses(), rules=rules, carriers=carriers,
                           error=error, default_zone=default_zone(), zone_names=zone_names()), status


@bp.route("/sites")
def sites():
    return _page()


def _warehouse(raw) -> Warehouse:
    warehouse = db.session.get(Warehouse, as_id(raw)) if as_id(raw) is not None else None
    if warehouse is None:
        raise NotFound(_("Warehouse %(id)s does not exist: choose one of the list.", id=raw))
    return warehouse


def _int(raw, what: str, low: int = -999, high: int = 999) -> int:
    text = str(raw or "0").strip()
    if not (text.lstrip("-").isdecimal() and low <= int(text) <= high):
        raise DomainError(_("%(what)s must be a whole number from %(low)s to %(high)s.", what=what, low=low, high=high))
    return int(text)


@bp.route("/sites/<int:warehouse_id>", methods=["POST"])
@transactional
def site_update(warehouse_id: int):
    try:
        warehouse = _warehouse(warehouse_id)
        priority = _int(request.form.get("priority"), _("The priority"))
        zone = _zone(request.form.get("timezone"))
        warehouse.priority = priority
        warehouse.sellable = request.form.get("sellable") == "1"
        if "timezone" in request.form:
            warehouse.timezone = zone
    except DomainError as exc:
        db.session.rollback()
        return _page(exc.message, exc.status)
    flash(_("%(site)s saved.", site=warehouse.name), "ok")
    return redirect(url_for("desk.sites"))


def _zone(raw) -> str | None:
    """A site's IANA time zone from the form (empty: the installation's, WMS_TIMEZONE)."""
    text = (raw or "").strip()
    if not text:
        return None
    if not valid_zone(text):
        raise DomainError(_("%(zone)s is not a time zone: write it as Region/City, e.g. Europe/Paris "
                            "or America/Montreal (or leave it empty for the installation's).",
                            zone=text[:40]), code="bad_timezone")
    return text


@lru_cache(maxsize=1)
def zone_names() -> tuple[str, ...]:
    """The Region/City zones zoneinfo knows, for the Sites page's suggestions."""
    from zoneinfo import available_timezones

    return tuple(sorted(z for z in available_timezones() if "/" in z and not z.startswith(("Etc/", "SystemV/"))))


COUNTRY_CHARS = set("ABCDEFGHIJKLMNOPQRSTUVWXYZ")


def _countries(raw: str) -> str | None:
    codes = [c.strip().upper() for c in (raw or "").replace(";", ",").replace(" ", ",").split(",") if c.strip()]
    bad = [c for c in codes if len(c) != 2 or not set(c) <= COUNTRY_CHARS]
    if bad:
        raise DomainError(_("%(codes)s: give countries as two-letter ISO codes separated by commas (FR, BE).",
                            codes=", ".join(bad)[:60]))
    joined = ",".join(dict.fromkeys(codes))
    if len(joined) > 200:
        raise DomainError(_("Too many countries for one rule: split it in two."))
    return joined or None


@bp.route("/sites/rules", methods=["POST"])
@transactional
def rule_create():
    form = request.form
    try:
        warehouse = _warehouse(form.get("warehouse_id"))
        carrier = None
        if form.get("carrier_id"):
            carrier = db.session.get(Carrier, as_id(form["carrier_id"])) if as_id(form["carrier_id"]) else None
            if carrier is None:
                raise NotFound(_("Carrier %(id)s does not exist: choose one of the list.", id=form["carrier_id"]))
        rule = RoutingRule(priority=_int(form.get("priority"), _("The priority")),
                           countries=_countries(form.get("countries", "")),
                           carrier_id=carrier.id if carrier else None, warehouse_id=warehouse.id)
        db.session.add(rule)
        db.session.flush()
    except DomainError as exc:
        db.session.rollback()
        return _page(exc.message, exc.status)
    flash(_("Rule added: matching orders prefer %(site)s.", site=warehouse.name), "ok")
    return redirect(url_for("desk.sites"))


@bp.route("/sites/rules/<int:rule_id>/delete", methods=["POST"])
@transactional
def rule_delete(rule_id: int):
    rule = db.session.get(RoutingRule, rule_id)
    if rule is None:
        return _page(_("That rule no longer exists."), 404)
    db.session.delete(rule)
    flash(_("Rule removed."), "ok")
    return redirect(url_for("desk.sites"))


def _cutoff(raw: str) -> time | None:
    raw = (raw or "").strip()
    if not raw:
        return None
    try:
        return time.fromisoformat(raw)
    except ValueError:
        raise DomainError(_("%(value)s is not a time of day: write it like 15:30.", value=raw[:20])) from None


@bp.route("/sites/carriers", methods=["POST"])
@transactional
def carrier_site_set():
    """Let a carrier collect from a site (with that site's cut-off), or stop it (remove=1)."""
    form = request.form
    try:
        carrier = db.session.get(Carrier, as_id(form.get("carrier_id"))) if as_id(form.get("carrier_id")) else None
        if carrier is None:
            raise NotFound(_("Carrier %(id)s does not exist: choose one of the list.", id=form.get("carrier_id")))
        warehouse = _warehouse(form.get("warehouse_id"))
        row = db.session.get(CarrierSite, (carrier.id, warehouse.id))
        if form.get("remove") == "1":
            if row is not None:
                carrier.sites.remove(row)
            message = _("%(carrier)s no longer collects from %(site)s.", carrier=carrier.name, site=warehouse.name)
        else:
            if row is None:
                row = CarrierSite(warehouse_id=warehouse.id)
                carrier.sites.append(row)
            row.cutoff = _cutoff(form.get("cutoff", ""))
            message = _("%(carrier)s collects from %(site)s.", carrier=carrier.name, site=warehouse.name)
        db.session.flush()
    except DomainError as exc:
        db.session.rollback()
        return _page(exc.message, exc.status)
    flash(message, "ok")
    return redirect(url_for("desk.sites"))


@bp.route("/orders/<int:order_id>/route", methods=["POST"])
@transactional
def order_route(order_id: int):
    """Send an order not yet picked to another site (releases and reserves again)."""
    from wms.web.desk.orders import _render_page

    order = db.session.get(Order, order_id)
    if order is None:
        return _page(_("Order %(id)s does not exist.", id=order_id), 404)
    try:
        reroute(order, request.form.get("warehouse_id", ""), current_user)
    except DomainError as exc:
        db.session.rollback()
        order = db.session.get(Order, order_id)
        flash(exc.message, "error")
        return _render_page(order, exc.message), exc.status
    flash(_("%(order)s now ships from %(site)s.", order=order.code, site=order.warehouse.name), "ok")
    return redirect(url_for("desk.order_page", order_id=order.id))
