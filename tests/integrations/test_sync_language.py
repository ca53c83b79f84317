"""The order's language comes from the shop: id_lang mapped to its ISO code through the
languages resource, asked once per language in a run; an unknown one leaves None (issue 18)."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.fakeshop import FakeShop
from tests.integrations.sync_helpers import client_for, configure_shop, mirror_catalog
from wms.db import db
from wms.domain.orders.models import Order
from wms.integrations.prestashop.mapping import map_language
from wms.integrations.prestashop.sync import import_order_ids, import_orders


@pytest.fixture
def fake_shop() -> FakeShop:
    return FakeShop(languages=3)  # en (1), fr (2), de (3)


@pytest.fixture
def settings(app, fake_shop, shop_url):
    return configure_shop(app, shop_url, fake_shop.key, PRESTASHOP_PAGE_SIZE=2)


@pytest.fixture
def client(settings):
    c = client_for(settings)
    yield c
    c.close()


def languages_of() -> dict[int, str | None]:
    return dict(db.session.execute(select(Order.ps_order_id, Order.language)).all())


def test_import_stores_each_orders_language_with_one_request_per_language(app, fake_shop, settings, client):
    ids = [fake_shop.add_order(lang_id=lang) for lang in (2, 1, 2, 3, 2, 1, 2)]
    mirror_catalog(fake_shop)
    result = import_orders(settings, client)
    assert result.imported == 7 and not result.errors
    assert result.pages >= 3  # several pages, one languages read each only for what is new
    assert languages_of() == dict(zip(ids, ["fr", "en", "fr", "de", "fr", "en", "fr"]))
    asked = [r for r in fake_shop.requests_to("languages")]
    assert all(r.ident is None and r.query["display"] == "[id,iso_code]" for r in asked)
    # Each language asked once in the run, however many orders and pages speak it.
    asked_ids = [i for r in asked for i in r.query["filter[id]"].strip("[]").split("|")]
    assert sorted(asked_ids) == ["1", "2", "3"]


def test_unknown_or_missing_language_leaves_none_and_never_fails(app, fake_shop, settings, client):
    gone = fake_shop.add_order(lang_id=9)  # a language deleted since
    none = fake_shop.add_order(lang_id=0)
    fine = fake_shop.add_order(lang_id=2)
    mirror_catalog(fake_shop)
    result = import_orders(settings, client)
    assert result.imported == 3 and not result.errors
    assert languages_of() == {gone: None, none: None, fine: "fr"}


def test_a_shop_refusing_the_languages_resource_still_imports(app, fake_shop, settings, client):
    fake_shop.permissions = {name: {"GET", "PUT", "PATCH", "POST"} for name in
                             ("orders", "addresses", "customers", "countries", "carriers",
                              "order_states", "stock_availables", "products", "combinations")}
    order_id = fake_shop.add_order(lang_id=2)
    mirror_catalog(fake_shop)
    result = import_orders(settings, client)
    assert result.imported == 1 and not result.errors
    assert languages_of() == {order_id: None}
    assert [r.resource for r in fake_shop.requests_to("languages")] == ["languages"]


def test_an_order_imported_before_languages_learns_its_language_at_its_next_change(
        app, fake_shop, settings, client):
    order_id = fake_shop.add_order(lang_id=2)
    mirror_catalog(fake_shop)
    import_orders(settings, client)
    order = db.session.execute(select(Order)).scalar_one()
    order.language = None  # as imported before this column existed
    db.session.commit()
    fake_shop.set_order_state(order_id, 3)
    import_order_ids(settings, client, [order_id])
    db.session.commit()
    assert languages_of() == {order_id: "fr"}


@pytest.mark.parametrize(("node", "expected"), [
    ({"id": "2", "iso_code": "fr"}, (2, "fr")),
    ({"language": {"id": 3, "iso_code": "PT-br"}}, (3, "pt-br")),
    ({"id": 4, "iso_code": ""}, (4, None)),
    ({"id": 5}, (5, None)),
    ({"id": 6, "iso_code": "not a code"}, (6, None)),
])
def test_map_language(node, expected):
    assert map_language(node) == expected


def test_the_fake_shop_answers_languages_like_the_real_one(fake_shop, shop_client):
    rows = shop_client.list("languages", {"id": [2, 3, 99]}, display=["id", "iso_code"])
    assert rows == [{"id": 2, "iso_code": "fr"}, {"id": 3, "iso_code": "de"}]
    single = shop_client.get("languages", 1)
    assert single["iso_code"] == "en" and single["locale"] == "en-US"
    assert "is_rtl" not in single  # a single GET drops the fields equal to 0
    assert shop_client.list("languages", {"id": [99]}) == []
    added = fake_shop.add_language("pl", "Polski (Polish)")
    assert shop_client.get_languages([added]) == [{"id": added, "iso_code": "pl"}]
