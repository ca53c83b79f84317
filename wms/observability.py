"""Metrics for Prometheus (`/metrics`) and structured logs (WMS_LOG_FORMAT=json).

Counted in the process, with no SQL: scans per flow and outcome, scan latency, sign-in
failures. Read from the database when /metrics is scraped (and only then): the outbox's
depth and age, the sync lag per shop. The scan path therefore adds no statement.

Several gunicorn workers: each worker is a process with its own counters. When
PROMETHEUS_MULTIPROC_DIR is set (`wms serve` sets it up when it runs more than one worker),
prometheus_client keeps every worker's values in files there and /metrics adds them up,
whichever worker answers. See docs/deploy.md, "Metrics".
"""
from __future__ import annotations

import hmac
import json
import logging
import os
import sys
import time
import uuid
from datetime import UTC, datetime

from flask import Flask, Response, current_app, g, has_request_context, request
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily

SCANS = Counter("wms_scans", "Scan requests answered, per flow (the screen's endpoint) and outcome.",
                ["flow", "outcome"])
SCAN_SECONDS = Histogram("wms_scan_duration_seconds", "Time to answer a scan request, in the server.",
                         ["flow"], buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0))
SIGNIN_FAILURES = Counter("wms_signin_failures", "Refused sign-ins (wrong password or PIN, locked badge).",
                          ["screen"])
SIGNIN_ENDPOINTS = {"auth.login": "desk", "auth.handheld_login": "handheld"}

log = logging.getLogger("wms.request")


def _outcome(response: Response) -> str:
    if response.headers.get("X-Scan-Replayed"):
        return "replayed"  # a retry answered from the stored first answer
    code = response.status_code
    if code < 400:
        return "ok"
    if code == 409:
        return "conflict"
    return "refused" if code < 500 else "error"


def _scan_id() -> str | None:
    # Headers only (the handheld and scripts): parsing a form body here would cost the scan.
    return request.headers.get("X-Scan-Id") or request.headers.get("Idempotency-Key")


def init_app(app: Flask) -> None:
    """Time every request, count scans and refused sign-ins, log (JSON when asked), serve /metrics."""
    json_logs = str(app.config.get("LOG_FORMAT", "")).lower() == "json"
    if json_logs:
        configure_json_logging()

    @app.before_request
    def _start():
        g._wms_started = time.perf_counter()
        g.request_id = (request.headers.get("X-Request-Id") or "")[:64] or uuid.uuid4().hex

    @app.after_request
    def _measure(response: Response) -> Response:
        started = g.pop("_wms_started", None)
        if started is None:
            return response
        elapsed = time.perf_counter() - started
        endpoint = request.endpoint or ""
        if request.method == "POST" and _scan_id() and endpoint:
            flow = endpoint.split(".", 1)[-1]
            SCANS.labels(flow, _outcome(response)).inc()
            SCAN_SECONDS.labels(flow).observe(elapsed)
        elif request.method == "POST" and endpoint in SIGNIN_ENDPOINTS and response.status_code in (401, 403, 423, 429):
            SIGNIN_FAILURES.labels(SIGNIN_ENDPOINTS[endpoint]).inc()
        response.headers.setdefault("X-Request-Id", g.request_id)
        if json_logs and endpoint != "static":
            user = g.get("_login_user")  # never load the user just to log it
            log.info("request", extra={"event": {
                "method": request.method, "path": request.path, "endpoint": endpoint,
                "status": response.status_code, "duration_ms": round(elapsed * 1000, 1),
                "user_id": getattr(user, "id", None), "remote_addr": request.remote_addr}})
        return response

    app.add_url_rule("/metrics", "metrics", metrics_view)


# ------------------------------------------------------------------------------ /metrics

def _allowed() -> bool:
    """A scraper with the bearer token WMS_METRICS_TOKEN, or a signed-in supervisor or admin."""
    token = current_app.config.get("METRICS_TOKEN") or ""
    sent = request.headers.get("Authorization", "")
    if token and sent.startswith("Bearer ") and hmac.compare_digest(sent[7:].strip().encode(), token.encode()):
        return True
    from flask_login import current_user

    from wms.domain.users.models import Role

    return bool(current_user.is_authenticated and current_user.has_role(Role.SUPERVISOR))


def metrics_view():
    if not _allowed():
        return Response("Metrics need the bearer token of WMS_METRICS_TOKEN (Authorization: Bearer ...) "
                        "or a supervisor's sign-in.\n", status=401, mimetype="text/plain",
                        headers={"WWW-Authenticate": 'Bearer realm="wms-metrics"'})
    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.MultiProcessCollector(registry)  # every worker's counters, added up
    else:
        from prometheus_client import REGISTRY

        registry = REGISTRY
    body = generate_latest(registry) + generate_latest(_DatabaseCollectorRegistry())
    return Response(body, mimetype=CONTENT_TYPE_LATEST)


class _DatabaseCollectorRegistry(CollectorRegistry):
    """The figures read from the database at scrape time (outbox, sync lag)."""

    def __init__(self):
        super().__init__(auto_describe=False)
        self.register(_DatabaseCollector())


class _DatabaseCollector:
    def collect(self):
        from sqlalchemy import func, select

        from wms.db import db, utcnow
        from wms.integrations.prestashop.models import OutboxMessage, OutboxStatus, SyncCursor

        now = utcnow()
        depth = GaugeMetricFamily("wms_outbox_messages", "Messages to shops in the outbox, per status.",
                                  labels=["status"])
        counts = dict(db.session.execute(select(OutboxMessage.status, func.count())
                                         .group_by(OutboxMessage.status)).all())
        for status in (OutboxStatus.PENDING, OutboxStatus.DEAD):
            depth.add_metric([status.name.lower()], counts.get(status, 0))
        yield depth
        oldest = db.session.scalar(select(func.min(OutboxMessage.created_at))
                                   .where(OutboxMessage.status == OutboxStatus.PENDING))
        yield GaugeMetricFamily("wms_outbox_oldest_pending_age_seconds",
                                "Age of the oldest message not yet sent (0 when none waits).",
                                value=max((now - _aware(oldest)).total_seconds(), 0) if oldest else 0)
        lag = GaugeMetricFamily("wms_sync_lag_seconds", "Seconds since the last finished order import, per shop.",
                                labels=["shop"])
        for shop, last_run in db.session.execute(select(SyncCursor.shop, SyncCursor.last_run_at)).all():
            if last_run is not None:
                lag.add_metric([shop], max((now - _aware(last_run)).total_seconds(), 0))
        yield lag
        db.session.rollback()


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def mark_worker_dead(pid: int) -> None:
    """gunicorn's child_exit hook: drop a dead worker's live gauges (its counters stay counted)."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(pid)


# ------------------------------------------------------------------------------ JSON logs

class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request and scan ids, extra fields."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {"time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
                 "level": record.levelname.lower(), "logger": record.name, "message": record.getMessage()}
        if has_request_context():
            entry["request_id"] = g.get("request_id")
            scan_id = _scan_id()
            if scan_id:
                entry["scan_id"] = scan_id
        event = getattr(record, "event", None)
        if isinstance(event, dict):
            entry.update(event)
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


def configure_json_logging(stream=None) -> None:
    """Send every log record (the WMS's, Flask's, gunicorn's errors) as JSON lines to stderr."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.INFO)
    for name in ("gunicorn.error", "wms", "wms.request"):
        logger = logging.getLogger(name)
        logger.handlers[:] = []
        logger.propagate = True
        logger.disabled = False  # a logging.config call (e.g. Alembic's) may have disabled it
