"""Turn PrestaShop webservice JSON into plain dataclasses the WMS can use (pure, no I/O)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

__all__ = [
    "ShopAddress",
    "ShopCarrier",
    "ShopCustomer",
    "ShopOrder",
    "ShopOrderLine",
    "ShopOrderState",
    "ShopStockAvailable",
    "SkuCandidate",
    "coerce_bool",
    "coerce_decimal",
    "coerce_int",
    "coerce_str",
    "map_address",
    "map_carrier",
    "map_customer",
    "map_language",
    "map_order",
    "map_order_line",
    "map_order_state",
    "map_stock_available",
    "parse_ps_datetime",
    "sku_candidates",
    "translated",
]

# PrestaShop writes "never set" dates as zeros instead of NULL.
_ZERO_DATES = {"0000-00-00 00:00:00", "0000-00-00"}
_DIGITS = re.compile(r"^[0-9]+$")


def coerce_int(value: Any, default: int = 0) -> int:
    """Return ``value`` as an int, accepting 1.7 strings ("2"), 8.x ints and "3.000000"."""
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if value.is_integer():
            return int(value)
        raise ValueError(f"expected a whole number from the shop, got {value!r}")
    if isinstance(value, str):
        text = value.strip()
        if text == "":
            return default
        try:
            return int(text)
        except ValueError:
            pass
        try:
            number = Decimal(text)
        except InvalidOperation:
            raise ValueError(f"expected a whole number from the shop, got {value!r}") from None
        if number == number.to_integral_value():
            return int(number)
    raise ValueError(f"expected a whole number from the shop, got {value!r}")


def coerce_decimal(value: Any, default: Decimal | None = None) -> Decimal:
    """Return ``value`` as a Decimal, accepting money strings such as "20.230000"."""
    fallback = Decimal("0") if default is None else default
    if value is None or (isinstance(value, str) and value.strip() == ""):
        return fallback
    if isinstance(value, bool):
        raise ValueError(f"expected an amount from the shop, got {value!r}")
    if isinstance(value, Decimal):
        return value
    if isinstance(value, int):
        return Decimal(value)
    # str() first so a float 20.23 becomes Decimal("20.23"), not its binary expansion.
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        raise ValueError(f"expected an amount from the shop, got {value!r}") from None
    if not number.is_finite():
        raise ValueError(f"expected a finite amount from the shop, got {value!r}")
    return number


def coerce_bool(value: Any) -> bool:
    """Return ``value`` as a bool, accepting "1"/"0", 1/0, true/false and missing (False)."""
    if value is None or value == "":
        return False
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        text = value.strip().lower()
        if text in {"1", "true", "yes"}:
            return True
        if text in {"0", "false", "no"}:
            return False
        raise ValueError(f"expected a 0/1 flag from the shop, got {value!r}")
    return coerce_int(value) != 0


def coerce_str(value: Any) -> str:
    """Return ``value`` as a stripped string ("" for None)."""
    if value is None:
        return ""
    return str(value).strip()


def parse_ps_datetime(value: Any) -> datetime | None:
    """Parse a shop date ("2026-05-01 10:00:00"); "0000-00-00 00:00:00" and empty give None.

    The result is naive: the shop writes its own local time, without a zone.
    """
    if value is None:
        return None
    if isinstance(value, datetime):
        return value
    text = str(value).strip()
    if text == "" or text in _ZERO_DATES or text.startswith("0000-00-00"):
        return None
    for fmt in ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d"):
        try:
            return datetime.strptime(text, fmt)
        except ValueError:
            continue
    raise ValueError(f"expected a date like 2026-05-01 10:00:00 from the shop, got {value!r}")


def translated(value: Any, lang_id: int | None = None) -> str:
    """Return one language of a translated field (plain string, or list of {id, value}).

    With several languages and no ``lang_id`` (or an unknown one) the first is used.
    """
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, Mapping):
        # XML-shaped input: {"language": [...]} or a single {"id": .., "value": ..}.
        if "language" in value:
            return translated(value["language"], lang_id)
        if "value" in value:
            return coerce_str(value.get("value"))
        raise ValueError(f"expected a translated field, got {value!r}")
    if isinstance(value, list):
        if not value:
            return ""
        if lang_id is not None:
            for entry in value:
                if isinstance(entry, Mapping) and coerce_int(entry.get("id"), -1) == lang_id:
                    return coerce_str(entry.get("value"))
        first = value[0]
        if isinstance(first, Mapping):
            return coerce_str(first.get("value"))
        return coerce_str(first)
    return str(value)


@dataclass(frozen=True)
class ShopOrderLine:
    """One row of a shop order (an order_detail), with references as sold."""

    id: int
    product_id: int
    combination_id: int
    quantity: int
    name: str
    reference: str
    ean13: str
    upc: str
    unit_price: Decimal


@dataclass(frozen=True)
class ShopOrder:
    """A shop order as the WMS needs it; totals are tax included."""

    id: int
    reference: str
    current_state: int
    id_customer: int
    id_address_delivery: int
    id_carrier: int
    total_paid_tax_incl: Decimal
    total_shipping_tax_incl: Decimal
    date_add: datetime | None
    date_upd: datetime | None
    lines: tuple[ShopOrderLine, ...] = ()
    id_currency: int = 0
    id_lang: int = 0
    id_shop: int = 0
    valid: bool = False
    payment: str = ""
    module: str = ""


@dataclass(frozen=True)
class ShopAddress:
    """A delivery address; ``country_iso`` is filled when the country map is given."""

    id: int
    id_customer: int
    firstname: str
    lastname: str
    company: str
    address1: str
    address2: str
    postcode: str
    city: str
    id_country: int
    id_state: int
    phone: str
    phone_mobile: str
    country_iso: str = ""


@dataclass(frozen=True)
class ShopCustomer:
    """The customer fields the WMS may read (never the password hash)."""

    id: int
    email: str
    firstname: str
    lastname: str


@dataclass(frozen=True)
class ShopCarrier:
    """A shop carrier; map on ``id_reference``, which survives back-office edits."""

    id: int
    id_reference: int
    name: str
    url: str
    deleted: bool
    active: bool

    def tracking_url(self, tracking_number: str) -> str:
        """Return the carrier's tracking URL for a parcel number ("" when none is set)."""
        if not self.url or not tracking_number:
            return ""
        return self.url.replace("@", tracking_number)


@dataclass(frozen=True)
class ShopOrderState:
    """An order state with the flags the import and cancel rules use."""

    id: int
    name: str
    paid: bool
    shipped: bool
    delivery: bool
    send_email: bool
    deleted: bool


@dataclass(frozen=True)
class ShopStockAvailable:
    """A stock_availables row; keep ``raw`` to PUT the whole node back."""

    id: int
    product_id: int
    combination_id: int
    id_shop: int
    id_shop_group: int
    quantity: int
    depends_on_stock: bool
    out_of_stock: int
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)


@dataclass(frozen=True)
class SkuCandidate:
    """One way to find a WMS product for an order line: ``kind`` is reference, ean13 or ids."""

    kind: str
    value: Any


def _unwrap(raw: Any, key: str) -> Mapping[str, Any]:
    """Accept either the node itself or a single-GET envelope {key: node}."""
    if not isinstance(raw, Mapping):
        raise ValueError(f"expected a {key} object from the shop, got {type(raw).__name__}")
    if "id" not in raw and isinstance(raw.get(key), Mapping):
        return raw[key]
    return raw


def _require_id(node: Mapping[str, Any], what: str) -> int:
    ident = coerce_int(node.get("id"))
    if ident <= 0:
        raise ValueError(f"the shop sent a {what} without an id: {dict(node)!r:.200}")
    return ident


def _rows(associations: Any, key: str) -> list[Mapping[str, Any]]:
    """Return association rows as a list, whatever shape the shop used."""
    if not isinstance(associations, Mapping):
        return []
    rows = associations.get(key)
    if rows is None or rows == "":
        return []
    if isinstance(rows, Mapping):
        # XML-shaped: {"order_row": [...]} or one row as a mapping.
        inner = next(iter(rows.values()), None) if len(rows) == 1 else None
        if isinstance(inner, list):
            return [r for r in inner if isinstance(r, Mapping)]
        if isinstance(inner, Mapping) and "id" not in rows:
            return [inner]
        return [rows]
    if isinstance(rows, list):
        return [r for r in rows if isinstance(r, Mapping)]
    raise ValueError(f"unexpected shape for associations.{key}: {type(rows).__name__}")


def map_order_line(row: Mapping[str, Any]) -> ShopOrderLine:
    """Map one ``associations.order_rows`` entry."""
    return ShopOrderLine(
        id=coerce_int(row.get("id")),
        product_id=coerce_int(row.get("product_id")),
        combination_id=coerce_int(row.get("product_attribute_id")),
        quantity=coerce_int(row.get("product_quantity")),
        name=translated(row.get("product_name")).strip(),
        reference=coerce_str(row.get("product_reference")),
        ean13=coerce_str(row.get("product_ean13")),
        upc=coerce_str(row.get("product_upc")),
        unit_price=coerce_decimal(row.get("unit_price_tax_incl")),
    )


def map_order(raw: Mapping[str, Any]) -> ShopOrder:
    """Map an order node (list item or single-GET envelope) to a ShopOrder."""
    node = _unwrap(raw, "order")
    ident = _require_id(node, "order")
    lines = tuple(map_order_line(row) for row in _rows(node.get("associations"), "order_rows"))
    return ShopOrder(
        id=ident,
        reference=coerce_str(node.get("reference")),
        current_state=coerce_int(node.get("current_state")),
        id_customer=coerce_int(node.get("id_customer")),
        id_address_delivery=coerce_int(node.get("id_address_delivery")),
        id_carrier=coerce_int(node.get("id_carrier")),
        total_paid_tax_incl=coerce_decimal(node.get("total_paid_tax_incl")),
        total_shipping_tax_incl=coerce_decimal(node.get("total_shipping_tax_incl")),
        date_add=parse_ps_datetime(node.get("date_add")),
        date_upd=parse_ps_datetime(node.get("date_upd")),
        lines=lines,
        id_currency=coerce_int(node.get("id_currency")),
        id_lang=coerce_int(node.get("id_lang")),
        id_shop=coerce_int(node.get("id_shop")),
        valid=coerce_bool(node.get("valid")),
        payment=coerce_str(node.get("payment")),
        module=coerce_str(node.get("module")),
    )


def map_address(raw: Mapping[str, Any], country_isos: Mapping[int, str] | None = None) -> ShopAddress:
    """Map an address node; ``country_isos`` ({id_country: "FR"}) fills ``country_iso``."""
    node = _unwrap(raw, "address")
    id_country = coerce_int(node.get("id_country"))
    iso = ""
    if country_isos is not None:
        iso = coerce_str(country_isos.get(id_country)).upper()
    return ShopAddress(
        id=_require_id(node, "address"),
        id_customer=coerce_int(node.get("id_customer")),
        firstname=coerce_str(node.get("firstname")),
        lastname=coerce_str(node.get("lastname")),
        company=coerce_str(node.get("company")),
        address1=coerce_str(node.get("address1")),
        address2=coerce_str(node.get("address2")),
        postcode=coerce_str(node.get("postcode")),
        city=coerce_str(node.get("city")),
        id_country=id_country,
        id_state=coerce_int(node.get("id_state")),
        phone=coerce_str(node.get("phone")),
        phone_mobile=coerce_str(node.get("phone_mobile")),
        country_iso=iso,
    )


def map_customer(raw: Mapping[str, Any]) -> ShopCustomer:
    """Map a customer node read with display=[id,email,firstname,lastname]."""
    node = _unwrap(raw, "customer")
    return ShopCustomer(
        id=_require_id(node, "customer"),
        email=coerce_str(node.get("email")),
        firstname=coerce_str(node.get("firstname")),
        lastname=coerce_str(node.get("lastname")),
    )


_LANGUAGE_CODE = re.compile(r"^[a-z]{2,3}(?:-[a-z0-9]{2,4})?$")


def map_language(raw: Mapping[str, Any]) -> tuple[int, str | None]:
    """Map a language node to (id, ISO code such as "fr"); the code is None when the shop gives
    none or something that is not a language code (it is stored on orders, at most 8 chars)."""
    node = _unwrap(raw, "language")
    ident = _require_id(node, "language")
    code = coerce_str(node.get("iso_code")).strip().lower().replace("_", "-")
    return ident, code if len(code) <= 8 and _LANGUAGE_CODE.match(code) else None


def map_carrier(raw: Mapping[str, Any], lang_id: int | None = None) -> ShopCarrier:
    """Map a carrier node."""
    node = _unwrap(raw, "carrier")
    ident = _require_id(node, "carrier")
    return ShopCarrier(
        id=ident,
        # A carrier never edited in the back office has id_reference == id.
        id_reference=coerce_int(node.get("id_reference"), ident) or ident,
        name=translated(node.get("name"), lang_id),
        url=coerce_str(node.get("url")),
        deleted=coerce_bool(node.get("deleted")),
        active=coerce_bool(node.get("active")),
    )


def map_order_state(raw: Mapping[str, Any], lang_id: int | None = None) -> ShopOrderState:
    """Map an order_states node."""
    node = _unwrap(raw, "order_state")
    return ShopOrderState(
        id=_require_id(node, "order state"),
        name=translated(node.get("name"), lang_id),
        paid=coerce_bool(node.get("paid")),
        shipped=coerce_bool(node.get("shipped")),
        delivery=coerce_bool(node.get("delivery")),
        send_email=coerce_bool(node.get("send_email")),
        deleted=coerce_bool(node.get("deleted")),
    )


def map_stock_available(raw: Mapping[str, Any]) -> ShopStockAvailable:
    """Map a stock_availables node, keeping the raw node for a whole-node PUT."""
    node = _unwrap(raw, "stock_available")
    return ShopStockAvailable(
        id=_require_id(node, "stock_available"),
        product_id=coerce_int(node.get("id_product")),
        combination_id=coerce_int(node.get("id_product_attribute")),
        id_shop=coerce_int(node.get("id_shop")),
        id_shop_group=coerce_int(node.get("id_shop_group")),
        quantity=coerce_int(node.get("quantity")),
        depends_on_stock=coerce_bool(node.get("depends_on_stock")),
        out_of_stock=coerce_int(node.get("out_of_stock")),
        raw=dict(node),
    )


def sku_candidates(line: ShopOrderLine) -> list[SkuCandidate]:
    """Return the lookups to try, in order: reference, EAN-13, then (product_id, combination_id).

    Empty values and all-zero barcodes are skipped; the ids come last because they are
    shop-internal and only match products imported from this shop.
    """
    candidates: list[SkuCandidate] = []
    reference = line.reference.strip()
    if reference:
        candidates.append(SkuCandidate("reference", reference))
    ean13 = line.ean13.strip()
    # The shop stores "0" or "" for "no barcode"; a barcode is digits only.
    if ean13 and _DIGITS.match(ean13) and ean13.strip("0"):
        candidates.append(SkuCandidate("ean13", ean13))
    if line.product_id > 0:
        candidates.append(SkuCandidate("ids", (line.product_id, max(line.combination_id, 0))))
    return candidates
