"""How Flask-Login finds the user: the session cookie, or an API bearer token."""
from __future__ import annotations

from functools import wraps

from flask import abort, g
from flask_login import LoginManager, current_user
from sqlalchemy import bindparam, select
from sqlalchemy.orm import make_transient_to_detached
from sqlalchemy.orm.util import identity_key

from wms.db import db, execute, utcnow
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
        user = _load(int(uid))
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


_USER_ROW = None


def _load(uid: int) -> User | None:
    """The user, in the request's session, read with one plain SELECT of its row.

    Every request loads its user: through Session.get, the ORM's query machinery about
    doubled the read's Python cost (0.3 against 0.15 ms in a loop, the transaction's start
    aside). The row is read on the session's connection and made a
    persistent User of the session, as a query would have loaded it (its attributes
    committed, its relationships lazy). A user the session already holds (a test keeping one
    app context across requests) is taken from the session as before.
    """
    global _USER_ROW
    if db.session.identity_map.get(identity_key(User, uid)) is not None:
        return db.session.get(User, uid)
    if _USER_ROW is None:
        _USER_ROW = (select(*[prop.columns[0].label(prop.key) for prop in User.__mapper__.column_attrs])
                     .where(User.__table__.c.id == bindparam("id")))
    row = execute(_USER_ROW, {"id": uid}).first()
    if row is None:
        return None
    user = User.__mapper__.class_manager.new_instance()
    user.__dict__.update(row._mapping)
    make_transient_to_detached(user)
    db.session.add(user)
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
