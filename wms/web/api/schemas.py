"""marshmallow schemas for the JSON API's bodies."""
from marshmallow import Schema, ValidationError, fields, validate



class StockLevelSchema(Schema):
    location = fields.Function(lambda s: s.location.code)
    sku = fields.Function(lambda s: s.product.sku)
    on_hand = fields.Integer()
    reserved = fields.Integer()
    available = fields.Integer()


class StockMoveSchema(Schema):
    id = fields.Integer()
    sku = fields.Function(lambda m: m.product.sku)
    quantity = fields.Integer()
    from_location = fields.Function(lambda m: m.from_location.code if m.from_location else None)
    to_location = fields.Function(lambda m: m.to_location.code if m.to_location else None)
    reason = fields.Function(lambda m: m.reason.name)
    reference = fields.String(allow_none=True)
    note = fields.String(allow_none=True)
    user = fields.Function(lambda m: m.user.username if m.user else None)
    created_at = fields.DateTime()


API_REASONS = ["MOVED", "ADJUSTED", "DAMAGED"]


class MoveRequestSchema(Schema):
    """A movement asked for through the API: from, to or both, with a reason."""

    sku = fields.String(required=True, validate=validate.Length(min=1, max=64))
    quantity = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=1_000_000))
    from_location = fields.String(load_default=None)
    to_location = fields.String(load_default=None)
    # Receiving, picking, packing and shipping have their own flows with their own checks;
    # through this call a script may only move stock, or correct it with a written reason.
    reason = fields.String(load_default="MOVED", validate=validate.OneOf(API_REASONS))
    reference = fields.String(load_default=None, validate=validate.Length(max=64))
    note = fields.String(load_default=None, validate=validate.Length(max=500))


def first_errors(err: ValidationError) -> str:
    """Turn marshmallow's error dict into one sentence."""
    parts = []
    for field, messages in sorted(err.normalized_messages().items()):
        text = messages[0] if isinstance(messages, list) else str(messages)
        parts.append(f"{field}: {text}")
    return "; ".join(parts)
