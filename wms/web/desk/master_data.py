"""Master data on the desk: products, barcodes, locations, users; CSV import with a preview, and export."""
from __future__ import annotations

import csv
import io
from itertools import islice

from flask import Response, flash, redirect, render_template, request, url_for
from sqlalchemy import or_, select

from wms.db import db, text_problem
from wms.domain import importing
from wms.domain.catalog.models import Product
from wms.domain.catalog.services import add_barcode
from wms.domain.locations.models import Location
from wms.errors import DomainError
from wms.i18n import N_
from wms.web.desk import bp
from wms.web.menu import DESK_MENU, MenuItem, add
from wms.web.tx import transactional
from wms.i18n import _, N_

add(DESK_MENU, MenuItem(N_("Products"), "desk.products", N_("Catalogue, barcodes, CSV"), order=50))
add(DESK_MENU, MenuItem(N_("Locations"), "desk.locations", N_("Bins and docks, CSV"), order=51))

# What can be imported: the import function and the columns it reads.
IMPORTS = {
    "products": (importing.import_products, importing.PRODUCT_COLUMNS),
    "locations": (importing.import_locations, importing.LOCATION_COLUMNS),
}
MAX_UPLOAD = 5_000_000
IMPORT_NAMES = (N_("products"), N_("locations"))  # named in the import page's sentences


@bp.route("/products")
def products():
    q = request.args.get("q", "").strip()
    query = select(Product).order_by(Product.sku).limit(300)
    if q:
        like = f"%{q}%"
        query = query.where(or_(Product.sku.ilike(like), Product.name.ilike(like),
                                Product.id.in_(select(Product.id).join(Product.barcodes)
                                               .where(Product.barcodes.any(code=q)))))
    rows = db.session.execute(query).scalars().all()
    return render_template("desk/master/products.html", rows=rows, q=q,
                           form={"sku": request.args.get("sku", "")})


@bp.route("/products", methods=["POST"])
@transactional
def product_create():
    """Create a product by hand (e.g. an unknown SKU from a shop order)."""
    form = request.form
    sku, name, barcode = form.get("sku", "").strip(), form.get("name", "").strip(), form.get("barcode", "").strip()
    try:
        if not sku or not name:
            raise DomainError(_("A product needs a SKU and a name."))
        if any(c.isspace() for c in sku):
            raise DomainError(_("A SKU has no spaces."))
        for column, label, value in ((Product.sku, N_("SKU"), sku), (Product.name, N_("name"), name),
                                     (Product.variant, N_("variant"), form.get("variant", "").strip())):
            if problem := text_problem(column, value):
                raise DomainError(_("The %(field)s %(problem)s.", field=_(label), problem=problem))
        if db.session.execute(select(Product).where(Product.sku == sku)).scalar_one_or_none():
            raise DomainError(_("%(sku)s already exists.", sku=sku))
        product = Product(sku=sku, name=name, variant=form.get("variant", "").strip() or None)
        db.session.add(product)
        db.session.flush()
        if barcode:
            add_barcode(product, barcode)
    except (DomainError, ValueError) as exc:
        rows = db.session.execute(select(Product).order_by(Product.sku).limit(300)).scalars().all()
        return render_template("desk/master/products.html", rows=rows, q="", form=form,
                               error=getattr(exc, "message", str(exc))), 422
    flash(_("Product %(sku)s created.", sku=sku), "ok")
    return redirect(url_for("desk.products", q=sku))


@bp.route("/locations")
def locations():
    q = request.args.get("q", "").strip().upper()
    query = select(Location).order_by(Location.walk_sequence, Location.code).limit(500)
    if q:
        query = query.where(or_(Location.code.ilike(f"%{q}%"), Location.zone == q))
    return render_template("desk/master/locations.html", rows=db.session.execute(query).scalars().all(), q=q)


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(cell):
    """A cell a spreadsheet will not run: text starting with = + - @ (or a tab or carriage
    return) gets a leading apostrophe, which Excel and LibreOffice show as plain text.
    Numbers stay numbers (a negative number is not a formula)."""
    if isinstance(cell, str) and cell.startswith(FORMULA_STARTS):
        try:
            float(cell)
        except ValueError:
            return "'" + cell
    return cell


def _export(filename: str, columns: list[str], rows: list[list]) -> Response:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(columns)
    writer.writerows([[spreadsheet_safe(cell) for cell in row] for row in rows])
    return Response(out.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


@bp.route("/products.csv")
def products_csv():
    rows = []
    for p in db.session.execute(select(Product).order_by(Product.sku)).scalars():
        rows.append([p.sku, p.name, p.variant or "", "|".join(b.code for b in p.barcodes),
                     p.ps_product_id or "", p.ps_combination_id if p.ps_product_id else "",
                     p.weight_g or "", p.length_mm or "", p.width_mm or "", p.height_mm or "", p.zone or ""])
    return _export("products.csv", importing.PRODUCT_COLUMNS, rows)


@bp.route("/locations.csv")
def locations_csv():
    rows = [[loc.code, loc.kind.name, loc.zone or "", loc.aisle if loc.aisle is not None else "",
             loc.bay if loc.bay is not None else "", loc.level if loc.level is not None else "",
             "" if loc.pos_x is None else loc.pos_x, "" if loc.pos_y is None else loc.pos_y, loc.walk_sequence,
             loc.warehouse.code]
            for loc in db.session.execute(select(Location).order_by(Location.code)).scalars()]
    return _export("locations.csv", importing.LOCATION_COLUMNS, rows)


def _uploaded_source() -> tuple[importing.CsvSource, bool]:
    """The CSV to check: an uploaded file, read as a stream (decoded as it is read, never held
    whole), or pasted text. Returns (source, whether it is an upload)."""
    upload = request.files.get("file")
    if upload and upload.filename:
        stream = upload.stream  # a temporary file past 500 KB (werkzeug), seekable
        stream.seek(0, io.SEEK_END)
        if stream.tell() > MAX_UPLOAD:
            raise DomainError(_("The file is larger than 5 MB: split it."))
        return importing.open_source(stream), True  # refuses a file in neither UTF-8 nor cp1252
    text = request.form.get("text", "")
    if len(text.encode("utf-8", "surrogatepass")) > MAX_UPLOAD:
        raise DomainError(_("The pasted text is larger than 5 MB: split it, or upload it as files."))
    return importing.open_source(text), False


def _preview(source: importing.CsvSource, columns: list[str]) -> list[tuple[int, dict]]:
    """The first rows of the file for the preview table (read again from its start, up to them)."""
    return list(islice(importing.CsvRows(source, columns, []).rows(), importing.PREVIEW_ROWS))


@bp.route("/import/<any(products, locations):what>", methods=["GET", "POST"])
@transactional
def import_csv(what: str):
    """Upload a CSV: check every row and preview; import only when confirmed and all rows are good."""
    function, columns = IMPORTS[what]
    if request.method == "GET":
        return render_template("desk/master/import.html", what=what, columns=columns)
    try:
        source, uploaded = _uploaded_source()
    except DomainError as exc:
        return render_template("desk/master/import.html", what=what, columns=columns, error=exc.message), 422
    if not source.head(4096).strip():
        return render_template("desk/master/import.html", what=what, columns=columns,
                               error=_("Choose a CSV file (or paste its text).")), 422
    confirm = request.form.get("confirm") == "1"
    try:
        result = function(source, dry_run=not confirm)
    except importing.ImportRefused as refused:
        return render_template("desk/master/import.html", what=what, columns=columns,
                               result=refused.result, preview=_preview(source, columns)), 422
    if confirm:
        flash((_("Imported products: %(created)s created, %(updated)s updated.", created=result.created, updated=result.updated)
               if what == "products" else
               _("Imported locations: %(created)s created, %(updated)s updated.", created=result.created, updated=result.updated)), "ok")
        return redirect(url_for(f"desk.{what}"))
    # The confirming form sends the checked text back (an upload is not kept on the server).
    text = "".join(source.lines()) if uploaded else source.text
    return render_template("desk/master/import.html", what=what, columns=columns, text=text,
                           result=result, preview=_preview(source, columns), ready=True)
