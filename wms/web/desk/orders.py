"""Orders on the desk: a searchable list, the order page with its history, and actions."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from wms.db import db
from wms.domain.orders import services as order_services
from wms.domain.orders.models import Order, OrderStatus
from wms.errors import DomainError
from wms.web.desk import bp
from wms.web.menu import DESK_MENU, MenuItem, add
from wms.web.tx import transactional

add(DESK_MENU, MenuItem("Orders", "desk.orders", "Search, hold, release, cancel", order=10))

PAGE_SIZE = 50


def _page_number() -> int:
    raw = request.args.get("page", "1")
    return max(int(raw), 1) if raw.isdigit() else 1


@bp.route("/orders")
def orders():
    args = request.args
    status = OrderStatus[args["status"]] if args.get("status") in OrderStatus.__members__ else None
    query = order_services.search_orders(args.get("q", ""), status, open_only=bool(args.get("open")),
                                 late=bool(args.get("late")))
    page = _page_number()
    rows = db.session.execute(query.offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE + 1)).scalars().all()
    return render_template("desk/orders/list.html", rows=rows[:PAGE_SIZE], has_more=len(rows) > PAGE_SIZE,
                           page=page, args=args, statuses=OrderStatus, status=status)


def _order_or_404(order_id: int) -> Order:
    order = db.session.get(Order, order_id)
    if order is None:
        abort(404)
    return order


def _allocations(order: Order) -> list | None:
    try:
        from wms.domain.picking.models import Allocation
    except ImportError:
        return None
    return list(db.session.execute(select(Allocation).where(Allocation.order_id == order.id)
                                   .order_by(Allocation.order_line_id, Allocation.id)).scalars())


@bp.route("/orders/<int:order_id>")
def order_page(order_id: int):
    order = _order_or_404(order_id)
    return render_template("desk/orders/page.html", order=order, allocations=_allocations(order),
                           holdable=order.status in order_services.HOLDABLE,
                           cancellable=order.status in order_services.CANCELLABLE)


def _act(order_id: int, action, done: str):
    order = _order_or_404(order_id)
    try:
        action(order)
    except DomainError as exc:
        flash(exc.message, "error")
        return render_template("desk/orders/page.html", order=order, allocations=_allocations(order),
                               holdable=order.status in order_services.HOLDABLE,
                               cancellable=order.status in order_services.CANCELLABLE, error=exc.message), exc.status
    flash(done.format(order=order), "ok")
    return redirect(url_for("desk.order_page", order_id=order.id))


@bp.route("/orders/<int:order_id>/hold", methods=["POST"])
@transactional
def order_hold(order_id: int):
    return _act(order_id, lambda o: order_services.hold_order(o, request.form.get("reason", ""), current_user),
                "{order.code} is on hold.")


@bp.route("/orders/<int:order_id>/release", methods=["POST"])
@transactional
def order_release(order_id: int):
    return _act(order_id, lambda o: order_services.release_order(o, current_user),
                "{order.code} released: {order.status.label}.")


@bp.route("/orders/<int:order_id>/cancel", methods=["POST"])
@transactional
def order_cancel(order_id: int):
    return _act(order_id, lambda o: order_services.cancel_order(o, request.form.get("reason", ""), current_user),
                "{order.code} cancelled; its stock is free again.")


@bp.route("/orders/<int:order_id>/allocate", methods=["POST"])
@transactional
def order_allocate(order_id: int):
    def allocate(order):
        try:
            from wms.domain.picking.allocation import allocate_orders
        except ImportError:
            raise DomainError("Allocation is not available in this installation.") from None
        allocate_orders([order.id], current_user)

    return _act(order_id, allocate, "{order.code}: allocation run; now {order.status.label}.")
