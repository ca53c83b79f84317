"""Stock through the JSON API."""
from __future__ import annotations

from flask import jsonify, request
from flask_login import current_user
from sqlalchemy import select

from wms.db import db
from wms.domain.catalog.models import Product
from wms.domain.catalog.services import product_by_sku
from wms.domain.inventory import services as inventory
from wms.domain.inventory.models import MoveReason, StockLevel, StockMove
from wms.domain.locations.models import Location, LocationKind
from wms.domain.locations.services import location_by_code
from wms.domain.users.models import Role
from wms.errors import DomainError
from wms.web.api import bp
from wms.web.api.schemas import MoveRequestSchema, StockLevelSchema, StockMoveSchema, load
from wms.web.auth.loader import require_role, require_scope
from wms.web.tx import scan_endpoint
from wms.i18n import _


def paginate(query, schema, *, default_limit=100, max_limit=1000):
    """Apply ?limit=&offset= and return the JSON page with its next offset."""
    try:
        raw_limit, raw_offset = request.args.get("limit", str(default_limit)), request.args.get("offset", "0")
        if not (raw_limit.isascii() and raw_offset.isascii()) or len(raw_limit) > 12 or len(raw_offset) > 12:
            raise ValueError
        limit = min(max(int(raw_limit), 1), max_limit)
        offset = max(int(raw_offset), 0)
    except ValueError:
        raise DomainError(_("limit and offset must be whole numbers (offset below 10^12)."), code="bad_paging") from None
    rows = db.session.execute(query.offset(offset).limit(limit + 1)).scalars().all()
    more = len(rows) > limit
    return jsonify(items=schema.dump(rows[:limit], many=True), offset=offset, limit=limit,
                   next_offset=offset + limit if more else None)


@bp.get("/stock")
def list_stock():
    query = (select(StockLevel).join(Product).join(Location)
             .order_by(Location.code, Product.sku))
    if request.args.get("sku"):
        query = query.where(Product.sku == request.args["sku"])
    if request.args.get("location"):
        query = query.where(Location.code == request.args["location"].upper())
    return paginate(query, StockLevelSchema())


@bp.get("/stock/moves")
def list_moves():
    query = select(StockMove).order_by(StockMove.id.desc())
    if request.args.get("sku"):
        query = query.join(Product).where(Product.sku == request.args["sku"])
    if request.args.get("reference"):
        query = query.where(StockMove.reference == request.args["reference"])
    return paginate(query, StockMoveSchema())


@bp.post("/stock/moves")
@scan_endpoint
def create_move():
    """Post a movement: a move between locations, or an adjustment in or out with a note.

    Send an Idempotency-Key header (8-64 letters, digits, - _ . :) and a retry after a
    timeout gets the first answer instead of moving the stock twice."""
    require_role(Role.SUPERVISOR)
    require_scope("stock")
    data = load(MoveRequestSchema())
    product = product_by_sku(data["sku"])
    src = location_by_code(data["from_location"]) if data["from_location"] else None
    dst = location_by_code(data["to_location"]) if data["to_location"] else None
    if data["reason"] == "MOVED" and (src is None or dst is None):
        raise DomainError(_("A MOVED movement needs from_location and to_location; stock that "
                            "only comes in or goes out is an ADJUSTED or DAMAGED movement with a "
                            "note."),
                          code="invalid")
    if data["reason"] != "MOVED" and not (data["note"] or "").strip():
        raise DomainError(_("%(reason)s: say why in note.", reason=data['reason']), code="reason_required")
    for loc in (src, dst):
        if loc is not None and loc.kind in (LocationKind.PACKING, LocationKind.STAGING):
            raise DomainError(_("%(code)s holds goods of orders being packed or shipped; use the "
                                "packing and dispatch screens.", code=loc.code), code="invalid")
    posting = inventory.post_movement(
        product, data["quantity"], from_location=src, to_location=dst,
        reason=MoveReason[data["reason"]], user=current_user, reference=data["reference"],
        note=data["note"])
    return jsonify(StockMoveSchema().dump(posting.move)), 201
