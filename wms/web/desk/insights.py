"""Desk: what a supervisor asks next. Stock drift against the shops, and the operators'
productivity from their scans (daily aggregates that outlive the scan answers)."""
from __future__ import annotations

from datetime import timedelta

from flask import current_app, flash, redirect, render_template, request, url_for

from wms.db import utcnow
from wms.domain.scans import productivity
from wms.integrations.prestashop.drift import drift
from wms.integrations.prestashop.shops import configured_shops
from wms.web.desk import bp
from wms.web.menu import DESK_MENU, MenuItem, add
from wms.web.tx import transactional
from wms.i18n import N_, ngettext

add(DESK_MENU, MenuItem(N_("Drift"), "desk.drift", N_("Shop quantities against what the warehouse can sell"),
                        order=32))
add(DESK_MENU, MenuItem(N_("Productivity"), "desk.productivity", N_("Scans, lines and units per hour, refusals"),
                        order=36))


@bp.route("/drift", endpoint="drift")
def drift_page():
    only = request.args.get("all") != "1"
    shops = [s.name for s in configured_shops(current_app.config)]
    rows = drift(shops)
    never = sum(1 for r in rows if r.shop_qty is None)
    if only:
        rows = [r for r in rows if r.difference]
    return render_template("desk/insights/drift.html", rows=rows, only=only, never=never)



@bp.route("/productivity", endpoint="productivity")
def productivity_page():
    raw = request.args.get("days", "7")
    span = int(raw) if raw.isdecimal() and 0 < int(raw) <= 366 else 7
    since = utcnow().date() - timedelta(days=span - 1)
    return render_template("desk/insights/productivity.html", days=productivity.days(since),
                           span=span, since=since)



@bp.route("/productivity/refresh", methods=["POST"])
@transactional
def productivity_refresh():
    """Recompute today's and yesterday's figures now (the worker does it on its rounds)."""
    start = utcnow() - timedelta(days=2)
    written = productivity.aggregate_days(complete_after=start)
    flash(ngettext("Figures recomputed: %(num)d operator-day.", "Figures recomputed: %(num)d operator-days.", written), "ok")
    return redirect(url_for("desk.productivity"))
