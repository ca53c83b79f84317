"""Sign-in and sign-out views."""
from __future__ import annotations

from urllib.parse import urlparse

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user, logout_user
from sqlalchemy import select

from wms.db import db
from wms.domain.users.models import User

bp = Blueprint("auth", __name__)


def _safe_next(default: str) -> str:
    target = request.args.get("next") or request.form.get("next") or ""
    parts = urlparse(target)
    # Only same-site paths: never send someone to another host after sign-in.
    if target.startswith("/") and not target.startswith("//") and not parts.netloc:
        return target
    return default


def _sign_in(user: User) -> None:
    session.permanent = True
    login_user(user, remember=True)


@bp.route("/login", methods=["GET", "POST"])
def login():
    """Desk sign-in with user name and password."""
    error = None
    if request.method == "POST":
        username = request.form.get("username", "").strip()
        user = db.session.execute(select(User).where(User.username == username)).scalar_one_or_none()
        if user is None or not user.check_password(request.form.get("password", "")):
            error = "Wrong user name or password."
        elif not user.active:
            error = "This account is disabled. Ask an administrator."
        else:
            _sign_in(user)
            return redirect(_safe_next(url_for("index")))
    return render_template("auth/login.html", error=error), (401 if error else 200)


@bp.route("/handheld/login", methods=["GET", "POST"])
def handheld_login():
    """Handheld sign-in: scan the badge, then type the PIN."""
    error = None
    badge = request.form.get("badge", "").strip()
    if request.method == "POST":
        user = db.session.execute(select(User).where(User.badge_code == badge.upper())).scalar_one_or_none() if badge else None
        if user is None or not user.check_pin(request.form.get("pin", "")):
            error = "Badge or PIN not recognised: scan your badge again and type your PIN."
            badge = ""
        elif not user.active:
            error = "This badge is disabled. Ask a supervisor."
        else:
            _sign_in(user)
            return redirect(_safe_next(url_for("handheld.home")))
    return render_template("handheld/auth/login.html", error=error, badge=badge), (401 if error else 200)


@bp.route("/logout", methods=["POST"])
def logout():
    """Sign out and go back to the sign-in page of the screen in use."""
    handheld = request.form.get("from") == "handheld"
    # logout_user() also marks the remember-me cookie for deletion; clearing the whole
    # session here would drop that mark and the cookie would sign the user straight back in.
    logout_user()
    flash("Signed out.")
    return redirect(url_for("auth.handheld_login" if handheld else "auth.login"))


@bp.route("/me")
def me():
    """Who is signed in (used by screens to show the operator's name)."""
    return {"username": current_user.username, "name": current_user.name,
            "role": current_user.role.label}
