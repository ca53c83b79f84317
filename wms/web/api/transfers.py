"""Transfers between sites through the JSON API (issue 14 item 3).

GET /transfers lists them (filter: status), GET /transfers/<id> shows one with its lines;
POST /transfers creates a draft (scope stock, supervisors), released at once with
{"release": true}; POST /transfers/<id>/release|ship|receive|close|cancel runs one step.
Every step is a ledger movement; a refusal is a 4xx with a sentence and changes nothing.
"""
from __future__ import annotations

from flask import jsonify, request
from flask_login import current_user
from marshmallow import Schema, fields, validate
from sqlalchemy import select

from wms.db import db
from wms.domain.inventory.services import MAX_QUANTITY
from wms.domain.transfers import services as transfers
from wms.domain.transfers.models import TransferOrder, TransferStatus
from wms.domain.users.models import Role
from wms.errors import DomainError
from wms.i18n import _
from wms.web.api import bp
from wms.web.api.bulk import MAX_LINES, load
from wms.web.api.schemas import Text
from wms.web.api.stock import paginate
from wms.web.auth.loader import require_role, require_scope
from wms.web.tx import transactional


class TransferLineInSchema(Schema):
    sku = fields.String(required=True, validate=validate.Length(min=1, max=64))
    quantity = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=MAX_QUANTITY))


class TransferRequestSchema(Schema):
    source = fields.String(required=True, validate=validate.Length(min=1, max=16),
                           metadata={"description": "the sending warehouse's code"})
    destination = fields.String(required=True, validate=validate.Length(min=1, max=16),
                                metadata={"description": "the receiving warehouse's code"})
    lines = fields.List(fields.Nested(TransferLineInSchema), required=True,
                        validate=validate.Length(min=1, max=MAX_LINES))
    note = Text(load_default=None, allow_none=True, validate=validate.Length(max=500))
    release = fields.Boolean(load_default=False, metadata={"description": "reserve the stock at once"})


class TransferShipSchema(Schema):
    tracking = Text(load_default=None, allow_none=True, validate=validate.Length(max=64))


class TransferReceiveSchema(Schema):
    lines = fields.List(fields.Nested(TransferLineInSchema), required=True,
                        validate=validate.Length(min=1, max=MAX_LINES))


class TransferCloseSchema(Schema):
    note = Text(required=True, validate=validate.Length(min=1, max=400),
                         metadata={"description": "why the missing units did not arrive"})


class TransferLineOutSchema(Schema):
    sku = fields.Function(lambda ln: ln.product.sku)
    requested = fields.Integer()
    picked = fields.Integer()
    shipped = fields.Integer()
    in_transit = fields.Integer()
    received = fields.Integer()
    lost = fields.Integer()


class TransferSchema(Schema):
    id = fields.Integer()
    code = fields.String()
    source = fields.Function(lambda t: t.source.code)
    destination = fields.Function(lambda t: t.destination.code)
    status = fields.Function(lambda t: t.status.name)
    tracking = fields.String(allow_none=True)
    note = fields.String(allow_none=True)
    discrepancy = fields.String(allow_none=True)
    created_at = fields.DateTime()
    shipped_at = fields.DateTime(allow_none=True)
    received_at = fields.DateTime(allow_none=True)
    closed_at = fields.DateTime(allow_none=True)


class TransferParcelOutSchema(Schema):
    code = fields.String(metadata={"description": "the parcel's scannable code (PCL-T…)"})
    number = fields.Integer()
    carrier = fields.Function(lambda p: p.carrier.code if p.carrier else None,
                              metadata={"description": "carrier code; null: the source's own truck"})
    tracking_number = fields.String(allow_none=True)
    tracking_url = fields.Function(lambda p: _tracking_url(p))
    box = fields.Function(lambda p: p.box.code if p.box else None)
    weight_kg = fields.Function(lambda p: (p.weight_g or 0) / 1000)
    dispatch = fields.Function(lambda p: p.dispatch.code if p.dispatch else None)
    dispatched_at = fields.DateTime(allow_none=True)


def _tracking_url(parcel):
    from wms.domain.shipping.services import tracking_link

    return tracking_link(parcel.carrier, parcel.tracking_number) if parcel.carrier else None


class TransferPackSchema(Schema):
    count = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=99))
    weight_kg = fields.Float(required=True, validate=validate.Range(min=0.01, max=70))
    box = Text(load_default=None, allow_none=True, validate=validate.Length(max=32))
    carrier = Text(load_default=None, allow_none=True, validate=validate.Length(max=32),
                   metadata={"description": "a carrier code of the source site; null or OWN: own truck"})
    tracking_numbers = fields.List(Text(validate=validate.Length(min=1, max=64)), load_default=list,
                                   validate=validate.Length(max=99),
                                   metadata={"description": "carriers with scanned labels: one per parcel"})


class TransferDetailSchema(TransferSchema):
    lines = fields.List(fields.Nested(TransferLineOutSchema))
    carrier = fields.Function(lambda t: t.carrier.code if t.carrier else None)
    parcels = fields.List(fields.Nested(TransferParcelOutSchema))


def _may_change():
    require_role(Role.SUPERVISOR)
    require_scope("stock")


@bp.get("/transfers")
def list_transfers():
    require_scope("read")
    query = select(TransferOrder).order_by(TransferOrder.id.desc())
    status = request.args.get("status")
    if status:
        if status not in TransferStatus.__members__:
            raise DomainError(_("status must be one of %(statuses)s.", statuses=", ".join(TransferStatus.__members__)),
                              code="invalid")
        query = query.where(TransferOrder.status == TransferStatus[status])
    return paginate(query, TransferSchema())


@bp.get("/transfers/<int:transfer_id>")
def get_transfer(transfer_id: int):
    require_scope("read")
    return jsonify(TransferDetailSchema().dump(transfers.get_transfer(transfer_id)))


@bp.post("/transfers")
@transactional
def create_transfer():
    """Create a draft transfer (released at once with "release": true)."""
    _may_change()
    data = load(TransferRequestSchema())
    transfer = transfers.create_transfer(data["source"], data["destination"],
                                         [(ln["sku"], ln["quantity"]) for ln in data["lines"]],
                                         note=data["note"], user=current_user)
    if data["release"]:
        transfers.release(transfer, user=current_user)
    return jsonify(TransferDetailSchema().dump(transfer)), 201


def _step(transfer_id: int, run):
    _may_change()
    transfer = transfers.get_transfer(transfer_id, lock=True)
    run(transfer)
    return jsonify(TransferDetailSchema().dump(transfer))


@bp.post("/transfers/<int:transfer_id>/release")
@transactional
def release_transfer(transfer_id: int):
    return _step(transfer_id, lambda t: transfers.release(t, user=current_user))


@bp.post("/transfers/<int:transfer_id>/pick-all")
@transactional
def pick_transfer(transfer_id: int):
    return _step(transfer_id, lambda t: transfers.pick_all(t, user=current_user))


@bp.post("/transfers/<int:transfer_id>/ship")
@transactional
def ship_transfer(transfer_id: int):
    _may_change()  # the role and scope before the body
    data = load(TransferShipSchema())
    return _step(transfer_id, lambda t: transfers.ship(t, user=current_user, tracking=data["tracking"]))


@bp.post("/transfers/<int:transfer_id>/pack")
@transactional
def pack_transfer(transfer_id: int):
    """Pack the picked units into parcels (replacing parcels packed before)."""
    from wms.domain.transfers import parcels as transfer_parcels

    _may_change()  # the role and scope before the body
    data = load(TransferPackSchema())
    return _step(transfer_id, lambda t: transfer_parcels.pack(
        t, data["count"], str(data["weight_kg"]), box=data["box"], carrier=data["carrier"],
        tracking=" ".join(data["tracking_numbers"]), user=current_user))


@bp.post("/transfers/<int:transfer_id>/receive")
@transactional
def receive_transfer(transfer_id: int):
    _may_change()  # the role and scope before the body
    data = load(TransferReceiveSchema())

    def run(transfer):
        for line in data["lines"]:
            transfers.receive(transfer, line["sku"], line["quantity"], user=current_user)

    return _step(transfer_id, run)


@bp.post("/transfers/<int:transfer_id>/close")
@transactional
def close_transfer(transfer_id: int):
    _may_change()  # the role and scope before the body
    data = load(TransferCloseSchema())
    return _step(transfer_id, lambda t: transfers.close_short(t, note=data["note"], user=current_user))


@bp.post("/transfers/<int:transfer_id>/cancel")
@transactional
def cancel_transfer(transfer_id: int):
    return _step(transfer_id, lambda t: transfers.cancel(t, user=current_user))


__all__ = ["TransferCloseSchema", "TransferDetailSchema", "TransferPackSchema", "TransferParcelOutSchema", "TransferLineInSchema", "TransferLineOutSchema",
           "TransferReceiveSchema", "TransferRequestSchema", "TransferSchema", "TransferShipSchema"]
