"""API tokens: issue, list and revoke bearer tokens for scripts and integrations."""
from __future__ import annotations

import secrets

from flask import jsonify, request
from flask_login import current_user
from marshmallow import Schema, ValidationError, fields, validate
from sqlalchemy import select

from wms.db import db
from wms.domain.users.models import ApiToken, Role
from wms.errors import DomainError, NotFound, PermissionDenied
from wms.web.api import bp
from wms.web.api.stock import paginate
from wms.web.auth.loader import require_role
from wms.web.tx import transactional

TOKEN_PREFIX = "wms_"


class ApiTokenSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    user = fields.Function(lambda t: t.user_id)
    created_at = fields.DateTime()
    last_used_at = fields.DateTime(allow_none=True)
    revoked = fields.Boolean()


class TokenRequestSchema(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=80))


def issue_token(user, name: str) -> tuple[ApiToken, str]:
    """Create a token for a user; return it and the secret, which is shown once and never stored."""
    name = (name or "").strip()
    if not name:
        raise DomainError("Name the token after the script that uses it (e.g. 'nightly export').")
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(user_id=user.id, name=name[:80], token_hash=ApiToken.hash(secret))
    db.session.add(token)
    db.session.flush()
    return token, secret


def visible_tokens(user):
    """The query of tokens a user may see: their own; every token for an administrator."""
    query = select(ApiToken).order_by(ApiToken.id.desc())
    if not user.has_role(Role.ADMIN):
        query = query.where(ApiToken.user_id == user.id)
    return query


def revoke_token(user, token_id: int) -> ApiToken:
    """Revoke a token at once; only its owner or an administrator may."""
    token = db.session.get(ApiToken, token_id)
    if token is None:
        raise NotFound(f"There is no API token {token_id}.")
    if token.user_id != user.id and not user.has_role(Role.ADMIN):
        raise PermissionDenied("Only the token's owner or an administrator can revoke it.")
    token.revoked = True
    db.session.flush()
    return token


@bp.get("/tokens")
def list_tokens():
    require_role(Role.SUPERVISOR)
    return paginate(visible_tokens(current_user), ApiTokenSchema())


@bp.post("/tokens")
@transactional
def create_token():
    require_role(Role.SUPERVISOR)
    try:
        data = TokenRequestSchema().load(request.get_json(silent=True) or {})
    except ValidationError as err:
        raise DomainError("name: give the token a name.", code="invalid",
                          fields=err.normalized_messages()) from None
    token, secret = issue_token(current_user, data["name"])
    return jsonify({**ApiTokenSchema().dump(token), "token": secret}), 201


@bp.delete("/tokens/<int:token_id>")
@transactional
def delete_token(token_id: int):
    require_role(Role.SUPERVISOR)
    return jsonify(ApiTokenSchema().dump(revoke_token(current_user, token_id)))
