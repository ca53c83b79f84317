"""Unit tests for the pure PrestaShop mapping functions."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import pytest

from wms.integrations.prestashop.mapping import (
    ShopOrderLine,
    SkuCandidate,
    coerce_bool,
    coerce_decimal,
    coerce_int,
    map_address,
    map_carrier,
    map_customer,
    map_order,
    map_order_state,
    map_stock_available,
    parse_ps_datetime,
    sku_candidates,
    translated,
)

ORDER_17 = {
    "id": "5",
    "reference": "XKBKNABJK",
    "current_state": "2",
    "id_customer": "3",
    "id_address_delivery": "7",
    "id_carrier": "2",
    "id_currency": "1",
    "id_lang": "1",
    "id_shop": "1",
    "valid": "1",
    "payment": "Bank wire",
    "module": "ps_wirepayment",
    "total_paid_tax_incl": "20.230000",
    "total_shipping_tax_incl": "4.990000",
    "date_add": "2026-05-01 10:00:00",
    "date_upd": "2026-05-02 11:30:15",
    "associations": {
        "order_rows": [
            {
                "id": "11",
                "product_id": "12",
                "product_attribute_id": "0",
                "product_quantity": "2",
                "product_name": "Mug",
                "product_reference": "MUG-01",
                "product_ean13": "3000000000017",
                "product_upc": "",
                "unit_price_tax_incl": "7.620000",
            },
            {
                "id": "12",
                "product_id": "13",
                "product_attribute_id": "4",
                "product_quantity": "1",
                "product_name": "T-shirt - Size M",
                "product_reference": "TS-M",
                "product_ean13": "",
                "product_upc": "012345678905",
                "unit_price_tax_incl": "0.000000",
            },
        ]
    },
}

# The same order as a PrestaShop 8 shop writes it: ids as ints, flags and money as strings.
ORDER_8 = {
    **{k: v for k, v in ORDER_17.items() if k != "associations"},
    "id": 5, "current_state": 2, "id_customer": 3, "id_address_delivery": 7, "id_carrier": 2,
    "id_currency": 1, "id_lang": 1, "id_shop": 1,
    "associations": {
        "order_rows": [
            {**row, "id": int(row["id"]), "product_id": int(row["product_id"]),
             "product_attribute_id": int(row["product_attribute_id"]),
             "product_quantity": int(row["product_quantity"])}
            for row in ORDER_17["associations"]["order_rows"]
        ]
    },
}


@pytest.mark.parametrize(
    ("value", "expected"),
    [("2", 2), (2, 2), (" 7 ", 7), ("-3", -3), ("3.000000", 3), (4.0, 4), (None, 0), ("", 0), (True, 1)],
)
def test_coerce_int_accepts_shop_shapes(value, expected):
    assert coerce_int(value) == expected


def test_coerce_int_uses_default_for_missing_values():
    assert coerce_int(None, default=-1) == -1
    assert coerce_int("  ", default=9) == 9


@pytest.mark.parametrize("value", ["abc", "2.5", 2.5, "1e", "0x10"])
def test_coerce_int_rejects_non_integers(value):
    with pytest.raises(ValueError, match="whole number"):
        coerce_int(value)


@pytest.mark.parametrize(
    ("value", "expected"),
    [("20.230000", Decimal("20.23")), (20.23, Decimal("20.23")), (3, Decimal(3)), (None, Decimal(0)),
     ("", Decimal(0)), (Decimal("1.5"), Decimal("1.5")), ("-0.500000", Decimal("-0.5"))],
)
def test_coerce_decimal_accepts_money_strings(value, expected):
    result = coerce_decimal(value)
    assert isinstance(result, Decimal)
    assert result == expected


def test_coerce_decimal_keeps_float_digits_exact():
    # Decimal(0.1) would give 0.1000000000000000055511151231257827...
    assert str(coerce_decimal(0.1)) == "0.1"


@pytest.mark.parametrize("value", ["twenty", "NaN", "Infinity", True])
def test_coerce_decimal_rejects_non_amounts(value):
    with pytest.raises(ValueError, match="amount"):
        coerce_decimal(value)


@pytest.mark.parametrize(("value", "expected"), [("1", True), ("0", False), (1, True), (0, False), (None, False), ("", False), (True, True)])
def test_coerce_bool(value, expected):
    assert coerce_bool(value) is expected


def test_coerce_bool_rejects_garbage():
    with pytest.raises(ValueError):
        coerce_bool("maybe")


def test_parse_ps_datetime():
    assert parse_ps_datetime("2026-05-01 10:00:00") == datetime(2026, 5, 1, 10, 0, 0)
    assert parse_ps_datetime("2026-05-01") == datetime(2026, 5, 1)
    assert parse_ps_datetime("0000-00-00 00:00:00") is None
    assert parse_ps_datetime("0000-00-00") is None
    assert parse_ps_datetime("") is None
    assert parse_ps_datetime(None) is None


@pytest.mark.parametrize("value", ["01/05/2026", "2026-13-01 00:00:00", "yesterday"])
def test_parse_ps_datetime_rejects_other_formats(value):
    with pytest.raises(ValueError, match="2026-05-01 10:00:00"):
        parse_ps_datetime(value)


def test_translated_plain_string_and_language_lists():
    names = [{"id": "1", "value": "Shipped"}, {"id": 2, "value": "Expédié"}]
    assert translated("Shipped") == "Shipped"
    assert translated(names) == "Shipped"
    assert translated(names, lang_id=2) == "Expédié"
    assert translated(names, lang_id=1) == "Shipped"
    # An unknown language falls back to the first rather than to nothing.
    assert translated(names, lang_id=9) == "Shipped"
    assert translated([]) == ""
    assert translated(None) == ""
    assert translated({"language": names}, lang_id=2) == "Expédié"


def test_map_order_from_17_strings_and_8_ints_is_the_same():
    order_17 = map_order(ORDER_17)
    order_8 = map_order(ORDER_8)
    assert order_17 == order_8
    assert order_17.id == 5
    assert order_17.current_state == 2
    assert order_17.id_address_delivery == 7
    assert order_17.total_paid_tax_incl == Decimal("20.23")
    assert order_17.total_shipping_tax_incl == Decimal("4.99")
    assert order_17.valid is True
    assert order_17.date_upd == datetime(2026, 5, 2, 11, 30, 15)
    first, second = order_17.lines
    assert first == ShopOrderLine(
        id=11, product_id=12, combination_id=0, quantity=2, name="Mug", reference="MUG-01",
        ean13="3000000000017", upc="", unit_price=Decimal("7.62"),
    )
    assert second.combination_id == 4
    assert second.unit_price == Decimal("0")


def test_map_order_without_associations_has_no_lines():
    raw = {k: v for k, v in ORDER_17.items() if k != "associations"}
    order = map_order(raw)
    assert order.lines == ()
    assert order.reference == "XKBKNABJK"


def test_map_order_accepts_single_get_envelope_with_dropped_fields():
    # A single-object GET drops zero fields: valid "0" and id_carrier 0 simply vanish.
    raw = {"order": {"id": 9, "reference": "ABC", "current_state": 1, "date_add": "0000-00-00 00:00:00"}}
    order = map_order(raw)
    assert order.id == 9
    assert order.valid is False
    assert order.id_carrier == 0
    assert order.total_paid_tax_incl == Decimal("0")
    assert order.date_add is None
    assert order.lines == ()


def test_map_order_xml_shaped_single_row():
    raw = {**ORDER_8, "associations": {"order_rows": {"order_row": ORDER_8["associations"]["order_rows"][0]}}}
    assert [line.id for line in map_order(raw).lines] == [11]


def test_map_order_rejects_nodes_without_id():
    with pytest.raises(ValueError, match="without an id"):
        map_order({"reference": "X"})
    with pytest.raises(ValueError):
        map_order(["not", "a", "dict"])


def test_map_order_rejects_bad_numbers_instead_of_guessing():
    with pytest.raises(ValueError, match="amount"):
        map_order({**ORDER_8, "total_paid_tax_incl": "twenty"})


def test_map_address_with_country_iso():
    raw = {
        "id": "7", "id_customer": "3", "firstname": "Jane ", "lastname": "Doe", "company": "",
        "address1": "1 rue de la Paix", "address2": "", "postcode": "75002", "city": "Paris",
        "id_country": "8", "id_state": "0", "phone": "0102030405", "phone_mobile": "",
    }
    address = map_address(raw, {8: "fr"})
    assert address.id == 7
    assert address.firstname == "Jane"
    assert address.id_country == 8
    assert address.country_iso == "FR"
    assert map_address(raw).country_iso == ""
    assert map_address(raw, {1: "DE"}).country_iso == ""


def test_map_customer_carrier_state_and_stock():
    customer = map_customer({"id": 3, "email": "jane@example.com", "firstname": "Jane", "lastname": "Doe"})
    assert customer.email == "jane@example.com"

    carrier = map_carrier({"id": "9", "id_reference": "2", "name": "Colissimo", "url": "https://t.example/?n=@",
                           "deleted": "0", "active": "1"})
    assert carrier.id_reference == 2
    assert carrier.tracking_url("6A123") == "https://t.example/?n=6A123"
    assert carrier.tracking_url("") == ""
    # A carrier read through a single GET lost its id_reference: it is its own reference.
    assert map_carrier({"id": 4, "name": "X"}).id_reference == 4

    state = map_order_state({"id": 4, "name": [{"id": 1, "value": "Shipped"}, {"id": 2, "value": "Expédié"}],
                             "paid": "1", "shipped": "1", "delivery": "1", "send_email": "1", "deleted": "0"},
                            lang_id=2)
    assert (state.name, state.paid, state.shipped, state.deleted) == ("Expédié", True, True, False)

    node = {"id": "30", "id_product": "12", "id_product_attribute": "0", "id_shop": "1",
            "id_shop_group": "0", "quantity": "-2", "depends_on_stock": "0", "out_of_stock": "2"}
    stock = map_stock_available(node)
    assert (stock.product_id, stock.combination_id, stock.id_shop, stock.quantity) == (12, 0, 1, -2)
    assert stock.raw == node


def _line(**overrides) -> ShopOrderLine:
    values = dict(id=1, product_id=12, combination_id=4, quantity=1, name="T-shirt", reference="TS-M",
                  ean13="3000000000017", upc="", unit_price=Decimal("10"))
    values.update(overrides)
    return ShopOrderLine(**values)


def test_sku_candidates_order_reference_ean_then_ids():
    assert sku_candidates(_line()) == [
        SkuCandidate("reference", "TS-M"),
        SkuCandidate("ean13", "3000000000017"),
        SkuCandidate("ids", (12, 4)),
    ]


def test_sku_candidates_skip_empty_and_zero_values():
    assert sku_candidates(_line(reference="  ", ean13="0")) == [SkuCandidate("ids", (12, 4))]
    assert sku_candidates(_line(reference="", ean13="0000000000000", combination_id=0)) == [SkuCandidate("ids", (12, 0))]
    assert sku_candidates(_line(ean13="not-a-barcode")) == [SkuCandidate("reference", "TS-M"), SkuCandidate("ids", (12, 4))]
    assert sku_candidates(_line(reference="", ean13="", product_id=0)) == []
