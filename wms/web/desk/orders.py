"""Orders on the desk: a searchable list, the order page with its history, and actions."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import or_, select

from wms.db import db, utcnow
from wms.domain.orders import services as order_services
from wms.domain.orders.models import Order, OrderStatus
from wms.domain.packing.services import unpack_order, unpackable
from wms.domain.picking.allocation import allocate_orders
from wms.domain.picking.models import Allocation
from wms.domain.shipping.models import Shipment
from wms.errors import DomainError
from wms.i18n import _
from wms.integrations.prestashop.models import OutboxMessage
from wms.integrations.prestashop.outbox import retry_message
from wms.web.desk import bp
from wms.web.menu import DESK_MENU, MenuItem, add
from wms.web.tx import transactional
from wms.i18n import _, N_

add(DESK_MENU, MenuItem(N_("Orders"), "desk.orders", N_("Search, hold, release, cancel"), order=10))

PAGE_SIZE = 50


def _page_number() -> int:
    from wms.web.security import page_number

    return page_number(request.args.get("page"))


@bp.route("/orders")
def orders():
    args = request.args
    status = OrderStatus[args["status"]] if args.get("status") in OrderStatus.__members__ else None
    shipped_since = None
    if args.get("shipped") == "today":
        from wms.web.desk.dashboard import _start_of_today

        shipped_since = _start_of_today()
    query = order_services.search_orders(args.get("q", ""), status, open_only=bool(args.get("open")),
                                 late=bool(args.get("late")), shipped_since=shipped_since)
    from wms.web.desk.sites import desk_site_id

    site = desk_site_id()
    if site is not None:
        # A site's orders, and those no site took yet (waiting for one).
        query = query.where(or_(Order.warehouse_id == site, Order.warehouse_id.is_(None)))
    page = _page_number()
    rows = db.session.execute(query.offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE + 1)).scalars().all()
    return render_template("desk/orders/list.html", rows=rows[:PAGE_SIZE], has_more=len(rows) > PAGE_SIZE,
                           page=page, args=args, statuses=OrderStatus, status=status)


def _order_or_404(order_id: int) -> Order:
    order = db.session.get(Order, order_id)
    if order is None:
        abort(404)
    return order


def _allocations(order: Order) -> list[Allocation]:
    return list(db.session.execute(select(Allocation).where(Allocation.order_id == order.id)
                                   .order_by(Allocation.order_line_id, Allocation.id)).scalars())


def _shipments(order: Order) -> list[Shipment]:
    return list(db.session.execute(select(Shipment).where(Shipment.order_id == order.id)
                                   .order_by(Shipment.id)).scalars())


def _outbox_messages(order: Order, shipments: list[Shipment]) -> list[OutboxMessage]:
    """The shop messages about this order: "shipped" pushes (their payload names the order)."""
    keys = [f"order_shipped:{s.id}" for s in shipments]
    # json.dumps(sort_keys=True) writes "order_id": N followed by ", " or "}".
    like = [OutboxMessage.payload_json.like(f'%"order_id": {order.id}{end}%') for end in (",", "}")]
    rows = db.session.execute(select(OutboxMessage).where(
        OutboxMessage.kind == "order_shipped",
        or_(OutboxMessage.dedupe_key.in_(keys), *like)).order_by(OutboxMessage.id)).scalars()
    return [m for m in rows if m.payload.get("order_id") == order.id]


def _render_page(order: Order, error: str | None = None) -> str:
    from wms.domain.orders.services import ADDRESS_FIELDS
    from wms.domain.shipping.labels import labels_of
    from wms.domain.shipping.services import tracking_link

    shipments = _shipments(order)
    carrier_labels = {row.parcel_id: row for s in shipments for row in labels_of(s)}
    return render_template("desk/orders/page.html", order=order, allocations=_allocations(order),
                           holdable=order.status in order_services.HOLDABLE,
                           cancellable=order.status in order_services.CANCELLABLE,
                           unpackable=unpackable(order), shipments=shipments,
                           tracking_link=tracking_link, outbox=_outbox_messages(order, shipments),
                           now=utcnow(), error=error, carrier_labels=carrier_labels,
                           address_fields=ADDRESS_FIELDS,
                           address_editable=order.status not in (OrderStatus.SHIPPED, OrderStatus.CANCELLED))


@bp.route("/orders/<int:order_id>")
def order_page(order_id: int):
    return _render_page(_order_or_404(order_id))


def _act(order_id: int, action, done: str):
    order = _order_or_404(order_id)
    try:
        action(order)
    except DomainError as exc:
        flash(exc.message, "error")
        return _render_page(order, exc.message), exc.status
    flash(done(order), "ok")
    return redirect(url_for("desk.order_page", order_id=order.id))


@bp.route("/orders/<int:order_id>/hold", methods=["POST"])
@transactional
def order_hold(order_id: int):
    return _act(order_id, lambda o: order_services.hold_order(o, request.form.get("reason", ""), current_user),
                lambda o: _("%(code)s is on hold.", code=o.code))


@bp.route("/orders/<int:order_id>/release", methods=["POST"])
@transactional
def order_release(order_id: int):
    return _act(order_id, lambda o: order_services.release_order(o, current_user),
                lambda o: _("%(code)s released: %(status)s.", code=o.code, status=o.status.label))


@bp.route("/orders/<int:order_id>/cancel", methods=["POST"])
@transactional
def order_cancel(order_id: int):
    return _act(order_id, lambda o: order_services.cancel_order(o, request.form.get("reason", ""), current_user),
                lambda o: _("%(code)s cancelled; its stock is free again.", code=o.code))


@bp.route("/orders/<int:order_id>/allocate", methods=["POST"])
@transactional
def order_allocate(order_id: int):
    def allocate(order):
        allocate_orders([order.id], current_user)

    return _act(order_id, allocate, lambda o: _("%(code)s: allocation run; now %(status)s.", code=o.code, status=o.status.label))


@bp.route("/orders/<int:order_id>/address", methods=["POST"])
@transactional
def order_address(order_id: int):
    return _act(order_id, lambda o: order_services.update_shipping_address(o, request.form, current_user),
                lambda o: _("%(code)s: shipping address saved; the next carrier label uses it.", code=o.code))


@bp.route("/orders/<int:order_id>/unpack", methods=["POST"])
def order_unpack(order_id: int):
    def unpack(order):
        unpack_order(order, current_user)

    response = transactional(lambda: _act(order_id, unpack, lambda o: _(
        "%(code)s unpacked: its parcels are void; the goods wait at the packing bench (%(status)s).",
        code=o.code, status=o.status.label)))()
    if response.status_code < 400:
        # After the commit, with no transaction open: void the parcels at their carrier (what
        # fails stays to void, and `wms void-carrier-labels` retries it).
        from wms.domain.shipping.labels import void_pending

        for sentence in void_pending():
            flash(_("Carrier: %(sentence)s", sentence=sentence), "ok")
    return response


@bp.route("/orders/<int:order_id>/outbox/<int:message_id>/retry", methods=["POST"])
@transactional
def order_retry_message(order_id: int, message_id: int):
    order = _order_or_404(order_id)
    if message_id not in {m.id for m in _outbox_messages(order, _shipments(order))}:
        abort(404)
    try:
        retry_message(message_id)
    except (DomainError, ValueError) as exc:
        message = getattr(exc, "message", str(exc))
        flash(message, "error")
        return _render_page(order, message), 409
    flash(_("Message %(id)s is queued again: the worker sends it at its next pass.", id=message_id), "ok")
    return redirect(url_for("desk.order_page", order_id=order.id))
