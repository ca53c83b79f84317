"""Hold a fake PrestaShop's state in memory and answer its webservice as a WSGI app."""

from __future__ import annotations

import base64
import copy
import json
import random
import re
import socket
import threading
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from werkzeug.wrappers import Request, Response

from .faults import Faults
from .schema import (
    BOOL, CARRIERS, COUNTRIES, DATE, INT, LANG, LANGUAGES, MONEY, ORDER_STATES, RESOURCES, STR,
    ZERO_DATE, Resource,
)

DEFAULT_KEY = "TESTKEY0123456789ABCDEFGHIJKLMNO"  # 32 characters, like a real key
LANG_ISO = {ident: iso for ident, iso, *_ in LANGUAGES}
_FILTER_PARAM = re.compile(r"^filter\[([a-z0-9_]+)\]$")
_SORT_ITEM = re.compile(r"^([a-z0-9_]+)_(ASC|DESC)$")


@dataclass(frozen=True)
class LoggedRequest:
    """One request the fake shop received."""

    method: str
    path: str
    query: dict[str, str]
    resource: str
    ident: int | None
    auth: str | None  # "basic", "ws_key" or None
    body: bytes = b""


@dataclass(frozen=True)
class SentEmail:
    """An e-mail the shop would have sent to a customer."""

    order_id: int
    template: str
    to: str


class WsError(Exception):
    """A webservice error answer (status, code, message); code None means an empty body."""

    def __init__(self, status: int, code: int | None = None, message: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


@dataclass
class _Filter:
    field: str
    op: str  # in | between | gt | lt | like
    values: list[Any] = field(default_factory=list)


class FakeShop:
    """An in-memory PrestaShop webservice with the real one's quirks; call it as a WSGI app."""

    def __init__(self, key: str = DEFAULT_KEY, version: str = "8", languages: int = 1) -> None:
        if version not in {"1.7", "8"}:
            raise ValueError("version must be '1.7' or '8'")
        self.key = key
        self.version = version
        self.languages = list(range(1, languages + 1))
        self.webservice_enabled = True
        self.key_active = True
        # Simulates PHP-FPM hosts that drop the Authorization header.
        self.ignore_authorization_header = False
        # resource -> allowed methods for the key; None allows everything.
        self.permissions: dict[str, set[str]] | None = None
        # The WMS module's "wms_relay_points" resource: None = module without it (error 28);
        # else id_order -> {"module", "relay_point_id", "country", ...}.
        self.relay_points: dict[int, dict[str, Any]] | None = None
        # Resources this shop's version does not expose (e.g. {"order_returns"}).
        self.hidden_resources: set[str] = set()
        self.faults = Faults()
        self.request_log: list[LoggedRequest] = []
        self.emails: list[SentEmail] = []
        self.now = datetime(2026, 5, 1, 8, 0, 0)
        self.clock_step = timedelta(seconds=1)
        self.tables: dict[str, dict[int, dict[str, Any]]] = {name: {} for name in RESOURCES}
        self._next_id: dict[str, int] = {name: 1 for name in RESOURCES}
        self._lock = threading.RLock()
        self._catalog: list[tuple[int, int]] = []
        self._seed()

    # ------------------------------------------------------------------ clock and storage

    def stamp(self) -> str:
        """Return the shop's current time as a date string and move the clock one step."""
        with self._lock:
            value = self.now.strftime("%Y-%m-%d %H:%M:%S")
            self.now += self.clock_step
            return value

    def _defaults(self, res: Resource) -> dict[str, Any]:
        row: dict[str, Any] = {}
        for name, ftype in res.fields.items():
            row[name] = {INT: 0, BOOL: 0, MONEY: Decimal("0"), STR: "", DATE: ZERO_DATE, LANG: {}}[ftype]
        return row

    def _insert(self, resource: str, values: dict[str, Any], ident: int | None = None) -> int:
        res = RESOURCES[resource]
        with self._lock:
            if ident is None:
                ident = self._next_id[resource]
            self._next_id[resource] = max(self._next_id[resource], ident + 1)
            row = self._defaults(res)
            for name, value in values.items():
                if name == "associations":
                    row["associations"] = value
                elif name in res.fields:
                    row[name] = self._store(res.fields[name], value)
                else:
                    raise KeyError(f"{resource} has no field {name!r}")
            row["id"] = ident
            self.tables[resource][ident] = row
            return ident

    def _store(self, ftype: str, value: Any) -> Any:
        """Return ``value`` in the canonical stored form for its type."""
        if ftype == INT:
            return int(value or 0)
        if ftype == BOOL:
            return 1 if value not in (0, "0", "", None, False) else 0
        if ftype == MONEY:
            return Decimal(str(value or "0"))
        if ftype == DATE:
            return str(value) if value else ZERO_DATE
        if ftype == LANG:
            if isinstance(value, dict):
                return {int(k): str(v) for k, v in value.items()}
            return {1: str(value or "")}
        return "" if value is None else str(value)

    def _seed(self) -> None:
        for ident, name, paid, shipped, delivery, send_email, template in ORDER_STATES:
            self._insert("order_states", {
                "name": name, "paid": paid, "shipped": shipped, "delivery": delivery,
                "send_email": send_email, "template": template, "logable": paid,
                "unremovable": 1, "color": "#34209E",
            }, ident)
        for ident, iso, name in COUNTRIES:
            self._insert("countries", {
                "iso_code": iso, "name": name, "active": 1, "need_zip_code": 1, "id_zone": 1,
            }, ident)
        for ident, iso, name, locale, date_format in LANGUAGES:
            if ident in self.languages:
                self._insert("languages", {
                    "iso_code": iso, "name": name, "locale": locale, "language_code": locale.lower(),
                    "active": 1, "is_rtl": 0, "date_format_lite": date_format,
                    "date_format_full": f"{date_format} H:i:s",
                }, ident)
        for ident, ref, name, url, deleted, active in CARRIERS:
            self._insert("carriers", {
                "id_reference": ref, "name": name, "url": url, "deleted": deleted,
                "active": active, "delay": "Delivery next day!", "shipping_method": 1,
            }, ident)

    # ------------------------------------------------------------------ helpers for tests

    def add_language(self, iso_code: str, name: str = "", active: bool = True) -> int:
        """Install one more language (translated fields then list it too); return its id."""
        with self._lock:
            ident = self._insert("languages", {
                "iso_code": iso_code, "name": name or iso_code, "locale": iso_code,
                "language_code": iso_code, "active": int(active), "date_format_lite": "Y-m-d",
                "date_format_full": "Y-m-d H:i:s",
            })
            self.languages.append(ident)
            return ident

    def add_customer(self, email: str | None = None, firstname: str = "Jane", lastname: str = "Doe") -> int:
        """Create a customer and return its id."""
        with self._lock:
            ident = self._next_id["customers"]
            stamp = self.stamp()
            return self._insert("customers", {
                "email": email or f"customer{ident}@example.com", "firstname": firstname,
                "lastname": lastname, "passwd": "$2y$10$hashhashhashhashhashhash", "active": 1,
                "id_lang": 1, "id_shop": 1, "id_shop_group": 1, "id_default_group": 3,
                "secure_key": f"sk{ident:030d}", "date_add": stamp, "date_upd": stamp,
            })

    def add_address(self, customer_id: int, **fields: Any) -> int:
        """Create an address for ``customer_id`` (fields override the defaults) and return its id."""
        customer = self.tables["customers"][customer_id]
        stamp = self.stamp()
        values = {
            "id_customer": customer_id, "id_country": 8, "alias": "Home",
            "firstname": customer["firstname"], "lastname": customer["lastname"],
            "address1": "1 rue de la Paix", "postcode": "75002", "city": "Paris",
            "phone": "0102030405", "date_add": stamp, "date_upd": stamp,
        }
        values.update(fields)
        return self._insert("addresses", values)

    def add_product(
        self,
        reference: str = "",
        ean13: str = "",
        upc: str = "",
        name: str = "Product",
        price: str | Decimal = "10.00",
        quantity: int = 0,
    ) -> int:
        """Create a product without combinations plus its stock row; return its id."""
        with self._lock:
            stamp = self.stamp()
            product_id = self._insert("products", {
                "reference": reference, "ean13": ean13, "upc": upc, "name": name, "price": price,
                "active": 1, "id_category_default": 2, "date_add": stamp, "date_upd": stamp,
            })
            self._insert("stock_availables", {
                "id_product": product_id, "id_product_attribute": 0, "id_shop": 1,
                "id_shop_group": 0, "quantity": quantity, "out_of_stock": 2,
            })
            self._sync_product_associations(product_id)
            return product_id

    def add_combination(
        self,
        product_id: int,
        reference: str = "",
        ean13: str = "",
        upc: str = "",
        quantity: int = 0,
        price_impact: str | Decimal = "0",
    ) -> int:
        """Add a combination (variant) to a product plus its stock row; return its id."""
        with self._lock:
            if product_id not in self.tables["products"]:
                raise KeyError(f"no product {product_id}")
            combination_id = self._insert("combinations", {
                "id_product": product_id, "reference": reference, "ean13": ean13, "upc": upc,
                "price": price_impact, "quantity": quantity,
                "default_on": 0 if self._combination_ids(product_id) else 1,
            })
            self._insert("stock_availables", {
                "id_product": product_id, "id_product_attribute": combination_id, "id_shop": 1,
                "id_shop_group": 0, "quantity": quantity, "out_of_stock": 2,
            })
            # The product-level row holds the sum of its combinations.
            self._refresh_product_stock(product_id)
            self._sync_product_associations(product_id)
            return combination_id

    def _combination_ids(self, product_id: int) -> list[int]:
        return sorted(c["id"] for c in self.tables["combinations"].values() if c["id_product"] == product_id)

    def _refresh_product_stock(self, product_id: int) -> None:
        combos = [s for s in self.tables["stock_availables"].values()
                  if s["id_product"] == product_id and s["id_product_attribute"] != 0]
        if not combos:
            return
        for row in self.tables["stock_availables"].values():
            if row["id_product"] == product_id and row["id_product_attribute"] == 0:
                row["quantity"] = sum(c["quantity"] for c in combos)

    def _sync_product_associations(self, product_id: int) -> None:
        product = self.tables["products"][product_id]
        assoc: dict[str, list[dict[str, Any]]] = {}
        combos = self._combination_ids(product_id)
        if combos:
            assoc["combinations"] = [{"id": c} for c in combos]
        stock = [{"id": s["id"], "id_product_attribute": s["id_product_attribute"]}
                 for s in self.tables["stock_availables"].values() if s["id_product"] == product_id]
        if stock:
            assoc["stock_availables"] = stock
        product["associations"] = assoc

    def stock(self, product_id: int, combination_id: int = 0) -> list[dict[str, Any]]:
        """Return copies of the stock rows of a product/combination."""
        with self._lock:
            return [copy.deepcopy(s) for s in self.tables["stock_availables"].values()
                    if s["id_product"] == product_id and s["id_product_attribute"] == combination_id]

    def _line_from(self, spec: dict[str, Any]) -> dict[str, Any]:
        product_id = int(spec["product_id"])
        combination_id = int(spec.get("combination_id", 0))
        product = self.tables["products"][product_id]
        combo = self.tables["combinations"].get(combination_id) if combination_id else None
        price = Decimal(str(spec.get("unit_price", product["price"] + (combo["price"] if combo else 0))))
        name = product["name"].get(1, "")
        return {
            "product_id": product_id,
            "product_attribute_id": combination_id,
            "product_quantity": int(spec.get("quantity", 1)),
            "product_name": spec.get("name", name + (f" - variant {combination_id}" if combo else "")),
            # Rows snapshot the references at order time, combination first.
            "product_reference": spec.get("reference", (combo and combo["reference"]) or product["reference"]),
            "product_ean13": spec.get("ean13", (combo and combo["ean13"]) or product["ean13"]),
            "product_upc": spec.get("upc", (combo and combo["upc"]) or product["upc"]),
            "product_isbn": "",
            "product_price": price,
            "id_customization": 0,
            "unit_price_tax_incl": price,
            "unit_price_tax_excl": (price / Decimal("1.2")).quantize(Decimal("0.000001")),
        }

    def add_order(
        self,
        lines: list[dict[str, Any]] | None = None,
        state: int = 2,
        customer_id: int | None = None,
        address_id: int | None = None,
        carrier_id: int = 2,
        reference: str | None = None,
        payment: str = "Bank wire",
        shipping: str | Decimal = "4.99",
        country_id: int = 8,
        lang_id: int = 1,
    ) -> int:
        """Create an order (customer, address, carrier row, history, stock decrease) and return its id.

        ``lines``: [{"product_id", "combination_id"=0, "quantity"=1, optional "unit_price",
        "reference", "ean13", "name"}]; None creates a product and orders one unit.
        ``lang_id``: the language the customer ordered in (an id of the languages resource).
        """
        with self._lock:
            if lines is None:
                ident = self._next_id["products"]
                product_id = self.add_product(reference=f"AUTO-{ident}", ean13=f"{2000000000000 + ident}",
                                              name=f"Auto product {ident}", price="19.90", quantity=100)
                lines = [{"product_id": product_id, "quantity": 1}]
            if customer_id is None:
                customer_id = self.add_customer()
            if address_id is None:
                address_id = self.add_address(customer_id, id_country=country_id)
            if state not in self.tables["order_states"]:
                raise KeyError(f"no order state {state}")
            rows = []
            for spec in lines:
                row = self._line_from(spec)
                row["id"] = self._next_id["orders"] * 1000 + len(rows) + 1  # order_detail ids
                rows.append(row)
            shipping_amount = Decimal(str(shipping))
            products_total = sum((r["unit_price_tax_incl"] * r["product_quantity"] for r in rows), Decimal("0"))
            stamp = self.stamp()
            ident = self._next_id["orders"]
            order_id = self._insert("orders", {
                "id_address_delivery": address_id, "id_address_invoice": address_id,
                "id_cart": ident, "id_currency": 1, "id_lang": lang_id, "id_customer": customer_id,
                "id_carrier": carrier_id, "current_state": state, "module": "ps_wirepayment",
                "valid": self.tables["order_states"][state]["paid"], "date_add": stamp,
                "date_upd": stamp, "id_shop_group": 1, "id_shop": 1, "secure_key": "f" * 32,
                "payment": payment, "total_paid": products_total + shipping_amount,
                "total_paid_tax_incl": products_total + shipping_amount,
                "total_paid_tax_excl": ((products_total + shipping_amount) / Decimal("1.2")).quantize(Decimal("0.000001")),
                "total_paid_real": 0, "total_products": products_total, "total_products_wt": products_total,
                "total_shipping": shipping_amount, "total_shipping_tax_incl": shipping_amount,
                "total_shipping_tax_excl": (shipping_amount / Decimal("1.2")).quantize(Decimal("0.000001")),
                "conversion_rate": 1, "reference": reference or f"REF{ident:06d}"[:9],
                "associations": {"order_rows": rows},
            })
            self._insert("order_carriers", {
                "id_order": order_id, "id_carrier": carrier_id, "weight": "0.5",
                "shipping_cost_tax_incl": shipping_amount,
                "shipping_cost_tax_excl": (shipping_amount / Decimal("1.2")).quantize(Decimal("0.000001")),
                "tracking_number": "", "date_add": stamp,
            })
            self._insert("order_histories", {
                "id_employee": 0, "id_order_state": state, "id_order": order_id, "date_add": stamp,
            })
            # PrestaShop lowers the sellable quantity when the order is created.
            for row in rows:
                for s in self.tables["stock_availables"].values():
                    if s["id_product"] == row["product_id"] and s["id_product_attribute"] == row["product_attribute_id"]:
                        s["quantity"] -= row["product_quantity"]
                self._refresh_product_stock(row["product_id"])
            return order_id

    def add_order_return(self, order_id: int, details: list[tuple[int, int]], state: int = 1,
                         question: str = "") -> int:
        """A customer's merchandise return: [(order_detail id, quantity)]; returns its id."""
        with self._lock:
            order = self.tables["orders"][order_id]
            stamp = self.stamp()
            return self._insert("order_returns", {
                "id_customer": order["id_customer"], "id_order": order_id, "state": state,
                "question": question, "date_add": stamp, "date_upd": stamp,
                "associations": {"order_return_details": [
                    {"id_order_detail": d, "product_quantity": q} for d, q in details]},
            })

    def set_return_state(self, return_id: int, state: int) -> None:
        with self._lock:
            row = self.tables["order_returns"][return_id]
            row["state"] = state
            row["date_upd"] = self.stamp()

    def messages_of(self, order_id: int) -> list[dict[str, Any]]:
        return [m for m in self.tables["messages"].values() if m["id_order"] == order_id]

    def generate_orders(
        self,
        n: int,
        states: tuple[int, ...] = (2,),
        seed: int = 0,
        max_lines: int = 3,
    ) -> list[int]:
        """Create ``n`` orders deterministically (same seed, same orders) and return their ids."""
        rng = random.Random(seed)
        with self._lock:
            if not self._catalog:
                for i in range(1, 21):
                    pid = self.add_product(reference=f"SKU-{i:04d}", ean13=f"{3000000000000 + i}",
                                           name=f"Generated product {i}", price=f"{5 + i}.50", quantity=10_000)
                    if i % 4 == 0:
                        for v in range(1, 3):
                            cid = self.add_combination(pid, reference=f"SKU-{i:04d}-{v}",
                                                       ean13=f"{4000000000000 + i * 10 + v}", quantity=5_000)
                            self._catalog.append((pid, cid))
                    else:
                        self._catalog.append((pid, 0))
            customers = [self.add_customer(firstname=f"Buyer{i}", lastname="Test") for i in range(min(n, 25))]
            ids = []
            for i in range(n):
                picks = rng.sample(self._catalog, rng.randint(1, max_lines))
                lines = [{"product_id": p, "combination_id": c, "quantity": rng.randint(1, 3)} for p, c in picks]
                customer = customers[i % len(customers)] if customers else None
                ids.append(self.add_order(lines=lines, state=rng.choice(states), customer_id=customer))
            return ids

    def set_order_state(self, order_id: int, state: int, employee_id: int = 1, send_email: bool = False) -> int:
        """Change an order's state like the back office (history row, date_upd); return the row id."""
        with self._lock:
            order = self.tables["orders"][order_id]
            if state not in self.tables["order_states"]:
                raise KeyError(f"no order state {state}")
            return self._change_state(order, state, employee_id, send_email)

    def _change_state(self, order: dict[str, Any], state: int, employee_id: int, send_email: bool) -> int:
        stamp = self.stamp()
        history_id = self._insert("order_histories", {
            "id_employee": employee_id, "id_order_state": state, "id_order": order["id"], "date_add": stamp,
        })
        order["current_state"] = state
        order["date_upd"] = stamp
        if self.tables["order_states"][state]["paid"]:
            order["valid"] = 1
        state_row = self.tables["order_states"][state]
        if send_email and state_row["send_email"]:
            self._email(order["id"], state_row["template"].get(1, ""))
        return history_id

    def _email(self, order_id: int, template: str) -> None:
        customer = self.tables["customers"].get(self.tables["orders"][order_id]["id_customer"])
        self.emails.append(SentEmail(order_id, template, customer["email"] if customer else ""))

    def emails_for(self, order_id: int) -> list[SentEmail]:
        """Return the e-mails sent about one order."""
        return [e for e in self.emails if e.order_id == order_id]

    def histories(self, order_id: int) -> list[dict[str, Any]]:
        """Return copies of an order's history rows, oldest first."""
        with self._lock:
            return [copy.deepcopy(h) for _, h in sorted(self.tables["order_histories"].items())
                    if h["id_order"] == order_id]

    def order(self, order_id: int) -> dict[str, Any]:
        """Return a copy of an order's stored row."""
        with self._lock:
            return copy.deepcopy(self.tables["orders"][order_id])

    def order_carriers_of(self, order_id: int) -> list[dict[str, Any]]:
        """Return copies of an order's order_carriers rows."""
        with self._lock:
            return [copy.deepcopy(r) for r in self.tables["order_carriers"].values() if r["id_order"] == order_id]

    def requests_to(self, resource: str, method: str | None = None) -> list[LoggedRequest]:
        """Return the logged requests for ``resource`` (and ``method`` if given)."""
        return [r for r in self.request_log if r.resource == resource and (method is None or r.method == method)]

    # ------------------------------------------------------------------ rendering

    def _render(self, ftype: str, value: Any) -> Any:
        if ftype == INT:
            return int(value) if self.version == "8" else str(int(value))
        if ftype == BOOL:
            return "1" if value else "0"
        if ftype == MONEY:
            return f"{Decimal(value):.6f}"
        if ftype == LANG:
            base = value.get(1, next(iter(value.values()), "")) if value else ""
            if len(self.languages) == 1:
                return value.get(self.languages[0], base)
            out = []
            for lid in self.languages:
                text = value.get(lid, f"{base} ({LANG_ISO.get(lid, lid)})" if base else "")
                out.append({"id": lid if self.version == "8" else str(lid), "value": text})
            return out
        return value

    def _render_row(self, res: Resource, row: dict[str, Any], fields: list[str] | None) -> dict[str, Any]:
        names = list(res.fields) if fields is None else fields
        out = {name: self._render(res.fields[name], row[name]) for name in names}
        if fields is None:
            assoc_out = {}
            for assoc_name, rows in (row.get("associations") or {}).items():
                if not rows:
                    continue
                _, row_fields = res.associations[assoc_name]
                assoc_out[assoc_name] = [
                    {k: self._render(t, r.get(k, 0 if t in (INT, BOOL) else "")) for k, t in row_fields.items()}
                    for r in rows
                ]
            # An object without associations has no "associations" key at all.
            if assoc_out:
                out["associations"] = assoc_out
        return out

    # ------------------------------------------------------------------ WSGI

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        response = self.handle(request)
        return response(environ, start_response)

    def _route(self, request: Request) -> tuple[str, int | None, bool]:
        """Return (resource, id, ok) for /api/... and webservice/dispatcher.php?url=..."""
        path = request.path
        if path.rstrip("/").endswith("/webservice/dispatcher.php"):
            target = request.args.get("url", "")
        elif path == "/api" or path.startswith("/api/"):
            target = path[len("/api"):]
        else:
            return "", None, False
        parts = [p for p in target.strip("/").split("/") if p]
        if len(parts) > 2:
            raise WsError(400, 19, f"Too many segments in {target!r}")
        resource = parts[0] if parts else ""
        ident = None
        if len(parts) == 2:
            if not parts[1].isdigit():
                raise WsError(400, 89, f"Id {parts[1]!r} is invalid")
            ident = int(parts[1])
        return resource, ident, True

    def _authenticate(self, request: Request) -> tuple[str | None, str | None]:
        header = request.headers.get("Authorization", "")
        if header and not self.ignore_authorization_header and header.lower().startswith("basic "):
            try:
                user = base64.b64decode(header[6:]).decode("utf-8").split(":", 1)[0]
            except (ValueError, UnicodeDecodeError):
                user = ""
            if user:
                return user, "basic"
        ws_key = request.args.get("ws_key")
        if ws_key:
            return ws_key, "ws_key"
        return None, None

    def handle(self, request: Request) -> Response:
        """Answer one webservice request."""
        body = request.get_data()
        json_out = request.args.get("output_format", "").upper() == "JSON"
        key, auth = None, None
        resource, ident = "", None
        try:
            key, auth = self._authenticate(request)
            resource, ident, is_ws = self._route(request)
        except WsError as err:
            is_ws = True
            error = err
        else:
            error = None
        query = {k: v for k, v in request.args.items()}
        self.request_log.append(LoggedRequest(request.method, request.path, query, resource, ident, auth, body))

        fault = self.faults.take(request.method, resource)
        if fault is not None and fault.kind == "fail":
            return Response(fault.body, status=fault.status, content_type=fault.content_type,
                            headers=fault.headers or {})
        if fault is not None and fault.kind == "delay":
            time.sleep(fault.seconds)

        if not is_ws:
            return Response("<!DOCTYPE html><html><body><h1>404 Page not found</h1></body></html>",
                            status=404, content_type="text/html; charset=utf-8")
        if error is None:
            if key is None:
                # The real dispatcher exits with a bare text answer before any formatting.
                return Response("401 Unauthorized", status=401, content_type="text/plain",
                                headers={"WWW-Authenticate": 'Basic realm="Welcome to PrestaShop Webservice, '
                                         'please enter the authentication key as the login. No password required."'})
            try:
                with self._lock:
                    response = self._dispatch(request, resource, ident, key, body, json_out)
            except WsError as err:
                error = err
        if error is not None:
            response = self._error(error, json_out)

        if fault is not None and fault.kind == "prefix":
            response.set_data(fault.prefix.encode("utf-8") + response.get_data())
        if fault is not None and fault.kind == "drop":
            if fault.seconds:
                time.sleep(fault.seconds)  # answer after the client gave up
            else:
                sock = request.environ.get("werkzeug.socket")
                if sock is None:
                    raise RuntimeError("apply_then_drop_next needs the real server (serve())")
                sock.shutdown(socket.SHUT_RDWR)
        return response

    def _relay_point(self, method: str, ident: int | None, json_out: bool) -> Response:
        """GET /api/wms_relay_points/<id_order>, as prestashop-module/wmscallback answers it."""
        if self.permissions is not None and "wms_relay_points" not in self.permissions:
            raise WsError(401, 21, "No permission for this authentication key on wms_relay_points")
        if method != "GET" or ident is None:
            raise WsError(405, 101, f"Method {method} is not allowed for the resource wms_relay_points")
        if ident not in self.tables["orders"]:
            raise WsError(404, 92, f"Order {ident} does not exist")
        point = {"id_order": ident, "module": None, "relay_point_id": None, "country": None,
                 "product_code": None, "mobile_phone": None, **self.relay_points.get(ident, {})}
        return self._ok({"wms_relay_point": point}, json_out)

    def _error(self, error: WsError, json_out: bool) -> Response:
        if error.code is None:
            return Response(b"", status=error.status)
        if json_out:
            payload = json.dumps({"errors": [{"code": error.code, "message": error.message}]})
            return Response(payload, status=error.status, content_type="application/json")
        xml = ("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<prestashop xmlns:xlink=\"http://www.w3.org/1999/xlink\">"
               f"<errors><error><code><![CDATA[{error.code}]]></code><message><![CDATA[{error.message}]]>"
               "</message></error></errors></prestashop>")
        return Response(xml, status=error.status, content_type="text/xml;charset=utf-8")

    def _ok(self, data: Any, json_out: bool, status: int = 200) -> Response:
        if json_out:
            return Response(json.dumps(data), status=status, content_type="application/json")
        return Response(_to_xml(data), status=status, content_type="text/xml;charset=utf-8")

    def _dispatch(
        self, request: Request, resource: str, ident: int | None, key: str, body: bytes, json_out: bool
    ) -> Response:
        if not self.webservice_enabled:
            raise WsError(503, 22, "The PrestaShop webservice is disabled. Please activate it in the PrestaShop Back Office")
        if key != self.key:
            raise WsError(401, 18, "Invalid authentication key")
        if not self.key_active:
            raise WsError(401, 20, "Authentification key is not active")
        method = request.method
        if resource == "":
            return self._ok({"api": {name: {"description": name} for name in RESOURCES}}, json_out)
        if resource == "wms_relay_points" and self.relay_points is not None:
            return self._relay_point(method, ident, json_out)
        res = RESOURCES.get(resource) if resource not in self.hidden_resources else None
        if res is None:
            raise WsError(400, 28, f'Resource of type "{resource}" does not exists')
        if self.permissions is not None and resource not in self.permissions:
            raise WsError(401, 21, f"No permission for this authentication key on {resource}")
        if method not in {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"} or (method == "PATCH" and self.version == "1.7"):
            raise WsError(405, 23, f"Method {method} is not valid")
        if method not in res.methods and method != "HEAD":
            raise WsError(405, 101, f"Method {method} is not allowed for the resource {resource}")
        if self.permissions is not None and method not in self.permissions[resource]:
            raise WsError(405, 25, f"Method {method} is not allowed for the resource {resource} with this authentication key")

        if method in {"GET", "HEAD"}:
            if ident is None:
                return self._ok(self._list(res, request.args), json_out)
            row = self.tables[resource].get(ident)
            if row is None:
                raise WsError(404)  # unknown id: empty body
            node = self._render_row(res, row, None)
            # A single-object GET drops every field equal to 0, "0" or "".
            node = {k: v for k, v in node.items()
                    if not (v == "" or v == "0" or (isinstance(v, int) and not isinstance(v, bool) and v == 0))}
            return self._ok({res.singular: node}, json_out)
        if method == "DELETE":
            if ident is None or self.tables[resource].pop(ident, None) is None:
                raise WsError(404, 92, f"Id(s) not exists: {ident}")
            return Response(b"", status=200)

        values = self._parse_body(res, body)
        send_email = request.args.get("sendemail") == "1"
        if method == "POST":
            if ident is not None:
                raise WsError(400, 90, "id is forbidden when adding a new resource")
            new_id = self._create(res, values, send_email)
            return self._ok({res.singular: self._render_row(res, self.tables[resource][new_id], None)}, json_out, 201)
        # PUT / PATCH
        if ident is None:
            raise WsError(400, 90, "You have to set an id when you try to update a resource")
        if "id" not in values:
            raise WsError(400, 90, "id is required when modifying a resource")
        if values["id"] != ident:
            raise WsError(400, 89, f"id is invalid: {values['id']} in the body, {ident} in the URL")
        old = self.tables[resource].get(ident)
        if old is None:
            raise WsError(404, 92, f"Id(s) not exists: {ident}")
        if method == "PUT":
            # PUT replaces the whole node: omitted fields go back to 0 / "".
            new = self._defaults(res)
            if "date_add" in res.fields:
                new["date_add"] = old["date_add"]
        else:
            new = copy.deepcopy(old)
        new.update(values)
        if "associations" in old:
            new["associations"] = old["associations"]
        if "date_upd" in res.fields:
            new["date_upd"] = self.stamp()
        self.tables[resource][ident] = new
        if resource == "order_carriers" and send_email and new["tracking_number"] and new["tracking_number"] != old["tracking_number"]:
            if new["id_order"] in self.tables["orders"]:
                self._email(new["id_order"], "in_transit")
        return self._ok({res.singular: self._render_row(res, new, None)}, json_out)

    def _create(self, res: Resource, values: dict[str, Any], send_email: bool) -> int:
        values = {k: v for k, v in values.items() if k != "id"}
        if res.name == "order_histories":
            order = self.tables["orders"].get(values.get("id_order", 0))
            if order is None:
                raise WsError(400, 85, "Validation error: \"id_order\" is not valid")
            state = values.get("id_order_state", 0)
            if state not in self.tables["order_states"]:
                raise WsError(400, 85, "Validation error: \"id_order_state\" is not valid")
            # Not idempotent, like the real shop: every POST adds a row and may send an e-mail.
            return self._change_state(order, state, values.get("id_employee", 0), send_email)
        stamp = self.stamp()
        for name in ("date_add", "date_upd"):
            if name in res.fields and not values.get(name):
                values[name] = stamp
        return self._insert(res.name, values)

    def _parse_body(self, res: Resource, body: bytes) -> dict[str, Any]:
        if not body.strip():
            raise WsError(500, 127, "HTTP XML response is not parsable: XML length: 0")
        try:
            root = ET.fromstring(body)
        except ET.ParseError as err:
            raise WsError(500, 127, f"HTTP XML response is not parsable: {err}") from None
        node = root.find(res.singular) if root.tag == "prestashop" else None
        if node is None:
            raise WsError(400, 89, f"Invalid XML: expected <prestashop><{res.singular}>")
        values: dict[str, Any] = {}
        for child in node:
            name = child.tag
            if name == "associations":
                continue
            if name not in res.fields:
                raise WsError(400, 86, f'Parameter "{name}" can\'t be set to the object "{res.singular}"')
            ftype = res.fields[name]
            text = (child.text or "").strip() if ftype != STR else (child.text or "")
            try:
                if ftype == LANG:
                    langs = child.findall("language")
                    values[name] = ({int(lang.get("id", "1")): lang.text or "" for lang in langs}
                                    if langs else {1: child.text or ""})
                elif ftype == INT:
                    values[name] = int(text) if text else 0
                elif ftype == BOOL:
                    values[name] = {"": 0, "0": 0, "1": 1}[text]
                elif ftype == MONEY:
                    values[name] = Decimal(text) if text else Decimal("0")
                elif ftype == DATE:
                    values[name] = text or ZERO_DATE
                else:
                    values[name] = text
            except (ValueError, KeyError, InvalidOperation):
                raise WsError(400, 85, f'Validation error: "{name}" is not valid ({text!r})') from None
        return values

    # ------------------------------------------------------------------ list reads

    def _list(self, res: Resource, args: Any) -> Any:
        display = args.get("display")
        if display is None:
            fields: list[str] | None = ["id"]
        elif display == "full":
            fields = None
        else:
            if not (display.startswith("[") and display.endswith("]")):
                raise WsError(400, 35, f"The 'display' syntax is wrong: {display}")
            fields = [f.strip() for f in display[1:-1].split(",") if f.strip()]
            for name in fields:
                if name not in res.fields:
                    raise WsError(400, 35, f"Unable to display this field \"{name}\". Available: {', '.join(res.fields)}")
        date_mode = args.get("date") == "1"
        filters = [self._parse_filter(res, m.group(1), value, date_mode)
                   for key, value in args.items() if (m := _FILTER_PARAM.match(key))]
        for key in args:
            if key.startswith("filter[") and not _FILTER_PARAM.match(key):
                raise WsError(400, 32, f"The filter {key!r} is malformed")
        rows = [r for r in self.tables[res.name].values() if all(self._matches(res, r, f) for f in filters)]
        rows = self._sort(res, rows, args.get("sort"))
        rows = self._limit(rows, args.get("limit"))
        if not rows:
            return []  # an empty list is a bare [], not {"orders": []}
        return {res.name: [self._render_row(res, r, fields) for r in rows]}

    def _typed(self, res: Resource, name: str, text: str) -> Any:
        ftype = res.fields[name]
        try:
            if ftype in (INT, BOOL):
                return int(text)
            if ftype == MONEY:
                return Decimal(text)
        except (ValueError, InvalidOperation):
            raise WsError(400, 34, f"The filter value {text!r} is not valid for field {name}") from None
        return text

    def _parse_filter(self, res: Resource, name: str, raw: str, date_mode: bool) -> _Filter:
        if name not in res.fields:
            raise WsError(400, 32, f"Unable to filter by unknown field '{name}'")
        if res.fields[name] == LANG:
            raise WsError(400, 32, f"This fake shop cannot filter translated field '{name}'")
        if res.fields[name] == DATE and not date_mode:
            raise WsError(400, 33, f"To filter on the date field '{name}' you must add date=1 to the URL")
        op = "in"
        text = raw
        if text.startswith(">[") or text.startswith("<["):
            op = "gt" if text[0] == ">" else "lt"
            text = text[1:]
        elif text.startswith("%["):
            op = "like"
            text = text[1:]
        if not (text.startswith("[") and text.endswith("]")):
            raise WsError(400, 34, f"The filter value for '{name}' must be in brackets: {raw!r}")
        inner = text[1:-1]
        if op == "in" and "|" not in inner and "," in inner:
            parts = inner.split(",")
            if len(parts) != 2:
                raise WsError(400, 34, f"A between filter takes two values: {raw!r}")
            return _Filter(name, "between", [self._typed(res, name, p) for p in parts])
        if op in ("gt", "lt", "like") and ("|" in inner or "," in inner):
            raise WsError(400, 34, f"The filter value for '{name}' is malformed: {raw!r}")
        if op == "like":
            return _Filter(name, op, [inner])
        return _Filter(name, op, [self._typed(res, name, p) for p in inner.split("|")])

    def _matches(self, res: Resource, row: dict[str, Any], flt: _Filter) -> bool:
        value = row[flt.field]
        if flt.op == "in":
            return value in flt.values
        if flt.op == "between":
            return flt.values[0] <= value <= flt.values[1]
        if flt.op == "gt":
            return value > flt.values[0]
        if flt.op == "lt":
            return value < flt.values[0]
        return str(flt.values[0]).lower() in str(value).lower()

    def _sort(self, res: Resource, rows: list[dict[str, Any]], sort: str | None) -> list[dict[str, Any]]:
        if sort is None:
            return sorted(rows, key=lambda r: r["id"])
        if not (sort.startswith("[") and sort.endswith("]")):
            raise WsError(400, 37, f"The 'sort' syntax is wrong: {sort}")
        keys = []
        for item in sort[1:-1].split(","):
            match = _SORT_ITEM.match(item.strip())
            if match is None or match.group(1) not in res.fields:
                raise WsError(400, 37, f"Unable to sort by '{item}'")
            keys.append((match.group(1), match.group(2) == "DESC"))
        # Stable sorts applied from the last key to the first give a multi-key order.
        for name, desc in reversed(keys):
            rows = sorted(rows, key=lambda r, n=name: r[n], reverse=desc)
        return rows

    def _limit(self, rows: list[dict[str, Any]], limit: str | None) -> list[dict[str, Any]]:
        if limit is None:
            return rows
        parts = limit.split(",")
        try:
            numbers = [int(p) for p in parts]
        except ValueError:
            raise WsError(400, 39, f"The 'limit' value is wrong: {limit}") from None
        if len(numbers) == 1:
            offset, count = 0, numbers[0]
        elif len(numbers) == 2:
            offset, count = numbers
        else:
            raise WsError(400, 39, f"The 'limit' value is wrong: {limit}")
        if offset < 0 or count < 0:
            raise WsError(400, 39, f"The 'limit' value is wrong: {limit}")
        return rows[offset:offset + count]


_XML_ITEM_NAMES = {
    **{name: res.singular for name, res in RESOURCES.items()},
    "order_rows": "order_row",
}


def _to_xml(data: Any) -> bytes:
    """Render a JSON-shaped answer as the webservice's XML (for calls without output_format)."""
    root = ET.Element("prestashop")

    def add(parent: ET.Element, name: str, value: Any) -> None:
        if isinstance(value, dict):
            el = ET.SubElement(parent, name)
            for k, v in value.items():
                add(el, k, v)
        elif isinstance(value, list):
            el = ET.SubElement(parent, name)
            for item in value:
                if isinstance(item, dict) and set(item) == {"id", "value"}:
                    lang = ET.SubElement(el, "language", id=str(item["id"]))
                    lang.text = str(item["value"])
                else:
                    child_name = _XML_ITEM_NAMES.get(name, name[:-1] if name.endswith("s") else name)
                    add(el, child_name, item)
        else:
            el = ET.SubElement(parent, name)
            el.text = "" if value is None else str(value)

    if isinstance(data, dict):
        for k, v in data.items():
            add(root, k, v)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)
