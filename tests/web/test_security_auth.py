"""Issue 16 (sign-in, sessions, tokens) and issue 19 item 5 (locked badges): each check of
docs/security.md that concerns who is signed in, with the bad cases."""
from datetime import timedelta

import pytest

from wms import create_app
from wms.db import db, utcnow
from wms.domain.users import services as users
from wms.domain.users.models import ApiToken, User


def _badge_login(client, badge, pin):
    return client.post("/handheld/login", data={"badge": badge, "pin": pin})


# ---------------------------------------------------------------- 1. badge sessions

def test_a_badge_session_stays_on_the_handheld(client, make_user):
    # Chose a language already: the handheld does not ask for one first (issue 18).
    make_user("supervisor", badge="BADGE-0500", pin="5050").language = "en"
    db.session.commit()
    assert _badge_login(client, "BADGE-0500", "5050").status_code == 302
    assert client.get("/handheld/").status_code == 200
    desk = client.get("/desk/stock")
    assert desk.status_code == 302 and desk.headers["Location"].startswith("/login")
    assert client.post("/desk/tokens", data={"name": "x", "scopes": ["admin"]}).status_code == 302
    assert ApiToken.query.count() == 0
    api = client.post("/api/v1/tokens", json={"name": "x", "scopes": ["admin"]})
    assert api.status_code == 403 and "badge" in api.json["error"]["message"]
    assert client.get("/api/v1/stock").status_code == 403
    # The remember-me cookie keeps the method: a slept scanner does not come back as a desk.
    client.delete_cookie("session")
    assert client.get("/handheld/").status_code == 200
    assert client.get("/desk/").status_code == 302


def test_admin_pins_have_six_digits(client, make_user):
    with pytest.raises(Exception, match="6 to 8 digits"):
        users.check_pin_rules("1234", users.Role.ADMIN)
    users.check_pin_rules("123456", users.Role.ADMIN)
    users.check_pin_rules("1234", users.Role.OPERATOR)
    for bad in ("12a4", "123", "١٢٣٤", "123456789"):
        with pytest.raises(Exception):
            users.check_pin_rules(bad, users.Role.OPERATOR)
    # An admin still holding a 4-digit PIN is refused at the scanner, even with the right one.
    make_user("admin", badge="BADGE-0600", pin="6060")
    db.session.commit()
    r = _badge_login(client, "BADGE-0600", "6060")
    assert r.status_code == 401 and b"at least 6 digits" in r.data


def test_users_page_masks_badges(client, login_as, make_user):
    make_user("operator", badge="BADGE-4711")
    login_as("supervisor")
    page = client.get("/desk/users").get_data(as_text=True)
    assert "BADGE-4711" not in page and "11</code>" in page


# ---------------------------------------------------------------- 2. sessions end on the server

def test_a_copied_cookie_is_refused_after_sign_out(app, client, login_as):
    login_as("supervisor")
    copy = app.test_client()
    for cookie in client._cookies.values():
        copy.set_cookie(cookie.key, cookie.value, domain=cookie.domain)
    assert copy.get("/desk/").status_code == 200
    client.post("/logout")
    assert copy.get("/desk/").status_code == 302
    assert copy.post("/desk/tokens", data={"name": "x", "scopes": ["read"]}).status_code == 302
    copy.delete_cookie("session")  # the remember-me cookie alone is refused too
    assert copy.get("/handheld/").status_code == 302


def test_sign_out_everywhere_new_pin_and_deactivation_end_sessions(app, client, login_as, make_user):
    login_as("supervisor")
    olga = make_user("operator", badge="BADGE-0701", pin="7070")
    db.session.commit()
    scanner = app.test_client()
    assert _badge_login(scanner, "BADGE-0701", "7070").status_code == 302
    assert client.post(f"/desk/users/{olga.id}/sign-out").status_code == 302
    assert scanner.get("/handheld/").status_code == 302
    assert _badge_login(scanner, "BADGE-0701", "7070").status_code == 302
    assert client.post(f"/desk/users/{olga.id}/pin", data={"pin": "12"}).status_code == 422
    assert client.post(f"/desk/users/{olga.id}/pin", data={"pin": "8080"}).status_code == 302
    assert scanner.get("/handheld/").status_code == 302
    assert _badge_login(scanner, "BADGE-0701", "8080").status_code == 302
    token = ApiToken(user_id=olga.id, name="t", token_hash=ApiToken.hash("olga-tok"), scopes="read")
    db.session.add(token)
    db.session.commit()
    assert client.post(f"/desk/users/{olga.id}/deactivate").status_code == 302
    assert scanner.get("/handheld/").status_code == 302
    db.session.expire_all()
    assert db.session.get(ApiToken, token.id).revoked
    assert _badge_login(scanner, "BADGE-0701", "8080").status_code == 401


def test_a_supervisor_manages_operators_only(client, login_as, make_user):
    me = login_as("supervisor")
    admin = make_user("admin", pin="123456")
    other = make_user("supervisor")
    db.session.commit()
    for target in (admin, other):
        assert client.post(f"/desk/users/{target.id}/pin", data={"pin": "9999"}).status_code == 403
        assert client.post(f"/desk/users/{target.id}/deactivate").status_code == 403
    assert client.post(f"/desk/users/{me.id}/deactivate").status_code == 403
    r = client.post("/desk/users", data={"username": "boss", "role": "ADMIN", "password": "long-password"})
    assert r.status_code == 403
    r = client.post("/desk/users", data={"username": "nina", "name": "Nina", "role": "OPERATOR",
                                         "badge": "badge-0800", "pin": "8008"})
    assert r.status_code == 302
    assert _badge_login(client.application.test_client(), "BADGE-0800", "8008").status_code == 302
    for bad in ({"username": "nina", "role": "OPERATOR"}, {"username": "a b", "role": "OPERATOR"},
                {"username": "x" * 65, "role": "OPERATOR"},
                {"username": "pat", "role": "OPERATOR", "badge": "NOTABADGE"},
                {"username": "pat", "role": "OPERATOR", "pin": "12"}):
        assert client.post("/desk/users", data=bad).status_code == 422, bad
    assert db.session.query(User).filter_by(username="pat").count() == 0


# ---------------------------------------------------------------- 4/5. enumeration, locks, throttle

def test_unknown_and_known_badges_answer_alike_through_the_lock(app, make_user):
    make_user("operator", badge="BADGE-0900", pin="9090")
    db.session.commit()

    def answers(badge):
        client = app.test_client()
        out = []
        for _ in range(users.MAX_FAILURES + 1):
            r = client.post("/handheld/login", data={"badge": badge, "pin": "0000"},
                            environ_base={"REMOTE_ADDR": f"10.0.0.{len(badge)}"})
            out.append((r.status_code, r.get_data(as_text=True).split('data-status="error">')[1].split("<")[0]))
        return out

    known, unknown = answers("BADGE-0900"), answers("BADGE-0901")
    assert known == unknown
    assert "1 try left" in known[3][1] and "now locked" in known[4][1]
    assert "locked until" in known[5][1]
    assert "1 try left" not in known[2][1]


def test_unknown_users_cost_a_hash_and_say_the_same(client, make_user, monkeypatch):
    make_user("supervisor", username="sam")
    db.session.commit()
    calls = []
    import wms.domain.users.services as svc

    real = svc.check_password_hash
    monkeypatch.setattr(svc, "check_password_hash", lambda h, s: calls.append(h) or real(h, s))
    a = client.post("/login", data={"username": "sam", "password": "nope"})
    b = client.post("/login", data={"username": "nobody", "password": "nope"})
    assert len(calls) == 2 and a.status_code == b.status_code == 401
    assert a.get_data(as_text=True) == b.get_data(as_text=True).replace("nobody", "sam")


def test_a_supervisor_sees_and_unlocks_a_locked_badge(app, client, login_as, make_user):
    olga = make_user("operator", badge="BADGE-1000", pin="1000")
    db.session.commit()
    scanner = app.test_client()
    for _ in range(users.MAX_FAILURES):
        _badge_login(scanner, "BADGE-1000", "0000")
    assert b"locked until" in _badge_login(scanner, "BADGE-1000", "1000").data
    login_as("supervisor")
    home = client.get("/desk/").get_data(as_text=True)
    assert "data-locked" in home and olga.name in home
    page = client.get("/desk/users").get_data(as_text=True)
    assert "<strong>locked</strong>" in page
    assert client.post(f"/desk/users/{olga.id}/unlock").status_code == 302
    assert _badge_login(scanner, "BADGE-1000", "1000").status_code == 302
    assert "data-locked" not in client.get("/desk/").get_data(as_text=True)


def test_one_client_address_is_throttled_over_every_name(app, make_user):
    make_user("supervisor", username="sam")
    db.session.commit()
    attacker, other = app.test_client(), app.test_client()
    ip = {"REMOTE_ADDR": "192.0.2.7"}
    for n in range(users.MAX_FAILURES_PER_CLIENT):
        attacker.post("/login", data={"username": f"guess{n}", "password": "x"}, environ_base=ip)
    r = attacker.post("/login", data={"username": "sam", "password": "password-123"}, environ_base=ip)
    assert r.status_code == 401 and b"from this device" in r.data
    # Another address still signs in: the throttle is per address, not global.
    ok = other.post("/login", data={"username": "sam", "password": "password-123"},
                    environ_base={"REMOTE_ADDR": "192.0.2.8"})
    assert ok.status_code == 302


def test_a_lock_passes_after_its_time(make_user):
    from wms.domain.users.models import SignInAttempt

    make_user("operator", badge="BADGE-1100", pin="1100")
    db.session.commit()
    for _ in range(users.MAX_FAILURES):
        with pytest.raises(users.SignInRefused):
            users.check_badge("BADGE-1100", "0000")
    with pytest.raises(users.SignInRefused, match="locked until"):
        users.check_badge("BADGE-1100", "1100")
    row = db.session.get(SignInAttempt, "badge:BADGE-1100")
    row.locked_until = utcnow() - timedelta(seconds=1)
    assert users.check_badge("BADGE-1100", "1100").badge_code == "BADGE-1100"
    # Old counters of unknown names are forgotten by the worker's housekeeping.
    with pytest.raises(users.SignInRefused):
        users.check_password("nobody-at-all", "x")
    db.session.get(SignInAttempt, "user:nobody-at-all").first_failure_at = utcnow() - timedelta(hours=1)
    assert users.forget_old_attempts() == 1
    assert db.session.get(SignInAttempt, "user:nobody-at-all") is None


def test_cli_unlock_set_pin_deactivate(app, make_user):
    olga = make_user("operator", username="olga", badge="BADGE-1200", pin="1200")
    db.session.commit()
    for _ in range(users.MAX_FAILURES):
        with pytest.raises(users.SignInRefused):
            users.check_badge("BADGE-1200", "0000")
    db.session.commit()
    from wms.cli import user as user_group

    runner = app.test_cli_runner()

    class Run:
        @staticmethod
        def invoke(args):
            return runner.invoke(user_group, args[1:])

    runner_ = Run()
    r = runner_.invoke(args=["user", "unlock", "olga"])
    assert r.exit_code == 0 and "unlocked" in r.output
    assert not users.is_locked(olga)
    assert runner_.invoke(args=["user", "set-pin", "olga", "--pin", "12"]).exit_code != 0
    r = runner_.invoke(args=["user", "set-pin", "olga", "--pin", "4321"])
    assert r.exit_code == 0
    db.session.expire_all()
    assert users.check_badge("BADGE-1200", "4321").id == olga.id
    assert runner_.invoke(args=["user", "unlock", "nobody"]).exit_code != 0
    r = runner_.invoke(args=["user", "deactivate", "olga"])
    assert r.exit_code == 0
    db.session.expire_all()
    assert not db.session.get(User, olga.id).active
    r = runner_.invoke(args=["user", "create", "root2", "--role", "admin", "--password", "long-password", "--pin", "1234"])
    assert r.exit_code != 0 and "6 to 8 digits" in r.output


# ---------------------------------------------------------------- 6. CSRF rotation, redirects

def test_csrf_token_changes_at_sign_in(db_url, make_user):
    app = create_app({"TESTING": True, "DATABASE_URL": db_url, "SECRET_KEY": "x", "WTF_CSRF_ENABLED": True})
    with app.app_context():
        make_user("supervisor", username="rot")
        db.session.commit()
        client = app.test_client()
        before = client.get("/login").get_data(as_text=True).split('name="csrf_token" value="')[1].split('"')[0]
        with client.session_transaction() as sess:
            raw_before = sess["csrf_token"]
        client.post("/login", data={"username": "rot", "password": "password-123", "csrf_token": before})
        with client.session_transaction() as sess:
            assert sess.get("csrf_token") != raw_before
        db.session.remove()


def test_station_redirects_only_on_site(client, login_as):
    from wms.domain.printing.models import Station

    login_as("operator")
    station = Station(name="Packing 1")
    db.session.add(station)
    db.session.commit()
    for target in ("https://evil.example/", "//evil.example", "/\\evil.example"):
        r = client.post("/handheld/station", data={"station": str(station.id), "next": target})
        assert r.status_code == 302 and r.headers["Location"] == "/handheld/station", target
    r = client.post("/handheld/station", data={"station": str(station.id), "next": "/handheld/packing"})
    assert r.headers["Location"] == "/handheld/packing"


# ---------------------------------------------------------------- 7. tokens

def _desk_token(client, scopes, days=""):
    html = client.post("/desk/tokens", data={"name": "script", "scopes": scopes,
                                             "expires_in_days": days}).get_data(as_text=True)
    return {"Authorization": "Bearer " + html.split("data-token>")[1].split("<")[0]}


def test_token_scopes(app, client, login_as, make_location, make_product):
    from wms.domain.inventory.services import receive
    from wms.domain.orders.models import Order, OrderLine

    login_as("supervisor")
    loc = make_location("A-01-01-1")
    make_location("A-01-02-1")
    receive(make_product("TSH-1"), loc, 5)
    order = Order(reference="R-1", lines=[OrderLine(sku="X", name="x", quantity=1)])
    db.session.add(order)
    db.session.commit()
    read = _desk_token(client, ["read"])
    stock = _desk_token(client, ["stock"])
    orders = _desk_token(client, ["orders"])
    assert client.post("/desk/tokens", data={"name": "x"}).status_code == 422  # no scope
    assert client.post("/desk/tokens", data={"name": "x", "scopes": ["root"]}).status_code == 422
    client.post("/logout")
    client.delete_cookie("remember_token")
    move = {"sku": "TSH-1", "quantity": 1, "from_location": "A-01-01-1", "to_location": "A-01-02-1"}
    assert client.get("/api/v1/stock", headers=read).status_code == 200
    r = client.post("/api/v1/stock/moves", headers=read, json=move)
    assert r.status_code == 403 and "'stock' scope" in r.json["error"]["message"]
    assert client.get("/api/v1/stock", headers=stock).status_code == 403
    assert client.post("/api/v1/stock/moves", headers=stock, json=move).status_code == 201
    assert client.post("/api/v1/counts", headers=orders, json={"location": "A-01-01-1"}).status_code == 403
    assert client.post(f"/api/v1/orders/{order.id}/hold", headers=stock, json={"reason": "x"}).status_code == 403
    assert client.post(f"/api/v1/orders/{order.id}/hold", headers=orders, json={"reason": "x"}).status_code == 200
    for token in (read, stock, orders):
        assert client.get("/api/v1/tokens", headers=token).status_code == 403
        assert client.post("/api/v1/tokens", headers=token, json={"name": "n", "scopes": ["read"]}).status_code == 403


def test_minted_tokens_never_outlive_their_parent(app, client, login_as):
    login_as("supervisor")
    admin = _desk_token(client, ["admin"], days="2")
    client.post("/logout")
    client.delete_cookie("remember_token")
    r = client.post("/api/v1/tokens", headers=admin, json={"name": "child", "scopes": ["read"], "expires_in_days": 30})
    assert r.status_code == 201
    child = {"Authorization": "Bearer " + r.json["token"]}
    parent = db.session.query(ApiToken).filter_by(parent_id=None).one()
    assert db.session.get(ApiToken, r.json["id"]).expires_at <= parent.expires_at
    forever = client.post("/api/v1/tokens", headers=admin, json={"name": "c2", "scopes": ["read"]}).json
    assert forever["expires_at"] is not None
    for bad in ({"name": "x"}, {"name": "x", "scopes": []}, {"name": "x", "scopes": ["god"]},
                {"name": "x", "scopes": "read"}, {"name": "", "scopes": ["read"]},
                {"name": "x", "scopes": ["read"], "expires_in_days": 0},
                {"name": "x", "scopes": ["read"], "expires_in_days": 2**70}):
        r = client.post("/api/v1/tokens", headers=admin, json=bad)
        assert r.status_code == 422 and r.json["error"]["message"], bad
    assert client.get("/api/v1/stock", headers=child).status_code == 200
    assert client.delete(f"/api/v1/tokens/{parent.id}", headers=admin).status_code == 200
    assert client.get("/api/v1/stock", headers=child).status_code == 401


def test_expired_tokens_and_password_change(app, client, make_user):
    user = make_user("supervisor")
    db.session.add_all([
        ApiToken(user_id=user.id, name="old", token_hash=ApiToken.hash("old-tok"), scopes="read",
                 expires_at=utcnow() - timedelta(minutes=1)),
        ApiToken(user_id=user.id, name="live", token_hash=ApiToken.hash("live-tok"), scopes="read")])
    db.session.commit()
    assert client.get("/api/v1/stock", headers={"Authorization": "Bearer old-tok"}).status_code == 401
    live = {"Authorization": "Bearer live-tok"}
    assert client.get("/api/v1/stock", headers=live).status_code == 200
    assert db.session.query(ApiToken).filter_by(name="live").one().last_used_at is not None
    users.set_password(user, "another-password")
    db.session.commit()
    assert client.get("/api/v1/stock", headers=live).status_code == 401


def test_tokens_open_the_api_only(client, make_user):
    user = make_user("admin", pin="123456")
    db.session.add(ApiToken(user_id=user.id, name="a", token_hash=ApiToken.hash("adm-tok"), scopes="admin"))
    db.session.commit()
    auth = {"Authorization": "Bearer adm-tok"}
    assert client.get("/api/v1/stock", headers=auth).status_code == 200
    assert client.get("/desk/users", headers=auth).status_code == 302
    assert client.get("/handheld/", headers=auth).status_code == 302


def test_tokens_page_shows_scopes_expiry_and_last_use(client, login_as):
    login_as("supervisor")
    _desk_token(client, ["read", "orders"], days="30")
    page = client.get("/desk/tokens").get_data(as_text=True)
    assert "read orders" in page and "never" in page  # last used: never
    assert client.post("/desk/tokens", data={"name": "x", "scopes": ["read"], "expires_in_days": "-1"}).status_code == 422


def test_a_reused_idempotency_key_with_another_body_is_refused(client, make_user, make_location, make_product):
    from wms.domain.inventory.models import StockMove
    from wms.domain.inventory.services import receive

    user = make_user("supervisor")
    db.session.add(ApiToken(user_id=user.id, name="s", token_hash=ApiToken.hash("tok-i"), scopes="stock"))
    receive(make_product("TSH-1"), make_location("A-01-01-1"), 5)
    make_location("A-01-02-1")
    db.session.commit()
    headers = {"Authorization": "Bearer tok-i", "Idempotency-Key": "move-0000001"}
    body = {"sku": "TSH-1", "quantity": 1, "from_location": "A-01-01-1", "to_location": "A-01-02-1"}
    assert client.post("/api/v1/stock/moves", headers=headers, json=body).status_code == 201
    again = client.post("/api/v1/stock/moves", headers=headers, json=body)
    assert again.status_code == 201 and again.headers["X-Scan-Replayed"] == "1"
    other = client.post("/api/v1/stock/moves", headers=headers, json={**body, "quantity": 3})
    assert other.status_code == 422 and other.json["error"]["code"] == "idempotency_key_reused"
    assert db.session.query(StockMove).count() == 2  # the receipt and one move


def test_the_session_signer_follows_a_new_secret_key(app, client, login_as):
    # The signer is kept between requests (wms/web/security.py): a new key must still end
    # the sessions signed with the old one, and sign the new ones.
    login_as("supervisor")
    assert client.get("/desk/").status_code == 200
    app.secret_key = "a-new-secret"
    answer = client.get("/desk/")
    assert answer.status_code == 302 and answer.headers["Location"].startswith("/login")
    login_as("supervisor")
    assert client.get("/desk/").status_code == 200
