"""The JSON API: tokens, orders, counts, pagination, error bodies and the OpenAPI document."""
from wms.db import db
from wms.domain.inventory import services as inventory
from wms.domain.orders.models import Order, OrderLine


def _token(client, login_as, role="supervisor", scopes=["admin"]):
    login_as(role)
    html = client.post("/desk/tokens", data={"name": "script", "scopes": scopes}).get_data(as_text=True)
    secret = html.split("data-token>")[1].split("<")[0]
    client.post("/logout")
    # /logout clears the session after logout_user(), which also drops Flask-Login's order to
    # delete the remember cookie (reported to the core); drop it here so the token stands alone.
    client.delete_cookie("remember_token")
    return {"Authorization": f"Bearer {secret}"}


def test_token_lifecycle_and_order_actions(client, login_as):
    auth = _token(client, login_as)
    assert client.get("/api/v1/orders").status_code == 401  # signed out, no token
    order = Order(reference="API-1", lines=[OrderLine(sku="X", name="x", quantity=1)])
    db.session.add(order)
    db.session.commit()
    page = client.get("/api/v1/orders?limit=1", headers=auth).get_json()
    assert page["items"][0]["reference"] == "API-1" and page["next_offset"] is None
    missing = client.post(f"/api/v1/orders/{order.id}/hold", json={}, headers=auth)
    assert missing.status_code == 422
    assert missing.get_json()["error"]["code"] == "reason_required"
    held = client.post(f"/api/v1/orders/{order.id}/hold", json={"reason": "check"}, headers=auth).get_json()
    assert held["status"] == "ON_HOLD" and held["events"][-1]["kind"] == "held"
    again = client.post(f"/api/v1/orders/{order.id}/hold", json={"reason": "check"}, headers=auth)
    assert again.status_code == 409 and again.get_json()["error"]["message"].startswith(order.code)
    assert client.get("/api/v1/orders/999999", headers=auth).get_json()["error"]["code"] == "not_found"
    bad = client.get("/api/v1/orders?status=LOST", headers=auth)
    assert bad.status_code == 422 and "status must be one of" in bad.get_json()["error"]["message"]
    assert client.get("/api/v1/orders?limit=x", headers=auth).get_json()["error"]["code"] == "bad_paging"
    token_id = client.get("/api/v1/tokens", headers=auth).get_json()["items"][0]["id"]
    assert client.delete(f"/api/v1/tokens/{token_id}", headers=auth).get_json()["revoked"] is True
    assert client.get("/api/v1/orders", headers=auth).status_code == 401


def test_operator_token_reads_but_cannot_act(client, login_as):
    login_as("operator")
    assert client.get("/desk/tokens").status_code == 403
    assert client.post("/api/v1/tokens", json={"name": "x"}).status_code in (400, 403)


def test_count_through_the_api(client, login_as, make_location, make_product):
    loc, product = make_location("A-01-01-1"), make_product("SKU-Q")
    inventory.receive(product, loc, 3)
    db.session.commit()
    auth = _token(client, login_as)
    created = client.post("/api/v1/counts", json={"location": "A-01-01-1"}, headers=auth)
    assert created.status_code == 201
    body = created.get_json()
    assert body["code"].startswith("CNT-") and body["lines"][0]["sku"] == "SKU-Q"
    assert client.post("/api/v1/counts", json={}, headers=auth).status_code == 422
    early = client.post(f"/api/v1/counts/{body['id']}/approve", headers=auth)
    assert early.status_code == 409 and early.get_json()["error"]["code"] == "conflict"


def test_openapi_document_covers_every_api_route(app, client, login_as):
    login_as("operator")
    doc = client.get("/api/v1/openapi.json").get_json()
    assert doc["openapi"].startswith("3.1")
    documented = {op["operationId"] for ops in doc["paths"].values() for op in ops.values()}
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("api."):
            assert rule.endpoint.removeprefix("api.") in documented
    from wms.web.api.openapi import OPERATIONS
    undocumented = [r.endpoint for r in app.url_map.iter_rules()
                    if r.endpoint.startswith("api.") and r.endpoint not in OPERATIONS]
    assert undocumented == [], f"add a summary to OPERATIONS for {undocumented}"
    order = doc["components"]["schemas"]["OrderDetail"]["properties"]
    assert order["lines"]["items"]["$ref"] == "#/components/schemas/OrderLine"
    assert doc["components"]["schemas"]["OrderLine"]["properties"]["quantity"]["type"] == "integer"
    assert "/api/v1/orders/{order_id}/hold" in doc["paths"]
