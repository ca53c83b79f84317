"""Transfers between sites on the desk: list, create with lines by SKU, release, pick, ship,
follow in transit, receive at the destination, close short, cancel. Reached from the Stock page."""
from __future__ import annotations

from flask import Response, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from wms.db import db
from wms.domain.locations.models import Warehouse
from wms.domain.transfers import parcels as transfer_parcels
from wms.domain.transfers import services as transfers
from wms.domain.transfers.models import TransferOrder, TransferStatus
from wms.errors import DomainError
from wms.i18n import _, ngettext
from wms.web.desk import bp
from wms.web.tx import transactional


def _list_page(status: int = 200, **context):
    wanted = request.args.get("status", "")
    query = select(TransferOrder).order_by(TransferOrder.id.desc()).limit(200)
    if wanted in TransferStatus.__members__:
        query = query.where(TransferOrder.status == TransferStatus[wanted])
    rows = db.session.execute(query).unique().scalars().all()
    warehouses = db.session.execute(select(Warehouse).order_by(Warehouse.code)).scalars().all()
    return render_template("desk/transfers/page.html", transfers=rows, statuses=TransferStatus,
                           wanted=wanted, warehouses=warehouses, form=context.pop("form", {}),
                           **context), status


@bp.route("/transfers", endpoint="transfers")
def transfers_page():
    return _list_page()


@bp.route("/transfers/new", methods=["POST"])
@transactional
def transfer_new():
    form = request.form
    try:
        transfer = transfers.create_transfer(form.get("source", ""), form.get("destination", ""),
                                             transfers.parse_lines(form.get("lines", "")),
                                             note=form.get("note"), user=current_user)
    except DomainError as exc:
        return _list_page(exc.status, error=exc.message, form=form)
    flash(_("Transfer %(code)s created: %(units)s from %(source)s to %(destination)s.", code=transfer.code,
            units=ngettext("%(num)d unit", "%(num)d units", transfer.requested_total),
            source=transfer.source.name, destination=transfer.destination.name), "ok")
    return redirect(url_for("desk.transfer", transfer_id=transfer.id))


def _detail(transfer: TransferOrder, status: int = 200, error: str | None = None):
    from wms.domain.shipping import services as shipping

    carriers = [c for c in shipping.active_carriers() if c.serves(transfer.source_warehouse_id)]
    return render_template("desk/transfers/detail.html", transfer=transfer, error=error,
                           pick_list=transfers.pick_list(transfer), statuses=TransferStatus,
                           carriers=carriers, boxes=shipping.active_boxes(), form=request.form), status


@bp.route("/transfers/<int:transfer_id>", endpoint="transfer")
def transfer_page(transfer_id: int):
    return _detail(transfers.get_transfer(transfer_id))


def _act(transfer_id: int, action, done):
    """Run one step on the locked transfer; a refusal re-shows the page with its sentence."""
    transfer = transfers.get_transfer(transfer_id, lock=True)
    try:
        result = action(transfer)
    except DomainError as exc:
        db.session.rollback()
        return _detail(transfers.get_transfer(transfer_id), exc.status, exc.message)
    flash(done(transfer, result), "ok")
    return redirect(url_for("desk.transfer", transfer_id=transfer_id))


@bp.route("/transfers/<int:transfer_id>/release", methods=["POST"])
@transactional
def transfer_release(transfer_id: int):
    return _act(transfer_id, lambda t: transfers.release(t, user=current_user),
                lambda t, units: _("%(code)s released: %(units)s reserved in %(site)s.", code=t.code,
                                   units=ngettext("%(num)d unit", "%(num)d units", units), site=t.source.name))


@bp.route("/transfers/<int:transfer_id>/pick", methods=["POST"])
@transactional
def transfer_pick(transfer_id: int):
    form = request.form

    def pick(transfer):
        from wms.domain.inventory.services import parse_quantity

        qty = parse_quantity(form.get("qty", ""))
        transfers.pick(transfer, form.get("location", ""), form.get("sku", ""), qty, user=current_user)
        return qty

    return _act(transfer_id, pick, lambda t, qty: _("%(code)s: picked %(units)s of %(sku)s.", code=t.code,
                                                    units=ngettext("%(num)d unit", "%(num)d units", qty),
                                                    sku=form.get("sku", "").strip().upper()))


@bp.route("/transfers/<int:transfer_id>/pick-all", methods=["POST"])
@transactional
def transfer_pick_all(transfer_id: int):
    return _act(transfer_id, lambda t: transfers.pick_all(t, user=current_user),
                lambda t, units: _("%(code)s: the pick list is done, %(units)s in the packing area.",
                                   code=t.code, units=ngettext("%(num)d unit", "%(num)d units", units)))


@bp.route("/transfers/<int:transfer_id>/ship", methods=["POST"])
@transactional
def transfer_ship(transfer_id: int):
    return _act(transfer_id, lambda t: transfers.ship(t, user=current_user, tracking=request.form.get("tracking")),
                lambda t, units: _("%(code)s shipped: %(units)s in transit to %(site)s.", code=t.code,
                                   units=ngettext("%(num)d unit", "%(num)d units", units),
                                   site=t.destination.name))


@bp.route("/transfers/<int:transfer_id>/receive", methods=["POST"])
@transactional
def transfer_receive(transfer_id: int):
    def receive(transfer):
        lines = transfers.parse_lines(request.form.get("lines", ""))
        if not lines:
            raise DomainError(_("Type what arrived: one “SKU quantity” per line."))
        for sku, qty in lines:
            transfers.receive(transfer, sku, qty, user=current_user)
        return sum(qty for _sku, qty in lines)

    return _act(transfer_id, receive,
                lambda t, units: _("%(code)s: %(units)s received on the dock of %(site)s.", code=t.code,
                                   units=ngettext("%(num)d unit", "%(num)d units", units),
                                   site=t.destination.name))


@bp.route("/transfers/<int:transfer_id>/close", methods=["POST"])
@transactional
def transfer_close(transfer_id: int):
    return _act(transfer_id, lambda t: transfers.close_short(t, note=request.form.get("note", ""),
                                                             user=current_user),
                lambda t, units: _("%(code)s closed: %(units)s written off as lost in transit.", code=t.code,
                                   units=ngettext("%(num)d unit", "%(num)d units", units)))


@bp.route("/transfers/<int:transfer_id>/cancel", methods=["POST"])
@transactional
def transfer_cancel(transfer_id: int):
    return _act(transfer_id, lambda t: transfers.cancel(t, user=current_user),
                lambda t, units: _("%(code)s cancelled: %(units)s back in stock.", code=t.code,
                                   units=ngettext("%(num)d unit", "%(num)d units", units)))


# ---------------------------------------------------------------- shipped like an order

@bp.route("/transfers/<int:transfer_id>/pick-list.pdf")
def transfer_pick_list_pdf(transfer_id: int):
    transfer = transfers.get_transfer(transfer_id)
    return Response(transfer_parcels.pick_list_pdf(transfer), mimetype="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="{transfer.code}-pick-list.pdf"'})


@bp.route("/transfers/<int:transfer_id>/pack", methods=["POST"])
@transactional
def transfer_pack(transfer_id: int):
    form = request.form

    def pack(transfer):
        return transfer_parcels.pack(transfer, form.get("count", ""), form.get("weight", ""), box=form.get("box"),
                                     carrier=form.get("carrier"), tracking=form.get("tracking_numbers"), user=current_user)

    def done(transfer, made):
        parcels = ngettext("%(num)d parcel", "%(num)d parcels", len(made))
        if transfer.carrier is None:
            return _("%(code)s packed: %(parcels)s for your own truck; print the labels, then ship.",
                     code=transfer.code, parcels=parcels)
        return _("%(code)s packed: %(parcels)s for %(carrier)s; print the labels, then hand them to the dispatch.",
                 code=transfer.code, parcels=parcels, carrier=transfer.carrier.name)

    return _act(transfer_id, pack, done)


@bp.route("/transfers/<int:transfer_id>/labels.pdf")
def transfer_labels_pdf(transfer_id: int):
    transfer = transfers.get_transfer(transfer_id)
    return Response(transfer_parcels.labels_pdf(transfer), mimetype="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="{transfer.code}-labels.pdf"'})


@bp.route("/transfers/<int:transfer_id>/labels.zpl")
def transfer_labels_zpl(transfer_id: int):
    transfer = transfers.get_transfer(transfer_id)
    return Response(transfer_parcels.labels_zpl(transfer), mimetype="application/zpl",
                    headers={"Content-Disposition": f'attachment; filename="{transfer.code}-labels.zpl"'})


@bp.route("/transfers/<int:transfer_id>/print-labels", methods=["POST"])
def transfer_print_labels(transfer_id: int):
    """Send the parcels' labels to this device's station printer, as the packing station does
    (no station, or a PDF printer: the sentence says to open the PDF)."""
    from wms.domain.printing.services import print_labels
    from wms.web.handheld.station import current_station

    transfer = transfers.get_transfer(transfer_id)
    zpl = transfer_parcels.labels_zpl(transfer)
    db.session.rollback()  # nothing to write: no transaction held while the printer answers
    printed = print_labels(current_station(), zpl, _("labels of %(reference)s", reference=transfer.code))
    flash(printed.message, "ok" if printed.sent else "error")
    return redirect(url_for("desk.transfer", transfer_id=transfer_id))


@bp.route("/transfers/<int:transfer_id>/dispatch", methods=["POST"])
@transactional
def transfer_dispatch(transfer_id: int):
    return _act(transfer_id, lambda t: transfer_parcels.hand_to_dispatch(t, user=current_user),
                lambda t, dispatch: _("%(code)s: its parcels are on %(dispatch)s (%(carrier)s at %(site)s); closing "
                                      "that dispatch ships it.", code=t.code, dispatch=dispatch.code,
                                      carrier=dispatch.carrier.name, site=t.source.name))
