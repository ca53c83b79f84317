"""Signed callbacks from the shops' `wmscallback` module: verify, de-duplicate, schedule a fetch."""
from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, current_app, jsonify, request
from sqlalchemy import delete, select

from wms.db import db, utcnow
from wms.extensions import csrf
from wms.integrations.prestashop.models import SeenCallback
from wms.integrations.prestashop.outbox import enqueue
from wms.integrations.prestashop.shops import shop_settings
from wms.integrations.prestashop.webhooks import DEDUP_RETENTION_S, CallbackRejected, verify

bp = Blueprint("webhooks", __name__, url_prefix="/webhooks")
# The shop signs its requests with HMAC; it has no session and no CSRF token.
csrf.exempt(bp)


def _answer(http_status: int, **body):
    response = jsonify(body)
    response.status_code = http_status
    return response


@bp.post("/prestashop/<shop>")
def prestashop(shop: str):
    """Accept a signed "order N changed" callback and schedule a fetch of that order (202)."""
    try:
        settings = shop_settings(shop, current_app.config)
    except LookupError:
        return _answer(404, error="unknown_shop", message=f"No shop named {shop!r} is configured.")
    secret = settings.callback_secret or current_app.config.get("PRESTASHOP_CALLBACK_SECRET") or ""
    if not secret:
        return _answer(503, error="not_configured",
                       message="Callbacks are off: set WMS_PRESTASHOP_CALLBACK_SECRET to the module's secret.")
    try:
        event = verify(secret, request.headers, request.get_data(cache=False))
    except CallbackRejected as exc:
        current_app.logger.warning("callback for shop %r rejected: %s", shop, exc.reason)
        return _answer(exc.http_status, error=exc.code, message=exc.reason)

    if db.session.execute(select(SeenCallback.id).where(SeenCallback.event_id == event.event_id)).first():
        return _answer(200, status="duplicate", event_id=event.event_id)
    db.session.add(SeenCallback(event_id=event.event_id, shop=shop, ps_order_id=event.order_id))
    enqueue("fetch_order", {"shop": shop, "ps_order_id": event.order_id},
            dedupe_key=f"fetch_order:{shop}:{event.event_id}")
    try:
        db.session.commit()
    except Exception:
        # Two deliveries of the same event at once: the unique event id lets only one through.
        db.session.rollback()
        if db.session.execute(select(SeenCallback.id).where(SeenCallback.event_id == event.event_id)).first():
            return _answer(200, status="duplicate", event_id=event.event_id)
        raise
    return _answer(202, status="scheduled", event_id=event.event_id, order_id=event.order_id)


def forget_old_callbacks() -> int:
    """Delete seen event ids older than the replay window (flush only); return how many."""
    cutoff = utcnow() - timedelta(seconds=DEDUP_RETENTION_S)
    result = db.session.execute(delete(SeenCallback).where(SeenCallback.received_at < cutoff))
    return result.rowcount or 0
