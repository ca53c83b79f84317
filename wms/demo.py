"""The demo warehouse, ready to use in five minutes: work waiting at every screen, and a sheet
of the barcodes to scan (badges, a receipt and its products, bins, pick lists, totes).

`wms demo` loads it into an empty database (master data, demo catalog and stock, demo orders,
then `seed_demo_work`) and writes `barcode_sheet_pdf()` into the instance folder. Everything
here is demo data: demo orders and products are marked `is_demo` and never reach a shop.
"""
from __future__ import annotations

import io
from dataclasses import dataclass

from sqlalchemy import func, select

from wms.db import db

DEMO_SUPPLIER = "Demo Supplier Ltd"
DEMO_RECEIPT_REFERENCE = "PO-DEMO-1"
DEMO_STATION = "Packing 1"
DEMO_PRINTER = "Packing 1 (PDF)"
DEMO_TOTES = ("TOTE-01", "TOTE-02", "TOTE-03", "TOTE-04")
# Single-order pick lists released, then one batch of this many orders into totes.
SINGLE_LISTS = 3
BATCH_ORDERS = 3


def seed_demo_work(user=None) -> dict:
    """Give each handheld screen something to do: an open expected receipt, released pick lists
    (single orders and a batch into totes) and a packing station whose printer is a PDF.
    Runs once: it does nothing when a receipt or a pick list exists already."""
    from wms.domain.catalog.models import Product
    from wms.domain.orders.models import Order
    from wms.domain.picking.models import PickList, PickListKind
    from wms.domain.picking.services import create_pick_list, pickable_orders
    from wms.domain.printing.models import Printer, PrinterKind, Station
    from wms.domain.receiving.models import Receipt
    from wms.domain.receiving.services import create_receipt

    made = {"receipt": None, "pick_lists": [], "station": None}
    if not db.session.scalar(select(func.count()).select_from(Receipt)):
        products = db.session.execute(select(Product).where(Product.is_demo.is_(True))
                                      .order_by(Product.id).limit(60)).scalars().all()
        # Three products of different families, with their vendor barcodes to scan.
        chosen = [p for p in products if p.main_barcode][::20][:3]
        if chosen:
            made["receipt"] = create_receipt([(p, qty) for p, qty in zip(chosen, (12, 6, 4))],
                                             supplier=DEMO_SUPPLIER, reference=DEMO_RECEIPT_REFERENCE,
                                             user=user)
    if not db.session.scalar(select(func.count()).select_from(PickList)):
        # The first site's orders (the barcode sheet shows its bins); with several sites the
        # other sites' orders wait on the desk (Picking, filtered by site).
        free = pickable_orders()
        first_site = min((o.warehouse_id for o in free if o.warehouse_id is not None), default=None)
        free = [o for o in free if o.warehouse_id == first_site]
        for order in free[:SINGLE_LISTS]:
            made["pick_lists"].append(create_pick_list([order.id], user=user))
        batch = free[SINGLE_LISTS:SINGLE_LISTS + BATCH_ORDERS]
        if batch:
            made["pick_lists"].append(create_pick_list([o.id for o in batch], kind=PickListKind.BATCH,
                                                       user=user, note="Demo batch: one tote per order"))
    if db.session.execute(select(Station).where(Station.name == DEMO_STATION)).scalar_one_or_none() is None:
        printer = db.session.execute(select(Printer).where(Printer.name == DEMO_PRINTER)).scalar_one_or_none()
        if printer is None:
            printer = Printer(name=DEMO_PRINTER, kind=PrinterKind.PDF_BROWSER)
            db.session.add(printer)
            db.session.flush()
        made["station"] = Station(name=DEMO_STATION, printer_id=printer.id)
        db.session.add(made["station"])
    _demo_site_stations(made)
    if not db.session.scalar(select(func.count()).select_from(Order).where(Order.parent_id.is_not(None))):
        from wms.seed import seed_demo_split_order

        made["split_order"] = seed_demo_split_order()
    made["transfer"] = seed_demo_transfer(user)
    db.session.flush()
    return made


DEMO_SITE_STATION = "Lyon 1"


def _demo_site_stations(made: dict) -> None:
    """With a second site: a station in it, so a handheld that chooses it works in Lyon."""
    from wms.domain.locations.models import Warehouse
    from wms.domain.printing.models import Station

    sites = db.session.execute(select(Warehouse).order_by(Warehouse.id)).scalars().all()
    if len(sites) < 2 or db.session.execute(
            select(Station).where(Station.name == DEMO_SITE_STATION)).scalar_one_or_none() is not None:
        return
    made["site_station"] = Station(name=DEMO_SITE_STATION, warehouse_id=sites[1].id)
    db.session.add(made["site_station"])


DEMO_TRANSFER_TRACKING = "DEMO-TR-1"
DEMO_TRANSFER_UNITS = 4  # per line, at most


def seed_demo_transfer(user=None):
    """With two sites: one transfer from the first (Paris) to the second (Lyon), in transit.

    The two products with the most free stock in the first site's storage bins, up to a few
    units each, created, released, picked and shipped with the transfers services (every step
    through the ledger), so the desk shows it in transit and a Lyon handheld can receive it.
    Runs once: nothing when a transfer exists already. Returns the transfer, or None.
    """
    from wms.domain.catalog.models import Product
    from wms.domain.inventory.models import StockLevel
    from wms.domain.locations.models import Location, LocationKind, Warehouse
    from wms.domain.transfers import services as transfers
    from wms.domain.transfers.models import TransferOrder
    from wms.i18n import _

    sites = db.session.execute(select(Warehouse).order_by(Warehouse.id)).scalars().all()
    if len(sites) < 2 or db.session.scalar(select(func.count()).select_from(TransferOrder)):
        return None
    source, destination = sites[0], sites[1]
    free = func.sum(StockLevel.on_hand - StockLevel.reserved)
    rows = db.session.execute(
        select(StockLevel.product_id, free).join(Location, Location.id == StockLevel.location_id)
        .join(Product, Product.id == StockLevel.product_id)
        .where(Location.warehouse_id == source.id, Location.kind == LocationKind.STORAGE,
               Location.active.is_(True), Location.needs_count.is_(False),
               StockLevel.on_hand > StockLevel.reserved, Product.active.is_(True))
        .group_by(StockLevel.product_id).order_by(free.desc(), StockLevel.product_id).limit(2)).all()
    lines = [(db.session.get(Product, product_id), min(DEMO_TRANSFER_UNITS, int(units)))
             for product_id, units in rows if units and units > 0]
    if not lines:
        return None
    transfer = transfers.create_transfer(source, destination, lines, user=user,
                                         note=_("Demo: stock sent from %(source)s to %(destination)s.",
                                                source=source.name, destination=destination.name))
    transfers.release(transfer, user=user)
    transfers.pick_all(transfer, user=user)
    transfers.ship(transfer, user=user, tracking=DEMO_TRANSFER_TRACKING)
    return transfer


@dataclass(frozen=True)
class SheetItem:
    code: str  # what the barcode holds
    caption: str  # what it is


@dataclass(frozen=True)
class SheetSection:
    title: str
    how: str  # what to scan where, in one sentence or two
    items: list[SheetItem]


def sheet_sections(users: list[dict]) -> list[SheetSection]:
    """The demo's barcodes grouped by what an operator does with them, read from the database."""
    from wms.domain.locations.models import Location, LocationKind
    from wms.domain.picking.models import Allocation, PickList, PickListStatus
    from wms.domain.receiving.models import Receipt, ReceiptStatus

    sections = [SheetSection(
        "Sign in (scanner)",
        "Open /handheld/login on the phone or scanner, scan a badge, then type its PIN.",
        [SheetItem(u["badge"], f"{u['name']} ({u['role'].lower()}), PIN {u['pin']}") for u in users if u.get("badge")],
    )]
    receipt = db.session.execute(select(Receipt).where(Receipt.status.in_(
        [ReceiptStatus.EXPECTED, ReceiptStatus.RECEIVING])).order_by(Receipt.id)).scalars().first()
    if receipt is not None:
        items = [SheetItem(receipt.code, f"receipt {receipt.reference or ''} from {receipt.supplier or '-'}")]
        items += [SheetItem(line.product.main_barcode, f"{line.product.sku}: {line.expected} expected")
                  for line in receipt.lines if line.product.main_barcode]
        sections.append(SheetSection(
            "Receive",
            "Home > Receive: scan the receipt, then each product (6* before a scan counts 6). "
            "Scanning more than expected asks for a supervisor's badge and PIN.", items))
    dock = db.session.execute(select(Location).where(Location.kind == LocationKind.RECEIVING)
                              .order_by(Location.code)).scalars().first()
    storage_query = select(Location).where(Location.kind == LocationKind.STORAGE)
    if dock is not None:
        storage_query = storage_query.where(Location.warehouse_id == dock.warehouse_id)  # the dock's site
    storage = db.session.execute(storage_query.order_by(Location.walk_sequence)).scalars().all()
    bins = ([SheetItem(dock.code, "receiving dock: where received goods wait")] if dock else [])
    bins += [SheetItem(loc.code, "storage bin") for loc in storage[:4]]
    sections.append(SheetSection(
        "Put away and move",
        "Home > Put away: scan a product waiting on the dock, then the bin the screen suggests "
        "(or any bin below). Move stock: scan the bin it is in, the product, then the new bin.", bins))
    lists = db.session.execute(select(PickList).where(PickList.status == PickListStatus.OPEN)
                               .order_by(PickList.id)).scalars().all()
    pick_items = []
    for pick_list in lists:
        pick_items.append(SheetItem(pick_list.code, f"pick list, {_count(len(pick_list.orders), 'order')}"
                                    + (", into totes" if pick_list.needs_totes else "")))
    first = db.session.execute(select(Allocation).where(Allocation.pick_list_id.in_([p.id for p in lists]))
                               .order_by(Allocation.pick_list_id, Allocation.sequence)).scalars().first() if lists else None
    if first is not None:
        pick_items.append(SheetItem(first.location.code, f"first bin of {lists[0].code}"))
        if first.product.main_barcode:
            pick_items.append(SheetItem(first.product.main_barcode, f"{first.product.sku}, picked there"))
    pick_items += [SheetItem(tote, "tote (batch lists put each order in one)") for tote in DEMO_TOTES]
    sections.append(SheetSection(
        "Pick",
        "Home > Pick: scan a pick list; the screen shows the bin, then the product to scan. "
        "A batch list first asks for a tote per order.", pick_items))
    sections.append(SheetSection(
        "Pack",
        f"Home > Station: choose \"{DEMO_STATION}\" (its printer is a PDF). Home > Pack: scan the tote "
        "or the order's SO- code on the pick list, then every product; the label opens as a PDF.",
        [SheetItem(tote, "a tote filled by the batch list") for tote in DEMO_TOTES[:2]]))
    return sections


def barcode_sheet_pdf(users: list[dict]) -> bytes:
    """An A4 PDF of the demo's barcodes, grouped by screen, with what to scan where."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.pdfgen.canvas import Canvas

    from wms.labels.pdf import draw_code128

    out = io.BytesIO()
    canvas = Canvas(out, pagesize=A4)
    canvas.setTitle("WMS demo: barcodes to scan")
    width, height = A4
    margin, cols, cell_h = 12 * mm, 3, 27 * mm
    cell_w = (width - 2 * margin) / cols
    y = height - margin

    def new_page():
        nonlocal y
        canvas.showPage()
        y = height - margin

    canvas.setFont("Helvetica-Bold", 15)
    canvas.drawString(margin, y - 12, "WMS demo: the barcodes to scan")
    canvas.setFont("Helvetica", 8.5)
    canvas.drawString(margin, y - 24, "Print at 100 % (or show on a second screen). Desk: /login as admin / admin-demo. "
                                      "Scanner: /handheld/login.")
    y -= 34
    for section in sheet_sections(users):
        lines = _wrap(section.how, 125)
        needed = 14 + 10 * len(lines) + cell_h
        if y - needed < margin:
            new_page()
        canvas.setFont("Helvetica-Bold", 11)
        canvas.drawString(margin, y - 11, section.title)
        canvas.setFont("Helvetica", 8.5)
        y -= 14
        for line in lines:
            canvas.drawString(margin, y - 9, line)
            y -= 10
        y -= 2
        for index, item in enumerate(section.items):
            if index % cols == 0:
                if index:
                    y -= cell_h
                if y - cell_h < margin:
                    new_page()
            x = margin + (index % cols) * cell_w
            canvas.setFont("Helvetica", 7.5)
            canvas.drawString(x + 3 * mm, y - 8, item.caption[:48])
            draw_code128(canvas, item.code, x + 2 * mm, y - cell_h + 2 * mm, cell_w - 4 * mm, cell_h - 2 * mm - 12,
                         text_size=9, max_module=0.45 * mm)
        y -= cell_h + 6
    canvas.save()
    return out.getvalue()


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _wrap(text: str, width: int) -> list[str]:
    lines, current = [], ""
    for word in text.split():
        if current and len(current) + 1 + len(word) > width:
            lines.append(current)
            current = word
        else:
            current = f"{current} {word}".strip()
    return lines + ([current] if current else [])
