"""Test the PrestaShop client against the fake shop over real HTTP."""

from __future__ import annotations

import socket
import xml.etree.ElementTree as ET
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
import requests

from tests.fakeshop import dispatcher_url
from wms.integrations.prestashop.client import (
    PrestaShopClient,
    ShopAuthError,
    ShopBadRequest,
    ShopConfig,
    ShopError,
    ShopMethodNotAllowed,
    ShopNotFound,
    ShopProtocolError,
    ShopUnavailable,
    ShopWriteUncertain,
    between,
    build_xml,
    greater_than,
)
from wms.integrations.prestashop.mapping import map_order, map_order_state, parse_ps_datetime, translated


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# ------------------------------------------------------------------ config and URLs


def test_config_builds_api_and_dispatcher_urls():
    api = ShopConfig("https://shop.example/api/", "K" * 32)
    assert api.url_for("orders", 5) == ("https://shop.example/api/orders/5", {})
    assert api.url_for("orders") == ("https://shop.example/api/orders", {})
    bare = ShopConfig("https://shop.example", "K" * 32)
    assert bare.url_for("orders") == ("https://shop.example/api/orders", {})
    disp = ShopConfig("https://shop.example/webservice/dispatcher.php", "K" * 32)
    assert disp.url_for("orders", 5) == ("https://shop.example/webservice/dispatcher.php", {"url": "orders/5"})


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [({"key": ""}, "WMS_PRESTASHOP_KEY"), ({"auth_mode": "oauth"}, "auth_mode"),
     ({"base_url": "shop.example/api"}, "base_url"), ({"max_retries": -1}, "max_retries")],
)
def test_config_rejects_bad_settings(kwargs, match):
    settings = {"base_url": "https://shop.example/api", "key": "K" * 32, **kwargs}
    with pytest.raises(ValueError, match=match):
        ShopConfig(**settings)


def test_build_xml_escapes_values_and_writes_languages():
    body = build_xml("order_carriers", {"id": 3, "tracking_number": "<A&B>", "weight": Decimal("0.5"),
                                        "name": [{"id": 1, "value": "x"}], "note": None})
    root = ET.fromstring(body)
    node = root.find("order_carrier")
    assert node.findtext("tracking_number") == "<A&B>"
    assert node.findtext("weight") == "0.5"
    assert node.find("name/language").get("id") == "1"
    assert node.findtext("note") == ""
    assert b"&lt;A&amp;B&gt;" in body
    with pytest.raises(ValueError, match="translated"):
        build_xml("orders", {"id": 1, "bad": [1, 2]})


# ------------------------------------------------------------------ reads


def test_empty_list_is_an_empty_list(shop_client, fake_shop):
    assert shop_client.list("orders", {"id": [999]}) == []
    assert shop_client.request_count == 1
    # An empty id list never reaches the shop (filter[id]=[] is invalid there).
    assert shop_client.get_orders_by_ids([]) == []
    assert shop_client.request_count == 1


def test_list_keeps_zero_fields_but_single_get_drops_them(shop_client, fake_shop):
    order_id = fake_shop.add_order(state=1)  # awaiting payment: valid = "0"
    listed = shop_client.get_orders_by_ids([order_id])[0]
    single = shop_client.get("orders", order_id)
    assert listed["valid"] == "0"
    assert listed["total_paid_real"] == "0.000000"
    assert "valid" not in single
    assert "invoice_number" not in single
    assert listed["invoice_number"] == 0
    # Mapping both gives the same answer: missing fields mean 0.
    assert map_order(single) == map_order(listed)


def test_types_differ_between_17_and_8_but_map_the_same(shop_client, fake_shop):
    order_id = fake_shop.add_order(state=2)
    as_8 = shop_client.get_orders_by_ids([order_id])[0]
    fake_shop.version = "1.7"
    as_17 = shop_client.get_orders_by_ids([order_id])[0]
    assert as_8["current_state"] == 2 and as_8["valid"] == "1"
    assert as_17["current_state"] == "2" and as_17["valid"] == "1"
    assert as_8["total_paid_tax_incl"] == as_17["total_paid_tax_incl"] == "24.890000"
    assert as_17["associations"]["order_rows"][0]["product_quantity"] == "1"
    assert map_order(as_8) == map_order(as_17)
    assert map_order(as_17).total_paid_tax_incl == Decimal("24.89")


def test_translated_names_with_several_languages(make_client, fake_shop):
    fake_shop.languages = [1, 2]
    states = make_client().get_order_states()
    shipped = next(s for s in states if int(s["id"]) == 4)
    assert isinstance(shipped["name"], list)
    assert translated(shipped["name"], 1) == "Shipped"
    assert translated(shipped["name"], 2) == "Shipped (fr)"
    assert map_order_state(shipped, lang_id=2).name == "Shipped (fr)"
    fake_shop.languages = [1]
    assert next(s for s in make_client().get_order_states() if s["id"] == 4)["name"] == "Shipped"


def test_zero_dates_and_missing_associations(shop_client, fake_shop):
    order_id = fake_shop.add_order(lines=[])
    raw = shop_client.get_orders_by_ids([order_id])[0]
    assert raw["invoice_date"] == "0000-00-00 00:00:00"
    assert parse_ps_datetime(raw["invoice_date"]) is None
    assert "associations" not in raw
    assert map_order(raw).lines == ()
    carriers = shop_client.get_carriers()
    assert [c["id_reference"] for c in carriers] == [1, 2]
    assert all("associations" not in c for c in carriers)


def test_bom_and_php_notice_before_json_are_stripped(shop_client, fake_shop):
    order_id = fake_shop.add_order()
    fake_shop.faults.prefix_next(bom=True)
    orders = shop_client.get_orders_by_ids([order_id])
    assert [o["id"] for o in orders] == [order_id]
    fake_shop.faults.prefix_next(bom=True, notice="")
    assert shop_client.get("orders", order_id)["id"] == order_id
    assert fake_shop.faults.pending == 0


def test_html_page_instead_of_json_is_an_error(shop_client, fake_shop):
    fake_shop.faults.fail_next(1, status=200, body="<!DOCTYPE html><html><body>Maintenance</body></html>")
    with pytest.raises(ShopProtocolError, match="HTML page") as info:
        shop_client.list("orders")
    assert "Maintenance" in info.value.message


def test_paging_250_orders_in_pages_of_100(shop_client, fake_shop):
    fake_shop.generate_orders(250, seed=1)
    pages = list(shop_client.iter_pages("orders", display=["id", "current_state"], page_size=100))
    assert [len(p) for p in pages] == [100, 100, 50]
    ids = [o["id"] for page in pages for o in page]
    assert ids == sorted(set(ids)) and len(ids) == 250
    limits = [r.query["limit"] for r in fake_shop.requests_to("orders")]
    assert limits == ["0,100", "100,100", "200,100"]
    assert shop_client.request_count == 3


def test_paging_stops_with_one_extra_call_on_an_exact_multiple(shop_client, fake_shop):
    fake_shop.generate_orders(200, seed=2)
    pages = list(shop_client.iter_pages("orders", display=["id"], page_size=100))
    assert [len(p) for p in pages] == [100, 100]
    assert shop_client.request_count == 3  # the last read answers [], the end marker


def test_incremental_read_by_date_upd(shop_client, fake_shop):
    ids = fake_shop.generate_orders(10, seed=3)
    cursor = parse_ps_datetime(fake_shop.order(ids[4])["date_upd"])
    fake_shop.set_order_state(ids[1], 3)  # an old order changes: it comes back, last
    changed = list(shop_client.get_orders_updated_since(cursor, states=None, page_size=3))
    assert [o["id"] for o in changed] == ids[5:] + [ids[1]]
    stamps = [o["date_upd"] for o in changed]
    assert stamps == sorted(stamps)
    query = fake_shop.requests_to("orders")[0].query
    assert query["date"] == "1"
    assert query["sort"] == "[date_upd_ASC,id_ASC]"
    assert query["filter[date_upd]"] == f">[{cursor:%Y-%m-%d %H:%M:%S}]"


def test_incremental_read_filters_states_and_reads_all_without_cursor(shop_client, fake_shop):
    paid = fake_shop.add_order(state=2)
    fake_shop.add_order(state=1)
    cancelled = fake_shop.add_order(state=2)
    fake_shop.set_order_state(cancelled, 6)
    found = [o["id"] for o in shop_client.get_orders_updated_since(None, states=[2, 3, 6])]
    assert found == [paid, cancelled]
    assert "date" not in fake_shop.requests_to("orders")[0].query
    assert list(shop_client.get_orders_updated_since(None, states=[])) == []


def test_same_second_updates_need_the_caller_overlap(shop_client, fake_shop):
    fake_shop.clock_step = timedelta(0)  # every change in the same second
    first = fake_shop.add_order()
    stamp = parse_ps_datetime(fake_shop.order(first)["date_upd"])
    second = fake_shop.add_order()
    assert list(shop_client.get_orders_updated_since(stamp)) == []
    overlapped = shop_client.get_orders_updated_since(stamp - timedelta(seconds=1))
    assert [o["id"] for o in overlapped] == [first, second]


def test_dispatcher_php_base_url(make_client, fake_shop, shop_url):
    order_id = fake_shop.add_order()
    client = make_client(base_url=dispatcher_url(shop_url))
    assert client.get("orders", order_id)["id"] == order_id
    assert [o["id"] for o in client.get_orders_by_ids([order_id])] == [order_id]
    logged = fake_shop.request_log[-1]
    assert logged.path == "/webservice/dispatcher.php"
    assert logged.query["url"] == "orders"


def test_lookups_use_narrow_displays_and_filters(shop_client, fake_shop):
    order_id = fake_shop.add_order()
    order = fake_shop.order(order_id)
    customers = shop_client.get_customers([order["id_customer"]])
    assert customers == [{"id": order["id_customer"], "email": f"customer{order['id_customer']}@example.com",
                          "firstname": "Jane", "lastname": "Doe"}]
    assert fake_shop.requests_to("customers")[0].query["display"] == "[id,email,firstname,lastname]"
    address = shop_client.get_addresses([order["id_address_delivery"]])[0]
    assert address["city"] == "Paris"
    countries = shop_client.get_countries([8, 1])
    assert [(c["id"], c["iso_code"]) for c in countries] == [(1, "DE"), (8, "FR")]
    assert shop_client.get_order_carriers(order_id)[0]["id_order"] == order_id
    assert [h["id_order_state"] for h in shop_client.get_order_histories(order_id)] == [2]


def test_list_filters_between_and_greater_than(shop_client, fake_shop):
    ids = fake_shop.generate_orders(6, seed=4)
    got = shop_client.list("orders", {"id": between(ids[1], ids[3])}, display=["id"])
    assert [o["id"] for o in got] == ids[1:4]
    got = shop_client.list("orders", {"id": greater_than(ids[4])}, display=["id"], sort="id_DESC")
    assert [o["id"] for o in got] == [ids[5]]
    with pytest.raises(ValueError, match="escape"):
        shop_client.list("orders", {"reference": "A|B"})


def test_stock_reads(shop_client, fake_shop):
    plain = fake_shop.add_product(reference="MUG", quantity=5)
    shirt = fake_shop.add_product(reference="TS")
    small = fake_shop.add_combination(shirt, reference="TS-S", quantity=3)
    fake_shop.add_combination(shirt, reference="TS-M", quantity=4)
    rows = shop_client.get_stock_availables(shirt, small)
    assert [(r["id_product_attribute"], r["quantity"], r["id_shop"]) for r in rows] == [(small, 3, 1)]
    bulk = shop_client.get_stock_availables_bulk([plain, shirt])
    assert sorted((r["id_product"], r["quantity"]) for r in bulk) == [(plain, 5), (shirt, 3), (shirt, 4), (shirt, 7)]


# ------------------------------------------------------------------ retries


@pytest.mark.parametrize("status", [500, 502, 503, 429])
def test_retries_with_backoff_then_succeeds(shop_client, fake_shop, sleeps, status):
    order_id = fake_shop.add_order()
    fake_shop.faults.fail_next(2, status=status)
    assert [o["id"] for o in shop_client.get_orders_by_ids([order_id])] == [order_id]
    assert shop_client.request_count == 3
    assert len(sleeps.calls) == 2
    # Exponential with jitter: each wait is within [half, full] of base * 2**attempt.
    assert 0.0005 <= sleeps.calls[0] <= 0.001
    assert 0.001 <= sleeps.calls[1] <= 0.002


def test_backoff_grows_and_is_capped(make_client, fake_shop, sleeps):
    client = make_client(backoff_base=1.0, backoff_max=3.0, max_retries=4)
    fake_shop.faults.fail_next(4, status=503)
    assert client.list("orders") == []
    assert len(sleeps.calls) == 4
    assert 0.5 <= sleeps.calls[0] <= 1.0
    assert 1.0 <= sleeps.calls[1] <= 2.0
    assert 1.5 <= sleeps.calls[2] <= 3.0 and 1.5 <= sleeps.calls[3] <= 3.0


def test_retry_after_header_is_honoured(make_client, fake_shop, sleeps):
    client = make_client(backoff_max=10.0)
    fake_shop.faults.fail_next(1, status=429, body="Too Many Requests", headers={"Retry-After": "7"})
    assert client.list("orders") == []
    assert sleeps.calls == [7.0]


def test_gives_up_after_max_retries(make_client, fake_shop, sleeps):
    client = make_client(max_retries=2)
    fake_shop.faults.fail_next(5, status=503, body='{"errors":[{"code":22,"message":"The webservice is disabled"}]}',
                               content_type="application/json")
    with pytest.raises(ShopUnavailable) as info:
        client.list("orders")
    err = info.value
    assert (err.status, err.code, err.message) == (503, 22, "The webservice is disabled")
    assert "after 3 attempts" in str(err)
    assert client.request_count == 3
    assert len(sleeps.calls) == 2


def test_read_timeout_is_retried(make_client, fake_shop):
    client = make_client(timeout=(2.0, 0.3))
    fake_shop.faults.delay_next(1.0)
    assert client.list("orders") == []
    assert client.request_count == 2


def test_connection_refused_becomes_unavailable(fake_shop, sleeps):
    client = PrestaShopClient(
        ShopConfig(f"http://127.0.0.1:{_free_port()}/api", fake_shop.key, max_retries=1, backoff_base=0.001),
        sleep=sleeps,
    )
    with pytest.raises(ShopUnavailable, match="connection failed"):
        client.list("orders")
    # A refused POST never reached the shop: it is safe to retry, so not "uncertain".
    with pytest.raises(ShopUnavailable):
        client.add_order_history(1, 4)
    assert client.request_count == 4


# ------------------------------------------------------------------ auth and errors


def test_wrong_key_is_a_clear_auth_error(make_client, fake_shop):
    client = make_client(key="WRONG" + "0" * 27)
    with pytest.raises(ShopAuthError) as info:
        client.list("orders")
    err = info.value
    assert (err.status, err.code) == (401, 18)
    assert "WMS_PRESTASHOP_KEY" in str(err) and "GET on orders" in str(err)
    assert client.auth_mode == "basic"  # a JSON 401 is a real refusal, not a dropped header
    assert client.request_count == 1


def test_missing_permission_names_the_resource(shop_client, fake_shop):
    fake_shop.permissions = {"orders": {"GET"}}
    with pytest.raises(ShopAuthError, match="GET on customers") as info:
        shop_client.get_customers([1])
    assert info.value.code == 21


def test_ws_key_fallback_when_host_drops_authorization(shop_client, fake_shop):
    fake_shop.ignore_authorization_header = True
    order_id = fake_shop.add_order()
    assert shop_client.get("orders", order_id)["id"] == order_id
    assert shop_client.auth_mode == "ws_key"
    assert [r.auth for r in fake_shop.request_log] == [None, "ws_key"]
    shop_client.list("orders")
    # The working mode is remembered: no more wasted Basic attempts.
    assert [r.auth for r in fake_shop.request_log] == [None, "ws_key", "ws_key"]
    assert shop_client.request_count == 3


def test_ws_key_fallback_also_for_writes(shop_client, fake_shop):
    fake_shop.ignore_authorization_header = True
    order_id = fake_shop.add_order()
    shop_client.add_order_history(order_id, 4)
    assert [h["id_order_state"] for h in fake_shop.histories(order_id)] == [2, 4]


def test_ws_key_mode_from_config(make_client, fake_shop):
    client = make_client(auth_mode="ws_key")
    client.list("orders")
    assert fake_shop.request_log[-1].auth == "ws_key"


def test_not_found_on_single_get_and_put(shop_client, fake_shop):
    with pytest.raises(ShopNotFound) as info:
        shop_client.get("orders", 999)
    assert (info.value.status, info.value.code) == (404, None)
    node = {"id": 999, "id_order": 1, "id_carrier": 2, "tracking_number": "X"}
    with pytest.raises(ShopNotFound) as info:
        shop_client.update_order_carrier(node)
    assert (info.value.status, info.value.code) == (404, 92)


def test_method_not_allowed(shop_client, fake_shop):
    with pytest.raises(ShopMethodNotAllowed) as info:
        shop_client.request("DELETE", "order_histories", 1)
    assert (info.value.status, info.value.code) == (405, 101)
    assert "tick DELETE for order_histories" in str(info.value)
    fake_shop.permissions = {"stock_availables": {"GET"}}
    pid = fake_shop.add_product(quantity=1)
    node = shop_client.get_stock_availables(pid)[0]
    with pytest.raises(ShopMethodNotAllowed) as info:
        shop_client.update_stock_available(node)
    assert info.value.code == 25


def test_bad_request_carries_code_and_message(shop_client, fake_shop):
    with pytest.raises(ShopBadRequest) as info:
        shop_client.list("orders", {"no_such_field": 1})
    assert (info.value.status, info.value.code) == (400, 32)
    assert "no_such_field" in info.value.message
    with pytest.raises(ShopBadRequest) as info:
        shop_client.list("orders", {"date_upd": greater_than(datetime(2026, 1, 1))})
    assert info.value.code == 33  # date filters need date=1
    assert shop_client.list("orders", {"date_upd": greater_than(datetime(2026, 1, 1))}, date_filter=True) == []


def test_xml_error_bodies_are_parsed(shop_client, fake_shop):
    body = ("<?xml version=\"1.0\" encoding=\"UTF-8\"?><prestashop><errors><error><code><![CDATA[85]]></code>"
            "<message><![CDATA[Validation error: \"quantity\" is not valid]]></message></error></errors></prestashop>")
    fake_shop.faults.fail_next(1, status=400, body=body, content_type="text/xml")
    with pytest.raises(ShopBadRequest) as info:
        shop_client.list("orders")
    assert info.value.code == 85
    assert info.value.message == 'Validation error: "quantity" is not valid'


def test_500_with_php_notice_is_retried_then_gives_up(make_client, fake_shop):
    client = make_client(max_retries=1)
    fake_shop.faults.fail_next(2, status=500)
    with pytest.raises(ShopUnavailable) as info:
        client.list("orders")
    assert "Notice" in info.value.message and "<b>" not in info.value.message


# ------------------------------------------------------------------ writes


def test_put_stock_keeps_the_whole_node(shop_client, fake_shop):
    pid = fake_shop.add_product(quantity=5)
    node = shop_client.get_stock_availables(pid)[0]
    saved = shop_client.update_stock_available({**node, "quantity": 42})
    assert saved["quantity"] == 42 and saved["id_shop"] == 1
    row = fake_shop.stock(pid)[0]
    assert (row["quantity"], row["id_shop"], row["out_of_stock"]) == (42, 1, 2)
    put = fake_shop.requests_to("stock_availables", "PUT")[0]
    assert put.body.startswith(b"<?xml") and b"<id_shop>1</id_shop>" in put.body


def test_put_without_id_shop_is_refused_before_the_shop_breaks(shop_client, fake_shop):
    pid = fake_shop.add_product(quantity=5)
    node = shop_client.get_stock_availables(pid)[0]
    with pytest.raises(ValueError, match="id_shop"):
        shop_client.update_stock_available({"id": node["id"], "id_product": pid,
                                            "id_product_attribute": 0, "quantity": 1})
    assert fake_shop.requests_to("stock_availables", "PUT") == []
    # What the guard prevents: the shop nulls whatever a PUT leaves out.
    body = build_xml("stock_availables", {"id": node["id"], "id_product": pid, "id_product_attribute": 0, "quantity": 1})
    shop_client.request("PUT", "stock_availables", node["id"], body=body)
    assert fake_shop.stock(pid)[0]["id_shop"] == 0


def test_update_order_carrier_sets_tracking_and_mails_once(shop_client, fake_shop):
    order_id = fake_shop.add_order()
    node = shop_client.get_order_carriers(order_id)[0]
    saved = shop_client.update_order_carrier({**node, "tracking_number": "6A12345"})
    assert saved["tracking_number"] == "6A12345"
    row = fake_shop.order_carriers_of(order_id)[0]
    assert (row["tracking_number"], row["id_carrier"], row["weight"]) == ("6A12345", 2, Decimal("0.5"))
    assert [e.template for e in fake_shop.emails_for(order_id)] == ["in_transit"]
    assert fake_shop.requests_to("order_carriers", "PUT")[0].query["sendemail"] == "1"
    with pytest.raises(ValueError, match="whole node"):
        shop_client.update_order_carrier({"id": node["id"], "tracking_number": "X"})


def test_order_history_post_is_not_idempotent(shop_client, fake_shop):
    order_id = fake_shop.add_order(state=3)
    before = fake_shop.order(order_id)["date_upd"]
    created = shop_client.add_order_history(order_id, 4)
    assert created["id_order_state"] == 4 and created["id_order"] == order_id
    order = fake_shop.order(order_id)
    assert order["current_state"] == 4 and order["date_upd"] > before
    # Posting again adds a second row and a second e-mail: the caller must check first.
    shop_client.add_order_history(order_id, 4)
    assert [h["id_order_state"] for h in fake_shop.histories(order_id)] == [3, 4, 4]
    assert [e.template for e in fake_shop.emails_for(order_id)] == ["shipped", "shipped"]
    post = fake_shop.requests_to("order_histories", "POST")[0]
    assert b"<id_order_state>4</id_order_state>" in post.body
    assert post.query["sendemail"] == "1"


def test_order_history_without_email(shop_client, fake_shop):
    order_id = fake_shop.add_order()
    shop_client.add_order_history(order_id, 4, send_email=False)
    assert fake_shop.emails_for(order_id) == []
    assert "sendemail" not in fake_shop.requests_to("order_histories", "POST")[0].query


def test_write_dropped_after_apply_is_uncertain(shop_client, fake_shop):
    order_id = fake_shop.add_order()
    fake_shop.faults.apply_then_drop_next(method="POST")
    with pytest.raises(ShopWriteUncertain, match="re-read") as info:
        shop_client.add_order_history(order_id, 4)
    assert not isinstance(info.value, ShopUnavailable)
    assert shop_client.request_count == 1  # never re-posted blindly
    # It was applied: this is why the caller must re-read before posting again.
    assert fake_shop.order(order_id)["current_state"] == 4
    states = [h["id_order_state"] for h in shop_client.get_order_histories(order_id)]
    assert states == [2, 4]


def test_write_timeout_is_uncertain(make_client, fake_shop):
    client = make_client(timeout=(2.0, 0.3))
    order_id = fake_shop.add_order()
    fake_shop.faults.apply_then_drop_next(hang=1.0, method="POST")
    with pytest.raises(ShopWriteUncertain, match="timed out"):
        client.add_order_history(order_id, 4)
    assert client.request_count == 1
    assert fake_shop.order(order_id)["current_state"] == 4


def test_post_failing_with_500_notice_is_uncertain(shop_client, fake_shop):
    order_id = fake_shop.add_order()
    fake_shop.faults.fail_next(1, status=500, method="POST")
    with pytest.raises(ShopWriteUncertain) as info:
        shop_client.add_order_history(order_id, 4)
    assert info.value.status == 500
    assert shop_client.request_count == 1


def test_post_refused_with_503_is_retried(shop_client, fake_shop):
    order_id = fake_shop.add_order()
    fake_shop.faults.fail_next(1, status=503, method="POST")
    shop_client.add_order_history(order_id, 4)
    assert [h["id_order_state"] for h in fake_shop.histories(order_id)] == [2, 4]
    assert shop_client.request_count == 2


def test_put_timeout_is_retried_because_put_is_idempotent(make_client, fake_shop):
    client = make_client(timeout=(2.0, 0.3))
    pid = fake_shop.add_product(quantity=5)
    node = client.get_stock_availables(pid)[0]
    fake_shop.faults.apply_then_drop_next(method="PUT")
    client.update_stock_available({**node, "quantity": 9})
    assert fake_shop.stock(pid)[0]["quantity"] == 9
    assert len(fake_shop.requests_to("stock_availables", "PUT")) == 2


def test_json_body_is_rejected_as_not_applied(shop_client, fake_shop):
    order_id = fake_shop.add_order()
    with pytest.raises(ShopError) as info:
        shop_client.request("POST", "order_histories", body=b'{"order_history": {"id_order": 1}}')
    err = info.value
    assert not isinstance(err, ShopWriteUncertain)
    assert (err.status, err.code) == (500, 127)
    assert len(fake_shop.histories(order_id)) == 1


def test_redirect_error_does_not_carry_the_key(make_client, fake_shop):
    client = make_client(auth_mode="ws_key")
    order_id = fake_shop.add_order()
    key = fake_shop.key
    fake_shop.faults.fail_next(1, status=302, body="", method="POST", headers={
        "Location": f"https://user:pw@www.shop.example/api/order_histories?output_format=JSON&ws_key={key}"})
    with pytest.raises(ShopError) as err:
        client.add_order_history(order_id, 4)
    text = str(err.value)
    assert "redirected to https://www.shop.example/api/order_histories: set base_url" in text
    assert key not in text and "ws_key" not in text and "pw@" not in text


def test_no_error_text_carries_a_url_query_or_the_key(make_client, fake_shop):
    client = make_client(auth_mode="ws_key")
    key = fake_shop.key
    # A shop page echoing the URL it was asked for, as many 404 pages do.
    fake_shop.faults.fail_next(1, status=404, body=f"Not Found: /api/orders?ws_key={key}&output_format=JSON")
    with pytest.raises(ShopNotFound) as err:
        client.get("orders", 1)
    assert key not in str(err.value) and "Not Found: /api/orders" in str(err.value)

    class Failing:
        """A session whose request fails the way requests reports a bad URL: with the URL."""

        def request(self, method, url, params=None, **kw):
            query = "&".join(f"{k}={v}" for k, v in (params or {}).items())
            raise requests.exceptions.InvalidURL(f"Failed to parse: {url}?{query}")

    broken = PrestaShopClient(ShopConfig(client.config.base_url, key, auth_mode="ws_key"), session=Failing())
    with pytest.raises(ShopError, match="could not be sent") as err:
        broken.list("orders")
    assert key not in str(err.value) and "ws_key" not in str(err.value)
    assert f"Failed to parse: {client.config.base_url}/orders" in str(err.value)


def test_redirect_on_write_is_not_followed(shop_client, fake_shop):
    order_id = fake_shop.add_order()
    fake_shop.faults.fail_next(1, status=301, body="", headers={"Location": "https://shop.example/api/order_histories"},
                               method="POST")
    with pytest.raises(ShopError, match="redirected to https://shop.example"):
        shop_client.add_order_history(order_id, 4)
    assert shop_client.request_count == 1
    assert len(fake_shop.histories(order_id)) == 1
