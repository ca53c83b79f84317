"""Stock on the desk: balances, the ledger of movements, and adjustments with a reason."""
from __future__ import annotations

from collections import Counter
from datetime import datetime

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import func, or_, select
from sqlalchemy.orm import aliased

from wms.db import db
from wms.domain.catalog.models import Product
from wms.domain.catalog.services import product_by_code
from wms.domain.inventory import services as inventory
from wms.domain.inventory.models import MoveReason, StockLevel, StockMove
from wms.domain.locations.models import Location
from wms.domain.locations.services import location_by_code
from wms.domain.users.models import User
from wms.errors import DomainError
from wms.i18n import _
from wms.web.desk import bp
from wms.web.menu import DESK_MENU, MenuItem, add
from wms.web.tx import transactional
from wms.i18n import _, N_

add(DESK_MENU, MenuItem(N_("Stock"), "desk.stock", N_("Balances by product and location"), order=30))
# The ledger is reached from the Stock page (the desk bar has no room for every page at 1366 px).

PAGE_SIZE = 100


SORTS = {"location": (Location.walk_sequence, Location.code, Product.sku),
         "sku": (Product.sku, Location.walk_sequence, Location.code)}


@bp.route("/stock")
def stock():
    q = request.args.get("q", "").strip()
    sort = request.args.get("sort") if request.args.get("sort") in SORTS else "location"
    from wms.web.desk.sites import desk_site_id

    site = desk_site_id()
    query = (select(StockLevel).join(Product).join(Location)
             .where(StockLevel.on_hand > 0).order_by(*SORTS[sort]))
    if site is not None:
        query = query.where(Location.warehouse_id == site)
    if q:
        like = f"%{q}%"
        query = query.where(or_(Product.sku.ilike(like), Product.name.ilike(like),
                                Location.code.ilike(like)))
    rows = db.session.execute(query.limit(500)).scalars().all()
    # Each SKU's totals over all its locations (not only the rows a search shows).
    totals = {}
    product_ids = {row.product_id for row in rows}
    if product_ids:
        totals_query = (select(StockLevel.product_id, func.sum(StockLevel.on_hand), func.sum(StockLevel.reserved))
                        .where(StockLevel.product_id.in_(product_ids), StockLevel.on_hand > 0)
                        .group_by(StockLevel.product_id))
        if site is not None:
            totals_query = totals_query.join(Location, Location.id == StockLevel.location_id).where(
                Location.warehouse_id == site)
        totals = {pid: (on_hand, reserved) for pid, on_hand, reserved in db.session.execute(totals_query)}
    rows_per_product = Counter(row.product_id for row in rows)
    return render_template("desk/stock/page.html", rows=rows, q=q, sort=sort, totals=totals,
                           rows_per_product=rows_per_product, reasons=MoveReason)


@bp.route("/stock/ledger")
def ledger():
    args = request.args
    src, dst = aliased(Location), aliased(Location)
    query = (select(StockMove).join(Product, StockMove.product_id == Product.id)
             .outerjoin(src, StockMove.from_location_id == src.id)
             .outerjoin(dst, StockMove.to_location_id == dst.id)
             .outerjoin(User, StockMove.user_id == User.id)
             .order_by(StockMove.id.desc()))
    if args.get("sku"):
        query = query.where(Product.sku == args["sku"].strip())
    if args.get("location"):
        code = args["location"].strip().upper()
        query = query.where(or_(src.code == code, dst.code == code))
    if args.get("user"):
        query = query.where(User.username == args["user"].strip())
    if args.get("reason") in MoveReason.__members__:
        query = query.where(StockMove.reason == MoveReason[args["reason"]])
    for name, op in (("since", "__ge__"), ("until", "__le__")):
        if args.get(name):
            try:
                when = datetime.fromisoformat(args[name])
            except ValueError:
                flash(_("%(value)s is not a date (use 2026-11-23).", value=args[name][:40]), "error")
                continue
            query = query.where(getattr(StockMove.created_at, op)(when))
    from wms.web.security import page_number

    page = page_number(args.get("page"))
    moves = db.session.execute(query.offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE + 1)).scalars().all()
    return render_template("desk/stock/ledger.html", moves=moves[:PAGE_SIZE], page=page,
                           has_more=len(moves) > PAGE_SIZE, args=args, reasons=MoveReason)


@bp.route("/stock/adjust", methods=["POST"])
@transactional
def adjust():
    """Correct a balance by a signed quantity with a written reason."""
    form = request.form
    try:
        location = location_by_code(form.get("location", ""))
        product = product_by_code(form.get("sku", "").strip()).product
        raw = form.get("delta", "").strip()
        sign = -1 if raw.startswith("-") else 1
        delta = sign * inventory.parse_quantity(raw.lstrip("+-"))
        inventory.adjust(product, location, delta, note=form.get("note", ""), user=current_user)
    except DomainError as exc:
        # Re-show the form with what was typed and the reason it was refused; nothing changed.
        q = form.get("sku", "").strip()
        rows = db.session.execute(
            select(StockLevel).join(Product).join(Location)
            .where(StockLevel.on_hand > 0, Product.sku == q)).scalars().all()
        return render_template("desk/stock/page.html", rows=rows, q=q, reasons=MoveReason,
                               sort="location", totals={}, rows_per_product={},
                               error=exc.message, form=form), 422
    shown = "%+d" % delta
    flash(_("Adjusted %(sku)s in %(location)s by %(delta)s.", sku=product.sku, location=location.code, delta=shown), "ok")
    return redirect(url_for("desk.stock", q=product.sku))
