"""marshmallow schemas for the JSON API's bodies."""
import json
import re
import unicodedata

from flask import request
from marshmallow import Schema, ValidationError, fields, validate

from wms.errors import DomainError
from wms.i18n import N_, _

# Deeper JSON than this is refused before it is parsed (100,000 brackets would exhaust the
# parser's recursion); no body of this API nests more than a few levels.
MAX_JSON_DEPTH = 32


def _too_deep(raw: bytes) -> bool:
    depth, in_string, escaped = 0, False, False
    for byte in raw:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):
            depth += 1
            if depth > MAX_JSON_DEPTH:
                return True
        elif byte in (0x5D, 0x7D):
            depth -= 1
    return False


def json_object() -> dict:
    """The request's JSON body as a dict ({} when there is none); a 4xx sentence otherwise."""
    cached = getattr(request, "_wms_json", None)
    if cached is not None:
        return cached
    raw = request.get_data(cache=True)
    if not raw.strip():
        body = {}
    else:
        if _too_deep(raw):
            raise DomainError(_("The JSON body nests deeper than %(max)s levels.",
                                max=MAX_JSON_DEPTH), code="bad_json")
        try:
            body = json.loads(raw)
        except (ValueError, RecursionError):
            raise DomainError(_("The body is not valid JSON (UTF-8)."), code="bad_json") from None
        if not isinstance(body, dict):
            raise DomainError(_('The body must be a JSON object, e.g. {"sku": "TSH-1"}.'), code="bad_json")
    request._wms_json = body
    return body


class Text(fields.String):
    """A string field that refuses NUL and other control characters, and invisible format
    characters (zero-width spaces, BOMs); newlines and tabs are allowed where multiline=True."""

    def __init__(self, *args, multiline: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.multiline = multiline

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        bad = clean_text_problem(text, multiline=self.multiline)
        if bad:
            raise ValidationError(bad)
        return text


def clean_text_problem(text: str, *, multiline: bool = False) -> str | None:
    """Say what is wrong with a piece of text from outside, or None when it is fine."""
    for ch in text:
        if ch in "\n\r\t" and multiline:
            continue
        category = unicodedata.category(ch)
        if category == "Cc":
            return _("must not contain control characters (NUL, line breaks, …).")
        if category == "Cf":
            return _("must not contain invisible characters (zero-width spaces, …).")
    return None



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

    sku = Text(required=True, validate=validate.Length(min=1, max=64))
    quantity = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=1_000_000))
    from_location = Text(load_default=None, allow_none=True, validate=validate.Length(max=32))
    to_location = Text(load_default=None, allow_none=True, validate=validate.Length(max=32))
    # Receiving, picking, packing and shipping have their own flows with their own checks;
    # through this call a script may only move stock, or correct it with a written reason.
    reason = fields.String(load_default="MOVED", validate=validate.OneOf(API_REASONS))
    reference = Text(load_default=None, allow_none=True, validate=validate.Length(max=64))
    note = Text(load_default=None, allow_none=True, multiline=True, validate=validate.Length(max=500))
    scan_id = fields.String(load_default=None)  # the idempotency key may travel in the body


class CountRequestSchema(Schema):
    """A count asked for through the API: one location or one product, with an optional note."""

    location = Text(load_default=None, allow_none=True, validate=validate.Length(min=1, max=32))
    sku = Text(load_default=None, allow_none=True, validate=validate.Length(min=1, max=64))
    note = Text(load_default=None, allow_none=True, multiline=True, validate=validate.Length(max=500))


class NoteSchema(Schema):
    note = Text(load_default=None, allow_none=True, multiline=True, validate=validate.Length(max=500))


class ReasonSchema(Schema):
    """The reason of a hold or a cancellation (stored on the order: at most 500 characters)."""

    reason = Text(load_default="", multiline=True, validate=validate.Length(max=500))


def load(schema: Schema) -> dict:
    """Load the JSON body with a schema, or refuse with one sentence (422)."""
    try:
        return schema.load(json_object())
    except ValidationError as err:
        raise DomainError(first_errors(err), code="invalid",
                          fields=plain_messages(err.normalized_messages())) from None


def first_errors(err: ValidationError) -> str:
    """Turn marshmallow's error dict into one sentence, in the reader's language."""
    parts = []
    for field, messages in sorted(plain_messages(err.normalized_messages()).items()):
        text = messages[0] if isinstance(messages, list) else str(messages)
        parts.append(f"{field}: {text}")
    return "; ".join(parts)


# marshmallow's own sentences are English constants, some built when a schema class is made
# (Range's "Must be greater than or equal to 1."): they are translated on the way out, each
# English form matched to its message here (the values it names become placeholders).
MARSHMALLOW_MESSAGES = {
    "Missing data for required field.": N_("Missing data for required field."),
    "Field may not be null.": N_("Field may not be null."),
    "Invalid value.": N_("Invalid value."),
    "Invalid type.": N_("Invalid type."),
    "Invalid input type.": N_("Invalid input type."),
    "Unknown field.": N_("Unknown field."),
    "Not a valid list.": N_("Not a valid list."),
    "Not a valid tuple.": N_("Not a valid tuple."),
    "Not a valid string.": N_("Not a valid string."),
    "Not a valid utf-8 string.": N_("Not a valid utf-8 string."),
    "Not a valid UUID.": N_("Not a valid UUID."),
    "Not a valid number.": N_("Not a valid number."),
    "Number too large.": N_("Number too large."),
    "Not a valid integer.": N_("Not a valid integer."),
    "Special numeric values (nan or infinity) are not permitted.":
        N_("Special numeric values (nan or infinity) are not permitted."),
    "Not a valid boolean.": N_("Not a valid boolean."),
    "Not a valid datetime.": N_("Not a valid datetime."),
    "Not a valid date.": N_("Not a valid date."),
    "Not a valid time.": N_("Not a valid time."),
    "Not a valid aware datetime.": N_("Not a valid aware datetime."),
    "Not a valid naive datetime.": N_("Not a valid naive datetime."),
    "Not a valid mapping type.": N_("Not a valid mapping type."),
    "Not a valid URL.": N_("Not a valid URL."),
    "Not a valid email address.": N_("Not a valid email address."),
    "Not a valid period of time.": N_("Not a valid period of time."),
    '"{input}" cannot be formatted as a datetime.':
        N_("“%(input)s” cannot be formatted as a datetime."),
    '"{input}" cannot be formatted as a date.': N_("“%(input)s” cannot be formatted as a date."),
    "Must be one of: {choices}.": N_("Must be one of: %(choices)s."),
    "Must be greater than or equal to {min}.": N_("Must be greater than or equal to %(min)s."),
    "Must be greater than {min}.": N_("Must be greater than %(min)s."),
    "Must be less than or equal to {max}.": N_("Must be less than or equal to %(max)s."),
    "Must be less than {max}.": N_("Must be less than %(max)s."),
    "Must be greater than or equal to {min} and less than or equal to {max}.":
        N_("Must be greater than or equal to %(min)s and less than or equal to %(max)s."),
    "Must be greater than {min} and less than {max}.":
        N_("Must be greater than %(min)s and less than %(max)s."),
    "Shorter than minimum length {min}.": N_("Shorter than minimum length %(min)s."),
    "Longer than maximum length {max}.": N_("Longer than maximum length %(max)s."),
    "Length must be between {min} and {max}.": N_("Length must be between %(min)s and %(max)s."),
    "Length must be {equal}.": N_("Length must be %(equal)s."),
    "Must be equal to {other}.": N_("Must be equal to %(other)s."),
    "String does not match expected pattern.": N_("String does not match expected pattern."),
    "Invalid input.": N_("Invalid input."),
    "One or more of the choices you made was not in: {choices}.":
        N_("One or more of the choices you made was not in: %(choices)s."),
}


def _pattern(english: str) -> re.Pattern:
    parts = re.split(r"\{(\w+)\}", english)
    regex = "".join(re.escape(p) if i % 2 == 0 else f"(?P<{p}>.*?)" for i, p in enumerate(parts))
    return re.compile(regex + r"\Z", re.S)


# Longest first: "Must be … {min} and … {max}." before "Must be … {min}.", which would match it.
_PATTERNS = [(_pattern(english), message) for english, message
             in sorted(MARSHMALLOW_MESSAGES.items(), key=lambda kv: -len(kv[0]))]


def translate_message(text):
    """marshmallow's English sentence in the reader's language (others pass unchanged)."""
    if not isinstance(text, str):
        return text
    for pattern, message in _PATTERNS:
        found = pattern.match(text)
        if found:
            return _(message, **found.groupdict())
    return text


def plain_messages(messages):
    """marshmallow's error messages (nested dicts and lists) with its sentences translated."""
    if isinstance(messages, dict):
        return {key: plain_messages(value) for key, value in messages.items()}
    if isinstance(messages, list):
        return [plain_messages(value) for value in messages]
    return translate_message(messages)
