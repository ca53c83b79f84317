"""Print product labels (for goods that arrive unlabelled) and location labels, as PDF."""
from __future__ import annotations

from flask import Response, current_app, render_template, request
from sqlalchemy import select

from wms.db import db
from wms.domain.catalog.models import Product
from wms.domain.locations.models import Location
from wms.domain.receiving import services as receiving
from wms.errors import DomainError
from wms.labels.layout import load_layout
from wms.labels.pdf import render_pdf
from wms.web.desk import bp
from wms.web.menu import DESK_MENU, MenuItem, add
from wms.i18n import _, N_

add(DESK_MENU, MenuItem(N_("Labels"), "desk.labels", N_("Product and location labels (PDF)"),
                        order=80, role="SUPERVISOR"))

LOCATION_LAYOUTS = {"location": N_("one per label-printer page"), "location_sheet_a4": N_("A4 sheets of 10")}
MAX_LABELS = 2000


def product_record(product: Product) -> dict:
    """Return what the product label layout prints about a product."""
    return {"product": {"sku": product.sku, "name": product.display_name,
                        # No EAN/UPC yet: the SKU, as Code 128, is what the label can carry.
                        "barcode": product.main_barcode or product.sku}}


def location_record(location: Location) -> dict:
    """Return what the location label layouts print about a bin."""
    details = [location.kind.label]
    if location.zone:
        details.append(_("zone %(zone)s", zone=location.zone))
    return {"location": {"code": location.code, "description": " · ".join(details)}}


def _pdf(layout_name: str, records: list[dict], filename: str, title: str) -> Response:
    if not records:
        raise DomainError(_("Nothing to print: no product or location matched."))
    if len(records) > MAX_LABELS:
        raise DomainError(_("%(count)s labels is too many for one file; print at most %(max)s.", count=len(records), max=MAX_LABELS))
    layout = load_layout(layout_name, current_app.config.get("LABELS_DIR") or None)
    pdf = render_pdf(layout, records, title=title)
    return Response(pdf, mimetype="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="{filename}"'})


def _copies(raw: str | None) -> int:
    text = (raw or "1").strip()
    if not (text.isascii() and text.isdecimal() and len(text) <= 3) or not 1 <= int(text) <= 500:
        raise DomainError(_("Copies must be a whole number from 1 to 500, not “%(value)s”.", value=text[:20]))
    return int(text)


@bp.route("/labels", endpoint="labels")
def labels_page():
    return render_template("desk/receipts/labels.html", layouts=LOCATION_LAYOUTS)


@bp.route("/labels/products.pdf")
def product_labels():
    """Print labels for the SKUs given (sku=... repeated, or one per line in skus=)."""
    skus = request.args.getlist("sku") + (request.args.get("skus") or "").split()
    copies = _copies(request.args.get("copies"))
    products = [receiving.product_for_sku(sku) for sku in skus if sku.strip()]
    records = [product_record(p) for p in products for _ in range(copies)]
    return _pdf("product", records, "product-labels.pdf", _("Product labels"))


@bp.route("/receipts/<int:receipt_id>/labels.pdf", endpoint="receipt_labels")
def receipt_labels(receipt_id: int):
    """Print one product label per unit of a receipt (received, else expected)."""
    receipt = receiving.get_receipt(receipt_id)
    records = [product_record(line.product) for line in receipt.lines
               for _ in range(line.received or line.expected)]
    return _pdf("product", records, f"{receipt.code}-labels.pdf", _("Labels for %(code)s", code=receipt.code))


@bp.route("/labels/locations.pdf")
def location_labels():
    """Print location labels for codes listed, or every active code starting with a prefix."""
    layout = request.args.get("layout", "location_sheet_a4")
    if layout not in LOCATION_LAYOUTS:
        raise DomainError(_("Unknown layout %(layout)s: use one of %(known)s.", layout=layout, known=", ".join(LOCATION_LAYOUTS)))
    codes = [c.strip().upper() for c in (request.args.get("codes") or "").replace(",", " ").split()]
    prefix = (request.args.get("prefix") or "").strip().upper()
    query = select(Location).where(Location.active.is_(True)).order_by(Location.walk_sequence, Location.code)
    if codes:
        query = query.where(Location.code.in_(codes))
    elif prefix:
        query = query.where(Location.code.startswith(prefix))
    else:
        raise DomainError(_("Type location codes, or a prefix such as A-01 for a whole aisle."))
    locations = db.session.execute(query).scalars().all()
    unknown = sorted(set(codes) - {loc.code for loc in locations})
    if unknown:
        raise DomainError(_("No location has the code %(codes)s: check the spelling.", codes=", ".join(unknown)))
    return _pdf(layout, [location_record(loc) for loc in locations], "location-labels.pdf",
                _("Location labels"))
