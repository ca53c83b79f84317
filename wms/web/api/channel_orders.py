"""Orders from other channels (B2B, marketplace, phone) through the JSON API.

POST /orders creates an order under the sender's channel and reference, idempotent on both: the
same order again answers 200 "unchanged"; a changed one is applied while nothing is allocated
or picked, refused after (409). The order is allocated, picked, packed and shipped like shop
orders and never sent to a shop. One order is all-or-nothing (every wrong line listed in
error.details.lines); POST /orders/bulk takes up to 500 orders, each applied or refused on its own.
"""
from __future__ import annotations

from datetime import UTC

from flask import jsonify
from flask_login import current_user
from marshmallow import Schema, fields, post_load, validate

from wms.domain.orders import channels
from wms.domain.users.models import Role
from wms.i18n import _l
from wms.web.api import bp
from wms.web.api.bulk import MAX_BULK_ITEMS, MAX_LINES, load, run_bulk
from wms.web.api.orders import OrderDetailSchema
from wms.web.api.receipts import NAME
from wms.web.api.schemas import json_object
from wms.web.auth.loader import require_role, require_scope
from wms.web.tx import transactional


class ChannelOrderLineSchema(Schema):
    sku = fields.String(required=True, validate=validate.Length(min=1, max=64))
    quantity = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=1_000_000))
    name = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=255),
                         metadata={"description": "the sender's wording; the product's name by default"})


class CustomerSchema(Schema):
    name = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200))
    email = fields.Email(load_default=None, allow_none=True, validate=validate.Length(max=200))


class AddressSchema(Schema):
    name = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200))
    company = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200))
    address1 = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200))
    address2 = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200))
    postcode = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=20))
    city = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=80))
    country = fields.String(load_default=None, allow_none=True,
                            validate=validate.Regexp(r"^[A-Za-z]{2}$", error=_l("an ISO 3166 two-letter code")))
    phone = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=40))


class ChannelOrderRequestSchema(Schema):
    """An order from another channel: the sender's reference, priority, carrier, address, lines."""

    channel = fields.String(required=True, validate=NAME,
                            metadata={"description": "the sender's channel, e.g. 'b2b', 'marketplace', 'phone'"})
    external_ref = fields.String(required=True, validate=validate.Length(min=1, max=64),
                                 metadata={"description": "the sender's order number, unique per channel"})
    reference = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=64),
                              metadata={"description": "shown on documents; external_ref by default"})
    priority = fields.Integer(load_default=0, strict=True, validate=validate.Range(min=0, max=100),
                              metadata={"description": "higher goes first when stock is scarce"})
    carrier = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=32),
                            metadata={"description": "a carrier code of the warehouse"})
    ship_by = fields.AwareDateTime(load_default=None, allow_none=True, default_timezone=UTC)
    customer = fields.Nested(CustomerSchema, load_default=None, allow_none=True)
    ship_to = fields.Nested(AddressSchema, load_default=None, allow_none=True)
    language = fields.String(
        load_default=None, allow_none=True,
        validate=[validate.Length(min=2, max=8),
                  validate.Regexp(r"^[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{2,4})?$",
                                  error="a language code such as 'fr' or 'fr-FR'")],
        metadata={"description": "the customer's language (ISO code): the packing slip speaks it"})
    lines = fields.List(fields.Nested(ChannelOrderLineSchema), required=True,
                        validate=validate.Length(min=1, max=MAX_LINES))

    @post_load
    def _utc(self, data, **kwargs):
        if data.get("ship_by") is not None:
            data["ship_by"] = data["ship_by"].astimezone(UTC).replace(microsecond=0)
        return data


class ChannelOrderBulkRequestSchema(Schema):
    orders = fields.List(fields.Nested(ChannelOrderRequestSchema), required=True,
                         validate=validate.Length(min=1, max=MAX_BULK_ITEMS))


class ChannelOrderResultSchema(OrderDetailSchema):
    outcome = fields.String(metadata={"description": "created, updated or unchanged"})


def _apply(data: dict):
    return channels.upsert_channel_order(data, user=current_user)


@bp.post("/orders")
@transactional
def create_order():
    """Create or update an order of another channel (idempotent on channel + external_ref)."""
    require_role(Role.SUPERVISOR)
    require_scope("orders")
    order, outcome = _apply(load(ChannelOrderRequestSchema()))
    return jsonify({**OrderDetailSchema().dump(order), "outcome": outcome}), 201 if outcome == "created" else 200


@bp.post("/orders/bulk")
@transactional
def bulk_orders():
    """Up to 500 orders: each created, updated, unchanged or refused on its own."""
    require_role(Role.SUPERVISOR)
    require_scope("orders")
    body = json_object()
    items = body.get("orders")
    return jsonify(run_bulk(items, ChannelOrderRequestSchema(), _apply))
