"""How Flask-Login finds the user: the session cookie, or an API bearer token."""
from __future__ import annotations

from functools import wraps

from flask import abort, g
from flask_login import LoginManager, current_user
from sqlalchemy import select

from wms.db import db, utcnow
from wms.domain.users.models import ApiToken, Role, User
from wms.i18n import _

AUTH_METHODS = ("password", "badge")
MAX_ID = 2**31 - 1


def setup_login_manager(manager: LoginManager) -> None:
    manager.login_view = "auth.login"
    manager.session_protection = "basic"

    @manager.user_loader
    def load_user(user_id: str):
        # "<id>:<session version>:<method>". The version ends the session at sign-out, at a
        # password or PIN change, at "sign out everywhere" and at deactivation: one statement.
        uid, version, method = (user_id.split(":") + ["", ""])[:3]
        if not uid.isascii() or not uid.isdecimal() or int(uid) > MAX_ID or method not in AUTH_METHODS:
            return None
        user = db.session.get(User, int(uid))
        if user is None or not user.active or str(user.session_version) != version:
            return None
        user.auth_method = method
        return user

    @manager.request_loader
    def load_from_token(request):
        header = request.headers.get("Authorization", "")
        # Tokens are for the JSON API (where scopes apply), not for the desk's pages or forms.
        if not header.startswith("Bearer ") or not request.path.startswith("/api/"):
            return None
        now = utcnow()
        row = db.session.execute(
            select(ApiToken, User).join(User, User.id == ApiToken.user_id)
            .where(ApiToken.token_hash == ApiToken.hash(header[7:].strip()),
                   ApiToken.revoked.is_(False))).one_or_none()
        if row is None:
            return None
        token, user = row
        if token.expired(now) or not user.active:
            return None
        g.api_token = token
        token.last_used_at = now
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


def current_token() -> ApiToken | None:
    """The API token that authenticated this request, or None (a browser session)."""
    return g.get("api_token")


def require_scope(scope: str) -> None:
    """Abort 403 when the request comes with an API token that lacks this scope.

    `admin` implies every scope. Browser sessions are not concerned (their role is checked by
    require_role)."""
    token = current_token()
    if token is not None and not token.allows(scope):
        abort(403, _("This API token lacks the '%(scope)s' scope: create a token with it "
                     "(desk, API) to do this.", scope=scope))
