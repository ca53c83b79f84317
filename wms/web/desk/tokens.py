"""API tokens on the desk: issue one for a script (shown once), see when it was used, revoke it."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user

from datetime import timedelta

from wms.db import db, utcnow
from wms.errors import DomainError
from wms.web.api.tokens import MAX_DAYS, issue_token, revoke_token, visible_tokens
from wms.web.desk import bp
from wms.web.menu import DESK_MENU, MenuItem, add
from wms.web.tx import transactional
from wms.i18n import _, N_

add(DESK_MENU, MenuItem(N_("API"), "desk.tokens", N_("Tokens for scripts; the API's OpenAPI document"), order=90))


def _page(**context):
    from wms.domain.users.models import SCOPE_LABELS

    return render_template("desk/tokens/page.html", scope_labels=SCOPE_LABELS, now=utcnow(), **context)


@bp.route("/tokens")
def tokens():
    rows = db.session.execute(visible_tokens(current_user)).scalars().all()
    return _page(rows=rows)


@bp.route("/tokens", methods=["POST"])
@transactional
def token_create():
    try:
        days = request.form.get("expires_in_days", "").strip()
        if days and not (days.isascii() and days.isdecimal() and 1 <= int(days) <= MAX_DAYS):
            raise DomainError(_("The expiry is a number of days from 1 to %(max)s, or empty for none.", max=MAX_DAYS))
        token, secret = issue_token(current_user, request.form.get("name", ""),
                                    request.form.getlist("scopes"),
                                    utcnow() + timedelta(days=int(days)) if days else None)
    except DomainError as exc:
        rows = db.session.execute(visible_tokens(current_user)).scalars().all()
        return _page(rows=rows, error=exc.message), exc.status
    rows = db.session.execute(visible_tokens(current_user)).scalars().all()
    # The secret is shown in this answer only: it is stored hashed and cannot be shown again.
    return _page(rows=rows, new=token, secret=secret)


@bp.route("/tokens/<int:token_id>/revoke", methods=["POST"])
@transactional
def token_revoke(token_id: int):
    token = revoke_token(current_user, token_id)
    flash(_("Token “%(name)s” revoked: scripts using it are refused from now on.", name=token.name), "ok")
    return redirect(url_for("desk.tokens"))
