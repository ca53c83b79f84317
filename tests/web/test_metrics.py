"""/metrics (Prometheus text) and JSON logs with request and scan ids."""
from __future__ import annotations

import io
import json
import logging
import re
from datetime import timedelta

import pytest

from tests.web.test_scan_queries import _scan, client, count_queries, picking_floor, server  # noqa: F401
from wms.db import db, utcnow
from wms.integrations.prestashop.models import OutboxMessage, OutboxStatus, SyncCursor

TOKEN = "metrics-token-0123456789"


def value(text: str, name: str, **labels) -> float:
    """The sample `name{labels}` in a Prometheus text page (0 when absent)."""
    for line in text.splitlines():
        if line.startswith("#"):
            continue
        match = re.match(r"^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$", line)
        if not match or match.group(1) != name:
            continue
        found = dict(re.findall(r'(\w+)="([^"]*)"', match.group(2) or ""))
        if all(found.get(k) == str(v) for k, v in labels.items()):
            return float(match.group(3))
    return 0.0


def scrape(client) -> str:  # noqa: F811
    response = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "text/plain"
    return response.get_data(as_text=True)


@pytest.fixture(autouse=True)
def metrics_token(server):  # noqa: F811
    server[0].config["METRICS_TOKEN"] = TOKEN


def test_metrics_need_the_token_or_a_supervisor(server, make_user):  # noqa: F811
    web = server[0].test_client()
    assert web.get("/metrics").status_code == 401
    refused = web.get("/metrics", headers={"Authorization": "Bearer wrong"})
    assert refused.status_code == 401 and "WMS_METRICS_TOKEN" in refused.get_data(as_text=True)
    assert refused.headers["WWW-Authenticate"].startswith("Bearer")
    operator, supervisor = make_user("operator").username, make_user("supervisor").username
    db.session.commit()  # (and read nothing after it: on SQLite a read would take the write lock)
    assert web.post("/login", data={"username": operator, "password": "password-123"}).status_code == 302
    assert web.get("/metrics").status_code == 401
    other = server[0].test_client()
    assert other.post("/login", data={"username": supervisor, "password": "password-123"}).status_code == 302
    assert other.get("/metrics").status_code == 200
    server[0].config["METRICS_TOKEN"] = ""  # no token configured: a bearer header alone gets nothing
    assert server[0].test_client().get("/metrics", headers={"Authorization": "Bearer "}).status_code == 401


def test_scans_are_counted_per_flow_and_outcome_without_adding_sql(client, server, picking_floor, count_queries):  # noqa: F811
    before = scrape(server[0].test_client())
    with count_queries() as statements:
        assert _scan(client, picking_floor["location"], "metric-loc-0001").status_code == 200
    assert _scan(client, "NO-SUCH-CODE", "metric-bad-0001").status_code >= 400
    assert _scan(client, picking_floor["location"], "metric-loc-0001").headers.get("X-Scan-Replayed") == "1"
    after = scrape(server[0].test_client())

    def delta(name, **labels):
        return value(after, name, **labels) - value(before, name, **labels)

    assert delta("wms_scans_total", flow="pick_scan", outcome="ok") == 1
    assert delta("wms_scans_total", flow="pick_scan", outcome="refused") == 1
    assert delta("wms_scans_total", flow="pick_scan", outcome="replayed") == 1
    assert delta("wms_scan_duration_seconds_count", flow="pick_scan") == 3
    assert delta("wms_scan_duration_seconds_bucket", flow="pick_scan", le="+Inf") == 3
    # The metrics live in the process: the scan ran no statement for them.
    assert not any("metric" in s.lower() for s in statements)


def test_refused_sign_ins_are_counted(server, make_user):  # noqa: F811
    web = server[0].test_client()
    username = make_user("operator", badge="BADGE-0777", pin="7777").username
    db.session.commit()
    before = scrape(web)
    assert web.post("/login", data={"username": username, "password": "wrong-one"}).status_code == 401
    assert web.post("/handheld/login", data={"badge": "BADGE-0777", "pin": "0000"}).status_code == 401
    assert web.post("/login", data={"username": username, "password": "password-123"}).status_code == 302
    after = scrape(server[0].test_client())
    for screen in ("desk", "handheld"):
        assert value(after, "wms_signin_failures_total", screen=screen) - value(
            before, "wms_signin_failures_total", screen=screen) == 1


def test_outbox_depth_and_age_and_sync_lag_come_from_the_database(server):  # noqa: F811
    now = utcnow()
    db.session.add_all([
        OutboxMessage(kind="order_shipped", dedupe_key="m:1", payload_json="{}", created_at=now - timedelta(minutes=10)),
        OutboxMessage(kind="order_shipped", dedupe_key="m:2", payload_json="{}", created_at=now - timedelta(minutes=1)),
        OutboxMessage(kind="order_shipped", dedupe_key="m:3", payload_json="{}", status=OutboxStatus.DEAD),
        OutboxMessage(kind="order_shipped", dedupe_key="m:4", payload_json="{}", status=OutboxStatus.DONE),
        SyncCursor(shop="default", last_run_at=now - timedelta(minutes=5)),
    ])
    db.session.commit()
    text = scrape(server[0].test_client())
    assert value(text, "wms_outbox_messages", status="pending") == 2
    assert value(text, "wms_outbox_messages", status="dead") == 1
    assert 590 <= value(text, "wms_outbox_oldest_pending_age_seconds") <= 700
    assert 290 <= value(text, "wms_sync_lag_seconds", shop="default") <= 400


@pytest.fixture
def json_log(server):  # noqa: F811
    """Switch the server app to JSON logs written into a buffer; put the root logger back after."""
    from wms.observability import configure_json_logging

    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    buffer = io.StringIO()
    web = server[0]
    web.config["LOG_FORMAT"] = "json"
    configure_json_logging(buffer)
    from wms import create_app

    logged = create_app({"TESTING": True, "DATABASE_URL": web.config["DATABASE_URL"], "SECRET_KEY": "j",
                         "WTF_CSRF_ENABLED": False, "LOG_FORMAT": "json"})
    configure_json_logging(buffer)  # create_app pointed it at stderr
    yield logged, buffer
    root.handlers[:], root.level = saved
    with logged.app_context():
        db.engine.dispose()


def test_json_logs_carry_the_request_and_scan_ids(json_log, picking_floor, client):  # noqa: F811
    logged, buffer = json_log
    web = logged.test_client()
    assert web.get("/healthz", headers={"X-Request-Id": "req-from-proxy-1"}).headers["X-Request-Id"] == "req-from-proxy-1"
    response = web.post("/handheld/pick/scan", data={"code": "X"}, headers={"X-Scan-Id": "scan-json-0001"})
    assert response.status_code in (302, 401)  # not signed in on this client
    lines = [json.loads(line) for line in buffer.getvalue().splitlines()]
    health = next(e for e in lines if e.get("path") == "/healthz")
    assert health["request_id"] == "req-from-proxy-1" and health["status"] == 200 and health["level"] == "info"
    scan = next(e for e in lines if e.get("path") == "/handheld/pick/scan")
    assert scan["scan_id"] == "scan-json-0001" and len(scan["request_id"]) == 32
    assert {"time", "logger", "message", "method", "duration_ms"} <= set(scan)
