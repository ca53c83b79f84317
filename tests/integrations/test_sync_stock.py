"""Test the stock push and the difference report against the fake shop."""
from __future__ import annotations

import pytest

from tests.integrations.sync_helpers import client_for, configure_shop, mirror_catalog
from wms.db import db
from wms.domain.inventory.services import receive
from wms.domain.locations.models import LocationKind
from wms.integrations.prestashop.sync import import_orders, push_stock, stock_differences


@pytest.fixture
def settings(app, fake_shop, shop_url):
    return configure_shop(app, shop_url, fake_shop.key)


@pytest.fixture
def client(settings):
    c = client_for(settings)
    yield c
    c.close()


@pytest.fixture
def stocked(fake_shop, settings, client, make_location):
    """STK-1: 20 sellable + 5 in quarantine; one imported order of 2, one unpaid shop order of 3."""
    p1 = fake_shop.add_product(reference="STK-1", ean13="3000000000109", quantity=50)
    p2 = fake_shop.add_product(reference="STK-2", quantity=0)
    fake_shop.add_combination(p2, reference="STK-2-1", quantity=7)
    fake_shop.add_order(lines=[{"product_id": p1, "quantity": 2}], state=2)
    fake_shop.add_order(lines=[{"product_id": p1, "quantity": 3}], state=10)
    products = mirror_catalog(fake_shop)
    receive(products["STK-1"], make_location("A-01-01-1", kind=LocationKind.PICK_FACE), 20)
    receive(products["STK-1"], make_location("QUA-01", kind=LocationKind.QUARANTINE), 5)
    receive(products["STK-2-1"], make_location("A-01-02-1", kind=LocationKind.STORAGE), 4)
    db.session.commit()
    import_orders(settings, client)
    return {"p1": p1, "p2": p2, **products}


def test_push_sends_available_quantity_as_whole_node_for_changed_skus_only(fake_shop, settings, client, stocked):
    result = push_stock(settings, client)
    assert result.pushed == 2 and result.missing_in_shop == []
    row = fake_shop.stock(stocked["p1"])[0]
    # 20 sellable - 2 in the imported order - 3 in the unpaid shop order; quarantine is not for sale.
    assert row["quantity"] == 15
    assert row["id_shop"] == 1 and row["out_of_stock"] == 2  # the whole node went back
    combo_id = next(iter(fake_shop.tables["combinations"]))
    assert fake_shop.stock(stocked["p2"], combo_id)[0]["quantity"] == 4

    puts = len(fake_shop.requests_to("stock_availables", "PUT"))
    again = push_stock(settings, client)
    assert (again.pushed, again.unchanged) == (0, 2)
    assert len(fake_shop.requests_to("stock_availables", "PUT")) == puts

    receive(stocked["STK-2-1"], _bin("A-01-02-1"), 6)
    db.session.commit()
    third = push_stock(settings, client)
    assert (third.pushed, third.unchanged) == (1, 1)
    assert fake_shop.stock(stocked["p2"], combo_id)[0]["quantity"] == 10
    puts_after = fake_shop.requests_to("stock_availables", "PUT")[puts:]
    assert len(puts_after) == 1 and b"<id_shop>1</id_shop>" in puts_after[0].body


def test_difference_report_lists_skus_where_shop_and_warehouse_disagree(fake_shop, settings, client, stocked):
    before = {d.sku: (d.shop_quantity, d.wms_available) for d in stock_differences(settings, client)}
    assert before == {"STK-1": (45, 15), "STK-2-1": (7, 4)}
    push_stock(settings, client)
    assert stock_differences(settings, client) == []
    with fake_shop._lock:  # a back-office edit of the shop's stock
        for row in fake_shop.tables["stock_availables"].values():
            if row["id_product"] == stocked["p1"]:
                row["quantity"] = 99
    [diff] = stock_differences(settings, client)
    assert (diff.sku, diff.shop_quantity, diff.wms_available, diff.difference) == ("STK-1", 99, 15, 84)


def _bin(code):
    from wms.domain.locations.services import location_by_code

    return location_by_code(code)


def test_pushed_stock_is_the_sum_over_sellable_sites(fake_shop, settings, client, stocked, make_warehouse):
    from wms.domain.locations.models import Location

    lyon = make_warehouse("LYO", "Lyon")
    returns_site = make_warehouse("RET", "Returns site", sellable=False)
    for code, site in (("B-01-01-1", lyon), ("C-01-01-1", returns_site)):
        db.session.add(Location(warehouse_id=site.id, code=code, kind=LocationKind.STORAGE))
    db.session.flush()
    receive(stocked["STK-1"], _bin("B-01-01-1"), 8)
    receive(stocked["STK-1"], _bin("C-01-01-1"), 30)
    db.session.commit()
    push_stock(settings, client)
    # 20 in the first site + 8 in Lyon - 2 imported - 3 unpaid; the returns site is not for sale.
    assert fake_shop.stock(stocked["p1"])[0]["quantity"] == 23
    lyon.sellable = False
    db.session.commit()
    push_stock(settings, client)
    assert fake_shop.stock(stocked["p1"])[0]["quantity"] == 15
    # Lyon alone: 8 - 2 - 3.
    lyon.sellable = True
    first = db.session.get(Location, _bin("A-01-01-1").id).warehouse
    first.sellable = False
    db.session.commit()
    push_stock(settings, client)
    assert fake_shop.stock(stocked["p1"])[0]["quantity"] == 3
    # Never negative: no sellable site left, 5 units still promised.
    lyon.sellable = False
    db.session.commit()
    push_stock(settings, client)
    assert fake_shop.stock(stocked["p1"])[0]["quantity"] == 0
