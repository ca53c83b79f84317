"""Walk every route of the app: who may reach it, and who is refused.

Anonymous visitors are sent to a sign-in page (or get a 401 JSON body on the API); an operator
gets 403 on every desk page and on every API call not explicitly open to operators; a
supervisor can open every desk page. New routes are covered without editing this file, except
an API call meant for operators, which must be added to OPERATOR_API on purpose.
"""
import re

import pytest

from wms.db import db
from wms.web import PUBLIC_ENDPOINTS, PUBLIC_PREFIXES

# API calls an operator may make (everything else under /api/ is for supervisors and up).
OPERATOR_API = {
    ("GET", "api.list_stock"), ("GET", "api.list_moves"),
    ("GET", "api.list_orders"), ("GET", "api.get_order"),
    ("GET", "api.list_products"), ("GET", "api.get_product"),
    ("GET", "api.list_locations"), ("GET", "api.get_location"),
    ("GET", "api.list_counts"), ("GET", "api.get_count"),
    ("GET", "api.openapi"),
    ("GET", "api.list_receipts"), ("GET", "api.get_receipt"), ("GET", "api.stock_snapshot"),
    ("GET", "api.list_webhook_events"),
    ("GET", "api.list_returns"), ("GET", "api.get_return"),
    ("GET", "api.list_transfers"), ("GET", "api.get_transfer"),
}
# Desk modules whose pages must all open (200) for a supervisor with the ids made below.
DESK_MODULES_WITH_KNOWN_IDS = {"home", "dashboard", "orders", "counts", "master_data", "exceptions",
                               "tokens", "stock", "webhooks", "users"}
PARAM = re.compile(r"<(?:(\w+)(?:\(([^)]*)\))?:)?(\w+)>")


@pytest.fixture
def ids(app, make_location, make_product, make_user):
    """An existing row for every kind of id a route takes."""
    from wms.domain.counts.services import create_count
    from wms.domain.inventory import services as inventory
    from wms.domain.orders.models import Order, OrderLine
    from wms.domain.users.models import ApiToken

    location = make_location("A-01-01-1")
    product = make_product("SKU-1")
    inventory.receive(product, location, 5)
    supervisor = make_user("supervisor")
    order = Order(reference="REF-1", lines=[OrderLine(sku="SKU-1", name="x", quantity=1, product_id=product.id)])
    db.session.add(order)
    token = ApiToken(user_id=supervisor.id, name="t", token_hash=ApiToken.hash("secret-token"), scopes="admin")
    db.session.add(token)
    db.session.flush()
    task = create_count(user=supervisor, location=location)
    values = {"order_id": order.id, "task_id": task.id, "product_id": product.id,
              "location_id": location.id, "user_id": supervisor.id, "token_id": token.id,
              "filename": "css/app.css", "sku": product.sku, "code": location.code}
    from wms.domain.picking.models import PickList

    pick_list = PickList()
    db.session.add(pick_list)
    db.session.flush()
    values["list_id"] = pick_list.id
    from wms.domain.receiving.models import Receipt, ReceiptLine

    receipt = Receipt(supplier="Acme", lines=[ReceiptLine(product_id=product.id, expected=1)])
    db.session.add(receipt)
    db.session.flush()
    values["receipt_id"] = receipt.id
    from wms.domain.returns.models import CustomerReturn

    customer_return = CustomerReturn(order_id=order.id, source="desk")
    db.session.add(customer_return)
    db.session.flush()
    values["return_id"] = customer_return.id
    from wms.domain.locations.models import Warehouse
    from wms.domain.transfers.services import create_transfer

    other = Warehouse(code="WH2", name="Second site")
    db.session.add(other)
    db.session.flush()
    values["transfer_id"] = create_transfer(location.warehouse_id, other, [(product, 1)]).id
    db.session.commit()
    return values


def routes(app):
    """(method, endpoint, rule) for every rule of the URL map, HEAD/OPTIONS aside."""
    out = []
    for rule in app.url_map.iter_rules():
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            out.append((method, rule.endpoint, rule.rule))
    return sorted(out, key=lambda r: (r[2], r[0]))


def url_for_rule(rule: str, values: dict) -> str:
    def fill(match):
        converter, args, name = match.groups()
        if name in values:
            return str(values[name])
        if converter == "any":  # the first of the allowed words
            return args.split(",")[0].strip().strip("'\"")
        return "1" if converter in ("int", None) and name.endswith("id") else "x"

    return PARAM.sub(fill, rule)


def is_public(endpoint: str) -> bool:
    return endpoint in PUBLIC_ENDPOINTS or endpoint.startswith(PUBLIC_PREFIXES)


def test_the_walk_sees_the_routes_it_must(app):
    found = {endpoint for _, endpoint, _ in routes(app)}
    for endpoint in ("desk.home", "desk.orders", "desk.order_page", "desk.counts", "desk.stock",
                     "api.list_stock", "api.create_move", "handheld.count_scan"):
        assert endpoint in found


def test_anonymous_is_sent_to_sign_in_everywhere(app, client, ids):
    checked = 0
    for method, endpoint, rule in routes(app):
        if is_public(endpoint):
            continue
        url = url_for_rule(rule, ids)
        response = client.open(url, method=method)
        where = f"{method} {url} ({endpoint})"
        if rule.startswith("/api/"):
            assert response.status_code == 401, where
            assert response.get_json()["error"]["code"] == "unauthorized", where
        else:
            assert response.status_code == 302, where
            login = "/handheld/login" if rule.startswith("/handheld") else "/login"
            assert response.headers["Location"].startswith(login), where
        checked += 1
    assert checked > 20


def test_operator_is_refused_every_desk_page_and_supervisor_api_call(app, client, login_as, ids):
    login_as("operator")
    refused = allowed = 0
    for method, endpoint, rule in routes(app):
        url = url_for_rule(rule, ids)
        where = f"{method} {url} ({endpoint})"
        if rule.startswith("/desk"):
            response = client.open(url, method=method)
            assert response.status_code == 403, where
            refused += 1
        elif rule.startswith("/api/"):
            response = client.open(url, method=method, json={})
            if (method, endpoint) in OPERATOR_API:
                assert response.status_code == 200, where
                allowed += 1
            else:
                assert response.status_code == 403, where
                assert response.get_json()["error"]["code"] == "forbidden", where
                refused += 1
    assert refused > 10 and allowed >= 2


def test_supervisor_opens_every_desk_page(app, client, login_as, ids):
    login_as("supervisor")
    for method, endpoint, rule in routes(app):
        if method != "GET" or not rule.startswith("/desk"):
            continue
        url = url_for_rule(rule, ids)
        response = client.get(url)
        # 404 only for ids of other modules this test could not create; 422 for pages that
        # refuse a request without their parameters (with a message), never 403 or 500.
        assert response.status_code in (200, 302, 308, 404, 422), f"GET {url} ({endpoint}): {response.status_code}"
        module = app.view_functions[endpoint].__module__.rsplit(".", 1)[-1]
        if module in DESK_MODULES_WITH_KNOWN_IDS:
            assert response.status_code in (200, 302, 308), f"GET {url} ({endpoint})"


def test_operator_can_use_the_handheld_but_not_the_desk_home(client, login_as):
    login_as("operator")
    assert client.get("/handheld/count").status_code == 200
    assert client.get("/desk/").status_code == 403
