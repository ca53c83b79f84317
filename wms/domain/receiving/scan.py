"""The receiving scan's fast path: an item of a delivery counted in, in a handful of statements.

A product scanned on the operator's open receipt, within what the line may reach. Everything
the scan and the screen need is read in ONE statement, built once: the operator's flow state
and the receipt (both locked, in the order receiving.services.scan() takes them), the
receipt's lines with their SKU and name (one row per line), what the scanned barcode is, the
receiving dock, and whether this scan id was applied already. Then only what must change is
written: the dock's balance and the movement (inventory.receive_into: one upsert, one
INSERT) and the line (one UPDATE).

Anything else (a receipt code, a badge, a refusal, an over-receipt, a product not on the
receipt yet, the first unit of an expected receipt, a GS1 scan, a SKU typed by hand) returns
None, and the caller runs the full service, receiving.services.scan(), in the same
transaction: every refusal keeps one wording.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import bindparam, or_, select, update

from wms.barcodes import Scan, ScanKind
from wms.db import execute
from wms.domain.catalog.models import Barcode, Product
from wms.domain.inventory import services as inventory
from wms.domain.inventory.models import MoveReason
from wms.domain.locations.models import Location, LocationKind
from wms.domain.locations.sites import current_site_id
from wms.domain.receiving.models import CODE_PREFIX, Receipt, ReceiptLine, ReceiptStatus
from wms.domain.receiving.services import FLOW, Received, ReceivingView, _received_sentence
from wms.domain.scans.models import FlowState, ScanRecord
from wms.domain.scans.services import ScanAlreadyApplied
from wms.i18n import _


def _dock(column):
    # receiving.services.dock_location() (locations.default_location()): the first active
    # receiving location of the handheld's site (bind parameter "site"; 0: no site, the first
    # site that has one), read afresh.
    return (select(column).where(Location.kind == LocationKind.RECEIVING, Location.active.is_(True),
                                 or_(bindparam("site") == 0, Location.warehouse_id == bindparam("site")))
            .order_by(Location.warehouse_id, Location.code).limit(1).scalar_subquery())


def _build_read():
    return (
        select(FlowState.data, Receipt.id, Receipt.status, Receipt.blind, Receipt.supplier, Receipt.warehouse_id,
               ReceiptLine.id, ReceiptLine.product_id, ReceiptLine.expected, ReceiptLine.received,
               ReceiptLine.approved_max, Product.sku, Product.name, Product.variant, Product.active,
               Barcode.product_id, Barcode.pack_qty, _dock(Location.id),
               select(ScanRecord.id).where(ScanRecord.scan_id == bindparam("scan_id")).scalar_subquery())
        .select_from(FlowState)
        .join(Receipt, Receipt.id == FlowState.data["receipt"].as_integer())
        .join(ReceiptLine, ReceiptLine.receipt_id == Receipt.id)
        .join(Product, Product.id == ReceiptLine.product_id)
        .outerjoin(Barcode, Barcode.code == bindparam("code"))
        .where(FlowState.user_id == bindparam("user"), FlowState.flow == FLOW)
        .order_by(ReceiptLine.id)
        # The lock order of receiving.services.scan(): the flow state, then the receipt.
        .with_for_update(of=[FlowState, Receipt])
    )


_READ = _build_read()
_line_table = ReceiptLine.__table__
MAX_RECEIVED = 2_000_000_000  # a blind receipt has no limit
# The line first, with its limit in the statement: a line another operator counted into while
# this scan waited for the receipt's lock is read here as it is now (the read's lines are
# from before the wait), and a line that would go over is left to the full service.
_COUNT_IN = (update(_line_table)
             .where(_line_table.c.id == bindparam("line"),
                    _line_table.c.received + bindparam("units") <= bindparam("allowed"))
             .values(received=_line_table.c.received + bindparam("units"))
             .returning(_line_table.c.received))


@dataclass
class _Product:
    sku: str
    name: str
    variant: str | None
    display_name: str = ""

    def __post_init__(self):
        self.display_name = f"{self.name} ({self.variant})" if self.variant else self.name


@dataclass
class _Line:
    """What the receiving screen shows of a line (as a ReceiptLine)."""

    id: int
    product: _Product
    expected: int
    received: int
    receipt: "_Receipt" = None

    @property
    def missing(self) -> int:
        return max(self.expected - self.received, 0)

    @property
    def over(self) -> int:
        return max(self.received - self.expected, 0)


@dataclass
class _Receipt:
    """What the receiving screen shows of the receipt (as a Receipt)."""

    id: int
    status: ReceiptStatus
    blind: bool
    supplier: str | None
    lines: list = field(default_factory=list)

    @property
    def code(self) -> str:
        return f"{CODE_PREFIX}{self.id}"

    is_open = True  # the fast path only counts into an open receipt

    @property
    def expected_total(self) -> int:
        return sum(line.expected for line in self.lines)

    @property
    def received_total(self) -> int:
        return sum(line.received for line in self.lines)

    @property
    def missing_total(self) -> int:
        return sum(line.missing for line in self.lines)


def fast_scan(user, scanned: Scan, qty: int, scan_id: str | None, *,
              tolerance_pct: float) -> tuple[ReceivingView, str, str | None] | None:
    """Count a product scan in on the common path; None: run receiving.services.scan().

    Returns (view, message, "item"): an item counted into a line the screen shows, so only
    the totals, the lines and the closing buttons change (never the receipt or its head).
    """
    if scanned.kind is not ScanKind.PRODUCT or scanned.gs1 is not None:
        return None
    rows = execute(_READ, {"user": user.id, "code": scanned.code,
                           "scan_id": scan_id or "", "site": current_site_id() or 0}).all()
    if not rows:
        return None  # no receipt held (or one with no line yet)
    (data, receipt_id, status, blind, supplier, receipt_site, *_rest, barcode_product, pack_qty, dock_id,
     taken) = rows[0]
    if taken is not None:
        raise ScanAlreadyApplied(scan_id)
    if status is not ReceiptStatus.RECEIVING or (data or {}).get("pending") or dock_id is None:
        return None  # closed, its first unit (the status changes), an approval waiting, no dock
    if receipt_site is not None and current_site_id() not in (None, receipt_site):
        return None  # a receipt of another site: the full service refuses it with its sentence
    receipt = _Receipt(receipt_id, status, blind, supplier)
    line = None
    for row in rows:
        (line_id, product_id, expected, received, approved_max, sku, name, variant,
         active) = row[6:15]
        shown = _Line(line_id, _Product(sku, name, variant), expected, received, receipt)
        receipt.lines.append(shown)
        if product_id == barcode_product:
            line, limit, product_active = shown, approved_max, active
    if line is None or not product_active:
        return None  # unknown barcode, a product not on the receipt, or one out of use
    units = qty * pack_qty
    allowed = None
    if not blind:
        # receiving.services.allowed_max(): over it, the full service refuses or approves.
        allowed = max(line.expected + int(line.expected * float(tolerance_pct) / 100), limit or 0)
        if line.received + units > allowed:
            return None
    received = execute(_COUNT_IN, {"line": line.id, "units": units,
                                   "allowed": MAX_RECEIVED if allowed is None else allowed}).scalar()
    if received is None:
        return None  # counted into meanwhile, now over: nothing written, the full service decides
    inventory.receive_into(barcode_product, dock_id, units, reason=MoveReason.RECEIVED,
                           user_id=user.id, reference=receipt.code)
    line.received = received
    view = ReceivingView(receipt, _("Scan each item (or type a quantity for a carton)"), line)
    return view, _received_sentence(Received(line, units)), "item"
