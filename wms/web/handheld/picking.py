"""Handheld: pick a list in walking order into totes, with short picks and pause/resume."""
from flask import g, request
from flask_login import current_user

from wms.domain.inventory.services import parse_quantity
from wms.domain.picking import services as picking
from wms.domain.picking.scan import fast_scan
from wms.domain.scans.services import parse
from wms.errors import DomainError
from wms.i18n import N_, _
from wms.web.handheld import bp
from wms.web.htmx import flow_screen, flow_update
from wms.web.menu import HANDHELD_MENU, MenuItem, add
from wms.web.tx import scan_endpoint, transactional

add(HANDHELD_MENU, MenuItem(N_("Pick"), "handheld.pick", N_("Pick lists in walking order"), order=20))


def _render(view, message=None, ok=True, status=200):
    # The lists of the handheld's site (its station's), and those of no site yet.
    lists = picking.open_pick_lists(g.get("site_id")) if view.pick_list is None else []
    return flow_screen("picking", view=view, lists=lists, message=message, ok=ok, status=status)


def _refused(exc: DomainError):
    # The fast path's refusals carry the screen they were judged on.
    view = getattr(exc, "view", None) or picking.current(current_user)
    return _render(view, exc.message, ok=False, status=422)


@bp.route("/pick")
def pick():
    return _render(picking.current(current_user))


def _screen(message: str, ok: bool):
    # The whole current screen under a sentence: the retry of a scan answered in part.
    return _render(picking.current(current_user), message, ok)


@bp.route("/pick/scan", methods=["POST"])
@scan_endpoint(screen=_screen)
def pick_scan():
    try:
        qty = parse_quantity(request.form.get("qty") or "1")
        code = request.form.get("code", "")
        # The bin and product scans of a picker at work take the fast path; anything else
        # (and every refusal) the full service.
        done = fast_scan(current_user, parse(code), qty, g.get("scan_id"))
        if done is None:
            view, message = picking.scan(current_user, code, qty)
        else:
            view, message, update = done
            if update is not None:  # still on the line: send only what changed
                return flow_update("picking", view=view, lists=[], message=message, update=update)
    except DomainError as exc:
        return _refused(exc)
    return _render(view, message)


@bp.route("/pick/start/<int:list_id>", methods=["POST"])
@transactional
def pick_start(list_id):
    try:
        pick_list = picking.start_pick_list(list_id, current_user)
    except DomainError as exc:
        return _refused(exc)
    return _render(picking.current(current_user), _("Picking %(code)s", code=pick_list.code))


@bp.route("/pick/short", methods=["POST"])
@transactional
def pick_short():
    try:
        view, message, resolved = picking.short_pick(current_user)
    except DomainError as exc:
        return _refused(exc)
    return _render(view, message, ok=resolved)


@bp.route("/pick/pause", methods=["POST"])
@transactional
def pick_pause():
    view = picking.current(current_user)
    if view.pick_list is None:
        return _refused(DomainError(_("You are not picking a list.")))
    try:
        pick_list = picking.pause_pick_list(view.pick_list, current_user)
    except DomainError as exc:
        return _refused(exc)
    return _render(picking.current(current_user), _("%(code)s paused: anyone can resume it.", code=pick_list.code))
