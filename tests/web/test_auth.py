"""Sign-in on the desk and the handheld, roles, CSRF, and sessions that last a shift."""
from datetime import timedelta

import pytest

from wms import create_app
from wms.db import db


def test_desk_login_wrong_password_then_right(client, make_user):
    user = make_user("supervisor")
    db.session.commit()
    bad = client.post("/login", data={"username": user.username, "password": "nope"})
    assert bad.status_code == 401 and b"Wrong user name or password" in bad.data
    ok = client.post("/login", data={"username": user.username, "password": "password-123"})
    assert ok.status_code == 302 and ok.headers["Location"] == "/"
    assert client.get("/").headers["Location"].endswith("/desk/")
    assert client.get("/desk/").status_code == 200


def test_login_never_redirects_off_site(client, make_user):
    user = make_user("supervisor")
    db.session.commit()
    r = client.post("/login?next=https://evil.example/", data={"username": user.username, "password": "password-123"})
    assert r.headers["Location"] == "/"
    r = client.post("/login?next=//evil.example/x", data={"username": user.username, "password": "password-123"})
    assert r.headers["Location"] == "/"


def test_handheld_badge_and_pin(client, make_user):
    user = make_user("operator", badge="BADGE-0042", pin="4321")
    db.session.commit()
    r = client.post("/handheld/login", data={"badge": "BADGE-0042", "pin": "0000"})
    assert r.status_code == 401 and b"not recognised" in r.data
    r = client.post("/handheld/login", data={"badge": "badge-0042", "pin": "4321"})
    assert r.status_code == 302 and r.headers["Location"] == "/handheld/"
    # First badge sign-in of a user without a language: one tap chooses it (issue 18).
    home = client.get("/handheld/")
    assert home.status_code == 302 and home.headers["Location"].startswith("/handheld/language")
    assert client.post("/handheld/language", data={"language": "en", "next": "/handheld/"}).status_code == 302
    home = client.get("/handheld/")
    assert home.status_code == 200 and user.name.split()[0].encode() in home.data


def test_disabled_user_cannot_sign_in_and_is_signed_out(client, make_user):
    user = make_user("operator")
    db.session.commit()
    client.post("/login", data={"username": user.username, "password": "password-123"})
    assert client.get("/handheld/").status_code == 200
    user.active = False
    db.session.commit()
    assert client.get("/handheld/").status_code == 302


def test_password_change_ends_old_sessions(client, make_user):
    user = make_user("operator")
    db.session.commit()
    client.post("/login", data={"username": user.username, "password": "password-123"})
    user.set_password("a-new-password")
    db.session.commit()
    assert client.get("/handheld/").status_code == 302


def test_roles(client, login_as):
    login_as("operator")
    assert client.get("/handheld/").status_code == 200
    assert client.get("/desk/").status_code == 403
    assert client.get("/desk/stock").status_code == 403
    assert client.post("/api/v1/stock/moves", json={}).status_code == 403


def test_anonymous_is_sent_to_the_right_sign_in(client):
    r = client.get("/handheld/move")
    assert r.status_code == 302 and "/handheld/login" in r.headers["Location"]
    r = client.get("/desk/stock")
    assert r.status_code == 302 and r.headers["Location"].startswith("/login")
    r = client.get("/api/v1/stock")
    assert r.status_code == 401 and r.json["error"]["code"] == "unauthorized"
    r = client.post("/handheld/move/scan", data={"code": "A"}, headers={"HX-Request": "true"})
    assert r.status_code == 401 and "/handheld/login" in r.headers["HX-Redirect"]


def test_sessions_last_a_shift(app, client, login_as):
    assert app.config["PERMANENT_SESSION_LIFETIME"] >= timedelta(hours=12)
    login_as("operator")
    cookies = {c.key: c for c in client._cookies.values()}
    assert "remember_token" in cookies and "session" in cookies
    # The scanner slept, the session cookie is gone, the remember cookie signs it back in.
    client.delete_cookie("session")
    assert client.get("/handheld/").status_code == 200


def test_csrf_protects_forms(db_url, tmp_path, make_user):
    app = create_app({"TESTING": True, "DATABASE_URL": db_url, "SECRET_KEY": "x", "WTF_CSRF_ENABLED": True})
    with app.app_context():
        make_user("operator", username="csrfuser")
        db.session.commit()
        client = app.test_client()
        r = client.post("/login", data={"username": "csrfuser", "password": "password-123"})
        assert r.status_code == 400 and b"expired" in r.data
        page = client.get("/login").get_data(as_text=True)
        token = page.split('name="csrf_token" value="')[1].split('"')[0]
        r = client.post("/login", data={"username": "csrfuser", "password": "password-123", "csrf_token": token})
        assert r.status_code == 302
        db.session.remove()


def test_production_refuses_to_start_without_a_secret(monkeypatch, db_url):
    monkeypatch.delenv("WMS_SECRET_KEY", raising=False)
    with pytest.raises(RuntimeError, match="WMS_SECRET_KEY is not set"):
        create_app({"ENV": "production", "DATABASE_URL": db_url})


def test_healthz(client):
    r = client.get("/healthz")
    assert r.status_code == 200 and r.json == {"status": "ok", "database": "ok"}


def test_api_token_and_bad_input(client, app, make_user, make_location, make_product):
    from wms.domain.inventory.services import receive
    from wms.domain.users.models import ApiToken

    user = make_user("supervisor")
    db.session.add(ApiToken(user_id=user.id, name="script", token_hash=ApiToken.hash("tok-123"), scopes="admin"))
    a = make_location("A-01-01-1")
    make_location("A-01-02-1")
    product = make_product("TSH-1")
    receive(product, a, 5)
    db.session.commit()
    auth = {"Authorization": "Bearer tok-123"}
    assert client.get("/api/v1/stock", headers={"Authorization": "Bearer wrong"}).status_code == 401
    r = client.post("/api/v1/stock/moves", headers=auth,
                    json={"sku": "TSH-1", "quantity": "two", "from_location": "A-01-01-1", "to_location": "A-01-02-1"})
    assert r.status_code == 422 and "quantity" in r.json["error"]["message"]
    r = client.post("/api/v1/stock/moves", headers=auth,
                    json={"sku": "TSH-1", "quantity": 9, "from_location": "A-01-01-1", "to_location": "A-01-02-1"})
    assert r.status_code == 422 and r.json["error"]["code"] == "insufficient_stock"
    r = client.post("/api/v1/stock/moves", headers=auth,
                    json={"sku": "NOPE", "quantity": 1, "from_location": "A-01-01-1", "to_location": "A-01-02-1"})
    assert r.status_code == 404
    r = client.post("/api/v1/stock/moves", headers=auth,
                    json={"sku": "TSH-1", "quantity": 2, "from_location": "A-01-01-1", "to_location": "A-01-02-1"})
    assert r.status_code == 201 and r.json["to_location"] == "A-01-02-1"
    r = client.post("/api/v1/stock/moves", headers=auth, json={"sku": "TSH-1", "quantity": 1, "to_location": "A-01-02-1"})
    assert r.status_code == 422 and "needs from_location and to_location" in r.json["error"]["message"]
    r = client.post("/api/v1/stock/moves", headers=auth,
                    json={"sku": "TSH-1", "quantity": 1, "from_location": "A-01-01-1", "reason": "SHIPPED"})
    assert r.status_code == 422 and "reason" in r.json["error"]["message"]
    r = client.post("/api/v1/stock/moves", headers=auth,
                    json={"sku": "TSH-1", "quantity": 1, "from_location": "A-01-01-1", "reason": "DAMAGED"})
    assert r.status_code == 422 and r.json["error"]["code"] == "reason_required"
    r = client.post("/api/v1/stock/moves", headers=auth,
                    json={"sku": "TSH-1", "quantity": 1, "from_location": "A-01-01-1", "reason": "DAMAGED", "note": "torn"})
    assert r.status_code == 201 and r.json["to_location"] is None
    page = client.get("/api/v1/stock?limit=1", headers=auth).json
    assert len(page["items"]) == 1 and page["next_offset"] == 1


def test_desk_adjustment_with_bad_input_changes_nothing(client, login_as, make_location, make_product):
    from wms.domain.inventory.models import StockMove
    from wms.domain.inventory.services import receive, stock_at

    login_as("supervisor")
    a = make_location("A-01-01-1")
    product = make_product("TSH-1")
    receive(product, a, 5)
    db.session.commit()
    for delta, note, expect in (("abc", "x", "not a quantity"), ("-9", "lost", "holds 5"),
                                ("-1", "", "reason is required")):
        r = client.post("/desk/stock/adjust", data={"location": "A-01-01-1", "sku": "TSH-1", "delta": delta, "note": note})
        assert r.status_code == 422 and expect in r.get_data(as_text=True)
    assert db.session.query(StockMove).count() == 1
    r = client.post("/desk/stock/adjust", data={"location": "A-01-01-1", "sku": "TSH-1", "delta": "-2", "note": "damaged"})
    assert r.status_code == 302
    db.session.expire_all()
    assert stock_at(product, a).on_hand == 3


def test_sign_out_really_signs_out(client, login_as):
    login_as("supervisor")
    assert client.get("/desk/").status_code == 200
    r = client.post("/logout")
    assert r.status_code == 302 and r.headers["Location"] == "/login"
    assert client.get("/desk/").status_code == 302
    assert client.get("/handheld/").status_code == 302


def test_wrong_pins_lock_the_badge_for_a_while(client, make_user):
    user = make_user("operator", badge="BADGE-0077", pin="7777")
    db.session.commit()
    for _ in range(5):
        r = client.post("/handheld/login", data={"badge": "BADGE-0077", "pin": "0000"})
        assert r.status_code == 401
    # Locked now: even the right PIN is refused, with a message saying why.
    r = client.post("/handheld/login", data={"badge": "BADGE-0077", "pin": "7777"})
    assert r.status_code == 401 and b"Too many wrong tries" in r.data
    from wms.domain.users import services as users

    assert users.is_locked(user)
    users.unlock(user)  # a supervisor unlocks it (or 15 minutes pass)
    db.session.commit()
    assert client.post("/handheld/login", data={"badge": "BADGE-0077", "pin": "7777"}).status_code == 302
    assert not users.is_locked(user)


def test_login_refuses_backslash_redirects(client, make_user):
    user = make_user("supervisor")
    db.session.commit()
    for target in ("/\\evil.example/x", "/\\\\evil.example", "/%0d%0aLocation:x", "javascript:alert(1)"):
        r = client.post("/login?next=" + target, data={"username": user.username, "password": "password-123"})
        assert r.headers["Location"] == "/", target
        client.post("/logout")


def test_htmx_errors_answer_with_a_status_line_in_place(client, login_as):
    login_as("operator")
    r = client.get("/desk/stock", headers={"HX-Request": "true"})
    assert r.status_code == 403
    assert r.headers["HX-Retarget"] == "#status" and r.headers["HX-Reswap"] == "outerHTML"
    assert 'id="status"' in r.get_data(as_text=True) and "scan-error" in r.headers["HX-Trigger"]


def test_api_move_with_an_idempotency_key_is_applied_once(client, make_user, make_location, make_product):
    from wms.domain.inventory.models import StockMove
    from wms.domain.inventory.services import receive, stock_at
    from wms.domain.users.models import ApiToken

    user = make_user("supervisor")
    db.session.add(ApiToken(user_id=user.id, name="script", token_hash=ApiToken.hash("tok-456"), scopes="admin"))
    a, b = make_location("A-01-01-1"), make_location("A-01-02-1")
    product = make_product("TSH-1")
    receive(product, a, 5)
    db.session.commit()
    headers = {"Authorization": "Bearer tok-456", "Idempotency-Key": "move-2026-11-23-0001"}
    body = {"sku": "TSH-1", "quantity": 2, "from_location": "A-01-01-1", "to_location": "A-01-02-1"}
    first = client.post("/api/v1/stock/moves", headers=headers, json=body)
    again = client.post("/api/v1/stock/moves", headers=headers, json=body)  # the script retried
    assert first.status_code == again.status_code == 201
    assert again.headers["X-Scan-Replayed"] == "1" and again.mimetype == "application/json"
    assert again.json == first.json
    assert stock_at(product, b).on_hand == 2
    assert sum(1 for m in db.session.query(StockMove) if m.reason.name == "MOVED") == 1


def test_odd_digits_and_ids_are_refused_not_crashed(client, login_as):
    login_as("supervisor")
    assert client.get("/desk/stock/ledger?page=²").status_code == 200
    assert client.get("/desk/orders?page=①").status_code == 200
    r = client.post("/desk/picking/lists", data={"order": ["x1"], "mode": "batch"})
    assert r.status_code in (303, 422) and r.status_code != 500
    r = client.post("/desk/picking/wave", data={"carrier": "abc"})
    assert r.status_code != 500
