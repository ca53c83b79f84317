"""Handheld: move stock from one bin to another by scanning."""
from flask import request
from flask_login import current_user

from wms.domain.inventory import moving
from wms.domain.inventory.services import parse_quantity
from wms.errors import DomainError
from wms.web.handheld import bp
from wms.web.htmx import flow_screen
from wms.web.menu import HANDHELD_MENU, MenuItem, add
from wms.web.tx import scan_endpoint, transactional

add(HANDHELD_MENU, MenuItem("Move stock", "handheld.move", "Bin to bin", order=60))


def _render(view, message=None, ok=True, status=200):
    return flow_screen("move", view=view, message=message, ok=ok, status=status)


@bp.route("/move")
def move():
    return _render(moving.current(current_user))


@bp.route("/move/scan", methods=["POST"])
@scan_endpoint
def move_scan():
    try:
        qty = parse_quantity(request.form.get("qty") or "1")
        view, message = moving.scan(current_user, request.form.get("code", ""), qty)
    except DomainError as exc:
        return _render(moving.current(current_user), exc.message, ok=False, status=422)
    return _render(view, message)


@bp.route("/move/cancel", methods=["POST"])
@transactional
def move_cancel():
    moving.cancel(current_user)
    return _render(moving.current(current_user), "Move cancelled: nothing was moved.")
