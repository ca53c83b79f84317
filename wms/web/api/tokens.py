"""API tokens: issue, list and revoke bearer tokens for scripts and integrations."""
from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from flask import jsonify, request
from flask_login import current_user
from marshmallow import Schema, ValidationError, fields, validate
from sqlalchemy import select

from wms.db import db, utcnow
from wms.domain.users.models import SCOPES, ApiToken, Role, normalise_scopes
from wms.errors import DomainError, NotFound, PermissionDenied
from wms.web.api import bp
from wms.web.api.schemas import first_errors, json_object, plain_messages
from wms.web.api.stock import paginate
from wms.web.auth.loader import current_token, require_role, require_scope
from wms.web.tx import transactional
from wms.i18n import _

TOKEN_PREFIX = "wms_"
MAX_DAYS = 3650


class ApiTokenSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    user = fields.Function(lambda t: t.user_id)
    scopes = fields.Function(lambda t: [s for s in SCOPES if s in t.scope_set])
    created_at = fields.DateTime()
    expires_at = fields.DateTime(allow_none=True)
    last_used_at = fields.DateTime(allow_none=True)
    revoked = fields.Boolean()


class TokenRequestSchema(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=80))
    scopes = fields.List(fields.String(validate=validate.OneOf(SCOPES)), required=True,
                         validate=validate.Length(min=1, max=len(SCOPES)))
    expires_in_days = fields.Integer(load_default=None, strict=True,
                                     validate=validate.Range(min=1, max=MAX_DAYS))


def issue_token(user, name: str, scopes=("read",), expires_at: datetime | None = None,
                *, parent: ApiToken | None = None) -> tuple[ApiToken, str]:
    """Create a token for a user; return it and the secret, which is shown once and never stored.

    A token minting another (parent) needs the admin scope, cannot give scopes it lacks, and
    cannot give a later expiry than its own; revoking it revokes the tokens it minted."""
    name = (name or "").strip()
    if not name or len(name) > 80 or not name.isprintable():
        raise DomainError(_("Name the token after the script that uses it (e.g. 'nightly "
                            "export'), in at most 80 characters."), code="invalid")
    try:
        stored = normalise_scopes(scopes)
    except ValueError as exc:
        raise DomainError(_("scopes: %(exc)s.", exc=exc), code="invalid") from None
    if not stored:
        raise DomainError(_("Choose at least one scope (%(scopes)s).", scopes=', '.join(SCOPES)), code="invalid")
    if expires_at is not None and expires_at <= utcnow():
        raise DomainError(_("The expiry must be in the future."), code="invalid")
    if parent is not None:
        if not parent.allows("admin"):
            raise PermissionDenied(_("Minting a token needs a token with the 'admin' scope."))
        # admin implies every scope, so an admin token may give any; the others cannot widen.
        if parent.expires_at is not None and (expires_at is None or expires_at > parent.expires_at):
            expires_at = parent.expires_at  # never outlive the token that minted it
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(user_id=user.id, name=name, token_hash=ApiToken.hash(secret), scopes=stored,
                     expires_at=expires_at, parent_id=parent.id if parent is not None else None)
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
    """Revoke a token at once, and the tokens it minted; only its owner or an administrator may."""
    token = db.session.get(ApiToken, token_id)
    if token is None:
        raise NotFound(_("There is no API token %(token_id)s.", token_id=token_id))
    if token.user_id != user.id and not user.has_role(Role.ADMIN):
        raise PermissionDenied(_("Only the token's owner or an administrator can revoke it."))
    todo = [token]
    while todo:
        current = todo.pop()
        current.revoked = True
        todo.extend(db.session.execute(select(ApiToken).where(
            ApiToken.parent_id == current.id, ApiToken.revoked.is_(False))).scalars())
    db.session.flush()
    return token


@bp.get("/tokens")
def list_tokens():
    require_role(Role.SUPERVISOR)
    require_scope("admin")
    return paginate(visible_tokens(current_user), ApiTokenSchema())


@bp.post("/tokens")
@transactional
def create_token():
    """Create a token: {"name": "nightly export", "scopes": ["read"], "expires_in_days": 90}."""
    require_role(Role.SUPERVISOR)
    require_scope("admin")
    try:
        data = TokenRequestSchema().load(json_object())
    except ValidationError as err:
        raise DomainError(first_errors(err), code="invalid", fields=plain_messages(err.normalized_messages())) from None
    days = data["expires_in_days"]
    token, secret = issue_token(current_user, data["name"], data["scopes"],
                                utcnow() + timedelta(days=days) if days else None,
                                parent=current_token())
    return jsonify({**ApiTokenSchema().dump(token), "token": secret}), 201


@bp.delete("/tokens/<int:token_id>")
@transactional
def delete_token(token_id: int):
    require_role(Role.SUPERVISOR)
    require_scope("admin")
    return jsonify(ApiTokenSchema().dump(revoke_token(current_user, token_id)))
