"""Orders through the JSON API: list, read, hold, release, unpack, cancel."""
from __future__ import annotations

from flask import abort, jsonify, request
from flask_login import current_user
from marshmallow import Schema, fields

from wms.db import db
from wms.domain.orders import services as order_services
from wms.domain.orders.models import Order, OrderStatus
from wms.domain.packing.services import unpack_order as unpack
from wms.domain.users.models import Role
from wms.errors import DomainError
from wms.web.api import bp
from wms.web.api.stock import paginate
from wms.web.api.schemas import ReasonSchema, load
from wms.web.auth.loader import require_role, require_scope
from wms.web.tx import transactional
from wms.i18n import _


class OrderLineSchema(Schema):
    line_no = fields.Integer()
    sku = fields.String(allow_none=True)
    name = fields.String()
    known_product = fields.Function(lambda ln: ln.product_id is not None)
    quantity = fields.Integer()
    quantity_allocated = fields.Integer()
    quantity_picked = fields.Integer()
    quantity_packed = fields.Integer()
    quantity_shipped = fields.Integer()


class OrderEventSchema(Schema):
    kind = fields.String()
    message = fields.String()
    user = fields.Function(lambda e: e.user.username if e.user else None)
    created_at = fields.DateTime()


class OrderSchema(Schema):
    id = fields.Integer()
    code = fields.String()
    reference = fields.String()
    status = fields.Function(lambda o: o.status.name)
    hold_reason = fields.String(allow_none=True)
    channel = fields.String()
    external_ref = fields.String(allow_none=True)
    shop = fields.String(allow_none=True)
    ps_order_id = fields.Integer(allow_none=True)
    customer_name = fields.String(allow_none=True)
    carrier = fields.Function(lambda o: o.carrier.code if o.carrier else None)
    priority = fields.Integer()
    ship_by = fields.DateTime(allow_none=True)
    created_at = fields.DateTime()


class OrderDetailSchema(OrderSchema):
    lines = fields.List(fields.Nested(OrderLineSchema))
    events = fields.List(fields.Nested(OrderEventSchema))


def _order(order_id: int) -> Order:
    order = db.session.get(Order, order_id)
    if order is None:
        abort(404)
    return order


def _reason() -> str:
    return load(ReasonSchema())["reason"]


@bp.get("/orders")
def list_orders():
    status = request.args.get("status")
    if status and status not in OrderStatus.__members__:
        raise DomainError(_("status must be one of %(choices)s.",
                            choices=', '.join(OrderStatus.__members__)), code="invalid")
    query = order_services.search_orders(request.args.get("q", ""), OrderStatus[status] if status else None,
                                         open_only=request.args.get("open") == "1",
                                         late=request.args.get("late") == "1")
    return paginate(query, OrderSchema())


@bp.get("/orders/<int:order_id>")
def get_order(order_id: int):
    return jsonify(OrderDetailSchema().dump(_order(order_id)))


@bp.post("/orders/<int:order_id>/hold")
@transactional
def hold_order(order_id: int):
    require_role(Role.SUPERVISOR)
    require_scope("orders")
    order = order_services.hold_order(_order(order_id), _reason(), current_user)
    return jsonify(OrderDetailSchema().dump(order))


@bp.post("/orders/<int:order_id>/release")
@transactional
def release_order(order_id: int):
    require_role(Role.SUPERVISOR)
    require_scope("orders")
    return jsonify(OrderDetailSchema().dump(order_services.release_order(_order(order_id), current_user)))


@bp.post("/orders/<int:order_id>/cancel")
@transactional
def cancel_order(order_id: int):
    require_role(Role.SUPERVISOR)
    require_scope("orders")
    order = order_services.cancel_order(_order(order_id), _reason(), current_user)
    return jsonify(OrderDetailSchema().dump(order))


@bp.post("/orders/<int:order_id>/unpack")
@transactional
def unpack_order(order_id: int):
    require_role(Role.SUPERVISOR)
    require_scope("orders")
    return jsonify(OrderDetailSchema().dump(unpack(_order(order_id), current_user)))
