"""Issue 16 items 3, 10 (health check) and 12: cookies, proxies, answer headers."""
import re
import sqlite3
import threading
import time
from pathlib import Path

import pytest

from wms import create_app
from wms.db import db

ROOT = Path(__file__).resolve().parents[2]


def test_pages_carry_the_security_headers(client, login_as):
    login_as("supervisor")
    for path in ("/desk/", "/handheld/", "/login"):
        r = client.get(path)
        csp = r.headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "frame-ancestors 'self'" in csp and "unsafe" not in csp
        assert r.headers["X-Frame-Options"] == "SAMEORIGIN"
        assert r.headers["X-Content-Type-Options"] == "nosniff"
        assert r.headers["Referrer-Policy"] == "same-origin"
        assert r.headers["Cache-Control"] == "no-store"
    api = client.get("/api/v1/stock")
    assert api.headers["Cache-Control"] == "no-store" and api.headers["X-Content-Type-Options"] == "nosniff"
    static = client.get("/static/css/app.css")
    assert static.headers.get("Cache-Control") != "no-store"
    static.close()
    assert "Strict-Transport-Security" not in client.get("/login").headers  # tests: plain HTTP


def test_templates_have_no_inline_script_or_style():
    """The CSP allows scripts and styles from /static only: nothing inline may creep back."""
    for path in (ROOT / "templates").rglob("*.html"):
        text = path.read_text()
        # A JSON data block (type="application/json") is never executed: the CSP allows it.
        assert not re.search(r"<script(?![^>]*\b(?:src=|type=\"application/json\"))", text), path
        assert not re.search(r"\son[a-z]+=", text), path
        assert "style=" not in text and "<style" not in text, path
        assert "javascript:" not in text, path


def test_production_cookies_are_secure_and_hsts_is_sent(db_url, tmp_path):
    app = create_app({"ENV": "production", "SECRET_KEY": "k" * 32, "DATABASE_URL": db_url})
    assert app.config["SESSION_COOKIE_SECURE"] and app.config["REMEMBER_COOKIE_SECURE"]
    with app.app_context():
        client = app.test_client()
        r = client.get("/login", base_url="https://wms.example")
        assert r.headers["Strict-Transport-Security"].startswith("max-age=31536000")
        # Without a configured proxy, X-Forwarded-Proto is not believed.
        r = client.get("/login", headers={"X-Forwarded-Proto": "https"})
        assert "Strict-Transport-Security" not in r.headers
        db.session.remove()
        db.engine.dispose()
    lan = create_app({"ENV": "production", "SECRET_KEY": "k" * 32, "DATABASE_URL": db_url,
                      "ALLOW_PLAIN_HTTP": True})
    assert not lan.config["SESSION_COOKIE_SECURE"]
    with lan.app_context():
        assert "Strict-Transport-Security" not in lan.test_client().get("/login", base_url="https://x").headers
        db.engine.dispose()


def test_forwarded_proto_is_honoured_behind_a_configured_proxy(db_url):
    app = create_app({"ENV": "production", "SECRET_KEY": "k" * 32, "DATABASE_URL": db_url,
                      "TRUSTED_PROXIES": 1})
    with app.app_context():
        r = app.test_client().get("/login", headers={"X-Forwarded-Proto": "https"})
        assert "Strict-Transport-Security" in r.headers
        db.session.remove()
        db.engine.dispose()


def test_healthz_answers_while_a_writer_holds_sqlite(app, db_backend, client, make_user):
    if db_backend != "sqlite":
        pytest.skip("the request queue exists on SQLite only")
    make_user("supervisor", username="busy")
    db.session.commit()
    path = app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///")
    holder = sqlite3.connect(path, isolation_level=None, timeout=1)
    holder.execute("BEGIN IMMEDIATE")  # an import holding the write lock
    waiting = threading.Thread(target=lambda: app.test_client().post(
        "/login", data={"username": "busy", "password": "password-123"}))
    waiting.start()  # a request queued behind it, holding the queue's turn
    time.sleep(0.3)
    try:
        started = time.monotonic()
        r = client.get("/healthz")
        assert r.status_code == 200 and time.monotonic() - started < 1.0
    finally:
        holder.execute("ROLLBACK")
        holder.close()
        waiting.join(10)
