"""Sign and verify the order callbacks sent by the PrestaShop module `wmscallback`.

The scheme is specified in docs/callback-signature.md. This module is pure: no Flask, no
database. Replay protection needs storage, so it belongs to the endpoint: after `verify()`
succeeds, the endpoint records `event.event_id` under a unique key, answers 2xx to a repeat
without acting on it, and forgets ids older than `DEDUP_RETENTION_S`.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone

SIGNATURE_VERSION = "v1"
DEFAULT_TOLERANCE_S = 300
MIN_SECRET_LENGTH = 32
MAX_BODY_BYTES = 16 * 1024
MAX_ID = 2**31 - 1
# Longer than the module's retry horizon (about 45 hours) and than the replay window.
DEDUP_RETENTION_S = 7 * 24 * 3600

HEADER_ID = "Webhook-Id"
HEADER_TIMESTAMP = "Webhook-Timestamp"
HEADER_SIGNATURE = "Webhook-Signature"

EVENT_STATUS_CHANGED = "order.status_changed"
EVENT_EDITED = "order.edited"
# A merchandise return was requested or changed state: the body also carries
# "id_order_return" and "details" ([{"id_order_detail", "product_quantity"}]), and its
# old_state / new_state are the return's states (order_return_state ids).
EVENT_RETURN_CHANGED = "order_return.changed"
EVENTS = frozenset({EVENT_STATUS_CHANGED, EVENT_EDITED, EVENT_RETURN_CHANGED})
MAX_RETURN_DETAILS = 200

# Key order of the body, as the PHP payload builder writes it.
BODY_FIELDS = ("event_id", "event", "id_order", "old_state", "new_state", "date", "shop_id")

_HTTP_STATUS = {
    "missing_header": 400,
    "malformed_header": 400,
    "body_too_large": 413,
    "bad_signature": 401,
    "stale_timestamp": 401,
    "future_timestamp": 401,
    "malformed_body": 400,
    "missing_field": 400,
    "invalid_field": 400,
}


class CallbackRejected(Exception):
    """A callback request that must not be acted upon; `reason` says why in plain words."""

    def __init__(self, reason: str, code: str = "rejected") -> None:
        super().__init__(reason)
        self.reason = reason
        self.code = code

    @property
    def http_status(self) -> int:
        """Return the HTTP status the endpoint should answer with."""
        return _HTTP_STATUS.get(self.code, 400)


@dataclass(frozen=True)
class CallbackEvent:
    """One verified callback: "order `order_id` of shop `shop_id` changed"."""

    event_id: str
    event: str
    order_id: int
    old_state: int | None
    new_state: int | None
    occurred_at: datetime
    shop_id: int
    # order_return.changed only: the return's id and its rows (order_detail id, quantity).
    return_id: int | None = None
    details: tuple[tuple[int, int], ...] = ()


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """Return the `Webhook-Signature` entry (`v1,<base64>`) for one secret."""
    key = _secret_key(secret)
    digest = hmac.new(key, _signed_content(timestamp, body), hashlib.sha256).digest()
    return f"{SIGNATURE_VERSION},{base64.b64encode(digest).decode('ascii')}"


def signed_headers(
    secret: str | Sequence[str], event_id: str, timestamp: int, body: bytes
) -> dict[str, str]:
    """Return the headers the module sends with `body`, e.g. for a fake shop in tests."""
    secrets = _secret_list(secret)
    return {
        "Content-Type": "application/json",
        HEADER_ID: event_id,
        HEADER_TIMESTAMP: str(int(timestamp)),
        HEADER_SIGNATURE: " ".join(sign(s, timestamp, body) for s in secrets),
    }


def encode_event(event: CallbackEvent) -> bytes:
    """Return the body the module would send for `event`, byte for byte."""
    payload = {
        "event_id": event.event_id,
        "event": event.event,
        "id_order": event.order_id,
        "old_state": event.old_state,
        "new_state": event.new_state,
        "date": event.occurred_at.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "shop_id": event.shop_id,
    }
    if event.event == EVENT_RETURN_CHANGED:
        payload["id_order_return"] = event.return_id
        payload["details"] = [{"id_order_detail": d, "product_quantity": q} for d, q in event.details]
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def verify(
    secret: str | Sequence[str],
    headers: Mapping[str, str],
    body: bytes,
    now: int | None = None,
    tolerance_s: int = DEFAULT_TOLERANCE_S,
) -> CallbackEvent:
    """Check a callback's signature, freshness and body; return the event or raise CallbackRejected.

    `secret` may be a list during a rotation: a signature made with any of them is accepted.
    `body` must be the raw request body. Does not detect repeats: see the module docstring.
    """
    keys = [_secret_key(s) for s in _secret_list(secret)]
    if not isinstance(body, (bytes, bytearray)):
        raise TypeError("verify() needs the raw request body as bytes, e.g. request.get_data()")

    header_id = _required_header(headers, HEADER_ID)
    raw_timestamp = _required_header(headers, HEADER_TIMESTAMP)
    raw_signature = _required_header(headers, HEADER_SIGNATURE)

    timestamp = _parse_timestamp(raw_timestamp)
    signatures = _parse_signatures(raw_signature)

    if len(body) > MAX_BODY_BYTES:
        raise CallbackRejected(
            f"body is {len(body)} bytes, more than the {MAX_BODY_BYTES} a callback may carry",
            "body_too_large",
        )

    signed = _signed_content(timestamp, bytes(body))
    expected = [hmac.new(key, signed, hashlib.sha256).digest() for key in keys]
    if not any(hmac.compare_digest(e, s) for e in expected for s in signatures):
        raise CallbackRejected(
            "signature does not match: the shop module and the warehouse "
            "(WMS_PRESTASHOP_CALLBACK_SECRET) must hold the same secret, "
            "and the body must be passed unmodified",
            "bad_signature",
        )

    current = int(time.time()) if now is None else int(now)
    age = current - timestamp
    if age > tolerance_s:
        raise CallbackRejected(
            f"timestamp is {age} s old, more than the {tolerance_s} s allowed: "
            "check the shop's clock (NTP) or this is a replay",
            "stale_timestamp",
        )
    if -age > tolerance_s:
        raise CallbackRejected(
            f"timestamp is {-age} s in the future, more than the {tolerance_s} s allowed: "
            "check the shop's clock (NTP)",
            "future_timestamp",
        )

    payload = _parse_body(bytes(body))
    return _event_from_payload(payload, header_id)


def _secret_list(secret: str | Sequence[str]) -> list[str]:
    secrets = [secret] if isinstance(secret, str) else list(secret)
    if not secrets:
        raise ValueError("no callback secret configured: set WMS_PRESTASHOP_CALLBACK_SECRET")
    return secrets


def _secret_key(secret: str) -> bytes:
    if not isinstance(secret, str):
        raise TypeError(f"a callback secret must be a str, not {type(secret).__name__}")
    if len(secret) < MIN_SECRET_LENGTH:
        raise ValueError(
            f"the callback secret must be at least {MIN_SECRET_LENGTH} characters long; "
            "copy the one generated by the shop module into WMS_PRESTASHOP_CALLBACK_SECRET"
        )
    return secret.encode("utf-8")


def _signed_content(timestamp: int, body: bytes) -> bytes:
    if isinstance(timestamp, bool) or not isinstance(timestamp, int) or timestamp < 0:
        raise ValueError(f"timestamp must be non-negative unix seconds, not {timestamp!r}")
    return str(timestamp).encode("ascii") + b"." + body


def _required_header(headers: Mapping[str, str], name: str) -> str:
    value = headers.get(name)
    if value is None:
        # Plain dicts are case-sensitive; HTTP header names are not.
        wanted = name.lower()
        value = next((v for k, v in headers.items() if k.lower() == wanted), None)
    if value is None or not str(value).strip():
        raise CallbackRejected(f"header {name} is missing or empty", "missing_header")
    return str(value).strip()


def _parse_timestamp(raw: str) -> int:
    if not (raw.isascii() and raw.isdecimal()) or len(raw) > 12:
        raise CallbackRejected(
            f"header {HEADER_TIMESTAMP} must be unix seconds (digits only), got {raw[:40]!r}",
            "malformed_header",
        )
    return int(raw)


def _parse_signatures(raw: str) -> list[bytes]:
    signatures = []
    for entry in raw.split():
        version, sep, encoded = entry.partition(",")
        if not sep or not version or not encoded:
            raise CallbackRejected(
                f"header {HEADER_SIGNATURE} entries must look like 'v1,<base64>', got {entry[:40]!r}",
                "malformed_header",
            )
        if version != SIGNATURE_VERSION:
            continue  # a future scheme sent alongside v1; Standard Webhooks says skip it
        try:
            decoded = base64.b64decode(encoded, validate=True)
        except (binascii.Error, ValueError):
            decoded = b""
        if len(decoded) != hashlib.sha256().digest_size:
            raise CallbackRejected(
                f"header {HEADER_SIGNATURE} has a v1 entry that is not a base64 SHA-256 digest",
                "malformed_header",
            )
        signatures.append(decoded)
    if not signatures:
        raise CallbackRejected(
            f"header {HEADER_SIGNATURE} has no '{SIGNATURE_VERSION},' signature", "malformed_header"
        )
    return signatures


def _parse_body(body: bytes) -> dict:
    try:
        payload = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise CallbackRejected(f"body is not UTF-8 JSON: {exc}", "malformed_body") from None
    if not isinstance(payload, dict):
        raise CallbackRejected(
            f"body must be a JSON object, not {type(payload).__name__}", "malformed_body"
        )
    return payload


def _event_from_payload(payload: dict, header_id: str) -> CallbackEvent:
    missing = [field for field in BODY_FIELDS if field not in payload]
    if missing:
        raise CallbackRejected(f"body lacks field(s): {', '.join(missing)}", "missing_field")

    event_id = _uuid_field(payload["event_id"])
    try:
        same_id = _uuid_field(header_id) == event_id
    except CallbackRejected:
        same_id = False
    if not same_id:
        raise CallbackRejected(
            f"header {HEADER_ID} ({header_id[:40]!r}) differs from the body's event_id",
            "invalid_field",
        )

    event = payload["event"]
    if event not in EVENTS:
        raise CallbackRejected(
            f"event {str(event)[:40]!r} is not one of {', '.join(sorted(EVENTS))}",
            "invalid_field",
        )
    is_return = event == EVENT_RETURN_CHANGED
    new_state = _id_field(payload, "new_state", nullable=not (event == EVENT_STATUS_CHANGED or is_return))
    return_id, details = None, ()
    if is_return:
        if "id_order_return" not in payload:
            raise CallbackRejected("body lacks field(s): id_order_return", "missing_field")
        return_id = _id_field(payload, "id_order_return")
        details = _details_field(payload.get("details", []))
    return CallbackEvent(
        event_id=event_id,
        event=event,
        order_id=_id_field(payload, "id_order"),
        old_state=_id_field(payload, "old_state", nullable=True),
        new_state=new_state,
        occurred_at=_date_field(payload["date"]),
        shop_id=_id_field(payload, "shop_id"),
        return_id=return_id,
        details=details,
    )


def _details_field(value: object) -> tuple[tuple[int, int], ...]:
    if not isinstance(value, list) or len(value) > MAX_RETURN_DETAILS:
        raise CallbackRejected(f"details must be a list of at most {MAX_RETURN_DETAILS} rows", "invalid_field")
    rows = []
    for row in value:
        if not isinstance(row, dict) or set(row) != {"id_order_detail", "product_quantity"}:
            raise CallbackRejected('each detail must be {"id_order_detail": N, "product_quantity": N}',
                                   "invalid_field")
        rows.append((_id_field(row, "id_order_detail"), _id_field(row, "product_quantity")))
    return tuple(rows)


def _uuid_field(value: object) -> str:
    try:
        if not isinstance(value, str) or len(value) != 36:
            raise ValueError
        return str(uuid.UUID(value))
    except ValueError:
        raise CallbackRejected(
            f"event_id must be a UUID like 3b241101-e2bb-4255-8caf-4136c566a962, got {str(value)[:40]!r}",
            "invalid_field",
        ) from None


def _id_field(payload: dict, field: str, nullable: bool = False) -> int | None:
    value = payload[field]
    if value is None and nullable:
        return None
    # bool is an int in Python, and "5" is what a careless encoder would send: refuse both.
    # Ids are stored as INTEGER: larger ones are not PrestaShop's and would fail in the database.
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= MAX_ID:
        expected = (f"a positive integer up to {MAX_ID} or null" if nullable
                    else f"a positive integer up to {MAX_ID}")
        raise CallbackRejected(f"{field} must be {expected}, got {str(value)[:40]}", "invalid_field")
    return value


def _date_field(value: object) -> datetime:
    try:
        if not isinstance(value, str):
            raise ValueError
        parsed = datetime.fromisoformat(value)
    except ValueError:
        parsed = None
    if parsed is None or parsed.tzinfo is None:
        raise CallbackRejected(
            f"date must be ISO 8601 with a time zone, like 2025-12-31T23:59:58Z, got {value!r}",
            "invalid_field",
        )
    return parsed.astimezone(timezone.utc)
