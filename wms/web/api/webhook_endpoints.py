"""Webhook endpoints and their deliveries through the JSON API (supervisors, `admin` scope)."""
from __future__ import annotations

from flask import jsonify, request
from flask_login import current_user
from marshmallow import Schema, fields, validate
from sqlalchemy import select

from wms.db import db
from wms.domain.users.models import Role
from wms.errors import DomainError, NotFound
from wms.integrations.prestashop.models import OutboxMessage, OutboxStatus
from wms.integrations.prestashop.outbox import WEBHOOK_KIND, retry_message
from wms.integrations.webhooks import events as ev
from wms.integrations.webhooks import services as webhooks
from wms.web.api import bp
from wms.web.api.bulk import load
from wms.web.api.stock import paginate
from wms.web.auth.loader import require_role, require_scope
from wms.web.tx import transactional
from wms.i18n import _


class WebhookEndpointSchema(Schema):
    id = fields.Integer()
    url = fields.String()
    events = fields.List(fields.String())
    description = fields.String(allow_none=True)
    active = fields.Boolean()
    created_at = fields.DateTime()


class WebhookEndpointRequestSchema(Schema):
    url = fields.String(required=True, validate=validate.Length(min=8, max=500))
    events = fields.List(fields.String(validate=validate.OneOf(list(ev.EVENTS))), required=True,
                         validate=validate.Length(min=1))
    secret = fields.String(load_default=None, allow_none=True, validate=validate.Length(min=32, max=200),
                           metadata={"description": "at least 32 characters; generated when left out"})
    description = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=120))


class WebhookEndpointUpdateSchema(Schema):
    url = fields.String(validate=validate.Length(min=8, max=500))
    events = fields.List(fields.String(validate=validate.OneOf(list(ev.EVENTS))), validate=validate.Length(min=1))
    active = fields.Boolean()
    description = fields.String(allow_none=True, validate=validate.Length(max=120))


class WebhookEventTypeSchema(Schema):
    name = fields.String()
    description = fields.String()
    emitted = fields.Boolean(metadata={"description": "false for events of flows still to come"})


class WebhookDeliverySchema(Schema):
    id = fields.Integer()
    endpoint_id = fields.Function(lambda m: m.payload.get("endpoint_id"))
    event = fields.Function(lambda m: m.payload.get("event"))
    event_id = fields.Function(lambda m: m.payload.get("event_id"))
    status = fields.Function(lambda m: m.status.name)
    attempts = fields.Integer()
    next_attempt_at = fields.DateTime()
    last_error = fields.String(allow_none=True)
    created_at = fields.DateTime()
    done_at = fields.DateTime(allow_none=True)


def _admin():
    require_role(Role.SUPERVISOR)
    require_scope("admin")


@bp.get("/webhooks/events")
def list_webhook_events():
    require_scope("read")
    return jsonify(items=WebhookEventTypeSchema().dump(
        [{"name": name, "description": text, "emitted": name in ev.EMITTED} for name, text in ev.EVENTS.items()],
        many=True))


@bp.get("/webhooks/endpoints")
def list_webhook_endpoints():
    _admin()
    return jsonify(items=WebhookEndpointSchema().dump(webhooks.list_endpoints(), many=True))


@bp.post("/webhooks/endpoints")
@transactional
def create_webhook_endpoint():
    """Register an endpoint; the answer carries its secret (shown once)."""
    _admin()
    data = load(WebhookEndpointRequestSchema())
    endpoint = webhooks.register_endpoint(data["url"], data["events"], secret=data["secret"],
                                          description=data["description"], user=current_user)
    return jsonify({**WebhookEndpointSchema().dump(endpoint), "secret": endpoint.secret}), 201


@bp.post("/webhooks/endpoints/<int:endpoint_id>")
@transactional
def update_webhook_endpoint(endpoint_id: int):
    """Change an endpoint's url, events, description, or active (false stops its deliveries)."""
    _admin()
    data = load(WebhookEndpointUpdateSchema())
    endpoint = webhooks.update_endpoint(webhooks.get_endpoint(endpoint_id), **data)
    return jsonify(WebhookEndpointSchema().dump(endpoint))


@bp.get("/webhooks/deliveries")
def list_webhook_deliveries():
    """Webhook deliveries, newest first (filter: status=PENDING|DONE|DEAD, endpoint=id)."""
    _admin()
    query = select(OutboxMessage).where(OutboxMessage.kind == WEBHOOK_KIND).order_by(OutboxMessage.id.desc())
    status = request.args.get("status")
    if status:
        if status not in OutboxStatus.__members__:
            raise DomainError(_("status must be one of %(choices)s.",
                                choices=', '.join(OutboxStatus.__members__)), code="invalid")
        query = query.where(OutboxMessage.status == OutboxStatus[status])
    if request.args.get("endpoint"):
        if not request.args["endpoint"].isdecimal():
            raise DomainError(_("endpoint must be an endpoint id."), code="invalid")
        query = query.where(OutboxMessage.ordering_key.like(f"webhook:{int(request.args['endpoint'])}:%"))
    return paginate(query, WebhookDeliverySchema())


@bp.post("/webhooks/deliveries/<int:message_id>/retry")
@transactional
def retry_webhook_delivery(message_id: int):
    """Send a dead delivery again (fresh attempts, now)."""
    _admin()
    message = db.session.get(OutboxMessage, message_id)
    if message is None or message.kind != WEBHOOK_KIND:
        raise NotFound(_("There is no webhook delivery %(message_id)s.", message_id=message_id))
    try:
        retry_message(message_id)
    except ValueError as exc:
        raise DomainError(str(exc), code="conflict") from None
    return jsonify(WebhookDeliverySchema().dump(message))
