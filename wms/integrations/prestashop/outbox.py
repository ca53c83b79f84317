"""A transactional outbox: jobs for the shop and webhooks to other systems, written with the change
that needs them, sent by workers.

`enqueue()` runs inside the caller's transaction, so "order shipped" and "tell the shop" commit
together or not at all. Messages sharing an ``ordering_key`` are sent one at a time in id order
(a message waits while an older one with its key is pending; a dead one no longer holds the
others back). Webhook deliveries (kind ``webhook``, wms/integrations/webhooks) use it per
endpoint and object, with their own attempts and backoff settings (``WEBHOOK_*``). Workers claim one due message at a time with
``SELECT ... FOR UPDATE SKIP LOCKED`` (PostgreSQL; SQLite serialises writers), run its handler
inside a savepoint, and either mark it done or schedule a retry with exponential backoff;
after ``max_attempts`` failures it is DEAD, listed by `dead_messages()` and revived by
`retry_message()`. Handlers must be safe to run twice: a worker can crash after the shop
applied a write and before the commit.
"""
from __future__ import annotations

import json
import logging
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import exists, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased

from wms.db import db, utcnow
from wms.domain.orders.models import Order, record_event
from wms.domain.shipping.models import Carrier
from wms.errors import NotFound
from wms.integrations.prestashop.client import protect_logger, strip_secrets
from wms.integrations.prestashop.client import (
    PrestaShopClient,
    ShopBadRequest,
    ShopMethodNotAllowed,
    ShopNotFound,
    ShopWriteUncertain,
)
from wms.integrations.prestashop.mapping import coerce_int, map_carrier
from wms.integrations.prestashop.models import OutboxMessage, OutboxStatus
from wms.integrations.prestashop.shops import ShopSettings, shop_settings
from wms.i18n import _

log = logging.getLogger(__name__)
protect_logger(log)  # no webservice key in a log line

MAX_ATTEMPTS = 8
WEBHOOK_MAX_ATTEMPTS = 10
WEBHOOK_KIND = "webhook"
BACKOFF_BASE_S = 30
BACKOFF_MAX_S = 3600
# Errors a retry cannot fix: a person must look at the message first.
PERMANENT_ERRORS = (ShopBadRequest, ShopNotFound, ShopMethodNotAllowed, NotFound, KeyError, ValueError)

# get_client(shop_name) -> (settings, client); the worker owns the clients and closes them.
ClientGetter = Callable[[str], tuple[ShopSettings, PrestaShopClient]]


class PermanentFailure(Exception):
    """A message that cannot succeed as it is: it goes straight to the dead-letter list."""


@dataclass
class OutboxRunResult:
    """What one pass over the outbox did."""

    done: int = 0
    retried: int = 0
    dead: int = 0
    errors: list[str] = field(default_factory=list)


def enqueue(kind: str, payload: dict, dedupe_key: str, *, delay_s: float = 0,
            ordering_key: str | None = None) -> OutboxMessage:
    """Add a message in the caller's transaction (flush, no commit); the same dedupe_key is stored once.

    Messages with the same ``ordering_key`` are delivered in the order they were enqueued.
    """
    if kind not in HANDLERS:
        raise ValueError(f"unknown outbox message kind {kind!r}; known: {', '.join(sorted(HANDLERS))}")
    if not dedupe_key or len(dedupe_key) > 200:
        raise ValueError("dedupe_key must be 1 to 200 characters, e.g. f'order_shipped:{shipment_id}'")
    body = json.dumps(payload, sort_keys=True, default=str)
    existing = _by_key(dedupe_key)
    if existing is not None:
        return existing
    message = OutboxMessage(kind=kind, dedupe_key=dedupe_key, payload_json=body, ordering_key=ordering_key,
                            next_attempt_at=utcnow() + timedelta(seconds=delay_s))
    try:
        # A savepoint: losing the race on the unique key must not undo the caller's work.
        with db.session.begin_nested():
            db.session.add(message)
    except IntegrityError:
        existing = _by_key(dedupe_key)
        if existing is None:
            raise
        return existing
    return message


def _by_key(dedupe_key: str) -> OutboxMessage | None:
    return db.session.execute(
        select(OutboxMessage).where(OutboxMessage.dedupe_key == dedupe_key)).scalar_one_or_none()


def _is_webhook(kind: str) -> bool:
    return kind == WEBHOOK_KIND


def backoff_delay(attempts: int, kind: str = "") -> timedelta:
    """Return the wait before the next try after ``attempts`` failures (30 s, 1 min, 2 min ... 1 h)."""
    base = (_setting("WEBHOOK_BACKOFF_S", BACKOFF_BASE_S) if _is_webhook(kind)
            else _setting("PRESTASHOP_OUTBOX_BACKOFF_S", BACKOFF_BASE_S))
    return timedelta(seconds=min(base * 2 ** max(attempts - 1, 0), BACKOFF_MAX_S))


def _setting(name: str, default: int) -> int:
    try:
        return int(current_app.config.get(name, default))
    except RuntimeError:
        return default


def claim_next(now: datetime | None = None, exclude: Collection[int] = ()) -> OutboxMessage | None:
    """Lock and return the next due message; another worker's locked rows are skipped, not waited for.

    A message whose ordering key has an older pending message waits for it (in order per key).
    """
    older = aliased(OutboxMessage)
    waits = exists().where(older.ordering_key == OutboxMessage.ordering_key, older.id < OutboxMessage.id,
                           older.status == OutboxStatus.PENDING)
    stmt = (select(OutboxMessage)
            .where(OutboxMessage.status == OutboxStatus.PENDING, OutboxMessage.next_attempt_at <= (now or utcnow()),
                   ~waits)
            .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
            .limit(1)
            .with_for_update(skip_locked=True))
    if exclude:
        stmt = stmt.where(OutboxMessage.id.not_in(list(exclude)))
    return db.session.execute(stmt).scalar_one_or_none()


def process_next(get_client: ClientGetter, now: datetime | None = None,
                 exclude: Collection[int] = ()) -> OutboxMessage | None:
    """Claim one due message, run its handler and commit the outcome; return it (None when none is due)."""
    message = claim_next(now, exclude)
    if message is None:
        db.session.rollback()
        return None
    if message.kind in SENT_OUTSIDE_TRANSACTION:
        return _process_leased(message)
    try:
        with db.session.begin_nested():
            HANDLERS[message.kind](message.payload, get_client)
    except Exception as exc:  # any failure is recorded on the message, never lost
        _record_failure(message, exc)
    else:
        _mark_done(message)
    db.session.commit()
    return message


def _mark_done(message: OutboxMessage) -> None:
    message.status = OutboxStatus.DONE
    message.done_at = utcnow()
    message.attempts += 1
    message.last_error = None


def _process_leased(message: OutboxMessage) -> OutboxMessage:
    """Send a message with no transaction open during the network call (webhooks).

    The claim reads what the call needs, then leases the message (its next attempt moves past
    the call's timeout) and commits, so no lock is held while a slow receiver answers: a
    SQLite writer lock held that long would stall the scanners. A worker that dies mid-call
    leaves the lease to expire and the message is sent again (at least once).
    """
    prepare, send = SENT_OUTSIDE_TRANSACTION[message.kind]
    try:
        prepared = prepare(message.payload)
    except Exception as exc:
        _record_failure(message, exc)
        db.session.commit()
        return message
    message_id, attempts = message.id, message.attempts
    message.next_attempt_at = utcnow() + timedelta(seconds=_setting("WEBHOOK_TIMEOUT_S", 10) * 2 + 30)
    db.session.commit()
    error: Exception | None = None
    try:
        send(prepared)
    except Exception as exc:  # recorded below, never lost
        error = exc
    message = db.session.get(OutboxMessage, message_id, with_for_update=True, populate_existing=True)
    if message.status is OutboxStatus.PENDING and message.attempts == attempts:
        if error is None:
            _mark_done(message)
        else:
            _record_failure(message, error)
    db.session.commit()
    return message


def _configured_keys() -> list[str]:
    try:
        from wms.integrations.prestashop.shops import configured_shops

        return [shop.client_config.key for shop in configured_shops(current_app.config)]
    except Exception:  # no app, or a broken shop setting: the registered keys still apply
        return []


def _record_failure(message: OutboxMessage, exc: Exception) -> None:
    message.attempts += 1
    # Whatever the exception (a shop echoing the request, a proxy's error page), the stored and
    # logged text never holds a webservice key.
    message.last_error = strip_secrets(f"{exc.__class__.__name__}: {exc}", _configured_keys())[:4000]
    permanent = isinstance(exc, (PermanentFailure, *PERMANENT_ERRORS))
    max_attempts = (_setting("WEBHOOK_MAX_ATTEMPTS", WEBHOOK_MAX_ATTEMPTS) if _is_webhook(message.kind)
                    else _setting("PRESTASHOP_OUTBOX_MAX_ATTEMPTS", MAX_ATTEMPTS))
    if permanent or message.attempts >= max_attempts:
        message.status = OutboxStatus.DEAD
        log.error("outbox message %s (%s) is dead after %d attempt(s): %s",
                  message.id, message.kind, message.attempts, message.last_error)
    else:
        message.next_attempt_at = utcnow() + backoff_delay(message.attempts, message.kind)
        log.warning("outbox message %s (%s) failed (attempt %d), retry at %s: %s", message.id,
                    message.kind, message.attempts, message.next_attempt_at, message.last_error)


def process_outbox(get_client: ClientGetter, limit: int = 500, now: datetime | None = None) -> OutboxRunResult:
    """Process due messages until none is left or ``limit`` were handled."""
    result = OutboxRunResult()
    handled: set[int] = set()
    for _ in range(limit):
        # A message that failed waits for its backoff: never twice in one pass.
        message = process_next(get_client, now, handled)
        if message is None:
            break
        handled.add(message.id)
        if message.status == OutboxStatus.DONE:
            result.done += 1
        elif message.status == OutboxStatus.DEAD:
            result.dead += 1
            result.errors.append(f"message {message.id} ({message.kind}) is dead: {message.last_error}")
        else:
            result.retried += 1
    return result


def dead_messages(limit: int = 200) -> list[OutboxMessage]:
    """Return the dead-letter list, newest first, for supervisors."""
    return list(db.session.execute(select(OutboxMessage).where(OutboxMessage.status == OutboxStatus.DEAD)
                                   .order_by(OutboxMessage.id.desc()).limit(limit)).scalars())


def retry_message(message_id: int) -> OutboxMessage:
    """Put a dead (or waiting) message back in the queue now with a fresh set of attempts (flush only)."""
    message = db.session.get(OutboxMessage, message_id, with_for_update=True)
    if message is None:
        raise NotFound(_("There is no outbox message %(message_id)s.", message_id=message_id))
    if message.status == OutboxStatus.DONE:
        raise ValueError(f"Outbox message {message_id} is already done: there is nothing to retry.")
    message.status = OutboxStatus.PENDING
    message.attempts = 0
    message.next_attempt_at = utcnow()
    db.session.flush()
    return message


# ------------------------------------------------------------------------------ handlers


def _order_of(payload: dict[str, Any]) -> Order:
    order = db.session.get(Order, int(payload["order_id"]))
    if order is None:
        raise PermanentFailure(f"order {payload['order_id']} does not exist in the warehouse")
    if order.is_demo:
        raise PermanentFailure(f"order {order.code} is a demo order: it is never sent to a shop")
    if not order.from_shop:
        raise PermanentFailure(f"order {order.code} did not come from a shop: nothing to tell the shop")
    return order


def _current_state(client: PrestaShopClient, ps_order_id: int) -> int:
    rows = client.list("orders", {"id": ps_order_id}, display=["id", "current_state"])
    if not rows:
        raise PermanentFailure(f"order {ps_order_id} no longer exists in the shop")
    return coerce_int(rows[0].get("current_state"))


def _shop_carrier_id(client: PrestaShopClient, carrier: Carrier | None) -> int | None:
    """Return the shop's current (not deleted) carrier id for a WMS carrier, via id_reference."""
    if carrier is None or carrier.ps_id_reference is None:
        return None
    best = None
    for raw in client.get_carriers():
        shop_carrier = map_carrier(raw)
        if shop_carrier.id_reference == carrier.ps_id_reference and not shop_carrier.deleted:
            best = shop_carrier.id if best is None else max(best, shop_carrier.id)
    return best


def handle_order_shipped(payload: dict[str, Any], get_client: ClientGetter) -> None:
    """Set tracking (and carrier) on the shop order, then add the Shipped state unless it has one."""
    order = _order_of(payload)
    settings, client = get_client(order.shop)
    tracking = str(payload.get("tracking_number") or "").strip()
    carrier = db.session.get(Carrier, int(payload["carrier_id"])) if payload.get("carrier_id") else None

    rows = client.get_order_carriers(order.ps_order_id)
    if tracking and rows:
        node = {k: v for k, v in min(rows, key=lambda r: coerce_int(r.get("id"))).items() if k != "associations"}
        changed = str(node.get("tracking_number") or "") != tracking
        shop_carrier = _shop_carrier_id(client, carrier)
        if shop_carrier is not None and coerce_int(node.get("id_carrier")) != shop_carrier:
            node["id_carrier"] = shop_carrier
            changed = True
        if changed:
            # PUT is idempotent: if its answer is lost the client sends it again safely.
            node["tracking_number"] = tracking
            client.update_order_carrier(node, send_email=True)
    elif tracking:
        record_event(order, "push_warning", _("The shop order %(ps_order_id)s has no carrier "
                                              "row: the tracking number could not be set there.",
                                              ps_order_id=order.ps_order_id))

    # Read before writing: order_histories is not idempotent (a repeat re-sends the e-mail).
    if _current_state(client, order.ps_order_id) in settings.shipped_states:
        record_event(order, "pushed", _("Shop order %(ps_order_id)s already shipped; tracking "
                                        "%(tracking)s.",
                                        ps_order_id=order.ps_order_id, tracking=tracking or '-'))
        return
    try:
        client.add_order_history(order.ps_order_id, settings.shipped_state, send_email=True)
    except ShopWriteUncertain:
        # The shop may have applied it: look before anyone posts again.
        if _current_state(client, order.ps_order_id) not in settings.shipped_states:
            raise
    record_event(order, "pushed", _("Shop order %(ps_order_id)s set to state %(shipped_state)s "
                                    "with tracking %(tracking)s.",
                                    ps_order_id=order.ps_order_id, shipped_state=settings.shipped_state,
                                    tracking=tracking or '-'))


def handle_fetch_order(payload: dict[str, Any], get_client: ClientGetter) -> None:
    """Fetch one shop order now (a callback said it changed): import it or apply its changes."""
    from wms.integrations.prestashop.sync import import_order_ids

    settings, client = get_client(str(payload["shop"]))
    result = import_order_ids(settings, client, [int(payload["ps_order_id"])])
    if result.errors:
        raise PermanentFailure("; ".join(result.errors))


def handle_webhook(payload: dict[str, Any], get_client: ClientGetter) -> None:
    """POST one signed event to one webhook endpoint (wms.integrations.webhooks)."""
    from wms.integrations.webhooks.services import deliver

    deliver(payload)


def _prepare_webhook(payload: dict[str, Any]):
    from wms.integrations.webhooks.services import prepare_delivery

    return prepare_delivery(payload)


def _send_webhook(prepared) -> None:
    from wms.integrations.webhooks.services import send_delivery

    send_delivery(prepared)


def handle_return_received(payload: dict[str, Any], get_client: ClientGetter) -> None:
    """Tell the shop a return was received (wms.integrations.prestashop.returns)."""
    from wms.integrations.prestashop.returns import push_return_received

    push_return_received(payload, get_client)


def handle_fetch_return(payload: dict[str, Any], get_client: ClientGetter) -> None:
    """A callback said a merchandise return changed (wms.integrations.prestashop.returns)."""
    from wms.integrations.prestashop.returns import fetch_return

    fetch_return(payload, get_client)


HANDLERS: dict[str, Callable[[dict[str, Any], ClientGetter], None]] = {
    "order_shipped": handle_order_shipped,
    "return_received": handle_return_received,
    "fetch_return": handle_fetch_return,
    "fetch_order": handle_fetch_order,
    WEBHOOK_KIND: handle_webhook,
}
# Kinds whose network call runs with no transaction open: kind -> (prepare in the claim's
# transaction, send with no database access).
SENT_OUTSIDE_TRANSACTION: dict[str, tuple[Callable[[dict[str, Any]], Any], Callable[[Any], None]]] = {
    WEBHOOK_KIND: (_prepare_webhook, _send_webhook),
}


class ClientPool:
    """Hand out one client per shop for a worker pass and close them all afterwards."""

    def __init__(self, config, factory: Callable[[ShopSettings], PrestaShopClient] | None = None) -> None:
        from wms.integrations.prestashop.shops import make_client

        self.config = config
        self.factory = factory or make_client
        self.clients: dict[str, tuple[ShopSettings, PrestaShopClient]] = {}

    def __call__(self, shop: str) -> tuple[ShopSettings, PrestaShopClient]:
        if shop not in self.clients:
            try:
                settings = shop_settings(shop, self.config)
            except LookupError as exc:
                raise PermanentFailure(str(exc)) from None
            self.clients[shop] = (settings, self.factory(settings))
        return self.clients[shop]

    def close(self) -> None:
        """Close every client handed out."""
        for _, client in self.clients.values():
            client.close()
        self.clients.clear()


__all__ = [
    "ClientPool", "OutboxRunResult", "PermanentFailure", "claim_next", "dead_messages",
    "enqueue", "handle_fetch_order", "handle_order_shipped", "process_next", "process_outbox", "retry_message",
]
