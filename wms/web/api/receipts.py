"""Expected receipts and advance shipping notices (ASNs) through the JSON API.

POST /receipts creates the expected receipt of an ASN, idempotent on (source, reference): the
same notice again answers 200 "unchanged"; a changed one is applied while nothing has been
received (200 "updated"), refused after (409). One notice is all-or-nothing (every wrong line
listed in error.details.lines); POST /receipts/bulk takes up to 500 notices, each applied or
refused on its own.
"""
from __future__ import annotations

from flask import abort, jsonify, request
from flask_login import current_user
from marshmallow import Schema, fields, validate
from sqlalchemy import select

from wms.db import db
from wms.domain.receiving import asn
from wms.domain.receiving.models import Receipt, ReceiptStatus
from wms.domain.users.models import Role
from wms.errors import DomainError
from wms.web.api import bp
from wms.web.api.bulk import MAX_BULK_ITEMS, MAX_LINES, BulkResponseSchema, load, run_bulk
from wms.web.api.stock import paginate
from wms.web.api.schemas import json_object
from wms.web.auth.loader import require_role, require_scope
from wms.web.tx import transactional
from wms.i18n import _, _l

NAME = validate.Regexp(r"^[A-Za-z0-9_.:-]{1,32}$", error=_l("1 to 32 letters, digits, - _ . :"))


class AsnLineSchema(Schema):
    sku = fields.String(required=True, validate=validate.Length(min=1, max=64))
    quantity = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=1_000_000))


class AsnRequestSchema(Schema):
    """An advance shipping notice: what a supplier will deliver, under the sender's reference."""

    source = fields.String(load_default="api", validate=NAME,
                           metadata={"description": "the sending system, e.g. 'erp' (default 'api')"})
    reference = fields.String(required=True, validate=validate.Length(min=1, max=64),
                              metadata={"description": "the sender's ASN or PO number, unique per source"})
    supplier = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=120))
    expected_date = fields.Date(load_default=None, allow_none=True)
    warehouse = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=16),
                              metadata={"description": "the code of the site the delivery is expected at "
                                                       "(default: the first site)"})
    lines = fields.List(fields.Nested(AsnLineSchema), required=True,
                        validate=validate.Length(min=1, max=MAX_LINES))


class AsnBulkRequestSchema(Schema):
    receipts = fields.List(fields.Nested(AsnRequestSchema), required=True,
                           validate=validate.Length(min=1, max=MAX_BULK_ITEMS))


class ReceiptLineOutSchema(Schema):
    sku = fields.Function(lambda ln: ln.product.sku)
    expected = fields.Integer()
    received = fields.Integer()


class ReceiptSchema(Schema):
    id = fields.Integer()
    code = fields.String()
    source = fields.String(allow_none=True)
    reference = fields.String(allow_none=True)
    external_ref = fields.String(allow_none=True)
    supplier = fields.String(allow_none=True)
    expected_date = fields.Date(allow_none=True)
    status = fields.Function(lambda r: r.status.name)
    blind = fields.Boolean()
    warehouse = fields.Function(lambda r: r.warehouse.code if r.warehouse_id else None,
                                metadata={"description": "the site's code (null: any site)"})
    discrepancy = fields.String(allow_none=True)
    created_at = fields.DateTime()
    closed_at = fields.DateTime(allow_none=True)


class ReceiptDetailSchema(ReceiptSchema):
    lines = fields.List(fields.Nested(ReceiptLineOutSchema))


class AsnResultSchema(ReceiptDetailSchema):
    outcome = fields.String(metadata={"description": "created, updated or unchanged"})


def _receipt(receipt_id: int) -> Receipt:
    receipt = db.session.get(Receipt, receipt_id)
    if receipt is None:
        abort(404)
    return receipt


def _apply(data: dict):
    return asn.upsert_asn(data, user=current_user)


@bp.get("/receipts")
def list_receipts():
    require_scope("read")
    query = select(Receipt).order_by(Receipt.id.desc())
    status = request.args.get("status")
    if status:
        if status not in ReceiptStatus.__members__:
            raise DomainError(_("status must be one of %(choices)s.",
                                choices=', '.join(ReceiptStatus.__members__)), code="invalid")
        query = query.where(Receipt.status == ReceiptStatus[status])
    if request.args.get("source"):
        query = query.where(Receipt.source == request.args["source"])
    if request.args.get("reference"):
        query = query.where(Receipt.external_ref == request.args["reference"])
    return paginate(query, ReceiptSchema())


@bp.get("/receipts/<int:receipt_id>")
def get_receipt(receipt_id: int):
    require_scope("read")
    return jsonify(ReceiptDetailSchema().dump(_receipt(receipt_id)))


@bp.post("/receipts")
@transactional
def create_receipt():
    """Create or update the expected receipt of an ASN (idempotent on source + reference)."""
    require_role(Role.SUPERVISOR)
    require_scope("receipts")
    receipt, outcome = _apply(load(AsnRequestSchema()))
    return jsonify({**ReceiptDetailSchema().dump(receipt), "outcome": outcome}), 201 if outcome == asn.CREATED else 200


@bp.post("/receipts/bulk")
@transactional
def bulk_receipts():
    """Up to 500 ASNs: each created, updated, unchanged or refused on its own."""
    require_role(Role.SUPERVISOR)
    require_scope("receipts")
    body = json_object()
    items = body.get("receipts")
    return jsonify(run_bulk(items, AsnRequestSchema(), _apply))


@bp.post("/receipts/<int:receipt_id>/cancel")
@transactional
def cancel_receipt(receipt_id: int):
    """Cancel an expected receipt nothing was received on (409 after the first unit)."""
    require_role(Role.SUPERVISOR)
    require_scope("receipts")
    return jsonify(ReceiptDetailSchema().dump(asn.cancel_asn(_receipt(receipt_id), user=current_user)))


__all__ = ["AsnBulkRequestSchema", "AsnRequestSchema", "AsnResultSchema", "BulkResponseSchema",
           "ReceiptDetailSchema", "ReceiptSchema"]
