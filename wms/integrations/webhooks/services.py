"""Webhook endpoints, events and their delivery through the outbox.

Events reach endpoints as outbox messages of kind ``webhook``, one per (event, endpoint), with
the ordering key ``webhook:<endpoint>:<object>`` so that the events about one order, receipt or
product reach one endpoint in the order they happened. The body is built once, when the event
is emitted, and sent byte for byte on every attempt; the request is signed like the shop
module's callbacks (docs/callback-signature.md, docs/webhooks.md).

Two ways in:
- ``emit_*`` run in the transaction of the change (receipt closed, order shipped): one SELECT of
  the subscribed endpoints, then one message per endpoint (none when nobody subscribed).
- ``derive_events()`` runs in the worker and reads what scans recorded since its watermark
  (stock moves for stock.changed, order history for order.short), so scan requests stay as
  they are.
"""
from __future__ import annotations

import json
import logging
import secrets
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import requests
from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from wms.db import db, utcnow
from wms.domain.inventory.models import StockMove
from wms.domain.inventory.snapshot import stock_by_warehouse
from wms.domain.orders.models import Order, OrderEvent
from wms.errors import DomainError, NotFound
from wms.integrations.prestashop.webhooks import MIN_SECRET_LENGTH, signed_headers
from wms.integrations.webhooks import events as ev
from wms.integrations.webhooks.models import WebhookCursor, WebhookEndpoint
from wms.i18n import _

log = logging.getLogger(__name__)

# Event ids are UUIDs derived from the business key: the same event has the same id for every
# endpoint and on every retry, so a receiver can drop repeats.
EVENT_NAMESPACE = uuid.UUID("8f6d3c2e-5b7a-4e1f-9c0d-2a4b6e8f1a3c")
DEFAULT_TIMEOUT_S = 10
DEFAULT_STOCK_DEBOUNCE_S = 30
USER_AGENT = "wms-webhooks/1"
HEADER_EVENT = "Webhook-Event"
CURSOR_STOCK = "stock_move"
CURSOR_ORDER_EVENTS = "order_event"
SHORT_EVENT_KINDS = ("picked_short",)
DERIVE_BATCH = 20000


class DeliveryFailed(Exception):
    """The endpoint did not answer 2xx: the outbox tries again later."""


def _setting(name: str, default: float) -> float:
    try:
        return float(current_app.config.get(name, default))
    except RuntimeError:
        return default


# ------------------------------------------------------------------------------ endpoints


def new_secret() -> str:
    """A fresh signing secret: 64 hexadecimal characters, like the shop module's."""
    return secrets.token_hex(32)


def _check_url(url: str) -> str:
    url = (url or "").strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc or len(url) > 500:
        raise DomainError(_("The URL must start with https:// (or http:// on a private network) "
                            "and be at most 500 characters."), code="invalid")
    return url


def _check_events(events) -> list[str]:
    chosen = [e for e in dict.fromkeys(str(e).strip() for e in (events or [])) if e]
    unknown = [e for e in chosen if e not in ev.EVENTS]
    if unknown:
        raise DomainError(_("Unknown event(s): %(unknown)s; known: %(events)s.",
                            unknown=', '.join(unknown), events=', '.join(ev.EVENTS)),
                          code="invalid")
    if not chosen:
        raise DomainError(_("Choose at least one event to send to this endpoint."), code="invalid")
    return chosen


def register_endpoint(url: str, events, *, secret: str | None = None, description: str | None = None,
                      user=None) -> WebhookEndpoint:
    """Register an endpoint (flush only); without a secret one is generated. Events from now on."""
    secret = (secret or "").strip() or new_secret()
    if len(secret) < MIN_SECRET_LENGTH or len(secret) > 200:
        raise DomainError(_("The secret must be %(min_secret_length)s to 200 characters (leave "
                            "it empty to have one generated).", min_secret_length=MIN_SECRET_LENGTH), code="invalid")
    endpoint = WebhookEndpoint(url=_check_url(url), secret=secret, events_text=" ".join(_check_events(events)),
                               description=(description or "").strip()[:120] or None,
                               created_by_id=getattr(user, "id", None))
    db.session.add(endpoint)
    # Derived events start from now, not from the beginning of the ledger.
    for name in (CURSOR_STOCK, CURSOR_ORDER_EVENTS):
        _cursor(name)
    db.session.flush()
    return endpoint


def update_endpoint(endpoint: WebhookEndpoint, *, url: str | None = None, events=None,
                    active: bool | None = None, description: str | None = None) -> WebhookEndpoint:
    """Change an endpoint's URL, events, description or active flag (flush only)."""
    if url is not None:
        endpoint.url = _check_url(url)
    if events is not None:
        endpoint.events_text = " ".join(_check_events(events))
    if description is not None:
        endpoint.description = description.strip()[:120] or None
    if active is not None and active != endpoint.active:
        endpoint.active = active
        endpoint.disabled_at = None if active else utcnow()
    db.session.flush()
    return endpoint


def get_endpoint(endpoint_id: int) -> WebhookEndpoint:
    endpoint = db.session.get(WebhookEndpoint, endpoint_id)
    if endpoint is None:
        raise NotFound(_("There is no webhook endpoint %(endpoint_id)s.", endpoint_id=endpoint_id))
    return endpoint


def list_endpoints() -> list[WebhookEndpoint]:
    return list(db.session.execute(select(WebhookEndpoint).order_by(WebhookEndpoint.id)).scalars())


def delivery_messages(endpoint: WebhookEndpoint | None = None, limit: int = 100) -> list:
    """The latest webhook deliveries (outbox messages), newest first, optionally for one endpoint."""
    from wms.integrations.prestashop.models import OutboxMessage
    from wms.integrations.prestashop.outbox import WEBHOOK_KIND

    query = select(OutboxMessage).where(OutboxMessage.kind == WEBHOOK_KIND)
    if endpoint is not None:
        query = query.where(OutboxMessage.ordering_key.like(f"webhook:{endpoint.id}:%"))
    return list(db.session.execute(query.order_by(OutboxMessage.id.desc()).limit(limit)).scalars())


# ------------------------------------------------------------------------------ emitting


def _iso(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def event_id_for(business_key: str) -> str:
    return str(uuid.uuid5(EVENT_NAMESPACE, business_key))


def encode_body(event_id: str, event: str, occurred_at: datetime, data: dict[str, Any]) -> str:
    """The body sent for an event: compact JSON, keys in a fixed order."""
    return json.dumps({"event_id": event_id, "event": event, "occurred_at": _iso(occurred_at), "data": data},
                      separators=(",", ":"), ensure_ascii=False, default=str)


def subscribed(event: str) -> list[WebhookEndpoint]:
    """The active endpoints that want an event (one SELECT)."""
    rows = db.session.execute(select(WebhookEndpoint).where(WebhookEndpoint.active.is_(True))
                              .order_by(WebhookEndpoint.id)).scalars()
    return [e for e in rows if event in e.events]


def emit(event: str, object_key: str, business_key: str, data: dict[str, Any], *,
         occurred_at: datetime | None = None, endpoints: list[WebhookEndpoint] | None = None) -> int:
    """Queue an event for every subscribed endpoint in the caller's transaction; return how many.

    ``object_key`` ("order:12") orders the events of one object per endpoint; ``business_key``
    identifies the event itself ("order.shipped:shipment:7"): emitting it again stores nothing new.
    """
    from wms.integrations.prestashop.outbox import WEBHOOK_KIND, enqueue

    if event not in ev.EVENTS:
        raise ValueError(f"unknown webhook event {event!r}; known: {', '.join(ev.EVENTS)}")
    targets = subscribed(event) if endpoints is None else [e for e in endpoints if e.wants(event)]
    if not targets:
        return 0
    event_id = event_id_for(business_key)
    body = encode_body(event_id, event, occurred_at or utcnow(), data)
    for endpoint in targets:
        enqueue(WEBHOOK_KIND, {"endpoint_id": endpoint.id, "event": event, "event_id": event_id, "body": body},
                dedupe_key=f"webhook:{endpoint.id}:{business_key}"[:200],
                ordering_key=f"webhook:{endpoint.id}:{object_key}"[:200])
    return len(targets)


def order_data(order: Order) -> dict[str, Any]:
    return {"order_id": order.id, "code": order.code, "channel": order.channel,
            "external_ref": order.external_ref, "reference": order.reference,
            "status": order.status.name}


def emit_order_shipped(order: Order, shipment) -> int:
    """order.shipped: the parcels of one shipment, their carrier and tracking numbers."""
    from wms.domain.shipping.services import tracking_link

    carrier = shipment.carrier
    parcels = [{"code": p.code, "tracking_number": p.tracking_number, "weight_g": p.weight_g,
                "tracking_url": tracking_link(carrier, p.tracking_number)} for p in shipment.parcels]
    units = shipment.units_by_line()
    data = {**order_data(order),
            "complete": order.status.name == "SHIPPED",
            "shipment": shipment.code,
            "carrier": {"code": carrier.code, "name": carrier.name, "service": shipment.service or carrier.service},
            "parcels": parcels,
            "lines": [{"line_no": ln.line_no, "sku": ln.sku, "quantity": ln.quantity,
                       "shipped_now": units.get(ln.id, 0), "shipped_total": ln.quantity_shipped}
                      for ln in order.lines]}
    return emit(ev.ORDER_SHIPPED, f"order:{order.id}", f"{ev.ORDER_SHIPPED}:shipment:{shipment.id}", data,
                occurred_at=shipment.shipped_at)


def emit_receipt_closed(receipt) -> int:
    """receipt.closed: expected and received per SKU, and the discrepancy if closed short."""
    data = {"receipt_id": receipt.id, "code": receipt.code, "source": receipt.source,
            "external_ref": receipt.external_ref, "reference": receipt.reference,
            "supplier": receipt.supplier, "status": receipt.status.name, "blind": receipt.blind,
            "discrepancy": receipt.discrepancy,
            "lines": [{"sku": ln.product.sku, "expected": ln.expected, "received": ln.received}
                      for ln in receipt.lines]}
    return emit(ev.RECEIPT_CLOSED, f"receipt:{receipt.id}", f"{ev.RECEIPT_CLOSED}:receipt:{receipt.id}", data,
                occurred_at=receipt.closed_at)


# ------------------------------------------------------------------------------ derived (worker)


def _cursor(name: str, *, lock: bool = False) -> WebhookCursor:
    """The watermark of one log; created at the log's current end (events start from now)."""
    query = select(WebhookCursor).where(WebhookCursor.name == name)
    if lock:
        query = query.with_for_update()
    cursor = db.session.execute(query).scalar_one_or_none()
    if cursor is not None:
        return cursor
    table = StockMove if name == CURSOR_STOCK else OrderEvent
    start = db.session.execute(select(func.max(table.id))).scalar() or 0
    cursor = WebhookCursor(name=name, last_id=start, updated_at=utcnow())
    try:
        with db.session.begin_nested():
            db.session.add(cursor)
    except IntegrityError:
        cursor = db.session.execute(query).scalar_one()
    return cursor


def _settled_rows(table, cursor: WebhookCursor, now: datetime, settle_s: float, columns) -> list:
    """Rows after the watermark, in id order, up to the first one younger than the settle time.

    Waiting ``settle_s`` debounces bursts (a product scanned 20 times gives one event) and lets
    transactions that took an id earlier but committed later land before the watermark passes.
    """
    rows = db.session.execute(select(table.id, table.created_at, *columns).where(table.id > cursor.last_id)
                              .order_by(table.id).limit(DERIVE_BATCH)).all()
    limit = now - timedelta(seconds=settle_s)
    settled = []
    for row in rows:
        if row.created_at > limit:
            break
        settled.append(row)
    return settled


def derive_stock_changed(now: datetime | None = None) -> int:
    """Queue one stock.changed per product moved since the watermark (settled); return events queued."""
    now = now or utcnow()
    cursor = _cursor(CURSOR_STOCK, lock=True)
    rows = _settled_rows(StockMove, cursor, now, _setting("WEBHOOK_STOCK_DEBOUNCE_S", DEFAULT_STOCK_DEBOUNCE_S),
                         [StockMove.product_id])
    if not rows:
        return 0
    last_move = {}
    for row in rows:
        last_move[row.product_id] = row.id
    cursor.last_id, cursor.updated_at = rows[-1].id, now
    endpoints = subscribed(ev.STOCK_CHANGED)
    if not endpoints:
        return 0
    totals: dict[int, list] = {}
    skus: dict[int, str] = {}
    for row in db.session.execute(stock_by_warehouse(last_move.keys())).all():
        totals.setdefault(row.product_id, []).append(row)
        skus[row.product_id] = row.sku
    from wms.domain.catalog.models import Product

    for pid, sku in db.session.execute(select(Product.id, Product.sku).where(Product.id.in_(list(last_move)))).all():
        skus[pid] = sku
    queued = 0
    for product_id in sorted(last_move):
        rows_ = totals.get(product_id, [])
        data = {"product_id": product_id, "sku": skus.get(product_id),
                "on_hand": sum(int(r.on_hand) for r in rows_), "reserved": sum(int(r.reserved) for r in rows_),
                "available": sum(int(r.available) for r in rows_),
                "warehouses": [{"warehouse": r.warehouse, "on_hand": int(r.on_hand), "reserved": int(r.reserved),
                                "available": int(r.available)} for r in rows_],
                "last_move_id": last_move[product_id]}
        queued += emit(ev.STOCK_CHANGED, f"product:{product_id}",
                       f"{ev.STOCK_CHANGED}:product:{product_id}:{last_move[product_id]}", data,
                       occurred_at=now, endpoints=endpoints)
    return queued


def derive_order_short(now: datetime | None = None) -> int:
    """Queue order.short for each order whose pick list finished short since the watermark."""
    now = now or utcnow()
    cursor = _cursor(CURSOR_ORDER_EVENTS, lock=True)
    rows = _settled_rows(OrderEvent, cursor, now, _setting("WEBHOOK_SETTLE_S", 2),
                         [OrderEvent.order_id, OrderEvent.kind])
    if not rows:
        return 0
    cursor.last_id, cursor.updated_at = rows[-1].id, now
    shorts = [r for r in rows if r.kind in SHORT_EVENT_KINDS]
    endpoints = subscribed(ev.ORDER_SHORT) if shorts else []
    queued = 0
    for row in shorts if endpoints else []:
        order = db.session.get(Order, row.order_id)
        if order is None:
            continue
        data = {**order_data(order),
                "lines": [{"line_no": ln.line_no, "sku": ln.sku, "quantity": ln.quantity,
                           "picked": ln.quantity_picked, "short": max(ln.quantity - ln.quantity_picked, 0)}
                          for ln in order.lines if ln.quantity_picked < ln.quantity]}
        queued += emit(ev.ORDER_SHORT, f"order:{order.id}", f"{ev.ORDER_SHORT}:event:{row.id}", data,
                       occurred_at=row.created_at, endpoints=endpoints)
    return queued


def derive_events(now: datetime | None = None) -> int:
    """Derive stock.changed and order.short since the watermarks and commit; return events queued."""
    try:
        queued = derive_stock_changed(now) + derive_order_short(now)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return queued


# ------------------------------------------------------------------------------ delivery


@dataclass(frozen=True)
class PreparedDelivery:
    url: str
    secret: str
    event: str
    event_id: str
    body: bytes


def prepare_delivery(payload: dict[str, Any]) -> PreparedDelivery:
    """Read what one delivery needs from the database (in the worker's claim transaction)."""
    from wms.integrations.prestashop.outbox import PermanentFailure

    endpoint = db.session.get(WebhookEndpoint, int(payload["endpoint_id"]))
    if endpoint is None:
        raise PermanentFailure(f"webhook endpoint {payload['endpoint_id']} was deleted")
    if not endpoint.active:
        raise PermanentFailure(f"webhook endpoint {endpoint.id} ({endpoint.url}) is disabled: "
                               "enable it, then send again")
    return PreparedDelivery(endpoint.url, endpoint.secret, payload["event"], payload["event_id"],
                            payload["body"].encode("utf-8"))


def send_delivery(delivery: PreparedDelivery, timeout_s: float | None = None) -> None:
    """POST one stored event, signed with a fresh timestamp; raise DeliveryFailed unless it answers 2xx."""
    headers = signed_headers(delivery.secret, delivery.event_id, int(time.time()), delivery.body)
    headers["User-Agent"] = USER_AGENT
    headers[HEADER_EVENT] = delivery.event
    timeout = timeout_s if timeout_s is not None else _setting("WEBHOOK_TIMEOUT_S", DEFAULT_TIMEOUT_S)
    try:
        response = requests.post(delivery.url, data=delivery.body, headers=headers,
                                 timeout=(min(timeout, 5), timeout), allow_redirects=False)
    except requests.RequestException as exc:
        raise DeliveryFailed(f"{delivery.url}: {exc.__class__.__name__}: {exc}") from None
    if not 200 <= response.status_code < 300:
        raise DeliveryFailed(f"{delivery.url} answered {response.status_code}: {response.text[:200]}")


def deliver(payload: dict[str, Any]) -> None:
    """Prepare and send one delivery in one go (the worker splits the two around its commit)."""
    send_delivery(prepare_delivery(payload))
