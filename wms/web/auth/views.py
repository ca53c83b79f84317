"""Sign-in and sign-out views."""
from __future__ import annotations

from urllib.parse import urlparse

from flask import Blueprint, flash, g, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user, logout_user

from wms.db import db
from wms.domain.users import services as users
from wms.domain.users.models import User
from wms.i18n import _

bp = Blueprint("auth", __name__)


def _safe_next(default: str) -> str:
    target = request.args.get("next") or request.form.get("next") or ""
    # Only same-site paths: never send someone to another host after sign-in. Browsers read
    # a backslash as a slash ("/\\evil" is "//evil"), so any backslash or control character
    # is refused too.
    if any(c == "\\" or ord(c) < 32 for c in target):
        return default
    parts = urlparse(target)
    if target.startswith("/") and not target.startswith("//") and not parts.netloc and not parts.scheme:
        return target
    return default


def _sign_in(user: User, method: str) -> None:
    # A new CSRF token for the new session: one planted before sign-in is worth nothing after.
    session.pop("csrf_token", None)
    session.permanent = True
    user.auth_method = method  # a badge session stays on the handheld (in the cookie's id)
    login_user(user, remember=True)


@bp.route("/login", methods=["GET", "POST"])
def login():
    """Desk sign-in with user name and password."""
    error = None
    if request.method == "POST":
        try:
            user = users.check_password(request.form.get("username", ""), request.form.get("password", ""))
        except users.SignInRefused as exc:
            db.session.commit()  # keep the count of wrong tries
            error = exc.message
        else:
            db.session.commit()
            _sign_in(user, "password")
            return redirect(_safe_next(url_for("index")))
    return render_template("auth/login.html", error=error), (401 if error else 200)


@bp.route("/handheld/login", methods=["GET", "POST"])
def handheld_login():
    """Handheld sign-in: scan the badge, then type the PIN."""
    error = None
    badge = request.form.get("badge", "").strip()
    if request.method == "POST":
        try:
            user = users.check_badge(badge, request.form.get("pin", ""))
        except users.SignInRefused as exc:
            db.session.commit()  # keep the count of wrong tries
            error, badge = exc.message, ""
        else:
            db.session.commit()
            _sign_in(user, "badge")
            return redirect(_safe_next(url_for("handheld.home")))
    return render_template("handheld/auth/login.html", error=error, badge=badge), (401 if error else 200)


@bp.route("/logout", methods=["POST"])
def logout():
    """Sign out and go back to the sign-in page of the screen in use."""
    handheld = request.form.get("from") == "handheld"
    if current_user.is_authenticated and not getattr(g, "api_token", None):
        # End the session on the server too: a copied session or remember-me cookie carries
        # the old version and is refused from now on (on every device of this user).
        current_user.end_sessions()
        db.session.commit()
    # logout_user() also marks the remember-me cookie for deletion; clearing the whole
    # session here would drop that mark and the cookie would sign the user straight back in.
    logout_user()
    flash(_("Signed out."))
    return redirect(url_for("auth.handheld_login" if handheld else "auth.login"))


@bp.route("/me")
def me():
    """Who is signed in (used by screens to show the operator's name)."""
    return {"username": current_user.username, "name": current_user.name,
            "role": current_user.role.label}


@bp.route("/language", methods=["POST"])
def set_language():
    """The signed-in user's own language: "en", "fr"..., or empty for the browser's choice.

    Only this user's row changes: their sessions go on (no new sign-in, same CSRF token).
    """
    from flask import abort

    from wms.i18n import LANGUAGES

    raw = (request.form.get("language") or "").strip()
    if raw and raw not in LANGUAGES:
        abort(400, _("%(value)s is not a language of the WMS: choose one of %(known)s, or the "
                     "browser's choice.", value=raw[:20], known=", ".join(LANGUAGES.values())))
    current_user.language = raw or None
    db.session.commit()
    return redirect(_safe_next(url_for("index")))
