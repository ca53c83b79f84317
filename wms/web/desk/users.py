"""Users on the desk: who works here, locked badges and names, and what a supervisor does about
them (unlock, new PIN, sign out everywhere, deactivate, add a user).

A supervisor manages operators; an administrator manages everyone. Anyone on the desk may
unlock: an unlock gives no access, it only lets the owner try again."""
from __future__ import annotations

from flask import flash, g, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from wms.db import db
from wms.domain.users import services as users
from wms.domain.users.models import Role, User
from wms.errors import DomainError, NotFound, PermissionDenied
from wms.web.desk import bp
from wms.web.menu import DESK_MENU, MenuItem, add
from wms.web.tx import transactional
from wms.i18n import LANGUAGES, N_, _

add(DESK_MENU, MenuItem(N_("Users"), "desk.users", N_("Who works here; locked badges"), order=52))


def _page(status: int = 200, **context):
    rows = db.session.execute(select(User).order_by(User.username)).scalars().all()
    locked = users.locked_keys()
    return render_template("desk/users/page.html", rows=rows, locked={u.id for u in rows if users.is_locked(u, locked)},
                           locked_list=users.locked_accounts(), mask_badge=users.mask_badge,
                           may_manage=_may_manage, roles=_roles_to_give(), form=request.form,
                           **context), status


def _may_manage(target: User) -> bool:
    """Administrators manage everyone; supervisors manage operators; nobody deactivates
    themselves here."""
    return current_user.has_role(Role.ADMIN) or (
        current_user.has_role(Role.SUPERVISOR) and target.role is Role.OPERATOR)


def _roles_to_give() -> list[Role]:
    return list(Role) if current_user.has_role(Role.ADMIN) else [Role.OPERATOR]


def _user(user_id: int, *, manage: bool = True) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound(_("There is no user %(id)s.", id=user_id))
    if manage and not _may_manage(user):
        raise PermissionDenied(_("Only an administrator can change %(name)s (%(role)s).", name=user.name, role=user.role.label))
    return user


@bp.route("/users", endpoint="users")
def users_page():
    return _page()


@bp.context_processor
def _lock_banner():
    # Called by desk/base.html only when a desk page renders: supervisors see a lock at once.
    return {"locked_sign_ins": users.locked_accounts}


@bp.route("/users", methods=["POST"])
@transactional
def user_add():
    form = request.form
    try:
        role = Role.__members__.get(form.get("role", "OPERATOR").upper())
        if role not in _roles_to_give():
            raise PermissionDenied(_("A supervisor adds operators; an administrator adds supervisors and administrators."))
        password = form.get("password") or None
        if role is not Role.OPERATOR and password is None:
            raise DomainError(_("Supervisors and administrators need a desk password."))
        user = users.create_user(form.get("username", ""), form.get("name", ""), role, password,
                                 form.get("badge", ""), form.get("pin", "").strip() or None)
    except DomainError as exc:
        return _page(exc.status, error=exc.message)
    flash(_("%(name)s (%(role)s) added.", name=user.name, role=user.role.label), "ok")
    return redirect(url_for("desk.users"))


@bp.route("/users/<int:user_id>/unlock", methods=["POST"])
@transactional
def user_unlock(user_id: int):
    user = _user(user_id, manage=False)
    was = users.unlock(user)
    flash(_("%(name)s unlocked: they can sign in again.", name=user.name) if was
          else _("%(name)s was not locked.", name=user.name), "ok")
    return redirect(url_for("desk.users"))


@bp.route("/users/unlock-key", methods=["POST"])
@transactional
def user_unlock_key():
    """Unlock a counter that belongs to no user (an unknown name, a badge, a client address)."""
    users.unlock_key(request.form.get("key", ""))
    flash(_("Unlocked."), "ok")
    return redirect(url_for("desk.users"))


@bp.route("/users/<int:user_id>/pin", methods=["POST"])
@transactional
def user_set_pin(user_id: int):
    try:
        user = _user(user_id)
        users.set_pin(user, request.form.get("pin", ""))
    except DomainError as exc:
        return _page(exc.status, error=exc.message)
    flash(_("New PIN set for %(name)s: their scanner sessions ended, the badge is unlocked.", name=user.name), "ok")
    return redirect(url_for("desk.users"))


@bp.route("/users/<int:user_id>/sign-out", methods=["POST"])
@transactional
def user_sign_out(user_id: int):
    user = _user(user_id)
    users.sign_out_everywhere(user)
    flash(_("%(name)s is signed out on every device.", name=user.name), "ok")
    return redirect(url_for("desk.users"))


@bp.route("/users/<int:user_id>/deactivate", methods=["POST"])
@transactional
def user_deactivate(user_id: int):
    try:
        user = _user(user_id)
        if user.id == current_user.id:
            raise DomainError(_("You cannot deactivate yourself: ask another administrator."))
    except DomainError as exc:
        return _page(exc.status, error=exc.message)
    users.deactivate(user)
    flash(_("%(name)s deactivated: signed out everywhere, API tokens revoked.", name=user.name), "ok")
    return redirect(url_for("desk.users"))


@bp.route("/users/<int:user_id>/activate", methods=["POST"])
@transactional
def user_activate(user_id: int):
    user = _user(user_id)
    user.active = True
    flash(_("%(name)s can sign in again.", name=user.name), "ok")
    return redirect(url_for("desk.users"))


@bp.route("/users/<int:user_id>/language", methods=["POST"])
@transactional
def user_language(user_id: int):
    """Set a user's language: a code of LANGUAGES, or empty for the browser's choice. A
    supervisor sets an operator's (and their own), an administrator anyone's."""
    raw = (request.form.get("language") or "").strip()
    try:
        user = _user(user_id, manage=user_id != current_user.id)
        if raw and raw not in LANGUAGES:
            raise DomainError(_("%(value)s is not a language of the WMS: choose %(known)s.",
                                value=raw[:20], known=" / ".join(LANGUAGES.values())))
    except DomainError as exc:
        return _page(exc.status if exc.status != 422 else 400, error=exc.message)
    user.language = raw or None
    if user.id == current_user.id:
        g.pop("_flask_babel", None)  # the confirmation already speaks the new language
    flash(_("%(name)s: %(language)s.", name=user.name,
            language=LANGUAGES.get(user.language) or _("the browser's language")), "ok")
    return redirect(url_for("desk.users"))
