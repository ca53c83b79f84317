"""Returns on the desk: the list, a return with its history, create one, rate per product, export."""
from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, time, timedelta

from flask import Response, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from wms.db import db
from wms.domain.inventory.models import StockMove
from wms.domain.returns import services as returns
from wms.domain.returns.models import CustomerReturn, ReturnItem, ReturnStatus
from wms.errors import DomainError
from wms.web.desk import bp
from wms.web.desk.sites import chosen_site, return_in_site
from wms.web.menu import DESK_MENU, MenuItem, add
from wms.web.tx import transactional
from wms.i18n import _, N_, ngettext

add(DESK_MENU, MenuItem(N_("Returns"), "desk.returns", N_("Customer returns, refunds to do, returns rate"),
                        order=22, role="SUPERVISOR"))

VIEWS = {
    "open": (N_("Expected and in progress"), lambda q: q.where(CustomerReturn.status.in_(
        (ReturnStatus.EXPECTED, ReturnStatus.IN_PROGRESS)))),
    "expected": ("Expected", lambda q: q.where(CustomerReturn.status == ReturnStatus.EXPECTED)),
    "in_progress": (N_("In progress"), lambda q: q.where(CustomerReturn.status == ReturnStatus.IN_PROGRESS)),
    "discrepancy": (N_("Received with discrepancies"), lambda q: q.where(
        CustomerReturn.status == ReturnStatus.RECEIVED, CustomerReturn.discrepancy.is_not(None))),
    "exceptions": (N_("With items set aside"), lambda q: q.where(CustomerReturn.items.any(ReturnItem.exception.is_(True)))),
    "received": ("Received", lambda q: q.where(CustomerReturn.status == ReturnStatus.RECEIVED)),
    "all": ("All", lambda q: q),
}


def _rows(view: str, site: int | None, limit: int | None = 300) -> list[CustomerReturn]:
    query = VIEWS.get(view, VIEWS["open"])[1](returns.returns_query()).where(return_in_site(site))
    if limit:
        query = query.limit(limit)
    return list(db.session.execute(query).scalars())


def _list_page(status: int = 200, **context):
    view = request.args.get("view", "open")
    if view not in VIEWS:
        view = "open"
    site = chosen_site()
    return render_template("desk/returns/page.html", rows=_rows(view, site), views=VIEWS, view=view,
                           refunds=returns.waiting_for_refund(return_in_site(site)), form=context.pop("form", {}), **context), status


@bp.route("/returns", endpoint="returns")
def returns_page():
    return _list_page()


@bp.route("/returns/new", methods=["POST"])
@transactional
def return_new():
    form = request.form
    try:
        order = returns.order_by_reference(form.get("order", ""))
        ret = returns.create_return(order, returns.parse_announced(order, form.get("lines", "")),
                                    source="desk", user=current_user, reason=form.get("reason"))
    except DomainError as exc:
        return _list_page(422, error=exc.message, form=form)
    flash(ngettext("Return %(code)s created for order %(order)s: %(num)d unit expected.", "Return %(code)s created for order %(order)s: %(num)d units expected.", ret.announced_total, code=ret.code, order=order.reference), "ok")
    return redirect(url_for("desk.return_detail", return_id=ret.id))


def _detail(ret: CustomerReturn, status: int = 200, error: str | None = None):
    moves = db.session.execute(select(StockMove).where(StockMove.reference == ret.code)
                               .order_by(StockMove.id)).scalars().all()
    lines = [(ln, returns.line_received(ret, ln.id)) for ln in ret.lines]
    return render_template("desk/returns/detail.html", ret=ret, lines=lines, moves=moves, error=error), status


@bp.route("/returns/<int:return_id>", endpoint="return_detail")
def return_detail(return_id: int):
    return _detail(returns.get_return(return_id))


def _act(return_id: int, action, done: str):
    """Run a supervisor's action on a return: back to its page with the sentence, or the refusal."""
    ret = returns.get_return(return_id)
    try:
        action(ret, current_user)
    except DomainError as exc:
        db.session.rollback()
        return _detail(returns.get_return(return_id), 422, exc.message)
    flash(done(ret.code), "ok")
    return redirect(url_for("desk.return_detail", return_id=ret.id))


@bp.route("/returns/<int:return_id>/cancel", methods=["POST"])
@transactional
def return_cancel(return_id: int):
    return _act(return_id, returns.cancel, lambda code: _("%(code)s cancelled.", code=code))


@bp.route("/returns/<int:return_id>/refunded", methods=["POST"])
@transactional
def return_refunded(return_id: int):
    return _act(return_id, returns.mark_refunded, lambda code: _("%(code)s: refund noted as done.", code=code))


def _day(raw: str | None, default: date) -> date:
    if not raw:
        return default
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        raise DomainError(_("%(value)s is not a date (use 2026-12-01).", value=raw), code="bad_date") from None
    if not 2000 <= day.year <= 2999:
        raise DomainError(_("%(value)s is out of range: give a date between 2000 and 2999.", value=raw), code="bad_date")
    return day


@bp.route("/returns/rate", endpoint="returns_rate")
def returns_rate():
    today = datetime.now(UTC).date()
    try:
        start = _day(request.args.get("start"), today - timedelta(days=30))
        end = _day(request.args.get("end"), today)
        if end < start:
            raise DomainError(_("The period ends before it starts."), code="bad_period")
    except DomainError as exc:
        return render_template("desk/returns/rate.html", rows=[], start=request.args.get("start", ""),
                               end=request.args.get("end", ""), error=exc.message), 422
    rows = returns.returns_rate(datetime.combine(start, time.min, UTC),
                                datetime.combine(end + timedelta(days=1), time.min, UTC), chosen_site())
    return render_template("desk/returns/rate.html", rows=rows, start=start.isoformat(), end=end.isoformat(),
                           error=None)


def safe_cell(value) -> str:
    """A CSV cell a spreadsheet will not run: text starting with = + - @ (or tab, CR) gets a quote."""
    text = "" if value is None else str(value)
    if text[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + text
    return text


@bp.route("/returns.csv", endpoint="returns_csv")
def returns_csv():
    view = request.args.get("view", "all")
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["return", "order", "status", "source", "shop_return", "created_at", "received_at",
                     "sku", "name", "shipped", "announced", "received", "discrepancy", "waiting_for_refund", "reason"])
    for ret in _rows(view if view in VIEWS else "all", chosen_site(), limit=None):
        for line in ret.lines:
            writer.writerow([safe_cell(v) for v in (
                ret.code, ret.order.reference, ret.status.name, ret.source, ret.ps_return_id or "",
                ret.created_at.isoformat(timespec="seconds"),
                ret.received_at.isoformat(timespec="seconds") if ret.received_at else "",
                line.sku, line.name, line.shipped, line.announced, returns.line_received(ret, line.id),
                ret.discrepancy or "", "yes" if ret.waiting_for_refund else "", ret.reason or "")])
    return Response(out.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": 'attachment; filename="returns.csv"'})
