"""Shared helpers of the integration endpoints: load a body with a schema, run bulk items one by one."""
from __future__ import annotations

from collections.abc import Callable

from marshmallow import Schema, ValidationError, fields, validate

from wms.db import db
from wms.errors import DomainError
from wms.web.api.schemas import first_errors, json_object, plain_messages
from wms.i18n import _

MAX_BULK_ITEMS = 500
MAX_LINES = 5000


def load(schema: Schema, body=None) -> dict:
    """Validate a JSON body; refuse it with a 422 naming the first problems."""
    body = json_object() if body is None else body
    if not isinstance(body, dict):
        raise DomainError(_("Send a JSON object (Content-Type: application/json)."), code="invalid")
    try:
        return schema.load(body)
    except ValidationError as err:
        raise DomainError(first_errors(err), code="invalid", fields=plain_messages(err.normalized_messages())) from None


class BulkResultSchema(Schema):
    index = fields.Integer(required=True, metadata={"description": "position of the item in the request"})
    outcome = fields.String(required=True, validate=validate.OneOf(["created", "updated", "unchanged", "refused"]))
    id = fields.Integer(allow_none=True)
    code = fields.String(allow_none=True)
    error = fields.Dict(allow_none=True, metadata={"description": "{code, message, details} when refused"})


class BulkResponseSchema(Schema):
    created = fields.Integer()
    updated = fields.Integer()
    unchanged = fields.Integer()
    refused = fields.Integer()
    results = fields.List(fields.Nested(BulkResultSchema))


def run_bulk(items, schema: Schema, apply: Callable[[dict], tuple[object, str]]) -> dict:
    """Apply each item in its own savepoint: a refused item changes nothing and the others go on.

    Returns {created, updated, unchanged, refused, results: [{index, outcome, id, code, error}]}.
    """
    if not isinstance(items, list) or not items:
        raise DomainError(_("Send a non-empty list of items."), code="invalid")
    if len(items) > MAX_BULK_ITEMS:
        raise DomainError(_("At most %(max)s items per request (got %(count)s): split "
                            "the batch.", max=MAX_BULK_ITEMS, count=len(items)),
                          code="too_many_items")
    results = []
    counts = {"created": 0, "updated": 0, "unchanged": 0, "refused": 0}
    for index, item in enumerate(items):
        try:
            with db.session.begin_nested():
                data = load(schema, item if isinstance(item, dict) else [])
                obj, outcome = apply(data)
            results.append({"index": index, "outcome": outcome, "id": obj.id, "code": obj.code, "error": None})
        except DomainError as exc:
            error = {"code": exc.code, "message": exc.message}
            details = {k: v for k, v in exc.details.items() if k in ("lines", "fields")}
            if details:
                error["details"] = details
            outcome = "refused"
            results.append({"index": index, "outcome": outcome, "id": None, "code": None, "error": error})
        counts[outcome] += 1
    return {**counts, "results": results}
