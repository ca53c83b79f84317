"""Handheld: put received goods away from the dock into a suggested (or chosen) bin."""
from __future__ import annotations

from flask import g, render_template, request
from flask_login import current_user

from wms.db import db
from wms.domain.inventory.services import parse_quantity
from wms.domain.receiving import putaway
from wms.domain.receiving.putaway_scan import fast_scan
from wms.domain.scans.services import parse
from wms.errors import DomainError
from wms.i18n import N_, _
from wms.web.handheld import bp
from wms.web.htmx import flow_screen, flow_update
from wms.web.menu import HANDHELD_MENU, MenuItem, add
from wms.web.tx import scan_endpoint, transactional

add(HANDHELD_MENU, MenuItem(N_("Put away"), "handheld.putaway", N_("Dock to bin"), order=25))


def _render(view, message=None, ok=True, status=200):
    return flow_screen("putaway", view=view, message=message, ok=ok, status=status)


def _refused(exc: DomainError):
    db.session.rollback()
    return _render(putaway.current(current_user), exc.message, ok=False, status=422)


@bp.route("/putaway", endpoint="putaway")
def putaway_page():
    return _render(putaway.current(current_user))


def _screen(message: str, ok: bool):
    # The whole current screen under a sentence: the retry of a scan answered in part.
    return _render(putaway.current(current_user), message, ok)


@bp.route("/putaway/scan", methods=["POST"])
@scan_endpoint(screen=_screen)
def putaway_scan():
    try:
        qty = parse_quantity(request.form.get("qty") or "1")
        code = request.form.get("code", "")
        # A product taken from the dock and the bin it goes into take the fast path; anything
        # else (and every refusal) the full service.
        done = fast_scan(current_user, parse(code), qty, g.get("scan_id"))
        if done is None:
            view, message = putaway.scan(current_user, code, qty)
        else:
            view, message, update = done
            if update is not None:  # more of the product held: send only what changed
                return flow_update("putaway", view=view, message=message)
    except DomainError as exc:
        return _refused(exc)
    return _render(view, message)


@bp.route("/putaway/waiting")
def putaway_waiting():
    # Its own request (the screen loads it when idle), so a putaway scan costs no more.
    levels = putaway.waiting_on_docks()
    return render_template("handheld/putaway/_waiting.html", levels=levels)


@bp.route("/putaway/all", methods=["POST"])
@transactional
def putaway_all():
    try:
        view, message = putaway.take_all(current_user)
    except DomainError as exc:
        return _refused(exc)
    return _render(view, message)


@bp.route("/putaway/cancel", methods=["POST"])
@transactional
def putaway_cancel():
    return _render(putaway.cancel(current_user), _("Cancelled: nothing was moved."))
