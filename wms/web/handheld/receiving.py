"""Handheld: receive a delivery by scanning its receipt code, then every item."""
from __future__ import annotations

from flask import current_app, g, request
from flask_login import current_user
from sqlalchemy import or_, select, true

from wms.db import db
from wms.domain.catalog.models import Product
from wms.domain.inventory.services import parse_quantity
from wms.domain.locations.sites import current_site_id
from wms.domain.receiving import services as receiving
from wms.domain.receiving.models import OPEN_RECEIPT_STATUSES, Receipt
from wms.domain.receiving.scan import fast_scan
from wms.domain.scans.services import parse
from wms.domain.users import services as users
from wms.domain.users.models import Role
from wms.errors import DomainError
from wms.i18n import N_, _
from wms.web.handheld import bp
from wms.web.htmx import flow_screen, flow_update
from wms.web.menu import HANDHELD_MENU, MenuItem, add
from wms.web.tx import scan_endpoint, transactional

add(HANDHELD_MENU, MenuItem(N_("Receive"), "handheld.receiving", N_("Check in a delivery"), order=20))


def _tolerance() -> float:
    return float(current_app.config.get("OVER_RECEIPT_TOLERANCE_PCT", 0) or 0)


def _open_receipts():
    # The handheld's site's deliveries and those of no site (no station: every site's).
    site = current_site_id()
    here = true() if site is None else or_(Receipt.warehouse_id == site, Receipt.warehouse_id.is_(None))
    return db.session.execute(
        select(Receipt).where(Receipt.status.in_(OPEN_RECEIPT_STATUSES), Receipt.blind.is_(False), here)
        .order_by(Receipt.expected_date.is_(None), Receipt.expected_date, Receipt.id).limit(6)
    ).scalars().all()


def _render(view, message=None, ok=True, status=200, error: DomainError | None = None):
    over = unknown = None
    if error is not None and error.code in ("over_receipt", "approval_badge"):
        over = {"product": db.session.get(Product, error.details["product_id"]),
                "total": error.details["total"], "badge": error.details.get("badge")}
    elif error is not None and error.code == "unknown_barcode":
        unknown = error.details.get("barcode")
    return flow_screen("receiving", view=view, message=message, ok=ok, status=status, over=over,
                       unknown=unknown, open_receipts=_open_receipts() if view.receipt is None else [],
                       is_supervisor=current_user.has_role(Role.SUPERVISOR))


def _refused(exc: DomainError):
    # A refusal is shown on the screen (htmx swaps 422); nothing was changed.
    db.session.rollback()
    if exc.code == "over_receipt":
        # The refusal is kept server-side for the approval, so this answer must commit:
        # 200 with the red status and the scan-error signal, nothing received.
        receiving.hold_over_receipt(current_user, exc.details["product_id"], exc.details["total"])
        return _render(receiving.current(current_user), exc.message, ok=False, status=200, error=exc)
    if exc.code == "approval_badge":
        # A supervisor's badge for the waiting approval: the form keeps it and asks the PIN.
        return _render(receiving.current(current_user), exc.message, ok=True, status=200, error=exc)
    return _render(receiving.current(current_user), exc.message, ok=False, status=422, error=exc)


@bp.route("/receiving", endpoint="receiving")
def receiving_page():
    return _render(receiving.current(current_user))


def _screen(message: str, ok: bool):
    # The whole current screen under a sentence: the retry of a scan answered in part.
    return _render(receiving.current(current_user), message, ok)


@bp.route("/receiving/scan", methods=["POST"])
@scan_endpoint(screen=_screen)
def receiving_scan():
    try:
        qty = parse_quantity(request.form.get("qty") or "1")
        code = request.form.get("code", "")
        # An item counted in takes the fast path; anything else (and every refusal) the
        # full service.
        done = fast_scan(current_user, parse(code), qty, g.get("scan_id"), tolerance_pct=_tolerance())
        if done is None:
            view, message = receiving.scan(current_user, code, qty, tolerance_pct=_tolerance())
        else:
            view, message, update = done  # an item counted in: send only what changed
            return flow_update("receiving", view=view, message=message, update=update,
                               over=None, unknown=None)
    except DomainError as exc:
        return _refused(exc)
    return _render(view, message)


@bp.route("/receiving/blind", methods=["POST"])
@transactional
def receiving_blind():
    view, message = receiving.start_blind(current_user)
    return _render(view, message)


@bp.route("/receiving/approve", methods=["POST"])
@transactional
def receiving_approve():
    form = request.form
    try:
        view, message = receiving.approve_and_receive(
            current_user, form.get("badge", ""), form.get("pin", ""), tolerance_pct=_tolerance())
    except users.SignInRefused as exc:
        # The refusal changes nothing but the count of wrong PINs, which must stick.
        db.session.rollback()
        users.record_refusal_after_rollback(exc)
        db.session.commit()
        pending = receiving.pending_approval(current_user)
        if pending:
            # The approval stays on screen for another try (the refusal is on the status line).
            waiting = DomainError(exc.message, code="over_receipt", product_id=int(pending["product"]),
                                  total=int(pending["total"]))
            return _render(receiving.current(current_user), exc.message, ok=False, status=422,
                           error=waiting)
        return _refused(exc)
    except DomainError as exc:
        return _refused(exc)
    return _render(view, message)


@bp.route("/receiving/link", methods=["POST"])
@transactional
def receiving_link():
    form = request.form
    try:
        pack_qty = parse_quantity(form.get("pack_qty") or "1")
        product = receiving.link_barcode(form.get("code", ""), form.get("sku", ""),
                                         pack_qty=pack_qty, user=current_user)
    except DomainError as exc:
        return _refused(exc)
    return _render(receiving.current(current_user),
                   _("Barcode %(code)s now means %(sku)s: scan the item again.",
                     code=form.get("code", "").strip(), sku=product.sku))


@bp.route("/receiving/close", methods=["POST"])
@transactional
def receiving_close():
    try:
        view, message = receiving.close_current(current_user)
    except DomainError as exc:
        return _refused(exc)
    return _render(view, message)


@bp.route("/receiving/leave", methods=["POST"])
@transactional
def receiving_leave():
    return _render(receiving.leave(current_user), _("Receipt left open: scan it again to carry on."))
