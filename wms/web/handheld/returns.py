"""Handheld: receive a customer return, grading each unit with one key."""
from __future__ import annotations

from flask import g, request
from flask_login import current_user

from wms.barcodes import parse_scan
from wms.db import db
from wms.domain.inventory.services import parse_quantity
from wms.domain.returns import services as returns
from wms.domain.returns.scan import fast_scan
from wms.errors import DomainError
from wms.i18n import N_, _
from wms.web.handheld import bp
from wms.web.htmx import flow_screen
from wms.web.menu import HANDHELD_MENU, MenuItem, add
from wms.web.tx import scan_endpoint, transactional

add(HANDHELD_MENU, MenuItem(N_("Returns"), "handheld.returns", N_("Customer parcels back to stock"), order=27))


def _render(view, message=None, ok=True, status=200):
    return flow_screen("returns", view=view, message=message, ok=ok, status=status)


def _refused(exc: DomainError):
    # The refusal carries the screen it was judged on (with the code to set aside, if any).
    view = getattr(exc, "view", None)
    db.session.rollback()
    if view is None:
        view = returns.current(current_user)
    return _render(view, exc.message, ok=False, status=422)


@bp.route("/returns", endpoint="returns")
def returns_page():
    return _render(returns.current(current_user))


@bp.route("/returns/scan", methods=["POST"])
@scan_endpoint
def returns_scan():
    try:
        qty = parse_quantity(request.form.get("qty") or "1")
        text = (request.form.get("code") or "").strip()
        scanned = parse_scan(text) if text else None
        # Item scans and condition keys take the fast path; anything else the full service.
        done = fast_scan(current_user, text, scanned, qty, g.get("scan_id"))
        view, message = done if done is not None else returns.scan(current_user, text, qty)
    except DomainError as exc:
        return _refused(exc)
    return _render(view, message)


@bp.route("/returns/aside", methods=["POST"])
@scan_endpoint
def returns_aside():
    try:
        qty = parse_quantity(request.form.get("qty") or "1")
        view, message = returns.set_aside(current_user, request.form.get("code", ""), qty)
    except DomainError as exc:
        return _refused(exc)
    return _render(view, message)


@bp.route("/returns/close", methods=["POST"])
@transactional
def returns_close():
    try:
        view, message = returns.close(current_user)
    except DomainError as exc:
        return _refused(exc)
    return _render(view, message)


@bp.route("/returns/leave", methods=["POST"])
@transactional
def returns_leave():
    try:
        view = returns.leave(current_user)
    except DomainError as exc:
        return _refused(exc)
    return _render(view, _("Return left open: scan it again to carry on."))
