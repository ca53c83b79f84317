"""Handheld: move stock from one bin to another by scanning."""
from flask import g, request
from flask_login import current_user

from wms.domain.inventory import moving
from wms.domain.inventory.scan import fast_scan
from wms.domain.inventory.services import parse_quantity
from wms.domain.scans.services import parse
from wms.errors import DomainError
from wms.i18n import N_, _
from wms.web.handheld import bp
from wms.web.htmx import flow_screen, flow_update
from wms.web.menu import HANDHELD_MENU, MenuItem, add
from wms.web.tx import scan_endpoint, transactional

add(HANDHELD_MENU, MenuItem(N_("Move stock"), "handheld.move", N_("Bin to bin"), order=60))


def _render(view, message=None, ok=True, status=200):
    return flow_screen("move", view=view, message=message, ok=ok, status=status)


@bp.route("/move")
def move():
    return _render(moving.current(current_user))


def _screen(message: str, ok: bool):
    # The whole current screen under a sentence: the retry of a scan answered in part.
    return _render(moving.current(current_user), message, ok)


@bp.route("/move/scan", methods=["POST"])
@scan_endpoint(screen=_screen)
def move_scan():
    try:
        qty = parse_quantity(request.form.get("qty") or "1")
        code = request.form.get("code", "")
        # The bin and product scans of a move take the fast path; anything else (and every
        # refusal) the full service.
        done = fast_scan(current_user, parse(code), qty, g.get("scan_id"))
        if done is None:
            view, message = moving.scan(current_user, code, qty)
        else:
            view, message, update = done
            if update is not None:  # still on the same move: send only what changed
                return flow_update("move", view=view, message=message)
    except DomainError as exc:
        return _render(moving.current(current_user), exc.message, ok=False, status=422)
    return _render(view, message)


@bp.route("/move/cancel", methods=["POST"])
@transactional
def move_cancel():
    moving.cancel(current_user)
    return _render(moving.current(current_user), _("Move cancelled: nothing was moved."))
