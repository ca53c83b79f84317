"""The putaway scan's fast path: a product taken from the dock, and the bin it goes into.

Everything a scan needs is read in ONE statement, built once per kind of scan: the
operator's flow state (locked, as putaway.scan() takes it), the dock and the product held,
what the scanned code is, the free stock on the dock, and whether this scan id was applied
already; a product scan also reads the suggested bin (putaway.suggest_location(): a bin
holding the product, else the first empty bin in its zone, else anywhere). Then only what
must change is written: the flow state (one UPDATE), and for the bin scan the movement
(inventory.move_units: one UPDATE of both stock rows, one INSERT).

Anything else (no flow state yet, a refusal, a GS1 scan, a SKU typed by hand) returns None,
and the caller runs the full service, putaway.scan(), in the same transaction: every
refusal keeps one wording.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import bindparam, exists, func, or_, select
from sqlalchemy.orm import aliased

from wms.barcodes import Scan, ScanKind
from wms.db import db
from wms.domain.catalog.models import Barcode, Product
from wms.domain.inventory import services as inventory
from wms.domain.inventory.models import MoveReason, StockLevel
from wms.domain.locations.models import PUTAWAY_KINDS, Location
from wms.domain.locations.sites import check_site, current_site_id
from wms.domain.receiving.putaway import FLOW, SOURCE_KINDS, SUGGESTED_KINDS, PutawayView
from wms.domain.scans.models import FlowState, ScanRecord
from wms.domain.scans.services import ScanAlreadyApplied, write_state
from wms.i18n import _


@dataclass
class _Product:
    sku: str
    name: str
    variant: str | None

    @property
    def display_name(self) -> str:
        return f"{self.name} ({self.variant})" if self.variant else self.name


@dataclass
class _Location:
    id: int
    code: str
    kind: object = None
    zone: str | None = None


def _taken():
    return select(ScanRecord.id).where(ScanRecord.scan_id == bindparam("scan_id")).scalar_subquery()


def _in_site(location):
    """The handheld's site (bind parameter "site", 0: no site, every site's bins)."""
    return or_(bindparam("site") == 0, location.warehouse_id == bindparam("site"))


def _suggestion(product):
    """putaway.suggest_location() as one expression: the id of the bin to suggest."""
    holding = (select(Location.id).join(StockLevel, StockLevel.location_id == Location.id)
               .where(StockLevel.product_id == product.id, StockLevel.on_hand > 0,
                      Location.kind.in_(SUGGESTED_KINDS), Location.active.is_(True), _in_site(Location))
               .order_by(Location.kind, Location.walk_sequence, Location.code).limit(1))
    empty = aliased(Location)
    occupied = exists().where(StockLevel.location_id == empty.id, StockLevel.on_hand > 0)
    free = (select(empty.id).where(empty.kind.in_(SUGGESTED_KINDS), empty.active.is_(True), ~occupied,
                                   _in_site(empty))
            .order_by(empty.walk_sequence, empty.code).limit(1))
    return func.coalesce(holding.scalar_subquery(),
                         free.where(empty.zone == product.zone, product.zone != "").scalar_subquery(),
                         free.scalar_subquery())


def _build_product_read():
    dock_level = aliased(StockLevel)
    dock = aliased(Location)
    suggested = aliased(Location)
    held_dock = FlowState.data["dock"].as_integer()
    # putaway.dock_stock(): the free stock on the dock held, else on the fullest source.
    fullest = (select(StockLevel.id).join(Location, Location.id == StockLevel.location_id)
               .where(StockLevel.product_id == Product.id, Location.kind.in_(SOURCE_KINDS),
                      StockLevel.on_hand > StockLevel.reserved, _in_site(Location),
                      or_(held_dock.is_(None), Location.id == held_dock))
               .order_by(StockLevel.on_hand.desc(), Location.code).limit(1).scalar_subquery())
    return (
        select(FlowState.id, FlowState.data, Barcode.product_id, Barcode.pack_qty,
               Product.sku, Product.name, Product.variant, Product.active,
               dock.id, dock.code, dock_level.on_hand - dock_level.reserved,
               suggested.id, suggested.code, suggested.kind, suggested.zone, _taken())
        .select_from(FlowState)
        .join(Barcode, Barcode.code == bindparam("code"))
        .join(Product, Product.id == Barcode.product_id)
        .outerjoin(dock_level, dock_level.id == fullest)
        .outerjoin(dock, dock.id == dock_level.location_id)
        .outerjoin(suggested, suggested.id == _suggestion(Product))
        .where(FlowState.user_id == bindparam("user"), FlowState.flow == FLOW)
        .with_for_update(of=FlowState)
    )


def _build_location_read():
    scanned, dock = aliased(Location), aliased(Location)
    return (
        select(FlowState.id, FlowState.data, scanned.id, scanned.code, scanned.kind, scanned.active,
               dock.code, dock.active, Product.sku, Product.name, Product.variant, scanned.warehouse_id,
               dock.warehouse_id,
               select(StockLevel.on_hand - StockLevel.reserved)
               .where(StockLevel.location_id == dock.id, StockLevel.product_id == Product.id)
               .scalar_subquery(),
               _taken())
        .select_from(FlowState)
        .join(scanned, scanned.code == bindparam("code"))
        .outerjoin(dock, dock.id == FlowState.data["dock"].as_integer())
        .outerjoin(Product, Product.id == FlowState.data["product"].as_integer())
        .where(FlowState.user_id == bindparam("user"), FlowState.flow == FLOW)
        .with_for_update(of=FlowState)
    )


_READ = {ScanKind.PRODUCT: _build_product_read(), ScanKind.LOCATION: _build_location_read()}


def fast_scan(user, scanned: Scan, qty: int, scan_id: str | None) -> tuple[PutawayView, str, str | None] | None:
    """Apply a product or bin scan on the common path; None: run putaway.scan().

    Returns the view, the sentence, and "qty" when the scan only added to the product held
    (same dock, same product, same suggestion: the screen changes only there), else None."""
    if scanned.kind not in _READ or scanned.gs1 is not None:
        return None
    row = db.session.execute(_READ[scanned.kind], {"user": user.id, "code": scanned.code,
                                                   "scan_id": scan_id or "",
                                                   "site": current_site_id() or 0}).first()
    if row is None:
        return None  # no flow state yet, or a code that is no barcode or bin
    if row[-1] is not None:
        raise ScanAlreadyApplied(scan_id)
    if scanned.kind is ScanKind.PRODUCT:
        return _product_scan(row, qty)
    return _location_scan(row, user)


def _product_scan(row, qty: int):
    (state_id, data, product_id, pack_qty, sku, name, variant, active, dock_id, dock_code, free,
     suggestion_id, suggestion_code, suggestion_kind, suggestion_zone, _taken_id) = row
    data = data or {}
    if not active or dock_id is None:
        return None  # out of use, or none waiting: the full service says so
    if data.get("product") and data["product"] != product_id and data.get("qty"):
        return None  # another product held: refused by the full service
    more = bool(data.get("qty")) and data.get("product") == product_id
    total = (data["qty"] if more else 0) + qty * pack_qty
    if total > free:
        return None
    write_state(state_id, {"dock": dock_id, "product": product_id, "qty": total,
                           "suggestion": suggestion_id}, data)
    product = _Product(sku, name, variant)
    suggestion = (None if suggestion_id is None else
                  _Location(suggestion_id, suggestion_code, suggestion_kind, suggestion_zone))
    if suggestion is not None:
        prompt = _("Go to %(location)s and scan it (or scan another bin)", location=suggestion.code)
        message = _("%(sku)s: %(qty)s to put away; put away in %(location)s",
                    sku=sku, qty=total, location=suggestion.code)
    else:
        prompt = _("No empty bin found: scan the bin you put it in")
        message = _("%(sku)s: %(qty)s to put away", sku=sku, qty=total)
    view = PutawayView(_Location(dock_id, dock_code), product, total, free, suggestion, prompt)
    same = more and data.get("dock") == dock_id and data.get("suggestion") == suggestion_id
    return view, message, "qty" if same else None


def _location_scan(row, user):
    (state_id, data, location_id, code, kind, active, dock_code, dock_active, sku, name, variant,
     site, dock_site, free, _taken_id) = row
    data = data or {}
    if not active:
        return None
    check_site(site, code)  # a bin of another site: refused by name, nothing written
    dock_id, product_id, qty = data.get("dock"), data.get("product"), data.get("qty")
    if not qty:
        if kind not in SOURCE_KINDS:
            return None  # nothing held: refused by the full service
        write_state(state_id, {"dock": location_id}, data)
        view = PutawayView(_Location(location_id, code), None, 0, 0, None,
                           _("Scan a product on the dock"))
        return view, _("Putting away from %(location)s: scan a product.", location=code), None
    if dock_code is not None:
        check_site(dock_site, dock_code)  # held since the station changed: not across sites
    if (kind not in PUTAWAY_KINDS or sku is None or dock_code is None or not dock_active
            or location_id == dock_id or free is None or free < qty):
        return None  # a refusal (the full service words it)
    inventory.move_units(product_id, dock_id, location_id, qty, reason=MoveReason.PUTAWAY,
                         user_id=user.id, reference=f"putaway:{dock_code}")
    write_state(state_id, {"dock": dock_id}, data)
    view = PutawayView(_Location(dock_id, dock_code), None, 0, 0, None, _("Scan a product on the dock"))
    if data.get("suggestion") in (None, location_id):
        message = _("Put away %(qty)s × %(sku)s in %(location)s", qty=qty, sku=sku, location=code)
    else:
        message = _("Put away %(qty)s × %(sku)s in %(location)s (not the suggested "
                    "bin)", qty=qty, sku=sku, location=code)
    return view, message, None
