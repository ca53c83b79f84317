"""Test that the fake shop behaves like the real PrestaShop webservice, quirks included."""

from __future__ import annotations

import base64
import json
import xml.etree.ElementTree as ET

import pytest
import requests
from werkzeug.test import Client

from tests.fakeshop import DEFAULT_KEY, FakeShop, dispatcher_url, serve

AUTH = {"Authorization": "Basic " + base64.b64encode(f"{DEFAULT_KEY}:".encode()).decode()}


@pytest.fixture
def http():
    """Return a werkzeug test client factory for a FakeShop (no sockets: fast)."""
    return lambda shop: Client(shop)


def get_json(client, path, **query):
    query.setdefault("output_format", "JSON")
    response = client.get(path, query_string=query, headers=AUTH)
    return response.status_code, (json.loads(response.get_data(as_text=True)) if response.get_data() else None)


def xml_body(node_name, **fields):
    inner = "".join(f"<{k}>{v}</{k}>" for k, v in fields.items())
    return f"<prestashop><{node_name}>{inner}</{node_name}></prestashop>".encode()


def test_no_key_is_a_plain_text_401(http, fake_shop):
    response = http(fake_shop).get("/api/orders", query_string={"output_format": "JSON"})
    assert response.status_code == 401
    assert response.get_data(as_text=True) == "401 Unauthorized"
    assert response.mimetype == "text/plain"
    assert "Basic realm" in response.headers["WWW-Authenticate"]


def test_wrong_key_is_a_json_401_and_ws_key_works(http, fake_shop):
    client = http(fake_shop)
    bad = client.get("/api/orders", query_string={"output_format": "JSON", "ws_key": "nope"})
    assert bad.status_code == 401
    assert bad.get_json()["errors"][0]["code"] == 18
    good = client.get("/api/orders", query_string={"output_format": "JSON", "ws_key": DEFAULT_KEY})
    assert good.status_code == 200
    assert fake_shop.request_log[-1].auth == "ws_key"


def test_ignoring_the_authorization_header(http, fake_shop):
    fake_shop.ignore_authorization_header = True
    response = http(fake_shop).get("/api/orders", query_string={"output_format": "JSON"}, headers=AUTH)
    assert (response.status_code, response.get_data(as_text=True)) == (401, "401 Unauthorized")
    assert fake_shop.request_log[-1].auth is None


def test_disabled_webservice_and_inactive_key(http, fake_shop):
    fake_shop.webservice_enabled = False
    status, body = get_json(http(fake_shop), "/api/orders")
    assert (status, body["errors"][0]["code"]) == (503, 22)
    fake_shop.webservice_enabled = True
    fake_shop.key_active = False
    status, body = get_json(http(fake_shop), "/api/orders")
    assert (status, body["errors"][0]["code"]) == (401, 20)


def test_empty_list_is_a_bare_array(http, fake_shop):
    assert get_json(http(fake_shop), "/api/orders") == (200, [])
    assert get_json(http(fake_shop), "/api/stock_availables", display="full") == (200, [])


def test_list_without_display_gives_ids_only(http, fake_shop):
    order_id = fake_shop.add_order()
    assert get_json(http(fake_shop), "/api/orders") == (200, {"orders": [{"id": order_id}]})


def test_single_get_drops_zero_fields_and_404_is_empty(http, fake_shop):
    order_id = fake_shop.add_order(state=1)
    client = http(fake_shop)
    _, listed = get_json(client, "/api/orders", display="full")
    _, single = get_json(client, f"/api/orders/{order_id}")
    row = listed["orders"][0]
    assert row["valid"] == "0" and row["invoice_number"] == 0 and row["shipping_number"] == ""
    node = single["order"]
    assert "valid" not in node and "invoice_number" not in node and "shipping_number" not in node
    assert node["invoice_date"] == "0000-00-00 00:00:00"
    missing = client.get("/api/orders/999", query_string={"output_format": "JSON"}, headers=AUTH)
    assert missing.status_code == 404
    assert missing.get_data() == b""


def test_versions_change_value_types(http, fake_shop):
    order_id = fake_shop.add_order()
    _, as_8 = get_json(http(fake_shop), f"/api/orders/{order_id}")
    fake_shop.version = "1.7"
    _, as_17 = get_json(http(fake_shop), f"/api/orders/{order_id}")
    assert as_8["order"]["id_customer"] == 1 and as_17["order"]["id_customer"] == "1"
    assert as_8["order"]["valid"] == as_17["order"]["valid"] == "1"
    assert as_8["order"]["total_paid_tax_incl"] == "24.890000"
    row_8 = as_8["order"]["associations"]["order_rows"][0]
    row_17 = as_17["order"]["associations"]["order_rows"][0]
    assert (row_8["product_quantity"], row_17["product_quantity"]) == (1, "1")


def test_languages_switch(http, fake_shop):
    _, one = get_json(http(fake_shop), "/api/order_states/4")
    assert one["order_state"]["name"] == "Shipped"
    fake_shop.languages = [1, 2]
    _, two = get_json(http(fake_shop), "/api/order_states/4")
    assert two["order_state"]["name"] == [{"id": 1, "value": "Shipped"}, {"id": 2, "value": "Shipped (fr)"}]
    fake_shop.version = "1.7"
    _, old = get_json(http(fake_shop), "/api/order_states/4")
    assert old["order_state"]["name"][0] == {"id": "1", "value": "Shipped"}


def test_associations_only_when_present(http, fake_shop):
    plain = fake_shop.add_product(reference="P")
    varied = fake_shop.add_product(reference="V")
    combo = fake_shop.add_combination(varied, reference="V-1")
    _, body = get_json(http(fake_shop), "/api/products", display="full")
    products = {p["id"]: p for p in body["products"]}
    assert "combinations" not in products[plain]["associations"]
    assert products[varied]["associations"]["combinations"] == [{"id": combo}]
    _, carriers = get_json(http(fake_shop), "/api/carriers", display="full")
    assert all("associations" not in c for c in carriers["carriers"])
    empty_order = fake_shop.add_order(lines=[])
    _, order = get_json(http(fake_shop), f"/api/orders/{empty_order}")
    assert "associations" not in order["order"]


def test_filters_sort_limit_and_display(http, fake_shop):
    ids = fake_shop.generate_orders(8, seed=5)
    client = http(fake_shop)

    def listed(**query):
        status, body = get_json(client, "/api/orders", display="[id,current_state]", **query)
        assert status == 200, body
        return [o["id"] for o in body["orders"]] if body else []

    assert listed(**{"filter[id]": f"[{ids[0]}|{ids[3]}|999]"}) == [ids[0], ids[3]]
    assert listed(**{"filter[id]": f"[{ids[2]},{ids[4]}]"}) == ids[2:5]
    assert listed(**{"filter[id]": f">[{ids[5]}]"}) == ids[6:]
    assert listed(**{"filter[id]": f"<[{ids[1]}]"}) == ids[:1]
    assert listed(sort="[id_DESC]", limit="2,3") == list(reversed(ids))[2:5]
    assert listed(limit="2") == ids[:2]
    _, body = get_json(client, "/api/orders", display="[id,current_state]", limit="1")
    assert body == {"orders": [{"id": ids[0], "current_state": 2}]}


@pytest.mark.parametrize(
    ("query", "code"),
    [({"filter[nope]": "[1]"}, 32), ({"filter[date_upd]": ">[2026-05-01 00:00:00]"}, 33),
     ({"filter[id]": "1"}, 34), ({"filter[id]": "[a]"}, 34), ({"display": "[id,nope]"}, 35),
     ({"sort": "[nope_ASC]"}, 37), ({"sort": "id_ASC"}, 37), ({"limit": "x"}, 39)],
)
def test_bad_list_parameters_are_400(http, fake_shop, query, code):
    status, body = get_json(http(fake_shop), "/api/orders", **query)
    assert status == 400
    assert body["errors"][0]["code"] == code


def test_date_filter_with_date_1_and_multi_key_sort(http, fake_shop):
    ids = fake_shop.generate_orders(4, seed=6)
    cutoff = fake_shop.order(ids[1])["date_upd"]
    fake_shop.set_order_state(ids[0], 3)
    status, body = get_json(http(fake_shop), "/api/orders", display="[id,date_upd]", date="1",
                            sort="[date_upd_ASC,id_ASC]", **{"filter[date_upd]": f">[{cutoff}]"})
    assert status == 200
    assert [o["id"] for o in body["orders"]] == [ids[2], ids[3], ids[0]]


def test_dispatcher_form(http, fake_shop):
    order_id = fake_shop.add_order()
    status, body = get_json(http(fake_shop), "/webservice/dispatcher.php", url=f"orders/{order_id}")
    assert status == 200 and body["order"]["id"] == order_id
    assert dispatcher_url("http://127.0.0.1:5000/api") == "http://127.0.0.1:5000/webservice/dispatcher.php"
    with pytest.raises(ValueError):
        dispatcher_url("http://127.0.0.1:5000/shop")


def test_xml_output_without_output_format(http, fake_shop):
    order_id = fake_shop.add_order()
    response = http(fake_shop).get(f"/api/orders/{order_id}", headers=AUTH)
    assert response.status_code == 200
    root = ET.fromstring(response.get_data())
    assert root.findtext("order/id") == str(order_id)
    assert root.find("order/associations/order_rows/order_row") is not None
    error = http(fake_shop).get("/api/nope", headers=AUTH)
    assert ET.fromstring(error.get_data()).findtext("errors/error/code") == "28"


def test_write_bodies_must_be_xml(http, fake_shop):
    order_id = fake_shop.add_order()
    client = http(fake_shop)
    response = client.post("/api/order_histories", query_string={"output_format": "JSON"}, headers=AUTH,
                           data=json.dumps({"order_history": {"id_order": order_id, "id_order_state": 4}}))
    assert response.status_code == 500
    assert response.get_json()["errors"][0]["code"] == 127
    empty = client.post("/api/order_histories", query_string={"output_format": "JSON"}, headers=AUTH, data=b"")
    assert "XML length: 0" in empty.get_json()["errors"][0]["message"]
    assert len(fake_shop.histories(order_id)) == 1


def test_put_nulls_omitted_fields(http, fake_shop):
    pid = fake_shop.add_product(quantity=5)
    stock_id = fake_shop.stock(pid)[0]["id"]
    body = xml_body("stock_available", id=stock_id, id_product=pid, id_product_attribute=0, quantity=3)
    response = http(fake_shop).put(f"/api/stock_availables/{stock_id}", query_string={"output_format": "JSON"},
                                   headers=AUTH, data=body)
    assert response.status_code == 200
    row = fake_shop.stock(pid)[0]
    assert (row["quantity"], row["id_shop"], row["out_of_stock"]) == (3, 0, 0)


def test_put_checks_ids_and_values(http, fake_shop):
    pid = fake_shop.add_product(quantity=5)
    stock_id = fake_shop.stock(pid)[0]["id"]
    client = http(fake_shop)

    def put(ident, **fields):
        response = client.put(f"/api/stock_availables/{ident}", query_string={"output_format": "JSON"},
                              headers=AUTH, data=xml_body("stock_available", **fields))
        return response.status_code, response.get_json()["errors"][0]["code"]

    assert put(stock_id, quantity=1) == (400, 90)
    assert put(stock_id, id=stock_id + 1, quantity=1) == (400, 89)
    assert put(999, id=999, quantity=1) == (404, 92)
    assert put(stock_id, id=stock_id, quantity="lots") == (400, 85)
    assert put(stock_id, id=stock_id, colour="red") == (400, 86)
    assert fake_shop.stock(pid)[0]["quantity"] == 5


def test_methods_per_resource_and_version(http, fake_shop):
    pid = fake_shop.add_product(quantity=5)
    stock_id = fake_shop.stock(pid)[0]["id"]
    client = http(fake_shop)
    post = client.post("/api/stock_availables", query_string={"output_format": "JSON"}, headers=AUTH,
                       data=xml_body("stock_available", quantity=1))
    assert (post.status_code, post.get_json()["errors"][0]["code"]) == (405, 101)
    patch_body = xml_body("stock_available", id=stock_id, quantity=8)
    patched = client.patch(f"/api/stock_availables/{stock_id}", query_string={"output_format": "JSON"},
                           headers=AUTH, data=patch_body)
    assert patched.status_code == 200
    assert (fake_shop.stock(pid)[0]["quantity"], fake_shop.stock(pid)[0]["id_shop"]) == (8, 1)
    fake_shop.version = "1.7"
    refused = client.patch(f"/api/stock_availables/{stock_id}", query_string={"output_format": "JSON"},
                           headers=AUTH, data=patch_body)
    assert refused.status_code == 405


def test_order_history_post_changes_the_order_every_time(http, fake_shop):
    order_id = fake_shop.add_order(state=2)
    before = fake_shop.order(order_id)["date_upd"]
    client = http(fake_shop)
    for _ in range(2):
        response = client.post("/api/order_histories", query_string={"output_format": "JSON", "sendemail": "1"},
                               headers=AUTH, data=xml_body("order_history", id_order=order_id, id_order_state=4))
        assert response.status_code == 201
    assert [h["id_order_state"] for h in fake_shop.histories(order_id)] == [2, 4, 4]
    assert fake_shop.order(order_id)["current_state"] == 4
    assert fake_shop.order(order_id)["date_upd"] > before
    assert len(fake_shop.emails_for(order_id)) == 2
    bad = client.post("/api/order_histories", query_string={"output_format": "JSON"}, headers=AUTH,
                      data=xml_body("order_history", id_order=999, id_order_state=4))
    assert (bad.status_code, bad.get_json()["errors"][0]["code"]) == (400, 85)


def test_helpers_create_consistent_shop_data(fake_shop):
    pid = fake_shop.add_product(reference="TS", ean13="3000000000017", price="10.00")
    small = fake_shop.add_combination(pid, reference="TS-S", quantity=4)
    large = fake_shop.add_combination(pid, reference="", ean13="", quantity=6)
    assert fake_shop.stock(pid)[0]["quantity"] == 10  # product row = sum of combinations
    order_id = fake_shop.add_order(lines=[{"product_id": pid, "combination_id": small, "quantity": 3},
                                          {"product_id": pid, "combination_id": large, "quantity": 1}])
    order = fake_shop.order(order_id)
    rows = order["associations"]["order_rows"]
    # References are snapshots: combination first, product as fallback.
    assert [r["product_reference"] for r in rows] == ["TS-S", "TS"]
    assert rows[1]["product_ean13"] == "3000000000017"
    # The shop lowers sellable stock when the order is created.
    assert fake_shop.stock(pid, small)[0]["quantity"] == 1
    assert fake_shop.stock(pid)[0]["quantity"] == 6
    assert str(order["total_paid_tax_incl"]) == "44.99"
    assert fake_shop.tables["customers"][order["id_customer"]]["email"].endswith("@example.com")
    assert fake_shop.tables["addresses"][order["id_address_delivery"]]["id_country"] == 8
    assert [c["id_carrier"] for c in fake_shop.order_carriers_of(order_id)] == [2]
    with pytest.raises(KeyError):
        fake_shop.add_order(state=99)


def test_set_order_state_moves_date_upd(fake_shop):
    order_id = fake_shop.add_order()
    before = fake_shop.order(order_id)["date_upd"]
    fake_shop.set_order_state(order_id, 6)
    order = fake_shop.order(order_id)
    assert order["current_state"] == 6 and order["date_upd"] > before
    assert [h["id_order_state"] for h in fake_shop.histories(order_id)] == [2, 6]
    assert fake_shop.emails == []


def test_generate_orders_is_deterministic():
    first, second = FakeShop(), FakeShop()
    assert first.generate_orders(30, states=(2, 3), seed=7) == second.generate_orders(30, states=(2, 3), seed=7)
    assert first.tables["orders"] == second.tables["orders"]
    other = FakeShop()
    other.generate_orders(30, states=(2, 3), seed=8)
    assert other.tables["orders"] != first.tables["orders"]


def test_faults_are_consumed_in_order_and_filtered(http, fake_shop):
    client = http(fake_shop)
    fake_shop.faults.fail_next(2, status=503, body="busy", method="POST")
    assert get_json(client, "/api/orders")[0] == 200  # a GET does not consume a POST fault
    assert fake_shop.faults.pending == 2
    fake_shop.faults.fail_next(1, status=429)
    assert client.get("/api/orders", headers=AUTH).status_code == 429
    fake_shop.faults.prefix_next(bom=True)
    raw = client.get("/api/orders", query_string={"output_format": "JSON"}, headers=AUTH).get_data(as_text=True)
    assert raw.startswith("\ufeff<br />") and raw.endswith("[]")
    with pytest.raises(ValueError):
        fake_shop.faults.fail_next(0)
    fake_shop.faults.clear()
    assert fake_shop.faults.pending == 0


def test_request_log_records_method_path_and_query(http, fake_shop):
    get_json(http(fake_shop), "/api/orders", display="full", limit="0,10")
    logged = fake_shop.request_log[-1]
    assert (logged.method, logged.path, logged.resource, logged.ident, logged.auth) == (
        "GET", "/api/orders", "orders", None, "basic")
    assert logged.query == {"output_format": "JSON", "display": "full", "limit": "0,10"}
    assert fake_shop.requests_to("orders", "GET") == [logged]


def test_serve_runs_over_http_and_drops_connections():
    shop = FakeShop()
    order_id = shop.add_order()
    with serve(shop) as base_url:
        assert base_url.startswith("http://127.0.0.1:") and base_url.endswith("/api")
        answer = requests.get(f"{base_url}/orders/{order_id}", params={"output_format": "JSON"},
                              auth=(shop.key, ""), timeout=5)
        assert answer.json()["order"]["id"] == order_id
        shop.faults.apply_then_drop_next()
        with pytest.raises(requests.ConnectionError):
            requests.post(f"{base_url}/order_histories", params={"output_format": "JSON"}, auth=(shop.key, ""),
                          data=xml_body("order_history", id_order=order_id, id_order_state=4), timeout=5)
        assert shop.order(order_id)["current_state"] == 4
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{base_url}/orders", timeout=2)
