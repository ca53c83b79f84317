"""Locations through the JSON API: list and read."""
from __future__ import annotations

from flask import jsonify, request
from marshmallow import Schema, fields
from sqlalchemy import select

from wms.domain.locations.models import Location, LocationKind
from wms.domain.locations.services import location_by_code
from wms.errors import DomainError
from wms.web.api import bp
from wms.web.api.stock import paginate
from wms.i18n import _


class LocationSchema(Schema):
    id = fields.Integer()
    code = fields.String()
    kind = fields.Function(lambda loc: loc.kind.name)
    zone = fields.String(allow_none=True)
    aisle = fields.Integer(allow_none=True)
    bay = fields.Integer(allow_none=True)
    level = fields.Integer(allow_none=True)
    walk_sequence = fields.Integer()
    active = fields.Boolean()
    needs_count = fields.Boolean()


@bp.get("/locations")
def list_locations():
    query = select(Location).order_by(Location.walk_sequence, Location.code)
    kind = request.args.get("kind")
    if kind:
        if kind not in LocationKind.__members__:
            raise DomainError(_("kind must be one of %(choices)s.",
                                choices=', '.join(LocationKind.__members__)), code="invalid")
        query = query.where(Location.kind == LocationKind[kind])
    if request.args.get("needs_count") == "1":
        query = query.where(Location.needs_count.is_(True))
    return paginate(query, LocationSchema())


@bp.get("/locations/<code>")
def get_location(code: str):
    return jsonify(LocationSchema().dump(location_by_code(code)))
