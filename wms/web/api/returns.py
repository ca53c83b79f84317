"""Customer returns through the JSON API: list, read, and announce one for an order.

POST /returns announces an expected return, idempotent on external_ref when given: the same
reference again answers 200 with the return made the first time.
"""
from __future__ import annotations

from flask import abort, jsonify, request
from flask_login import current_user
from marshmallow import Schema, fields, validate
from sqlalchemy import select

from wms.db import db
from wms.domain.orders.models import Order
from wms.domain.returns import services as returns
from wms.domain.returns.models import CustomerReturn, ReturnStatus
from wms.domain.users.models import Role
from wms.errors import DomainError
from wms.web.api import bp
from wms.web.api.bulk import MAX_LINES, load
from wms.web.api.stock import paginate
from wms.web.auth.loader import require_role, require_scope
from wms.web.tx import transactional
from wms.i18n import _


class ReturnLineOutSchema(Schema):
    sku = fields.String(allow_none=True)
    name = fields.String()
    shipped = fields.Integer()
    announced = fields.Integer()
    received = fields.Function(lambda ln: returns.line_received(ln.customer_return, ln.id))


class ReturnItemSchema(Schema):
    code = fields.String()
    sku = fields.Function(lambda i: i.product.sku if i.product is not None else None)
    quantity = fields.Integer()
    condition = fields.Function(lambda i: i.condition.name if i.condition else None,
                                metadata={"description": "SELLABLE, DAMAGED, OPENED, WRONG_ITEM; null while waiting"})
    exception = fields.Boolean()
    location = fields.Function(lambda i: i.location.code if i.location else None)
    created_at = fields.DateTime()


class ReturnSchema(Schema):
    id = fields.Integer()
    code = fields.String()
    order_id = fields.Integer()
    order_reference = fields.Function(lambda r: r.order.reference)
    status = fields.Function(lambda r: r.status.name, metadata={"description": "EXPECTED, IN_PROGRESS, RECEIVED, CANCELLED"})
    source = fields.String(metadata={"description": "shop, desk, api, or parcel (arrived unannounced)"})
    external_ref = fields.String(allow_none=True)
    ps_return_id = fields.Integer(allow_none=True)
    reason = fields.String(allow_none=True)
    discrepancy = fields.String(allow_none=True, metadata={"description": "announced units that did not come back"})
    announced_total = fields.Integer()
    received_total = fields.Integer()
    waiting_for_refund = fields.Boolean()
    created_at = fields.DateTime()
    received_at = fields.DateTime(allow_none=True)
    refunded_at = fields.DateTime(allow_none=True)


class ReturnDetailSchema(ReturnSchema):
    lines = fields.List(fields.Nested(ReturnLineOutSchema))
    items = fields.List(fields.Nested(ReturnItemSchema))


class ReturnRequestLineSchema(Schema):
    sku = fields.String(required=True, validate=validate.Length(min=1, max=64))
    quantity = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=1_000_000))


class ReturnRequestSchema(Schema):
    """An expected return: which order, and how many units of which SKU."""

    order = fields.String(required=True, validate=validate.Length(min=1, max=64),
                          metadata={"description": "the order's reference, SO- code or tracking number"})
    external_ref = fields.String(load_default=None, allow_none=True, validate=validate.Length(min=1, max=64),
                                 metadata={"description": "your return number: the same one again is not a new return"})
    reason = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=1000))
    lines = fields.List(fields.Nested(ReturnRequestLineSchema), required=True,
                        validate=validate.Length(min=1, max=MAX_LINES))


def _return(return_id: int) -> CustomerReturn:
    ret = db.session.get(CustomerReturn, return_id)
    if ret is None:
        abort(404)
    return ret


@bp.get("/returns")
def list_returns():
    require_scope("read")
    query = returns.returns_query()
    status = request.args.get("status")
    if status:
        if status not in ReturnStatus.__members__:
            raise DomainError(_("status must be one of %(choices)s.",
                                choices=', '.join(ReturnStatus.__members__)), code="invalid")
        query = query.where(CustomerReturn.status == ReturnStatus[status])
    if request.args.get("order"):
        query = query.join(Order, Order.id == CustomerReturn.order_id).where(Order.reference == request.args["order"])
    if request.args.get("external_ref"):
        query = query.where(CustomerReturn.external_ref == request.args["external_ref"])
    if request.args.get("discrepancy") == "1":
        query = query.where(CustomerReturn.discrepancy.is_not(None))
    return paginate(query, ReturnSchema())


@bp.get("/returns/<int:return_id>")
def get_return(return_id: int):
    require_scope("read")
    return jsonify(ReturnDetailSchema().dump(_return(return_id)))


@bp.post("/returns")
@transactional
def create_return():
    """Announce an expected return of an order (idempotent on external_ref)."""
    require_role(Role.SUPERVISOR)
    require_scope("orders")
    data = load(ReturnRequestSchema())
    if data["external_ref"]:
        existing = db.session.execute(select(CustomerReturn).where(
            CustomerReturn.source == "api", CustomerReturn.external_ref == data["external_ref"])).scalar_one_or_none()
        if existing is not None:
            return jsonify({**ReturnDetailSchema().dump(existing), "outcome": "unchanged"}), 200
    order = returns.order_by_reference(data["order"])
    text = "\n".join(f"{line['sku']} {line['quantity']}" for line in data["lines"])
    ret = returns.create_return(order, returns.parse_announced(order, text), source="api", user=current_user,
                                reason=data["reason"], external_ref=data["external_ref"])
    return jsonify({**ReturnDetailSchema().dump(ret), "outcome": "created"}), 201


__all__ = ["ReturnDetailSchema", "ReturnItemSchema", "ReturnLineOutSchema", "ReturnRequestLineSchema",
           "ReturnRequestSchema", "ReturnSchema"]
