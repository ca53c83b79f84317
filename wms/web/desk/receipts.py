"""Receipts on the desk: create, import from CSV, follow, approve over-receipts, close."""
from __future__ import annotations

from datetime import date

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from wms.db import db
from wms.domain.importing import ImportRefused, open_source
from wms.domain.inventory.services import parse_quantity
from wms.domain.receiving import services as receiving
from wms.domain.receiving.models import Receipt, ReceiptStatus
from wms.errors import DomainError
from wms.web.desk import bp
from wms.web.menu import DESK_MENU, MenuItem, add
from wms.web.tx import transactional
from wms.i18n import _, N_, ngettext

add(DESK_MENU, MenuItem(N_("Receipts"), "desk.receipts", N_("Expected deliveries and what arrived"),
                        order=20, role="SUPERVISOR"))


def _list_page(status: int = 200, **context):
    wanted = request.args.get("status", "")
    from wms.web.desk.sites import chosen_site, receipt_in_site

    # A site's receipts: expected there, or at any site (no site of their own).
    query = select(Receipt).where(receipt_in_site(chosen_site())).order_by(Receipt.id.desc()).limit(200)
    if wanted in ReceiptStatus.__members__:
        query = query.where(Receipt.status == ReceiptStatus[wanted])
    receipts = db.session.execute(query).scalars().all()
    return render_template("desk/receipts/page.html", receipts=receipts, statuses=ReceiptStatus,
                           wanted=wanted, form=context.pop("form", {}), **context), status


@bp.route("/receipts", endpoint="receipts")
def receipts_page():
    return _list_page()


def _site(form) -> int | None:
    """The site a receipt made on the desk is expected at: the form's choice, else the desk's
    chosen site, else the first site (an unknown one is refused)."""
    from wms.web.desk.sites import chosen_site

    return receiving.receipt_site(form.get("warehouse_id") or chosen_site())


@bp.route("/receipts/new", methods=["POST"])
@transactional
def receipt_new():
    form = request.form
    try:
        when = None
        if form.get("expected_date"):
            try:
                when = date.fromisoformat(form["expected_date"])
            except ValueError:
                raise DomainError(_("%(value)s is not a date (use 2026-12-01).", value=form['expected_date'])) from None
        receipt = receiving.create_receipt(receiving.parse_lines(form.get("lines", "")),
                                           supplier=form.get("supplier"), expected_date=when,
                                           reference=form.get("reference"), user=current_user,
                                           warehouse_id=_site(form))
    except DomainError as exc:
        return _list_page(422, error=exc.message, form=form)
    flash(ngettext("Receipt %(code)s created: %(num)d unit expected.", "Receipt %(code)s created: %(num)d units expected.", receipt.expected_total, code=receipt.code), "ok")
    return redirect(url_for("desk.receipt", receipt_id=receipt.id))


@bp.route("/receipts/import", methods=["POST"])
@transactional
def receipt_import():
    upload = request.files.get("file")
    try:
        # An upload is read as a stream, UTF-8 or Windows-1252 (anything else is refused).
        source = open_source(upload.stream) if upload and upload.filename else request.form.get("text", "")
    except DomainError as exc:
        return _list_page(422, import_errors=[exc.message])
    try:
        result = receiving.import_receipts(source, user=current_user, warehouse_id=_site(request.form))
    except ImportRefused as exc:
        return _list_page(422, import_errors=[str(e) for e in exc.result.errors])
    except DomainError as exc:
        return _list_page(422, import_errors=[exc.message])
    flash(_("Imported %(receipts)s from %(rows)s.",
            receipts=ngettext("%(num)d receipt", "%(num)d receipts", result.created),
            rows=ngettext("%(num)d row", "%(num)d rows", result.rows)), "ok")
    return redirect(url_for("desk.receipts"))


@bp.route("/receipts/link-barcode", methods=["POST"])
@transactional
def receipt_link_barcode():
    form = request.form
    try:
        pack_qty = parse_quantity(form.get("pack_qty") or "1")
        product = receiving.link_barcode(form.get("code", ""), form.get("sku", ""),
                                         pack_qty=pack_qty, user=current_user)
    except DomainError as exc:
        return _list_page(422, link_error=exc.message, form=form)
    flash(_("Barcode %(barcode)s now means %(sku)s.", barcode=form.get('code', '').strip(), sku=product.sku), "ok")
    return redirect(url_for("desk.receipts"))


def _detail(receipt: Receipt, status: int = 200, error: str | None = None):
    return render_template("desk/receipts/detail.html", receipt=receipt, error=error), status


@bp.route("/receipts/<int:receipt_id>", endpoint="receipt")
def receipt_page(receipt_id: int):
    return _detail(receiving.get_receipt(receipt_id))


@bp.route("/receipts/<int:receipt_id>/approve", methods=["POST"])
@transactional
def receipt_approve(receipt_id: int):
    receipt = receiving.get_receipt(receipt_id, lock=True)
    try:
        product = receiving.product_for_sku(request.form.get("sku", ""))
        total = parse_quantity(request.form.get("total", ""))
        receiving.approve_over_receipt(receipt, product, total, approver=current_user)
    except DomainError as exc:
        db.session.rollback()
        return _detail(receiving.get_receipt(receipt_id), 422, exc.message)
    flash(_("%(sku)s may now be received up to %(total)s on %(code)s.", sku=product.sku, total=total, code=receipt.code), "ok")
    return redirect(url_for("desk.receipt", receipt_id=receipt.id))


@bp.route("/receipts/<int:receipt_id>/close", methods=["POST"])
@transactional
def receipt_close(receipt_id: int):
    receipt = receiving.get_receipt(receipt_id, lock=True)
    try:
        receiving.close_receipt(receipt, user=current_user)
    except DomainError as exc:
        db.session.rollback()
        return _detail(receiving.get_receipt(receipt_id), 422, exc.message)
    flash(f"{receipt.code}: {receipt.status.label.lower()}.", "ok")
    return redirect(url_for("desk.receipt", receipt_id=receipt.id))
