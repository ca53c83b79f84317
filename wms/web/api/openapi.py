"""The OpenAPI 3.1 document of the JSON API, built from the routes and the marshmallow schemas.

Also gives the API blueprint JSON bodies for the errors the app-wide handlers leave as HTML
(400 from the CSRF check, marshmallow validation), so every API error has one shape:
{"error": {"code", "message", "details"}}.
"""
from __future__ import annotations

import re

from flask import current_app, jsonify
from marshmallow import Schema, ValidationError, fields, validate
from werkzeug.exceptions import BadRequest

from wms.i18n import _
from wms.web.api import bp
from wms.web.api.counts import CountLineSchema, CountTaskDetailSchema, CountTaskSchema
from wms.web.api.locations import LocationSchema
from wms.web.api.orders import OrderDetailSchema, OrderEventSchema, OrderLineSchema, OrderSchema
from wms.web.api.products import BarcodeSchema, ProductSchema
from wms.web.api.schemas import (
    MoveRequestSchema,
    StockLevelSchema,
    StockMoveSchema,
    plain_messages,
)
from wms.web.api.tokens import ApiTokenSchema, TokenRequestSchema
from wms.integrations.webhooks import events as webhook_events
from wms.web.api.bulk import BulkResponseSchema, BulkResultSchema
from wms.web.api.channel_orders import (
    AddressSchema,
    ChannelOrderBulkRequestSchema,
    ChannelOrderLineSchema,
    ChannelOrderRequestSchema,
    ChannelOrderResultSchema,
    CustomerSchema,
)
from wms.web.api.receipts import (
    AsnBulkRequestSchema,
    AsnLineSchema,
    AsnRequestSchema,
    AsnResultSchema,
    ReceiptDetailSchema,
    ReceiptLineOutSchema,
    ReceiptSchema,
)
from wms.web.api.returns import (
    ReturnDetailSchema,
    ReturnItemSchema,
    ReturnLineOutSchema,
    ReturnRequestLineSchema,
    ReturnRequestSchema,
    ReturnSchema,
)
from wms.web.api.transfers import (
    TransferCloseSchema,
    TransferDetailSchema,
    TransferLineInSchema,
    TransferLineOutSchema,
    TransferPackSchema,
    TransferParcelOutSchema,
    TransferReceiveSchema,
    TransferRequestSchema,
    TransferSchema,
    TransferShipSchema,
)
from wms.web.api.webhook_endpoints import (
    WebhookDeliverySchema,
    WebhookEndpointRequestSchema,
    WebhookEndpointSchema,
    WebhookEndpointUpdateSchema,
    WebhookEventTypeSchema,
)

SCHEMAS: dict[str, type[Schema]] = {
    "StockLevel": StockLevelSchema, "StockMove": StockMoveSchema, "MoveRequest": MoveRequestSchema,
    "Order": OrderSchema, "OrderDetail": OrderDetailSchema, "Product": ProductSchema,
    "Location": LocationSchema, "CountTask": CountTaskSchema, "CountTaskDetail": CountTaskDetailSchema,
    "ApiToken": ApiTokenSchema, "TokenRequest": TokenRequestSchema, "OrderLine": OrderLineSchema,
    "OrderEvent": OrderEventSchema, "Barcode": BarcodeSchema, "CountLine": CountLineSchema,
    # Integrations (issue 21): ASNs, channel orders, bulk answers, webhooks.
    "Receipt": ReceiptSchema, "ReceiptDetail": ReceiptDetailSchema, "ReceiptLine": ReceiptLineOutSchema,
    "AsnRequest": AsnRequestSchema, "AsnLine": AsnLineSchema, "AsnBulkRequest": AsnBulkRequestSchema,
    "AsnResult": AsnResultSchema, "ChannelOrderRequest": ChannelOrderRequestSchema,
    "ChannelOrderLine": ChannelOrderLineSchema, "Customer": CustomerSchema, "Address": AddressSchema,
    "ChannelOrderBulkRequest": ChannelOrderBulkRequestSchema, "ChannelOrderResult": ChannelOrderResultSchema,
    "BulkResponse": BulkResponseSchema, "BulkResult": BulkResultSchema,
    "WebhookEndpoint": WebhookEndpointSchema, "WebhookEndpointRequest": WebhookEndpointRequestSchema,
    "WebhookEndpointUpdate": WebhookEndpointUpdateSchema, "WebhookEventType": WebhookEventTypeSchema,
    "WebhookDelivery": WebhookDeliverySchema,
    # Returns (issue 15).
    "Return": ReturnSchema, "ReturnDetail": ReturnDetailSchema, "ReturnLine": ReturnLineOutSchema,
    "ReturnItem": ReturnItemSchema, "ReturnRequest": ReturnRequestSchema, "ReturnRequestLine": ReturnRequestLineSchema,
    # Transfers between sites (issue 14).
    "Transfer": TransferSchema, "TransferDetail": TransferDetailSchema, "TransferLine": TransferLineOutSchema,
    "TransferRequest": TransferRequestSchema, "TransferRequestLine": TransferLineInSchema,
    "TransferShip": TransferShipSchema, "TransferReceive": TransferReceiveSchema, "TransferClose": TransferCloseSchema,
    "TransferPack": TransferPackSchema, "TransferParcel": TransferParcelOutSchema,
}

# endpoint -> (summary, response schema, list?, request schema, supervisor only?)
OPERATIONS = {
    "api.list_stock": ("Stock balances (filter: sku, location)", "StockLevel", True, None, False),
    "api.list_moves": ("Ledger of movements (filter: sku, reference)", "StockMove", True, None, False),
    "api.create_move": ("Post a movement or adjustment", "StockMove", False, "MoveRequest", True),
    "api.list_orders": ("Orders (filter: q, status, open=1, late=1)", "Order", True, None, False),
    "api.get_order": ("One order with lines and history", "OrderDetail", False, None, False),
    "api.hold_order": ("Hold an order: {\"reason\"}", "OrderDetail", False, None, True),
    "api.release_order": ("Release an order from hold", "OrderDetail", False, None, True),
    "api.unpack_order": ("Unpack an order's parcels (void them; the goods stay at packing)", "OrderDetail", False, None, True),
    "api.cancel_order": ("Cancel an order, releasing its stock: {\"reason\"}", "OrderDetail", False, None, True),
    "api.list_products": ("Products (filter: q)", "Product", True, None, False),
    "api.get_product": ("One product by SKU", "Product", False, None, False),
    "api.list_locations": ("Locations (filter: kind, needs_count=1)", "Location", True, None, False),
    "api.get_location": ("One location by code", "Location", False, None, False),
    "api.list_counts": ("Count tasks (filter: status)", "CountTask", True, None, False),
    "api.get_count": ("One count task with its lines", "CountTaskDetail", False, None, False),
    "api.create_count": ("Open a count: {\"location\"} or {\"sku\"}", "CountTaskDetail", False, None, True),
    "api.approve_count": ("Approve a count's differences and post them", "CountTaskDetail", False, None, True),
    "api.reject_count": ("Send a count back to be counted again", "CountTaskDetail", False, None, True),
    "api.list_tokens": ("Your API tokens", "ApiToken", True, None, True),
    "api.create_token": ("Issue a token (the secret is in the answer, once)", "ApiToken", False, "TokenRequest", True),
    "api.delete_token": ("Revoke a token", "ApiToken", False, None, True),
    "api.openapi": ("This document", None, False, None, False),
    "api.list_receipts": ("Receipts and ASNs (filter: status, source, reference)", "Receipt", True, None, False),
    "api.get_receipt": ("One receipt with expected and received per SKU", "ReceiptDetail", False, None, False),
    "api.create_receipt": ("Create or update an ASN, idempotent on source + reference (201 created, "
                           "200 unchanged/updated, 409 once receiving started)", "AsnResult", False, "AsnRequest", True),
    "api.bulk_receipts": ("Up to 500 ASNs, each applied or refused on its own", "BulkResponse", False,
                          "AsnBulkRequest", True),
    "api.cancel_receipt": ("Cancel an ASN nothing was received on", "ReceiptDetail", False, None, True),
    "api.create_order": ("Create or update an order of another channel (B2B, marketplace, phone), idempotent "
                         "on channel + external_ref; never pushed to the shop", "ChannelOrderResult", False,
                         "ChannelOrderRequest", True),
    "api.bulk_orders": ("Up to 500 channel orders, each applied or refused on its own", "BulkResponse", False,
                        "ChannelOrderBulkRequest", True),
    "api.stock_snapshot": ("Stock per product and warehouse at one instant, streamed (?format=csv|json)",
                           None, False, None, False),
    "api.list_webhook_events": ("The webhook events an endpoint can subscribe to", None, False, None, False),
    "api.list_webhook_endpoints": ("Webhook endpoints (scope admin)", None, False, None, True),
    "api.create_webhook_endpoint": ("Register a webhook endpoint; the answer holds its secret, once (scope admin)",
                                    "WebhookEndpoint", False, "WebhookEndpointRequest", True),
    "api.update_webhook_endpoint": ("Change an endpoint's url, events, description or active (scope admin)",
                                    "WebhookEndpoint", False, "WebhookEndpointUpdate", True),
    "api.list_webhook_deliveries": ("Webhook deliveries, newest first (filter: status, endpoint; scope admin)",
                                    "WebhookDelivery", True, None, True),
    "api.retry_webhook_delivery": ("Send a dead webhook delivery again (scope admin)", "WebhookDelivery", False,
                                   None, True),
    "api.list_returns": ("Customer returns (filter: status, order, external_ref, discrepancy=1)", "Return", True,
                         None, False),
    "api.get_return": ("One return: shipped, announced and received per SKU, each unit's condition",
                       "ReturnDetail", False, None, False),
    "api.create_return": ("Announce an expected return of an order, idempotent on external_ref (201 created, "
                          "200 unchanged; scope orders)", "ReturnDetail", False, "ReturnRequest", True),
    "api.list_transfers": ("Transfers between sites (filter: status)", "Transfer", True, None, False),
    "api.get_transfer": ("One transfer: requested, picked, shipped, in transit, received, lost per SKU",
                         "TransferDetail", False, None, False),
    "api.create_transfer": ("Create a transfer between two sites, released at once with release=true (scope stock)",
                            "TransferDetail", False, "TransferRequest", True),
    "api.release_transfer": ("Reserve a draft transfer's stock in the source site (scope stock)", "TransferDetail",
                             False, None, True),
    "api.pick_transfer": ("Confirm a transfer's whole pick list taken (scope stock)", "TransferDetail", False,
                          None, True),
    "api.pack_transfer": ("Pack what was picked into parcels with a carrier of the source (or own truck); "
                          "carrier parcels ship when that carrier's dispatch closes (scope stock)",
                          "TransferDetail", False, "TransferPack", True),
    "api.ship_transfer": ("Ship what was picked: it goes in transit to the destination (scope stock)",
                          "TransferDetail", False, "TransferShip", True),
    "api.receive_transfer": ("Receive units at the destination's dock (scope stock)", "TransferDetail", False,
                             "TransferReceive", True),
    "api.close_transfer": ("Close a transfer short: the missing units are written off with the note (scope stock)",
                           "TransferDetail", False, "TransferClose", True),
    "api.cancel_transfer": ("Cancel a transfer not shipped yet (scope stock)", "TransferDetail", False, None, True),
}


def _items_of(ref: str) -> dict:
    return {"type": "object", "required": ["items"], "properties": {
        "items": {"type": "array", "items": {"$ref": f"#/components/schemas/{ref}"}}}}


SNAPSHOT_ROW = {"type": "object", "required": ["sku", "warehouse", "on_hand", "reserved", "available"],
                "properties": {"sku": {"type": "string"}, "warehouse": {"type": "string"},
                               "on_hand": {"type": "integer"}, "reserved": {"type": "integer"},
                               "available": {"type": "integer", "description": "on hand minus reserved, outside "
                                             "the packing, staging and quarantine areas"}}}
# Operations whose answer is not one of the schemas above: endpoint -> (responses, query parameters).
CUSTOM = {
    "api.stock_snapshot": ({"200": {
        "description": "Rows by SKU then warehouse. Headers X-Snapshot-As-Of and X-Snapshot-Last-Move-Id "
                       "say which instant and which ledger movement the snapshot includes.",
        "content": {
            "application/json": {"schema": {"type": "object", "required": ["as_of", "last_move_id", "items"],
                                            "properties": {"as_of": {"type": "string", "format": "date-time"},
                                                           "last_move_id": {"type": "integer"},
                                                           "items": {"type": "array", "items": SNAPSHOT_ROW}}}},
            "text/csv": {"schema": {"type": "string", "description": "header sku,warehouse,on_hand,reserved,available"}}}}},
        [{"name": "format", "in": "query", "schema": {"type": "string", "enum": ["json", "csv"]},
          "description": "json by default, or csv (Accept: text/csv works too)"}]),
    "api.list_webhook_events": ({"200": {"description": "OK", "content": {"application/json": {
        "schema": _items_of("WebhookEventType")}}}}, []),
    "api.list_webhook_endpoints": ({"200": {"description": "OK", "content": {"application/json": {
        "schema": _items_of("WebhookEndpoint")}}}}, []),
}
# The body every webhook carries (docs/webhooks.md); `data` depends on the event.
WEBHOOK_BODY = {"type": "object", "required": ["event_id", "event", "occurred_at", "data"], "properties": {
    "event_id": {"type": "string", "format": "uuid", "description": "the same on every retry; equals Webhook-Id"},
    "event": {"type": "string", "enum": list(webhook_events.EVENTS)},
    "occurred_at": {"type": "string", "format": "date-time"},
    "data": {"type": "object"}}}

_FIELD_TYPES = {fields.Integer: {"type": "integer"}, fields.Float: {"type": "number"},
                fields.Boolean: {"type": "boolean"}, fields.Date: {"type": "string", "format": "date"},
                fields.DateTime: {"type": "string", "format": "date-time"},
                fields.Email: {"type": "string", "format": "email"},
                fields.String: {"type": "string"}, fields.Dict: {"type": "object"}}


def field_schema(field: fields.Field) -> dict:
    """JSON Schema of one marshmallow field."""
    if isinstance(field, fields.List):
        out = {"type": "array", "items": field_schema(field.inner)}
        for validator in field.validators:
            if isinstance(validator, validate.Length):
                if validator.min is not None:
                    out["minItems"] = validator.min
                if validator.max is not None:
                    out["maxItems"] = validator.max
        return out
    if isinstance(field, fields.Nested):
        nested = field.nested if isinstance(field.nested, type) else type(field.nested)
        name = next((n for n, s in SCHEMAS.items() if s is nested), None)
        out = {"$ref": f"#/components/schemas/{name}"} if name else schema_object(nested)
        return {"anyOf": [out, {"type": "null"}]} if field.allow_none else out
    for cls, out in _FIELD_TYPES.items():
        if isinstance(field, cls):
            result = dict(out)
            break
    else:
        result = {}  # fields.Function: the value's type depends on the function
    for validator in field.validators:
        if isinstance(validator, validate.OneOf):
            result["enum"] = list(validator.choices)
        elif isinstance(validator, validate.Length) and result.get("type") == "string":
            if validator.min is not None:
                result["minLength"] = validator.min
            if validator.max is not None:
                result["maxLength"] = validator.max
        elif isinstance(validator, validate.Range) and result.get("type") == "integer":
            if validator.min is not None:
                result["minimum"] = validator.min
            if validator.max is not None:
                result["maximum"] = validator.max
        elif isinstance(validator, validate.Regexp):
            result["pattern"] = validator.regex.pattern
    description = (field.metadata or {}).get("description")
    if description:
        result["description"] = description
    if getattr(field, "allow_none", False) and "type" in result:
        result["type"] = [result["type"], "null"]
        if "enum" in result:
            result["enum"] = [*result["enum"], None]
    return result


def schema_object(schema_cls: type[Schema]) -> dict:
    """JSON Schema of a marshmallow schema."""
    declared = schema_cls._declared_fields
    out = {"type": "object", "properties": {name: field_schema(f) for name, f in declared.items()}}
    required = [name for name, f in declared.items() if f.required]
    if required:
        out["required"] = required
    return out


ERROR = {"type": "object", "required": ["error"], "properties": {"error": {
    "type": "object", "required": ["code", "message"], "properties": {
        "code": {"type": "string"}, "message": {"type": "string"}, "details": {"type": "object"}}}}}


def build_document(app) -> dict:
    """Assemble the OpenAPI document from the API's routes."""
    paths: dict[str, dict] = {}
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("api."):
            continue
        summary, response, many, request_schema, supervisor = OPERATIONS.get(
            rule.endpoint, (rule.endpoint, None, False, None, True))
        path = re.sub(r"<(?:\w+(?:\([^)]*\))?:)?(\w+)>", r"{\1}", rule.rule)
        params = [{"name": n, "in": "path", "required": True,
                   "schema": {"type": "integer" if f"<int:{n}>" in rule.rule else "string"}}
                  for n in re.findall(r"\{(\w+)\}", path)]
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            ok = "201" if method == "POST" and rule.endpoint.startswith("api.create_") else "200"
            body = {"type": "object"}
            if response:
                ref = {"$ref": f"#/components/schemas/{response}"}
                body = {"$ref": "#/components/schemas/Page", "properties": {"items": {"type": "array", "items": ref}}} if many else ref
            op = {"operationId": rule.endpoint.removeprefix("api."), "summary": summary,
                  "tags": [rule.rule.split("/")[3]],
                  "responses": {ok: {"description": "OK", "content": {"application/json": {"schema": body}}},
                                "default": {"description": "Error", "content": {"application/json": {
                                    "schema": {"$ref": "#/components/schemas/Error"}}}}}}
            if rule.endpoint in ("api.create_receipt", "api.create_order", "api.create_return"):
                op["responses"]["200"] = {**op["responses"]["201"], "description": "Already there: unchanged, "
                                          "or updated while not started (see outcome)"}
                op["responses"]["201"]["description"] = "Created"
            if rule.endpoint in CUSTOM:
                responses, query = CUSTOM[rule.endpoint]
                op["responses"] = {**responses, "default": op["responses"]["default"]}
                params = params + query
            if params:
                op["parameters"] = params
            if many:
                op.setdefault("parameters", []).extend([
                    {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 1000, "default": 100}},
                    {"name": "offset", "in": "query", "schema": {"type": "integer", "minimum": 0, "default": 0}}])
            if request_schema:
                op["requestBody"] = {"required": True, "content": {"application/json": {
                    "schema": {"$ref": f"#/components/schemas/{request_schema}"}}}}
            if supervisor:
                op["description"] = "Supervisors and administrators only (403 for operators)."
            paths.setdefault(path, {})[method.lower()] = op
    components = {name: schema_object(cls) for name, cls in SCHEMAS.items()}
    components["Error"] = ERROR
    components["WebhookEvent"] = WEBHOOK_BODY
    components["Page"] = {"type": "object", "required": ["items", "offset", "limit", "next_offset"], "properties": {
        "items": {"type": "array"}, "offset": {"type": "integer"}, "limit": {"type": "integer"},
        "next_offset": {"type": ["integer", "null"], "description": "null on the last page"}}}
    return {
        "openapi": "3.1.0",
        "info": {"title": "WMS JSON API", "version": "1",
                 "description": "Send 'Authorization: Bearer <token>' (tokens: desk > API tokens). "
                                "Browser sessions must send X-CSRFToken on writes. Lists take limit/offset "
                                "and answer {items, offset, limit, next_offset}. Errors answer "
                                "{\"error\": {\"code\", \"message\", \"details\"}}. Token scopes: "
                                "read (every GET), stock (stock moves, counts), orders (order actions), "
                                "receipts, admin (everything, tokens too); a token lacking the scope "
                                "answers 403. A token acts with its user's role, ends at its expiry, "
                                "and with its user (deactivation, password change). An Idempotency-Key "
                                "reused with another body answers 422."},
        "servers": [{"url": "/"}],
        "components": {"schemas": components, "securitySchemes": {
            "bearer": {"type": "http", "scheme": "bearer"}}},
        "security": [{"bearer": []}],
        "paths": dict(sorted(paths.items())),
        # What the warehouse POSTs to registered endpoints (signed: docs/webhooks.md).
        "webhooks": {name: {"post": {
            "operationId": f"webhook_{name.replace('.', '_')}", "summary": text,
            "parameters": [{"name": h, "in": "header", "required": True, "schema": {"type": "string"}}
                           for h in ("Webhook-Id", "Webhook-Timestamp", "Webhook-Signature", "Webhook-Event")],
            "requestBody": {"required": True, "content": {"application/json": {
                "schema": {"$ref": "#/components/schemas/WebhookEvent"}}}},
            "responses": {"2XX": {"description": "Delivered; anything else is retried with backoff"}}}}
            for name, text in webhook_events.EVENTS.items()},
    }


@bp.get("/openapi.json")
def openapi():
    return jsonify(build_document(current_app))


def _error(status: int, code: str, message: str, details: dict | None = None):
    body = {"error": {"code": code, "message": message}}
    if details:
        body["error"]["details"] = details
    response = jsonify(body)
    response.status_code = status
    return response


@bp.errorhandler(BadRequest)
def _bad_request(exc: BadRequest):
    described = exc.description if exc.description != type(exc).description else None
    return _error(400, "bad_request", described or _("The request could not be read."))


@bp.errorhandler(ValidationError)
def _invalid(exc: ValidationError):
    return _error(422, "invalid", _("The request body is not valid."),
                  {"fields": plain_messages(exc.normalized_messages())})
