"""Import shop orders incrementally, apply later changes (cancel, edited lines), push stock.

Every function takes the shop's settings and a client as arguments; the client is the only
thing that talks HTTP. The import commits once per page and moves the cursor in the same
transaction, so a crash loses at most the page being written, and the next run redoes it.
"""
from __future__ import annotations

import logging
import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.exc import IntegrityError

from wms.db import db, utcnow
from wms.domain.catalog.models import Barcode, Product
from wms.domain.inventory.models import StockLevel
from wms.domain.locations.models import Location, LocationKind, Warehouse
from wms.domain.orders.models import OPEN_STATUSES, Order, OrderLine, OrderStatus, record_event
from wms.domain.orders.routing import route_new_orders
from wms.domain.orders.services import cancel_order, lock_order
from wms.domain.picking.allocation import release_order_allocations
from wms.domain.picking.services import detach_order
from wms.domain.shipping.models import Carrier
from wms.integrations.prestashop.client import (
    PrestaShopClient, ShopAuthError, ShopBadRequest, ShopError, ShopNotFound, greater_than,
)
from wms.integrations.prestashop.mapping import (
    ShopOrder,
    ShopOrderLine,
    coerce_int,
    map_address,
    map_carrier,
    map_customer,
    map_language,
    map_order,
    map_stock_available,
    parse_ps_datetime,
    sku_candidates,
)
from wms.integrations.prestashop.models import StockPushState, SyncCursor
from wms.integrations.prestashop.shops import ShopSettings
from wms.i18n import _, ngettext

log = logging.getLogger(__name__)


def _protect() -> None:
    from wms.integrations.prestashop.client import protect_logger

    protect_logger(log)  # no webservice key in a log line


_protect()

UNKNOWN_PRODUCT = "Unknown product"
# How long a worker owns a shop's import without finishing a page before another may take over.
LEASE = timedelta(minutes=10)
# Statuses in which the shop may still change the lines and we simply rebuild them.
RESYNCABLE = (OrderStatus.NEW, OrderStatus.BACKORDERED, OrderStatus.ALLOCATED, OrderStatus.ON_HOLD)
# Stock standing here is picked or set aside: it is not for sale any more.
UNSELLABLE_KINDS = (LocationKind.PACKING, LocationKind.STAGING, LocationKind.QUARANTINE,
                    LocationKind.TRANSIT)


@dataclass
class ImportResult:
    """What one import run did."""

    imported: int = 0
    held: int = 0
    updated: int = 0
    cancelled: int = 0
    resynced: int = 0
    skipped: int = 0
    pages: int = 0
    errors: list[str] = field(default_factory=list)
    cursor: datetime | None = None
    # Another worker was importing this shop: this run did nothing.
    busy: bool = False


@dataclass
class _Context:
    """What one run learns once and reuses on every page (carrier and country maps)."""

    settings: ShopSettings
    client: PrestaShopClient
    carrier_refs: dict[int, int] | None = None
    countries: dict[int, str] = field(default_factory=dict)
    # id_lang -> ISO code ("fr"), None when the shop has no such language: asked once a run.
    languages: dict[int, str | None] = field(default_factory=dict)
    wms_carriers: dict[int, int] | None = None
    # Why the shop cannot tell relay points (no wms_relay_points resource), once known.
    relay_unsupported: str | None = None

    def carrier_id(self, ps_carrier_id: int) -> int | None:
        """Return the WMS carrier id for a shop carrier id, through its id_reference."""
        if self.carrier_refs is None:
            self.carrier_refs = {}
            for raw in self.client.get_carriers():
                carrier = map_carrier(raw)
                self.carrier_refs[carrier.id] = carrier.id_reference
            self.wms_carriers = dict(db.session.execute(
                select(Carrier.ps_id_reference, Carrier.id).where(Carrier.ps_id_reference.is_not(None))).all())
        ref = self.carrier_refs.get(ps_carrier_id, ps_carrier_id)
        return (self.wms_carriers or {}).get(ref)

    def learn_languages(self, lang_ids: Iterable[int]) -> None:
        """Ask the shop the ISO codes of the languages not seen yet in this run (one list read)."""
        unknown = {i for i in lang_ids if i} - set(self.languages)
        if not unknown:
            return
        for lang_id in unknown:
            self.languages[lang_id] = None  # stays None if the shop does not list it
        try:
            rows = self.client.get_languages(unknown)
        except ShopError as exc:
            # The packing slip then speaks the warehouse's language: never fail the import.
            log.warning("shop %r: languages %s not read: %s", self.settings.name, sorted(unknown), exc)
            return
        for raw in rows:
            try:
                lang_id, code = map_language(raw)
            except ValueError:
                continue
            if lang_id in unknown:
                self.languages[lang_id] = code

    def language(self, lang_id: int) -> str | None:
        self.learn_languages([lang_id])
        return self.languages.get(lang_id)


# ------------------------------------------------------------------------------ cursor


def get_cursor(shop: str) -> SyncCursor:
    """Return the shop's import cursor, created empty (import everything) the first time."""
    cursor = db.session.execute(select(SyncCursor).where(SyncCursor.shop == shop)).scalar_one_or_none()
    if cursor is None:
        cursor = SyncCursor(shop=shop)
        db.session.add(cursor)
        db.session.flush()
    return cursor


def _naive(value: datetime | None) -> datetime | None:
    return value.replace(tzinfo=None) if value is not None and value.tzinfo is not None else value


# ------------------------------------------------------------------------------ import


def import_orders(settings: ShopSettings, client: PrestaShopClient, max_pages: int | None = None) -> ImportResult:
    """Import orders changed in the shop since the stored cursor, one committed page at a time."""
    result = ImportResult()
    ctx = _Context(settings, client)
    owner = uuid.uuid4().hex
    if not _take_lease(settings.name, owner):
        result.busy = True
        return result
    try:
        _import_pages(settings, client, ctx, result, owner, max_pages)
    finally:
        db.session.rollback()
        _release_lease(settings.name, owner)
    return result


def _take_lease(shop: str, owner: str) -> bool:
    """Claim the shop's import for LEASE; return False when another live worker holds it."""
    get_cursor(shop)
    db.session.commit()
    now = utcnow()
    taken = db.session.execute(
        update(SyncCursor)
        .where(SyncCursor.shop == shop, or_(SyncCursor.lease_until.is_(None), SyncCursor.lease_until < now,
                                            SyncCursor.locked_by == owner))
        .values(locked_by=owner, lease_until=now + LEASE)).rowcount
    db.session.commit()
    return taken == 1


def _release_lease(shop: str, owner: str) -> None:
    db.session.execute(update(SyncCursor).where(SyncCursor.shop == shop, SyncCursor.locked_by == owner)
                       .values(locked_by=None, lease_until=None))
    db.session.commit()


def _import_pages(settings: ShopSettings, client: PrestaShopClient, ctx: _Context, result: ImportResult,
                  owner: str, max_pages: int | None) -> None:
    cursor = get_cursor(settings.name)
    start = cursor.last_date_upd
    db.session.commit()
    # Overlap: orders committed in the shop slightly out of date_upd order are read again.
    since = start - timedelta(seconds=settings.overlap_s) if start is not None else settings.import_since
    # The very first run has no imported order whose changes matter: read only importable ones.
    first_run = start is None
    boundary, offset = since, 0
    inclusive = False
    while max_pages is None or result.pages < max_pages:
        filters: dict[str, Any] = {}
        if first_run:
            filters["current_state"] = sorted(settings.import_states)
        if boundary is not None:
            # Keyset paging: ">= boundary" skipping the rows of that second already done,
            # so an order changing between two pages moves to the end instead of
            # shifting an unread row onto a page already read.
            low = boundary - timedelta(seconds=1) if inclusive else boundary
            filters["date_upd"] = greater_than(low)
        rows = client.list(
            "orders", filters, display="full", sort=["date_upd_ASC", "id_ASC"],
            limit=(offset, settings.page_size), date_filter=boundary is not None,
        )
        if not rows:
            break
        try:
            page_max = _import_page(ctx, rows, result)
            cursor = get_cursor(settings.name)
            if page_max is not None and (cursor.last_date_upd is None or page_max > cursor.last_date_upd):
                cursor.last_date_upd = page_max
            if cursor.locked_by != owner:
                raise RuntimeError(f"shop {settings.name!r}: another worker took over the import (lease expired); "
                                   "this page is rolled back and that worker goes on")
            cursor.last_run_at = utcnow()
            cursor.lease_until = utcnow() + LEASE
            cursor.orders_seen += len(rows)
            db.session.commit()
        except BaseException:
            db.session.rollback()
            raise
        result.pages += 1
        result.cursor = cursor.last_date_upd
        if len(rows) < settings.page_size:
            break
        dates = [_row_date(r) for r in rows]
        last = max((d for d in dates if d is not None), default=None)
        if last is None:
            offset += len(rows)  # no usable dates: plain offset paging
            continue
        if boundary is not None and inclusive and last == boundary:
            offset += len(rows)  # a whole page inside one second
        else:
            offset = sum(1 for d in dates if d == last)
        boundary, inclusive = last, True


def _row_date(row: dict[str, Any]) -> datetime | None:
    try:
        return parse_ps_datetime(row.get("date_upd"))
    except ValueError:
        return None


def import_order_ids(settings: ShopSettings, client: PrestaShopClient, ps_order_ids: Iterable[int]) -> ImportResult:
    """Fetch these shop orders now (a callback said they changed) and import or update them."""
    result = ImportResult()
    rows = client.get_orders_by_ids(ps_order_ids)
    if rows:
        _import_page(_Context(settings, client), rows, result)
    return result


def _import_page(ctx: _Context, rows: list[dict[str, Any]], result: ImportResult) -> datetime | None:
    """Import or update one page of order rows (flushes, does not commit); return its max date_upd."""
    settings = ctx.settings
    orders: list[ShopOrder] = []
    page_max: datetime | None = None
    for raw in rows:
        try:
            shop_order = map_order(raw)
        except ValueError as exc:
            message = f"shop {settings.name!r}: order {raw.get('id')!r} could not be read and was not imported: {exc}"
            log.error(message)
            result.errors.append(message)
            continue
        orders.append(shop_order)
        if shop_order.date_upd is not None and (page_max is None or shop_order.date_upd > page_max):
            page_max = shop_order.date_upd
    if not orders:
        return page_max

    existing = {o.ps_order_id: o for o in db.session.execute(
        select(Order).where(Order.shop == settings.name, Order.ps_order_id.in_([o.id for o in orders]))).scalars()}
    new = [o for o in orders if o.id not in existing and o.current_state in settings.import_states]
    resolver = _ProductResolver([line for o in orders for line in o.lines])
    addresses, customers = _fetch_people(ctx, new)
    ctx.learn_languages(o.id_lang for o in new)  # one read for the page's new languages

    seen: set[int] = set()
    to_route: list[Order] = []
    for shop_order in orders:
        if shop_order.id in seen:
            continue
        seen.add(shop_order.id)
        order = existing.get(shop_order.id)
        if order is not None:
            resynced = result.resynced
            _apply_changes(ctx, order, shop_order, resolver, result)
            if result.resynced > resynced and order.status is OrderStatus.NEW:
                to_route.append(order)  # new lines: the site may change
        elif shop_order.current_state in settings.import_states:
            order = _build_order(ctx, shop_order, resolver, addresses, customers)
            existing[shop_order.id] = order
            to_route.append(order)
            result.imported += 1
            result.held += order.status == OrderStatus.ON_HOLD
        else:
            result.skipped += 1
    db.session.flush()
    # Each new order gets its site now (one stock read for the page), not at its first allocation.
    route_new_orders(to_route)
    return page_max


def _fetch_people(ctx: _Context, orders: list[ShopOrder]) -> tuple[dict[int, Any], dict[int, Any]]:
    """Fetch delivery addresses, customers and countries of a page in a few list requests."""
    if not orders:
        return {}, {}
    client = ctx.client
    raw_addresses = client.get_addresses({o.id_address_delivery for o in orders if o.id_address_delivery})
    country_ids = {coerce_int(a.get("id_country")) for a in raw_addresses} - set(ctx.countries) - {0}
    if country_ids:
        for country in client.get_countries(country_ids):
            ctx.countries[coerce_int(country.get("id"))] = str(country.get("iso_code") or "")
    addresses = {a.id: a for a in (map_address(raw, ctx.countries) for raw in raw_addresses)}
    customers = {c.id: c for c in (map_customer(raw) for raw in client.get_customers(
        {o.id_customer for o in orders if o.id_customer}))}
    return addresses, customers


class _ProductResolver:
    """Find WMS products for shop order lines: SKU, else EAN-13, else shop product + combination id."""

    def __init__(self, lines: Iterable[ShopOrderLine]) -> None:
        refs, eans, pids = set(), set(), set()
        for line in lines:
            for cand in sku_candidates(line):
                {"reference": refs, "ean13": eans, "ids": pids}[cand.kind].add(
                    cand.value[0] if cand.kind == "ids" else cand.value)
        # Demo products (`wms demo`) are never matched: their shop ids and codes are made up.
        self.by_sku = {p.sku: p for p in db.session.execute(
            select(Product).where(Product.sku.in_(refs), Product.is_demo.is_(False))).scalars()} if refs else {}
        self.by_ean = {b.code: b.product for b in db.session.execute(
            select(Barcode).join(Product, Product.id == Barcode.product_id).where(
                Barcode.code.in_(eans), Barcode.pack_qty == 1, Product.is_demo.is_(False))).scalars()} if eans else {}
        self.by_ids = {(p.ps_product_id, p.ps_combination_id or 0): p for p in db.session.execute(
            select(Product).where(Product.ps_product_id.in_(pids), Product.is_demo.is_(False))).scalars()} if pids else {}

    def resolve(self, line: ShopOrderLine) -> Product | None:
        for cand in sku_candidates(line):
            product = {"reference": self.by_sku, "ean13": self.by_ean, "ids": self.by_ids}[cand.kind].get(cand.value)
            if product is not None:
                return product
        return None


def _cut(value: str | None, size: int) -> str | None:
    return value[:size] if value else None


def _make_lines(order: Order, shop_order: ShopOrder, resolver: _ProductResolver) -> list[str]:
    """Add the shop's lines to ``order``; return a description of each line whose product is unknown."""
    unknown = []
    for number, line in enumerate((ln for ln in shop_order.lines if ln.quantity > 0), start=1):
        product = resolver.resolve(line)
        if product is None:
            unknown.append(f"{line.reference or '(no reference)'} / EAN {line.ean13 or '-'} / "
                           f"shop product {line.product_id}-{line.combination_id} \"{line.name[:60]}\"")
        order.lines.append(OrderLine(
            line_no=number, ps_order_detail_id=line.id, product_id=product.id if product else None,
            sku=_cut(line.reference or (product.sku if product else None), 64), name=(line.name or "?")[:255],
            ean13=_cut(line.ean13, 14), ps_product_id=line.product_id, ps_combination_id=line.combination_id,
            quantity=line.quantity, unit_price=line.unit_price.quantize(Decimal("0.01")),
        ))
    return unknown


def _hold_reason(unknown: list[str]) -> str:
    text = (f"{UNKNOWN_PRODUCT} on {len(unknown)} line(s): " + "; ".join(unknown)
            + ". Create the product (or add its barcode) and the order is released at the next sync.")
    return text[:500]


def _build_order(ctx: _Context, shop_order: ShopOrder, resolver: _ProductResolver,
                 addresses: dict[int, Any], customers: dict[int, Any]) -> Order:
    """Create the WMS order for a new shop order (on hold when a product is unknown)."""
    address = addresses.get(shop_order.id_address_delivery)
    customer = customers.get(shop_order.id_customer)
    order = Order(
        shop=ctx.settings.name, ps_order_id=shop_order.id,
        reference=shop_order.reference or f"PS{shop_order.id}", status=OrderStatus.NEW,
        ps_state=shop_order.current_state, ps_date_upd=shop_order.date_upd,
        customer_name=_cut(f"{customer.firstname} {customer.lastname}".strip(), 200) if customer else None,
        customer_email=_cut(customer.email, 200) if customer else None,
        total_paid=shop_order.total_paid_tax_incl.quantize(Decimal("0.01")),
        total_shipping=shop_order.total_shipping_tax_incl.quantize(Decimal("0.01")),
        ordered_at=shop_order.date_add, carrier_id=ctx.carrier_id(shop_order.id_carrier),
        language=ctx.language(shop_order.id_lang),
    )
    if address is not None:
        order.ship_name = _cut(f"{address.firstname} {address.lastname}".strip(), 200)
        order.ship_company = _cut(address.company, 200)
        order.ship_address1 = _cut(address.address1, 200)
        order.ship_address2 = _cut(address.address2, 200)
        order.ship_postcode = _cut(address.postcode, 20)
        order.ship_city = _cut(address.city, 80)
        order.ship_country = _cut(address.country_iso, 2)
        order.ship_phone = _cut(address.phone_mobile or address.phone, 40)
    db.session.add(order)
    _read_relay_point(ctx, order, shop_order)
    unknown = _make_lines(order, shop_order, resolver)
    record_event(order, "imported", _("Imported from shop %(name)s, order %(id)s "
                                      "(%(reference)s), state %(current_state)s.",
                                      name=repr(ctx.settings.name), id=shop_order.id, reference=shop_order.reference, current_state=shop_order.current_state))
    if address is None:
        _hold(order, _("Delivery address %(id_address_delivery)s not found in the shop: fix the "
                       "order's address in the shop; it is read again at its next change.",
                       id_address_delivery=shop_order.id_address_delivery))
    if unknown:
        _hold(order, _hold_reason(unknown))
    if order.carrier_id is None:
        record_event(order, "carrier_unknown", _("Shop carrier %(id_carrier)s has no WMS carrier "
                                                 "with its id_reference: choose the carrier "
                                                 "before packing.",
                                                 id_carrier=shop_order.id_carrier))
    return order


def _read_relay_point(ctx: _Context, order: Order, shop_order: ShopOrder) -> None:
    """For a relay-point service, read the relay point the customer chose in the shop."""
    carrier = db.session.get(Carrier, order.carrier_id) if order.carrier_id else None
    if carrier is None or not carrier.relay:
        return
    point = None
    if ctx.relay_unsupported is None:
        try:
            point = ctx.client.get_relay_point(shop_order.id)
        except (ShopBadRequest, ShopAuthError, ShopNotFound) as exc:
            ctx.relay_unsupported = f"the shop does not answer wms_relay_points ({exc.__class__.__name__})"
        except ShopError as exc:
            log.warning("shop %r: relay point of order %s not read: %s", ctx.settings.name, shop_order.id, exc)
    if point is not None:
        order.relay_point_id = _cut(str(point["relay_point_id"]).strip(), 32)
        record_event(order, "relay_point", _("Relay point %(relay_point_id)s chosen in the shop "
                                             "(%(module)s).", relay_point_id=order.relay_point_id,
                                             module=point.get('module') or _('relay module')))
        return
    why = f": {ctx.relay_unsupported}" if ctx.relay_unsupported else ""
    record_event(order, "relay_unknown", _("%(name)s delivers to a relay point but the shop gave "
                                           "none%(why)s. Set it on the order page before packing.",
                                           name=carrier.name, why=why))


def _hold(order: Order, reason: str) -> None:
    order.status = OrderStatus.ON_HOLD
    order.hold_reason = reason[:500]
    record_event(order, "hold", reason)


def _apply_changes(ctx: _Context, order: Order, shop_order: ShopOrder, resolver: _ProductResolver,
                   result: ImportResult) -> None:
    """Bring an imported order in line with the shop: cancellation, edited lines, new state."""
    settings = ctx.settings
    same_date = _naive(order.ps_date_upd) == shop_order.date_upd and shop_order.date_upd is not None
    if same_date and order.ps_state == shop_order.current_state:
        result.skipped += 1  # seen again through the overlap: nothing changed
        return
    result.updated += 1
    if order.language is None and shop_order.id_lang:
        order.language = ctx.language(shop_order.id_lang)  # orders imported before languages
    old_state = order.ps_state
    order.ps_state = shop_order.current_state
    order.ps_date_upd = shop_order.date_upd
    if shop_order.current_state in settings.cancel_states:
        order = lock_order(order)  # a packing or picking scan may be changing it right now
        if order.status not in (OrderStatus.SHIPPED, OrderStatus.CANCELLED):
            # The one cancel of the warehouse: an order already in parcels is held, not cancelled.
            cancel_order(order, f"The shop set state {shop_order.current_state} (cancelled or refunded).",
                         from_shop=True)
            if order.status is OrderStatus.CANCELLED:
                result.cancelled += 1
            else:
                result.held += 1
        elif order.status == OrderStatus.SHIPPED:
            record_event(order, "shop_cancelled_after_ship",
                         _("The shop set state %(current_state)s after the order shipped: handle "
                           "the return.", current_state=shop_order.current_state))
        return
    if old_state != shop_order.current_state:
        record_event(order, "shop_state", _("Shop state %(old_state)s -> %(current_state)s.",
                                            old_state=old_state, current_state=shop_order.current_state))
    if _lines_differ(order, shop_order):
        if _resync_lines(order, shop_order, resolver):
            result.resynced += 1


def _shop_line_key(lines) -> list[tuple]:
    return sorted((ln.id, ln.product_id, ln.combination_id, ln.quantity) for ln in lines if ln.quantity > 0)


def _lines_differ(order: Order, shop_order: ShopOrder) -> bool:
    if order.parts:
        # A split order: its lines are shared with its parts (quantities add up per shop line).
        summed: dict[tuple, int] = defaultdict(int)
        for member in (order, *order.parts):
            for ln in member.lines:
                summed[(ln.ps_order_detail_id, ln.ps_product_id, ln.ps_combination_id or 0)] += ln.quantity
        ours = sorted((*key, qty) for key, qty in summed.items() if qty > 0)
    else:
        ours = sorted((ln.ps_order_detail_id, ln.ps_product_id, ln.ps_combination_id or 0, ln.quantity)
                      for ln in order.lines)
    return ours != _shop_line_key(shop_order.lines)


def _resync_lines(order: Order, shop_order: ShopOrder, resolver: _ProductResolver) -> bool:
    """Rebuild the lines of an order not yet picked; return False when it is too late to do it safely."""
    started = any(ln.quantity_picked or ln.quantity_packed or ln.quantity_shipped for ln in order.lines)
    if started or order.status not in RESYNCABLE or order.parts:
        record_event(order, "shop_lines_changed",
                     _("The shop changed this order's lines after picking started: check it by "
                       "hand (the warehouse keeps the lines it is picking)."))
        return False
    # Off its pick list first: a list must not keep an order whose lines are rebuilt.
    detach_order(order)
    if any(ln.quantity_allocated for ln in order.lines):
        release_order_allocations(order)
    manual_hold = order.status == OrderStatus.ON_HOLD and not (order.hold_reason or "").startswith(UNKNOWN_PRODUCT)
    order.lines.clear()
    db.session.flush()
    unknown = _make_lines(order, shop_order, resolver)
    record_event(order, "resynced", ngettext("Lines re-read from the shop (%(num)d line).",
                                             "Lines re-read from the shop (%(num)d lines).",
                                             len(order.lines)))
    if unknown:
        _hold(order, _hold_reason(unknown))
    elif not manual_hold:
        order.status = OrderStatus.NEW
        order.hold_reason = None
    return True


def release_held_orders(shop: str) -> int:
    """Re-resolve lines of orders held for unknown products; release those now complete. Return how many."""
    held = db.session.execute(select(Order).where(
        Order.shop == shop, Order.status == OrderStatus.ON_HOLD,
        Order.hold_reason.like(f"{UNKNOWN_PRODUCT}%"))).scalars().all()
    released: list[Order] = []
    for order in held:
        missing = [ln for ln in order.lines if ln.product_id is None]
        fake = [ShopOrderLine(id=ln.ps_order_detail_id or 0, product_id=ln.ps_product_id or 0,
                              combination_id=ln.ps_combination_id or 0, quantity=ln.quantity, name=ln.name,
                              reference=ln.sku or "", ean13=ln.ean13 or "", upc="", unit_price=Decimal(0))
                for ln in missing]
        resolver = _ProductResolver(fake)
        for ln, shop_line in zip(missing, fake):
            product = resolver.resolve(shop_line)
            if product is not None:
                ln.product_id = product.id
        if all(ln.product_id is not None for ln in order.lines):
            order.status = OrderStatus.NEW
            order.hold_reason = None
            record_event(order, "released", _("Every product is now known: the order is released."))
            released.append(order)
    db.session.flush()
    # Its site was forecast without the products unknown then: forecast it again.
    route_new_orders(released)
    return len(released)


# ------------------------------------------------------------------------------ stock


@dataclass(frozen=True)
class StockDifference:
    """One SKU whose shop quantity differs from what the warehouse can sell."""

    sku: str
    ps_product_id: int
    ps_combination_id: int
    shop_quantity: int | None
    wms_available: int

    @property
    def difference(self) -> int | None:
        return None if self.shop_quantity is None else self.shop_quantity - self.wms_available


@dataclass
class StockPushResult:
    """What one stock push did."""

    pushed: int = 0
    unchanged: int = 0
    missing_in_shop: list[str] = field(default_factory=list)


def _mapped_products() -> list[Product]:
    # Demo products (`wms demo`) never reach a shop's stock.
    return list(db.session.execute(select(Product).where(
        Product.ps_product_id.is_not(None), Product.active.is_(True), Product.is_demo.is_(False))
        .order_by(Product.id)).scalars())


def unimported_units(settings: ShopSettings, client: PrestaShopClient) -> dict[tuple[int, int], int]:
    """Return units per (shop product, combination) in shop orders the warehouse does not hold yet."""
    cursor = get_cursor(settings.name).last_date_upd
    rows: dict[int, dict[str, Any]] = {}
    if settings.awaiting_states:
        for page in client.iter_pages("orders", {"current_state": sorted(settings.awaiting_states)}):
            rows.update((coerce_int(r.get("id")), r) for r in page)
    filters: dict[str, Any] = {"current_state": sorted(settings.import_states)}
    if cursor is not None:
        filters["date_upd"] = greater_than(cursor - timedelta(seconds=settings.overlap_s))
    for page in client.iter_pages("orders", filters, date_filter=cursor is not None):
        rows.update((coerce_int(r.get("id")), r) for r in page)
    known = set(db.session.execute(select(Order.ps_order_id).where(
        Order.shop == settings.name, Order.ps_order_id.in_(list(rows)))).scalars()) if rows else set()
    units: dict[tuple[int, int], int] = defaultdict(int)
    for ident, raw in rows.items():
        if ident in known:
            continue
        for line in map_order(raw).lines:
            units[(line.product_id, line.combination_id)] += max(line.quantity, 0)
    return dict(units)


def available_quantities(products: list[Product], unimported: dict[tuple[int, int], int]) -> dict[int, int]:
    """Return what the shop may sell per product id: sellable on hand - reserved - open unallocated - not imported.

    Sellable on hand is the sum over the sellable sites (a site may be left out, e.g. a returns
    site: Warehouse.sellable).
    """
    ids = [p.id for p in products]
    if not ids:
        return {}
    stock = dict(db.session.execute(
        select(StockLevel.product_id, func.sum(StockLevel.on_hand - StockLevel.reserved))
        .join(Location, Location.id == StockLevel.location_id)
        .join(Warehouse, Warehouse.id == Location.warehouse_id)
        .where(StockLevel.product_id.in_(ids), Location.kind.not_in(UNSELLABLE_KINDS),
               Warehouse.sellable.is_(True))
        .group_by(StockLevel.product_id)).all())
    demand: dict[int, int] = defaultdict(int)
    for line in db.session.execute(select(OrderLine).join(Order).where(
            OrderLine.product_id.in_(ids), Order.status.in_(OPEN_STATUSES))).scalars():
        # Allocated units are already in "reserved"; picked ones left the sellable bins.
        covered = max(line.quantity_allocated, line.quantity_picked, line.quantity_packed, line.quantity_shipped)
        demand[line.product_id] += max(line.quantity - covered, 0)
    out = {}
    for p in products:
        waiting = unimported.get((p.ps_product_id, p.ps_combination_id or 0), 0)
        out[p.id] = max(int(stock.get(p.id) or 0) - demand[p.id] - waiting, 0)
    return out


def _stock_rows(client: PrestaShopClient, products: list[Product]) -> dict[tuple[int, int], list[dict[str, Any]]]:
    rows: dict[tuple[int, int], list[dict[str, Any]]] = defaultdict(list)
    for raw in client.get_stock_availables_bulk({p.ps_product_id for p in products}):
        row = map_stock_available(raw)
        rows[(row.product_id, row.combination_id)].append(dict(row.raw))
    return rows


def push_stock(settings: ShopSettings, client: PrestaShopClient, full: bool = False) -> StockPushResult:
    """Send changed available quantities to the shop's stock_availables (whole node, id_shop kept); commit."""
    result = StockPushResult()
    products = _mapped_products()
    available = available_quantities(products, unimported_units(settings, client))
    states = {s.product_id: s for s in db.session.execute(
        select(StockPushState).where(StockPushState.shop == settings.name)).scalars()}
    candidates = [p for p in products if full or p.id not in states or states[p.id].quantity != available[p.id]]
    result.unchanged = len(products) - len(candidates)
    rows = _stock_rows(client, candidates) if candidates else {}
    for product in candidates:
        qty = available[product.id]
        nodes = rows.get((product.ps_product_id, product.ps_combination_id or 0))
        if not nodes:
            result.missing_in_shop.append(product.sku)
            continue
        for node in nodes:
            if coerce_int(node.get("quantity")) == qty:
                continue
            node = {k: v for k, v in node.items() if k != "associations"}
            node["quantity"] = qty
            client.update_stock_available(node)
            result.pushed += 1
        state = states.get(product.id) or _push_state(settings.name, product.id, qty)
        states[product.id] = state
        state.quantity, state.pushed_at = qty, utcnow()
        # Commit per product: a failure later in the run must not forget what the shop already has.
        db.session.commit()
    return result


def _push_state(shop: str, product_id: int, qty: int) -> StockPushState:
    """Create the push state of a product; another worker pushing at the same time may have made it."""
    state = StockPushState(shop=shop, product_id=product_id, quantity=qty)
    try:
        with db.session.begin_nested():
            db.session.add(state)
    except IntegrityError:
        state = db.session.execute(select(StockPushState).where(
            StockPushState.shop == shop, StockPushState.product_id == product_id)).scalar_one()
    return state


def stock_differences(settings: ShopSettings, client: PrestaShopClient) -> list[StockDifference]:
    """Return every mapped SKU whose shop quantity differs from the warehouse's available quantity."""
    products = _mapped_products()
    available = available_quantities(products, unimported_units(settings, client))
    rows = _stock_rows(client, products)
    out = []
    for product in products:
        nodes = rows.get((product.ps_product_id, product.ps_combination_id or 0))
        shop_qty = sum(coerce_int(n.get("quantity")) for n in nodes) if nodes else None
        if shop_qty != available[product.id]:
            out.append(StockDifference(product.sku, product.ps_product_id, product.ps_combination_id or 0,
                                       shop_qty, available[product.id]))
    return out


# ------------------------------------------------------------------------------ one round


@dataclass
class RoundReport:
    """What one sync round did, per shop, plus the outbox pass."""

    imports: dict[str, ImportResult] = field(default_factory=dict)
    released: dict[str, int] = field(default_factory=dict)
    stock: dict[str, StockPushResult] = field(default_factory=dict)
    outbox: Any = None
    errors: list[str] = field(default_factory=list)
    requests: int = 0


def run_round(config, client_factory=None, push_stock_now: bool = True) -> RoundReport:
    """Run one round for every configured shop: import and changes, held orders, outbox, stock push.

    One shop failing (down, bad key) is reported and does not stop the others.
    """
    from wms.integrations.prestashop.outbox import ClientPool, process_outbox
    from wms.integrations.prestashop.shops import configured_shops

    report = RoundReport()
    pool = ClientPool(config, client_factory)
    try:
        for settings in configured_shops(config):
            try:
                _, client = pool(settings.name)
                report.imports[settings.name] = import_orders(settings, client)
                report.released[settings.name] = release_held_orders(settings.name)
                db.session.commit()
                # Merchandise returns, where the shop's webservice exposes them.
                from wms.integrations.prestashop.returns import import_returns

                _, return_errors = import_returns(settings, client)
                report.errors.extend(f"shop {settings.name!r}: {e}" for e in return_errors)
                db.session.commit()
            except Exception as exc:  # report and go on with the next shop
                db.session.rollback()
                log.exception("sync of shop %r failed", settings.name)
                report.errors.append(f"shop {settings.name!r}: import failed: {exc}")
        try:
            # Webhook events read from the ledger and the order history (stock.changed, order.short).
            from wms.integrations.webhooks.services import derive_events

            derive_events()
        except Exception as exc:
            db.session.rollback()
            log.exception("deriving webhook events failed")
            report.errors.append(f"webhooks: deriving events failed: {exc}")
        report.outbox = process_outbox(pool)
        if push_stock_now:
            for settings in configured_shops(config):
                try:
                    _, client = pool(settings.name)
                    report.stock[settings.name] = push_stock(settings, client)
                except Exception as exc:
                    db.session.rollback()
                    log.exception("stock push to shop %r failed", settings.name)
                    report.errors.append(f"shop {settings.name!r}: stock push failed: {exc}")
        # Imported here: wms.web loads every blueprint, and the webhooks one imports this module.
        from wms.web.webhooks import forget_old_callbacks

        forget_old_callbacks()
        db.session.commit()
    finally:
        report.requests = sum(c.request_count for _, c in pool.clients.values())
        pool.close()
    return report
