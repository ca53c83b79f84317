"""The operator's move flow: scan a source bin, the product(s), then the destination bin."""
from __future__ import annotations

from dataclasses import dataclass

from wms.barcodes import ScanKind
from wms.db import db
from wms.domain.catalog.models import Product
from wms.domain.catalog.services import product_by_code
from wms.domain.inventory import services as inventory
from wms.domain.inventory.models import MoveReason
from wms.domain.locations.models import Location, LocationKind
from wms.domain.locations.services import location_by_code
from wms.domain.locations.sites import check_site
from wms.domain.scans.services import load_state, parse, save_state
from wms.errors import DomainError
from wms.i18n import _

FLOW = "move"


@dataclass
class MoveView:
    """What the move screen shows."""

    source: Location | None
    product: Product | None
    qty: int
    prompt: str


def current(user) -> MoveView:
    state = load_state(user, FLOW, lock=False)
    return _view(state.data)


def _view(data: dict) -> MoveView:
    source = db.session.get(Location, data["source"]) if data.get("source") else None
    product = db.session.get(Product, data["product"]) if data.get("product") else None
    qty = data.get("qty", 0)
    if source is None:
        prompt = _("Scan the location to take from")
    elif not qty:
        prompt = _("Scan a product in %(location)s", location=source.code)
    else:
        prompt = _("Scan more %(sku)s, or the destination location", sku=product.sku)
    return MoveView(source, product, qty, prompt)


def scan(user, code: str, qty: int = 1) -> tuple[MoveView, str]:
    """Apply one scan to the operator's move; return the new view and a status sentence."""
    inventory.check_quantity(qty)
    state = load_state(user, FLOW)
    data = dict(state.data)
    scanned = parse(code)
    if scanned.kind is ScanKind.LOCATION:
        location = location_by_code(scanned.code)
        if not data.get("source") or not data.get("qty"):
            if location.kind is LocationKind.STAGING or location.kind is LocationKind.PACKING:
                raise DomainError(_("%(code)s is a %(kind)s area: stock there belongs to "
                                    "orders. Scan a storage or dock location.",
                                    code=location.code, kind=location.kind.label.lower()))
            save_state(state, source=location.id)
            return _view(state.data), _("Taking from %(location)s", location=location.code)
        source = db.session.get(Location, data["source"])
        product = db.session.get(Product, data["product"])
        check_site(source.warehouse_id, source.code)  # held since the station changed: not across sites
        if location.kind in (LocationKind.STAGING, LocationKind.PACKING, LocationKind.RECEIVING,
                             LocationKind.RETURNS):
            raise DomainError(_("Cannot move stock into %(code)s (%(kind)s). Scan a storage, "
                                "pick-face or quarantine location.",
                                code=location.code, kind=location.kind.label.lower()))
        inventory.move(product, source, location, data["qty"], user=user, reason=MoveReason.MOVED,
                       reference=f"move:{source.code}>{location.code}")
        save_state(state)
        return _view({}), _("Moved %(qty)s × %(sku)s from %(source)s to %(location)s",
                            qty=data['qty'], sku=product.sku, source=source.code,
                            location=location.code)
    if scanned.kind is not ScanKind.PRODUCT:
        raise DomainError(_("%(code)s is a %(kind)s: scan a location or a product.",
                            code=scanned.code, kind=scanned.kind.label))
    if not data.get("source"):
        raise DomainError(_("Scan the location you take from first."))
    match = product_by_code(scanned.code)
    units = qty * match.pack_qty
    if data.get("product") and data["product"] != match.product.id and data.get("qty"):
        held = db.session.get(Product, data["product"])
        raise DomainError(_("You are moving %(sku)s: scan the destination for it first, then "
                            "move %(product_sku)s.", sku=held.sku, product_sku=match.product.sku))
    source = db.session.get(Location, data["source"])
    level = inventory.stock_at(match.product, source)
    free = level.available if level else 0
    total = data.get("qty", 0) + units
    if total > free:
        raise DomainError(_("%(code)s has only %(free)s free of %(sku)s; you scanned %(total)s. "
                            "Recount or report it to a supervisor.",
                            code=source.code, free=free, sku=match.product.sku, total=total))
    save_state(state, source=source.id, product=match.product.id, qty=total)
    return _view(state.data), _("%(sku)s: %(qty)s to move", sku=match.product.sku, qty=total)


def cancel(user) -> None:
    save_state(load_state(user, FLOW))
