"""The move scan's fast path: the bin to take from, the product(s), the bin to put into.

Everything a scan needs is read in ONE statement, built once per kind of scan: the
operator's flow state (locked, as moving.scan() takes it), the source bin and the product
held, what the scanned code is, the free stock of the product in the source, and whether
this scan id was applied already. Then only what must change is written: the flow state
(one UPDATE), and for the destination the movement (inventory.move_units: one UPDATE of
both stock rows in location-id order, one INSERT).

Anything else (no flow state yet, a refusal, a GS1 scan, a SKU typed by hand) returns None,
and the caller runs the full service, moving.scan(), in the same transaction: every refusal
keeps one wording.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import bindparam, select
from sqlalchemy.orm import aliased

from wms.barcodes import Scan, ScanKind
from wms.db import execute
from wms.domain.catalog.models import Barcode, Product
from wms.domain.inventory import services as inventory
from wms.domain.inventory.models import MoveReason, StockLevel
from wms.domain.inventory.moving import FLOW, MoveView
from wms.domain.locations.models import Location, LocationKind
from wms.domain.locations.sites import check_site
from wms.domain.scans.models import FlowState, ScanRecord
from wms.domain.scans.services import ScanAlreadyApplied, write_state
from wms.i18n import _

# moving.scan(): stock is not taken from these, nor put into these.
NOT_FROM = (LocationKind.STAGING, LocationKind.PACKING)
NOT_INTO = (LocationKind.STAGING, LocationKind.PACKING, LocationKind.RECEIVING, LocationKind.RETURNS)


@dataclass
class _Named:
    """A bin or a product as the move screen shows it (its code or SKU)."""

    id: int
    code: str | None = None
    sku: str | None = None


def _build_read(kind: ScanKind):
    source = aliased(Location)
    free = (select(StockLevel.on_hand - StockLevel.reserved)
            .where(StockLevel.location_id == source.id, StockLevel.product_id == Product.id)
            .scalar_subquery())
    taken = select(ScanRecord.id).where(ScanRecord.scan_id == bindparam("scan_id")).scalar_subquery()
    if kind is ScanKind.PRODUCT:
        query = (select(FlowState.id, FlowState.data, Barcode.product_id, Barcode.pack_qty,
                        Product.sku, Product.active, source.id, source.code, free, taken)
                 .select_from(FlowState)
                 .join(Barcode, Barcode.code == bindparam("code"))
                 .join(Product, Product.id == Barcode.product_id))
    else:
        scanned = aliased(Location)
        query = (select(FlowState.id, FlowState.data, scanned.id, scanned.code, scanned.kind,
                        scanned.active, Product.sku, source.id, source.code, source.active, free,
                        scanned.warehouse_id, source.warehouse_id, taken)
                 .select_from(FlowState)
                 .join(scanned, scanned.code == bindparam("code"))
                 .outerjoin(Product, Product.id == FlowState.data["product"].as_integer()))
    return (query.outerjoin(source, source.id == FlowState.data["source"].as_integer())
            .where(FlowState.user_id == bindparam("user"), FlowState.flow == FLOW)
            .with_for_update(of=FlowState))


_READ = {kind: _build_read(kind) for kind in (ScanKind.PRODUCT, ScanKind.LOCATION)}


def fast_scan(user, scanned: Scan, qty: int, scan_id: str | None) -> tuple[MoveView, str, str | None] | None:
    """Apply a bin or product scan on the common path; None: run moving.scan().

    Returns the view, the sentence, and "product" when a product scan left the operator on
    the same move (the source bin held: only the prompt, the product and the quantity
    change on the screen), else None."""
    if scanned.kind not in _READ or scanned.gs1 is not None:
        return None
    row = execute(_READ[scanned.kind], {"user": user.id, "code": scanned.code,
                                        "scan_id": scan_id or ""}).first()
    if row is None:
        return None  # no flow state yet, or a code that is no barcode or bin
    if row[-1] is not None:
        raise ScanAlreadyApplied(scan_id)
    if scanned.kind is ScanKind.PRODUCT:
        return _product_scan(row, qty)
    return _location_scan(row, user)


def _product_scan(row, qty: int):
    state_id, data, product_id, pack_qty, sku, active, source_id, source_code, free, _taken = row
    data = data or {}
    if not active or source_id is None:
        return None  # out of use, or no source scanned: the full service says so
    if data.get("product") and data["product"] != product_id and data.get("qty"):
        return None  # another product held: refused by the full service
    total = data.get("qty", 0) + qty * pack_qty
    if total > (free or 0):
        return None
    write_state(state_id, {"source": source_id, "product": product_id, "qty": total}, data)
    view = MoveView(_Named(source_id, code=source_code), _Named(product_id, sku=sku), total,
                    _("Scan more %(sku)s, or the destination location", sku=sku))
    return view, _("%(sku)s: %(qty)s to move", sku=sku, qty=total), "product"


def _location_scan(row, user):
    (state_id, data, location_id, code, kind, active, sku, source_id, source_code, source_active,
     free, site, source_site, _taken) = row
    data = data or {}
    if not active:
        return None
    check_site(site, code)  # a bin of another site: refused by name, nothing written
    qty = data.get("qty")
    if not data.get("source") or not qty:
        if kind in NOT_FROM:
            return None  # refused by the full service
        write_state(state_id, {"source": location_id}, data)
        view = MoveView(_Named(location_id, code=code), None, 0,
                        _("Scan a product in %(location)s", location=code))
        return view, _("Taking from %(location)s", location=code), None
    if source_id is not None:
        check_site(source_site, source_code)  # held since the station changed: not across sites
    if (kind in NOT_INTO or sku is None or source_id is None or not source_active
            or location_id == source_id or (free or 0) < qty):
        return None  # a refusal (the full service words it)
    inventory.move_units(data["product"], source_id, location_id, qty, reason=MoveReason.MOVED,
                         user_id=user.id, reference=f"move:{source_code}>{code}")
    write_state(state_id, {}, data)
    view = MoveView(None, None, 0, _("Scan the location to take from"))
    return view, _("Moved %(qty)s × %(sku)s from %(source)s to %(location)s",
                   qty=qty, sku=sku, source=source_code, location=code), None
