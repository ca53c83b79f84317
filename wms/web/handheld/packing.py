"""Handheld / packing desk: verify items into parcels, weigh them, print labels and the slip."""
from flask import Response, g, request, url_for
from flask_login import current_user

from wms.barcodes import parse_scan
from wms.db import db
from wms.domain.inventory.services import parse_quantity
from wms.domain.packing import services as packer
from wms.domain.packing.scan import fast_scan
from wms.domain.printing.models import PrinterKind
from wms.domain.printing.services import PrintOutcome, print_labels
from wms.domain.shipping import services as shipping
from wms.domain.shipping.models import Shipment
from wms.domain.users.models import Role
from wms.errors import DomainError, NotFound
from wms.i18n import N_, _, ngettext
from wms.web.handheld import bp
from wms.web.htmx import flow_screen, flow_update
from wms.web.handheld.station import current_station
from wms.web.menu import HANDHELD_MENU, MenuItem, add
from wms.web.tx import scan_endpoint, transactional

add(HANDHELD_MENU, MenuItem(N_("Pack"), "handheld.packing", N_("Verify, box, weigh, label"), order=40))


def _render(view, message=None, ok=True, status=200, printed=None, pdf_url=None):
    return flow_screen("packing", view=view, message=message, ok=ok, status=status, printed=printed,
                       pdf_url=pdf_url, station=current_station(),
                       supervisor=current_user.has_role(Role.SUPERVISOR))


def _refused(exc: DomainError):
    # The screen swaps 409 and 422 answers in (see base.html); other refusals become 422 here.
    status = exc.status if exc.status in (409, 422) else 422
    return _render(packer.current(current_user), exc.message, ok=False, status=status)


@bp.route("/packing")
def packing():
    return _render(packer.current(current_user))


def _screen(message: str, ok: bool):
    # The whole current screen under a sentence: the retry of a scan answered in part.
    return _render(packer.current(current_user), message, ok)


@bp.route("/packing/scan", methods=["POST"])
@scan_endpoint(screen=_screen)
def packing_scan():
    try:
        qty = parse_quantity(request.form.get("qty") or "1")
        station = current_station()
        code = request.form.get("code", "")
        close_on_last = bool(station and station.print_on_last_scan)
        # An item verified into the open parcel takes the fast path; anything else (and
        # every refusal) the full service.
        # (parse_scan, not parse: at the tracking step a carrier's barcode need not parse.)
        done = fast_scan(current_user, parse_scan(code), qty, g.get("scan_id"), close_on_last=close_on_last)
        if done is None:
            view, message = packer.scan(current_user, code, qty, close_on_last=close_on_last)
        else:
            view, message, update = done
            if update is not None:  # items left to verify: send only what changed
                return flow_update("packing", view=view, message=message, update=update,
                                   supervisor=current_user.has_role(Role.SUPERVISOR))
    except DomainError as exc:
        return _refused(exc)
    if view.closed_now and view.step == "done":
        # The order is packed and stays packed: a printer that fails only adds the PDF link.
        printed = print_labels(station, shipping.shipping_labels_zpl(view.shipment),
                               _shipping_labels(len(view.shipment.parcels)))
        return _render(view, _both(message, printed.message), ok=printed.sent, printed=printed,
                       pdf_url=url_for("handheld.packing_labels_pdf", shipment_id=view.shipment.id))
    return _render(view, message)


def _shipping_labels(count: int) -> str:
    return ngettext("shipping label", "%(num)d shipping labels", count)


def _both(first: str, then: str) -> str:
    """Two sentences on the status line: what was done, then what the printer did."""
    return _("%(done)s. %(printed)s", done=first, printed=then)


@bp.route("/packing/label", methods=["POST"])
def packing_label():
    """Get the carrier's labels of the closed parcels and print them (no @transactional: the
    service commits before and after the carrier's call, never holding a transaction open)."""
    station = current_station()
    printer = station.printer if station is not None else None
    zpl = printer is not None and printer.kind is PrinterKind.ZPL_TCP
    try:
        view, message, ok = packer.get_carrier_labels(current_user, "zpl" if zpl else "pdf")
    except DomainError as exc:
        db.session.rollback()
        return _refused(exc)
    if not ok:
        return _render(view, message, ok=False, status=422)
    shipment = view.shipment
    what = ngettext("carrier label", "%(num)d carrier labels", len(shipment.parcels))
    pdf_url = url_for("handheld.packing_labels_pdf", shipment_id=shipment.id)
    try:
        printed = print_labels(station, shipping.shipping_labels_zpl(shipment), what) if zpl else None
    except DomainError:  # the carrier gave a PDF although ZPL was asked for
        printed = None
    if printed is None:
        printed = PrintOutcome(False, _("Open the PDF to print the %(what)s.", what=what), printer)
    return _render(view, _both(message, printed.message), ok=printed.sent, printed=printed,
                   pdf_url=pdf_url)


@bp.route("/packing/shipments/<int:shipment_id>/print", methods=["POST"])
def packing_print(shipment_id):
    shipment = _shipment(shipment_id)
    printed = print_labels(current_station(), shipping.shipping_labels_zpl(shipment),
                           _("labels of %(reference)s", reference=shipment.order.reference))
    return _render(packer.current(current_user), printed.message, ok=printed.sent, printed=printed,
                   pdf_url=url_for("handheld.packing_labels_pdf", shipment_id=shipment.id))


@bp.route("/packing/split", methods=["POST"])
@transactional
def packing_split():
    try:
        view, message = packer.split_parcel(current_user, request.form.get("box", ""),
                                             request.form.get("weight", ""))
    except DomainError as exc:
        return _refused(exc)
    return _render(view, message)


@bp.route("/packing/finish", methods=["POST"])
@transactional
def packing_finish():
    try:
        view, message = packer.finish(current_user, request.form.get("box", ""),
                                       request.form.get("weight", ""),
                                       accept_partial=request.form.get("accept_partial") == "1")
    except DomainError as exc:
        return _refused(exc)
    station = current_station()
    if view.step == "done" and station is not None and station.printer is not None \
            and station.printer.kind is PrinterKind.ZPL_TCP:
        # Print at once on the station's label printer; the links stay as the fallback.
        printed = print_labels(station, shipping.shipping_labels_zpl(view.shipment),
                               _shipping_labels(len(view.shipment.parcels)))
        return _render(view, _both(message, printed.message), ok=printed.sent, printed=printed,
                       pdf_url=url_for("handheld.packing_labels_pdf", shipment_id=view.shipment.id))
    return _render(view, message)


@bp.route("/packing/next", methods=["POST"])
@transactional
def packing_next():
    return _render(packer.next_order(current_user), _("Ready for the next order"))


def _shipment(shipment_id: int) -> Shipment:
    shipment = db.session.get(Shipment, shipment_id)
    if shipment is None:
        raise NotFound(_("Shipment %(id)s does not exist.", id=shipment_id))
    return shipment


def _document(body, mimetype: str, filename: str) -> Response:
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'inline; filename="{filename}"'
    return response


@bp.route("/packing/shipments/<int:shipment_id>/labels.pdf")
def packing_labels_pdf(shipment_id):
    shipment = _shipment(shipment_id)
    return _document(shipping.shipping_labels_pdf(shipment), "application/pdf",
                     f"labels-{shipment.order.code}.pdf")


@bp.route("/packing/shipments/<int:shipment_id>/labels.zpl")
def packing_labels_zpl(shipment_id):
    shipment = _shipment(shipment_id)
    return _document(shipping.shipping_labels_zpl(shipment), "application/zpl",
                     f"labels-{shipment.order.code}.zpl")


@bp.route("/packing/shipments/<int:shipment_id>/packing-slip.pdf")
def packing_slip_pdf(shipment_id):
    shipment = _shipment(shipment_id)
    return _document(shipping.packing_slip(shipment), "application/pdf",
                     f"packing-slip-{shipment.order.code}.pdf")
