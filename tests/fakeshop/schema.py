"""Describe the fake shop's resources: fields, types, allowed methods and seed data."""

from __future__ import annotations

from dataclasses import dataclass

# Field types decide how a value is rendered for each PrestaShop version.
INT = "int"  # ids and counters: strings on 1.7, ints on 8
BOOL = "bool"  # flags: "1"/"0" on both
MONEY = "money"  # "20.230000" on both
STR = "str"
DATE = "date"  # "2026-05-01 10:00:00", unset = "0000-00-00 00:00:00"
LANG = "lang"  # translated: str with one language, [{id, value}] with several

ZERO_DATE = "0000-00-00 00:00:00"


@dataclass(frozen=True)
class Resource:
    """One webservice resource of the fake shop."""

    name: str
    singular: str
    fields: dict[str, str]
    methods: frozenset[str]
    # Association name -> (row node name, row fields); empty associations are omitted.
    associations: dict[str, tuple[str, dict[str, str]]]
    patch_since_8: bool = True


def _resource(name, singular, fields, methods, associations=None):
    return Resource(
        name=name,
        singular=singular,
        fields=fields,
        methods=frozenset(methods),
        associations=associations or {},
    )


ORDER_ROW_FIELDS = {
    "id": INT,
    "product_id": INT,
    "product_attribute_id": INT,
    "product_quantity": INT,
    "product_name": STR,
    "product_reference": STR,
    "product_ean13": STR,
    "product_isbn": STR,
    "product_upc": STR,
    "product_price": MONEY,
    "id_customization": INT,
    "unit_price_tax_incl": MONEY,
    "unit_price_tax_excl": MONEY,
}

RESOURCES: dict[str, Resource] = {
    r.name: r
    for r in [
        _resource(
            "orders",
            "order",
            {
                "id": INT, "id_address_delivery": INT, "id_address_invoice": INT, "id_cart": INT,
                "id_currency": INT, "id_lang": INT, "id_customer": INT, "id_carrier": INT,
                "current_state": INT, "module": STR, "invoice_number": INT, "invoice_date": DATE,
                "delivery_number": INT, "delivery_date": DATE, "valid": BOOL, "date_add": DATE,
                "date_upd": DATE, "shipping_number": STR, "id_shop_group": INT, "id_shop": INT,
                "secure_key": STR, "payment": STR, "recyclable": BOOL, "gift": BOOL,
                "gift_message": STR, "mobile_theme": BOOL, "total_discounts": MONEY,
                "total_discounts_tax_incl": MONEY, "total_discounts_tax_excl": MONEY,
                "total_paid": MONEY, "total_paid_tax_incl": MONEY, "total_paid_tax_excl": MONEY,
                "total_paid_real": MONEY, "total_products": MONEY, "total_products_wt": MONEY,
                "total_shipping": MONEY, "total_shipping_tax_incl": MONEY,
                "total_shipping_tax_excl": MONEY, "carrier_tax_rate": MONEY,
                "total_wrapping": MONEY, "conversion_rate": MONEY, "reference": STR,
            },
            {"GET", "POST", "PUT", "PATCH", "DELETE"},
            {"order_rows": ("order_row", ORDER_ROW_FIELDS)},
        ),
        _resource(
            "addresses",
            "address",
            {
                "id": INT, "id_customer": INT, "id_manufacturer": INT, "id_supplier": INT,
                "id_warehouse": INT, "id_country": INT, "id_state": INT, "alias": STR,
                "company": STR, "lastname": STR, "firstname": STR, "vat_number": STR,
                "address1": STR, "address2": STR, "postcode": STR, "city": STR, "other": STR,
                "phone": STR, "phone_mobile": STR, "dni": STR, "deleted": BOOL,
                "date_add": DATE, "date_upd": DATE,
            },
            {"GET", "POST", "PUT", "PATCH", "DELETE"},
        ),
        _resource(
            "customers",
            "customer",
            {
                "id": INT, "id_default_group": INT, "id_lang": INT, "newsletter_date_add": DATE,
                "last_passwd_gen": DATE, "secure_key": STR, "deleted": BOOL, "passwd": STR,
                "lastname": STR, "firstname": STR, "email": STR, "id_gender": INT,
                "birthday": STR, "newsletter": BOOL, "optin": BOOL, "active": BOOL,
                "is_guest": BOOL, "id_shop": INT, "id_shop_group": INT, "date_add": DATE,
                "date_upd": DATE,
            },
            {"GET", "POST", "PUT", "PATCH", "DELETE"},
        ),
        _resource(
            "countries",
            "country",
            {
                "id": INT, "id_zone": INT, "id_currency": INT, "call_prefix": INT,
                "iso_code": STR, "active": BOOL, "contains_states": BOOL,
                "need_identification_number": BOOL, "need_zip_code": BOOL,
                "zip_code_format": STR, "display_tax_label": BOOL, "name": LANG,
            },
            {"GET", "POST", "PUT", "PATCH", "DELETE"},
        ),
        # The shop's installed languages; orders, customers and carts carry an id_lang.
        _resource(
            "languages",
            "language",
            {
                "id": INT, "name": STR, "iso_code": STR, "locale": STR, "language_code": STR,
                "active": BOOL, "is_rtl": BOOL, "date_format_lite": STR, "date_format_full": STR,
            },
            {"GET", "POST", "PUT", "PATCH", "DELETE"},
        ),
        _resource(
            "carriers",
            "carrier",
            {
                "id": INT, "deleted": BOOL, "is_module": BOOL, "id_tax_rules_group": INT,
                "id_reference": INT, "name": STR, "active": BOOL, "is_free": BOOL, "url": STR,
                "shipping_handling": BOOL, "shipping_external": BOOL, "range_behavior": BOOL,
                "shipping_method": INT, "max_width": INT, "max_height": INT, "max_depth": INT,
                "max_weight": MONEY, "grade": INT, "external_module_name": STR,
                "need_range": BOOL, "position": INT, "delay": LANG,
            },
            {"GET", "POST", "PUT", "PATCH", "DELETE"},
        ),
        _resource(
            "order_carriers",
            "order_carrier",
            {
                "id": INT, "id_order": INT, "id_carrier": INT, "id_order_invoice": INT,
                "weight": MONEY, "shipping_cost_tax_excl": MONEY, "shipping_cost_tax_incl": MONEY,
                "tracking_number": STR, "date_add": DATE,
            },
            {"GET", "POST", "PUT", "PATCH", "DELETE"},
        ),
        _resource(
            "order_histories",
            "order_history",
            {"id": INT, "id_employee": INT, "id_order_state": INT, "id_order": INT, "date_add": DATE},
            {"GET", "POST"},
        ),
        _resource(
            "order_states",
            "order_state",
            {
                "id": INT, "unremovable": BOOL, "delivery": BOOL, "hidden": BOOL,
                "send_email": BOOL, "module_name": STR, "invoice": BOOL, "color": STR,
                "logable": BOOL, "shipped": BOOL, "paid": BOOL, "pdf_delivery": BOOL,
                "pdf_invoice": BOOL, "deleted": BOOL, "name": LANG, "template": LANG,
            },
            {"GET", "POST", "PUT", "PATCH", "DELETE"},
        ),
        _resource(
            "stock_availables",
            "stock_available",
            {
                "id": INT, "id_product": INT, "id_product_attribute": INT, "id_shop": INT,
                "id_shop_group": INT, "quantity": INT, "depends_on_stock": BOOL,
                "out_of_stock": INT, "location": STR,
            },
            {"GET", "PUT", "PATCH"},
        ),
        _resource(
            "products",
            "product",
            {
                "id": INT, "id_manufacturer": INT, "id_supplier": INT, "id_category_default": INT,
                "reference": STR, "ean13": STR, "upc": STR, "price": MONEY, "weight": MONEY,
                "active": BOOL, "name": LANG, "date_add": DATE, "date_upd": DATE,
            },
            {"GET", "POST", "PUT", "PATCH", "DELETE"},
            {
                "combinations": ("combination", {"id": INT}),
                "stock_availables": ("stock_available", {"id": INT, "id_product_attribute": INT}),
            },
        ),
        # Merchandise returns (a customer's return request from their account, once the
        # merchant enables returns), and order messages (private notes on an order).
        # A shop may not expose order_returns (FakeShop.hidden_resources).
        _resource(
            "order_returns",
            "order_return",
            {"id": INT, "id_customer": INT, "id_order": INT, "state": INT, "question": STR,
             "date_add": DATE, "date_upd": DATE},
            {"GET", "PUT", "PATCH"},
            {"order_return_details": ("order_return_detail",
                                      {"id_order_detail": INT, "product_quantity": INT})},
        ),
        _resource(
            "messages",
            "message",
            {"id": INT, "id_cart": INT, "id_order": INT, "id_customer": INT, "id_employee": INT,
             "message": STR, "private": BOOL, "date_add": DATE},
            {"GET", "POST"},
        ),
        _resource(
            "combinations",
            "combination",
            {
                "id": INT, "id_product": INT, "reference": STR, "ean13": STR, "upc": STR,
                "price": MONEY, "weight": MONEY, "quantity": INT, "default_on": BOOL,
            },
            {"GET", "POST", "PUT", "PATCH", "DELETE"},
        ),
    ]
}

# (id, name, paid, shipped, delivery, send_email, template) as in a fresh 1.7/8 install.
ORDER_STATES = [
    (1, "Awaiting check payment", 0, 0, 0, 1, "cheque"),
    (2, "Payment accepted", 1, 0, 0, 1, "payment"),
    (3, "Processing in progress", 1, 0, 1, 1, "preparation"),
    (4, "Shipped", 1, 1, 1, 1, "shipped"),
    (5, "Delivered", 1, 1, 1, 0, ""),
    (6, "Canceled", 0, 0, 0, 1, "order_canceled"),
    (7, "Refunded", 0, 0, 0, 1, "refund"),
    (8, "Payment error", 0, 0, 0, 1, "payment_error"),
    (9, "On backorder (paid)", 1, 0, 0, 1, "outofstock"),
    (10, "Awaiting bank wire payment", 0, 0, 0, 1, "bankwire"),
    (11, "Remote payment accepted", 1, 0, 0, 1, "payment"),
    (12, "On backorder (not paid)", 0, 0, 0, 1, "outofstock"),
    (13, "Awaiting Cash On Delivery validation", 0, 0, 0, 1, "cashondelivery"),
]

# Merchandise return states of a fresh install: (id, name).
ORDER_RETURN_STATES = [(1, "Waiting for confirmation"), (2, "Waiting for package"), (3, "Package received"),
                       (4, "Return denied"), (5, "Return completed")]

# (id, iso_code, name)
COUNTRIES = [(1, "DE", "Germany"), (8, "FR", "France"), (17, "GB", "United Kingdom"), (21, "US", "United States")]

# (id, iso_code, name, locale, date_format_lite) as a shop installs them; FakeShop(languages=n)
# installs the first n.
LANGUAGES = [
    (1, "en", "English (English)", "en-US", "m/d/Y"),
    (2, "fr", "Français (French)", "fr-FR", "d/m/Y"),
    (3, "de", "Deutsch (German)", "de-DE", "d.m.Y"),
    (4, "es", "Español (Spanish)", "es-ES", "d/m/Y"),
    (5, "it", "Italiano (Italian)", "it-IT", "d/m/Y"),
]

# (id, id_reference, name, url, deleted, active)
CARRIERS = [
    (1, 1, "Click and collect", "", 0, 1),
    (2, 2, "My carrier", "https://track.example/?n=@", 0, 1),
]
