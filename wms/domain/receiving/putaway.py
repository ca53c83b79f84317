"""The putaway flow: take received goods from the dock and put them into a suggested bin."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import exists, select

from wms.barcodes import ScanKind
from wms.db import db
from wms.domain.catalog.models import Product
from wms.domain.catalog.services import product_by_code
from wms.domain.inventory import services as inventory
from wms.domain.inventory.models import MoveReason, StockLevel
from wms.domain.locations.models import PUTAWAY_KINDS, Location, LocationKind
from wms.domain.locations.services import location_by_code
from wms.domain.locations.sites import check_site, current_site_id
from wms.domain.scans.services import load_state, parse, save_state
from wms.errors import DomainError, NotFound
from wms.i18n import _

FLOW = "putaway"
# Bins a suggestion may point at; quarantine is chosen by hand, never suggested.
SUGGESTED_KINDS = (LocationKind.STORAGE, LocationKind.PICK_FACE)
# Where putaway takes goods from: receiving docks, and the returns area (sellable returns).
SOURCE_KINDS = (LocationKind.RECEIVING, LocationKind.RETURNS)


@dataclass
class PutawayView:
    """What the putaway screen shows."""

    dock: Location | None
    product: Product | None
    qty: int
    at_dock: int
    suggestion: Location | None
    prompt: str


def dock_stock(product: Product, dock: Location | None = None) -> list[StockLevel]:
    """Return the free stock of a product on receiving docks, the fullest first."""
    query = (select(StockLevel).join(Location, StockLevel.location_id == Location.id)
             .where(StockLevel.product_id == product.id, Location.kind.in_(SOURCE_KINDS),
                    StockLevel.on_hand > StockLevel.reserved))
    if dock is not None:
        query = query.where(Location.id == dock.id)
    if (site := current_site_id()) is not None:
        query = query.where(Location.warehouse_id == site)  # the handheld's site's docks only
    return list(db.session.execute(query.order_by(StockLevel.on_hand.desc(), Location.code)).scalars())


def waiting_on_docks(limit: int = 20) -> list[StockLevel]:
    """What waits on the receiving docks (deliveries and returns) to be put away: the free
    stock per location and product, the dock's code then the SKU."""
    return list(db.session.execute(
        select(StockLevel).join(Location, StockLevel.location_id == Location.id)
        .join(Product, StockLevel.product_id == Product.id)
        .where(Location.kind == LocationKind.RECEIVING, StockLevel.on_hand > StockLevel.reserved)
        .order_by(Location.code, Product.sku).limit(limit)).scalars())


def suggest_location(product: Product) -> Location | None:
    """Suggest where to put a product: a bin already holding it, else the nearest empty bin.

    "Nearest" is the first by walk_sequence in the product's zone (the picking walk starts
    near the dock); a product without a zone may go to any zone.
    """
    site = current_site_id()  # the handheld's site's bins only
    in_site = () if site is None else (Location.warehouse_id == site,)
    holding = db.session.execute(
        select(Location).join(StockLevel, StockLevel.location_id == Location.id)
        .where(StockLevel.product_id == product.id, StockLevel.on_hand > 0,
               Location.kind.in_(SUGGESTED_KINDS), Location.active.is_(True), *in_site)
        .order_by(Location.kind, Location.walk_sequence, Location.code).limit(1)
    ).scalar_one_or_none()
    if holding is not None:
        return holding
    occupied = exists().where(StockLevel.location_id == Location.id, StockLevel.on_hand > 0)
    query = (select(Location).where(Location.kind.in_(SUGGESTED_KINDS), Location.active.is_(True),
                                    ~occupied, *in_site)
             .order_by(Location.walk_sequence, Location.code).limit(1))
    if product.zone:
        in_zone = db.session.execute(query.where(Location.zone == product.zone)).scalar_one_or_none()
        if in_zone is not None:
            return in_zone
    return db.session.execute(query).scalar_one_or_none()


def current(user) -> PutawayView:
    """Return the operator's putaway screen as it stands."""
    return _view(load_state(user, FLOW, lock=False).data)


def _view(data: dict) -> PutawayView:
    dock = db.session.get(Location, data["dock"]) if data.get("dock") else None
    product = db.session.get(Product, data["product"]) if data.get("product") else None
    suggestion = db.session.get(Location, data["suggestion"]) if data.get("suggestion") else None
    qty = data.get("qty", 0)
    at_dock = 0
    if product is not None and dock is not None:
        level = inventory.stock_at(product, dock)
        at_dock = level.available if level else 0
    if product is None:
        prompt = _("Scan a product on the dock")
    elif suggestion is not None:
        prompt = _("Go to %(location)s and scan it (or scan another bin)", location=suggestion.code)
    else:
        prompt = _("No empty bin found: scan the bin you put it in")
    return PutawayView(dock, product, qty, at_dock, suggestion, prompt)


def scan(user, code: str, qty: int = 1) -> tuple[PutawayView, str]:
    """Apply one putaway scan (a dock, a product or the destination bin)."""
    inventory.check_quantity(qty)
    state = load_state(user, FLOW)
    data = dict(state.data)
    scanned = parse(code)
    if scanned.kind is ScanKind.LOCATION:
        location = location_by_code(scanned.code)
        if location.kind in SOURCE_KINDS and not data.get("qty"):
            save_state(state, dock=location.id)
            return _view(state.data), _("Putting away from %(location)s: scan a product.", location=location.code)
        if not data.get("qty"):
            raise DomainError(_("Scan a product on the dock first, then the bin to put it in."))
        return _put(state, data, location, user)
    if scanned.kind is not ScanKind.PRODUCT:
        raise DomainError(_("%(code)s is a %(kind)s: scan a product or a location.",
                            code=scanned.code, kind=scanned.kind.label))
    try:
        match = product_by_code(scanned.code)
    except NotFound:
        raise DomainError(_("Barcode %(code)s is not known: receive it first (a supervisor can "
                            "link the barcode to its product).", code=scanned.code), code="unknown_barcode") from None
    product = match.product
    if data.get("product") and data["product"] != product.id and data.get("qty"):
        held = db.session.get(Product, data["product"])
        raise DomainError(_("You are putting away %(sku)s: scan its bin first, then "
                            "%(product_sku)s.", sku=held.sku, product_sku=product.sku))
    dock = db.session.get(Location, data["dock"]) if data.get("dock") else None
    levels = dock_stock(product, dock)
    if not levels:
        where = dock.code if dock else _("any receiving dock")
        raise DomainError(_("No %(sku)s waiting on %(where)s: receive it first, or scan the dock "
                            "it is on.", sku=product.sku, where=where))
    level = levels[0]
    total = (data.get("qty", 0) if data.get("product") == product.id else 0) + qty * match.pack_qty
    if total > level.available:
        raise DomainError(_("%(code)s holds only %(available)s of %(sku)s; you scanned "
                            "%(total)s. Count again.",
                            code=level.location.code, available=level.available, sku=product.sku, total=total))
    suggestion = suggest_location(product)
    save_state(state, dock=level.location_id, product=product.id, qty=total,
               suggestion=suggestion.id if suggestion else None)
    if suggestion:
        return _view(state.data), _("%(sku)s: %(qty)s to put away; put away in %(location)s",
                                    sku=product.sku, qty=total, location=suggestion.code)
    return _view(state.data), _("%(sku)s: %(qty)s to put away", sku=product.sku, qty=total)


def take_all(user) -> tuple[PutawayView, str]:
    """Take every free unit of the held product on its dock."""
    state = load_state(user, FLOW)
    data = dict(state.data)
    if not data.get("product") or not data.get("dock"):
        raise DomainError(_("Scan a product on the dock first."))
    level = inventory.stock_at(data["product"], data["dock"])
    free = level.available if level else 0
    if free <= 0:
        raise DomainError(_("Nothing of that product is left on the dock."))
    save_state(state, **dict(data, qty=free))
    return _view(state.data), _("%(sku)s: all %(qty)s to put away", sku=level.product.sku, qty=free)


def _put(state, data: dict, location: Location, user) -> tuple[PutawayView, str]:
    if location.kind not in PUTAWAY_KINDS:
        raise DomainError(_("%(code)s is a %(kind)s location: goods are not put away there. "
                            "Scan a storage, pick-face or quarantine bin.",
                            code=location.code, kind=location.kind.label.lower()),
                          code="wrong_location_kind")
    product = db.session.get(Product, data["product"])
    dock = db.session.get(Location, data["dock"])
    check_site(dock.warehouse_id, dock.code)  # held since the station changed: not across sites
    inventory.move(product, dock, location, data["qty"], user=user, reason=MoveReason.PUTAWAY,
                   reference=f"putaway:{dock.code}")
    suggested = data.get("suggestion")
    save_state(state, dock=dock.id)
    if suggested in (None, location.id):
        return _view(state.data), _("Put away %(qty)s × %(sku)s in %(location)s",
                                    qty=data['qty'], sku=product.sku, location=location.code)
    return _view(state.data), _("Put away %(qty)s × %(sku)s in %(location)s (not the suggested "
                                "bin)", qty=data['qty'], sku=product.sku, location=location.code)


def cancel(user) -> PutawayView:
    """Drop what the operator holds in the flow; nothing was moved yet."""
    state = load_state(user, FLOW)
    save_state(state, dock=state.data.get("dock"))
    return _view(state.data)
