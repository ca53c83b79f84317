"""Cycle counts through the JSON API: list, read, create, approve, reject."""
from __future__ import annotations

from flask import abort, jsonify, request
from flask_login import current_user
from marshmallow import Schema, fields
from sqlalchemy import select

from wms.db import db
from wms.domain.catalog.services import product_by_sku
from wms.domain.counts import services as count_services
from wms.domain.counts.models import CountStatus, CountTask
from wms.domain.locations.services import location_by_code
from wms.domain.users.models import Role
from wms.errors import DomainError
from wms.web.api import bp
from wms.web.api.stock import paginate
from wms.web.api.schemas import CountRequestSchema, NoteSchema, load
from wms.web.auth.loader import require_role, require_scope
from wms.web.tx import transactional
from wms.i18n import _


class CountLineSchema(Schema):
    location = fields.Function(lambda ln: ln.location.code)
    sku = fields.Function(lambda ln: ln.product.sku)
    expected = fields.Integer(allow_none=True)
    counted = fields.Integer(allow_none=True)
    difference = fields.Integer(allow_none=True)
    status = fields.Function(lambda ln: ln.status.name)


class CountTaskSchema(Schema):
    id = fields.Integer()
    code = fields.String()
    scope = fields.Function(lambda t: t.scope.name)
    subject = fields.String()
    status = fields.Function(lambda t: t.status.name)
    created_at = fields.DateTime()
    counted_at = fields.DateTime(allow_none=True)
    closed_at = fields.DateTime(allow_none=True)


class CountTaskDetailSchema(CountTaskSchema):
    lines = fields.List(fields.Nested(CountLineSchema))


def _task(task_id: int) -> CountTask:
    task = db.session.get(CountTask, task_id)
    if task is None:
        abort(404)
    return task


@bp.get("/counts")
def list_counts():
    query = select(CountTask).order_by(CountTask.id.desc())
    status = request.args.get("status")
    if status:
        if status not in CountStatus.__members__:
            raise DomainError(_("status must be one of %(choices)s.",
                                choices=', '.join(CountStatus.__members__)), code="invalid")
        query = query.where(CountTask.status == CountStatus[status])
    return paginate(query, CountTaskSchema())


@bp.get("/counts/<int:task_id>")
def get_count(task_id: int):
    return jsonify(CountTaskDetailSchema().dump(_task(task_id)))


@bp.post("/counts")
@transactional
def create_count():
    """Open a count task: {"location": "A-01-02-3"} or {"sku": "TSH-BLACK-S"}."""
    require_role(Role.SUPERVISOR)
    require_scope("stock")
    body = load(CountRequestSchema())
    location = location_by_code(body["location"]) if body.get("location") else None
    product = product_by_sku(body["sku"]) if body.get("sku") else None
    task = count_services.create_count(user=current_user, location=location, product=product,
                                       note=body.get("note"))
    return jsonify(CountTaskDetailSchema().dump(task)), 201


@bp.post("/counts/<int:task_id>/approve")
@transactional
def approve_count(task_id: int):
    require_role(Role.SUPERVISOR)
    require_scope("stock")
    note = load(NoteSchema())["note"]
    return jsonify(CountTaskDetailSchema().dump(count_services.approve_count(_task(task_id), current_user, note)))


@bp.post("/counts/<int:task_id>/reject")
@transactional
def reject_count(task_id: int):
    require_role(Role.SUPERVISOR)
    require_scope("stock")
    return jsonify(CountTaskDetailSchema().dump(count_services.reject_count(_task(task_id), current_user)))
