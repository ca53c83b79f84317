"""Handheld: pick a transfer between sites (scan TR-…, then each bin and its products)."""
from flask import g, request
from flask_login import current_user

from wms.domain.inventory.services import parse_quantity
from wms.domain.transfers import scan as transfer_scan
from wms.errors import DomainError
from wms.i18n import N_
from wms.web.handheld import bp
from wms.web.htmx import flow_screen, flow_update
from wms.web.menu import HANDHELD_MENU, MenuItem, add
from wms.web.tx import scan_endpoint

def _waiting(statuses, site_column) -> bool:
    """Whether a transfer in one of these states concerns this handheld's site (any site when
    the handheld has none): the home shows the transfer tiles only then, not to a one-site shop."""
    from sqlalchemy import exists, select

    from wms.db import db
    from wms.domain.locations.sites import current_site_id
    from wms.domain.transfers.models import TransferOrder, TransferStatus

    query = exists().where(TransferOrder.status.in_([TransferStatus[s] for s in statuses]))
    site = current_site_id()
    if site is not None:
        query = query.where(getattr(TransferOrder, site_column) == site)
    return bool(db.session.execute(select(query)).scalar())


# Marked for extraction; the home screen translates titles and hints where it shows them.
add(HANDHELD_MENU, MenuItem(N_("Transfer pick"), "handheld.transfer_pick", N_("Send stock to another site"),
                            order=35, when=lambda: _waiting(("RELEASED", "PICKING"), "source_warehouse_id")))


def _render(view, message=None, ok=True, status=200):
    return flow_screen("transfer_pick", view=view, prompt=transfer_scan.prompt(view), message=message, ok=ok,
                       status=status)


@bp.route("/transfer-pick", endpoint="transfer_pick")
def transfer_pick_page():
    return _render(transfer_scan.current(current_user))


def _screen(message: str, ok: bool):
    # The whole current screen under a sentence: the retry of a scan answered in part.
    return _render(transfer_scan.current(current_user), message, ok)


@bp.route("/transfer-pick/scan", methods=["POST"])
@scan_endpoint(screen=_screen)
def transfer_pick_scan():
    try:
        qty = parse_quantity(request.form.get("qty") or "1")
        view, message = transfer_scan.scan(current_user, request.form.get("code", ""), qty,
                                           scan_id=g.get("scan_id"))
        if view.update is not None:  # still at the same bin: send only what changed
            return flow_update("transfer_pick", view=view, prompt=transfer_scan.prompt(view), message=message)
    except DomainError as exc:
        return _render(transfer_scan.current(current_user), exc.message, ok=False, status=422)
    return _render(view, message)


add(HANDHELD_MENU, MenuItem(N_("Transfer receive"), "handheld.transfer_receive", N_("Goods from another site"),
                            order=22, when=lambda: _waiting(("SHIPPED",), "destination_warehouse_id")))


def _render_receive(view, message=None, ok=True, status=200):
    return flow_screen("transfer_receive", view=view, prompt=transfer_scan.receive_prompt(view),
                       message=message, ok=ok, status=status)


@bp.route("/transfer-receive", endpoint="transfer_receive")
def transfer_receive_page():
    return _render_receive(transfer_scan.receive_current(current_user))


@bp.route("/transfer-receive/scan", methods=["POST"])
@scan_endpoint
def transfer_receive_scan():
    try:
        qty = parse_quantity(request.form.get("qty") or "1")
        view, message = transfer_scan.receive_scan(current_user, request.form.get("code", ""), qty)
    except DomainError as exc:
        from wms.db import db

        db.session.rollback()
        return _render_receive(transfer_scan.receive_current(current_user), exc.message, ok=False, status=422)
    return _render_receive(view, message)
