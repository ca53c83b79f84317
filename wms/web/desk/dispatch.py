"""Desk: hand parcels to carriers (scan them onto a dispatch, close it) and print manifests."""
from datetime import date

from flask import Response, make_response, render_template, request
from flask_login import current_user

from wms.db import utcnow
from wms.domain.shipping import services as shipping
from wms.errors import DomainError
from wms.i18n import _
from wms.web.desk import bp
from wms.web.htmx import is_htmx, trigger
from wms.web.menu import DESK_MENU, MenuItem, add
from wms.web.tx import transactional
from wms.i18n import _, N_, ngettext

add(DESK_MENU, MenuItem(N_("Dispatch"), "desk.dispatch", N_("Hand parcels to carriers, manifests"), order=45))


@bp.route("/dispatch")
def dispatch():
    from wms.web.desk.sites import desk_site_id

    carriers = shipping.active_carriers()
    site = desk_site_id()
    if site is not None:
        carriers = [c for c in carriers if c.serves(site)]
    waiting = {c.id: len(shipping.packed_waiting(c, site)) + len(shipping.transfer_parcels_waiting(c, site))
               for c in carriers}
    open_by_carrier = {d.carrier_id: d for d in shipping.open_dispatches()
                       if site is None or d.warehouse_id in (None, site)}
    return render_template("desk/dispatch/page.html", carriers=carriers, waiting=waiting,
                           open_by_carrier=open_by_carrier, today=utcnow().date())


def _site() -> int | None:
    """The desk's site (each site hands its own parcels to the carrier); None: all."""
    from wms.web.desk.sites import desk_site_id

    return desk_site_id()


def _render_dispatch(dispatch, message=None, ok=True, status=200, carrier=None):
    carrier = carrier if dispatch is None else dispatch.carrier
    from wms.domain.shipping.labels import has_carrier_manifest

    site = dispatch.warehouse_id if dispatch is not None and dispatch.warehouse_id else _site()
    context = dict(dispatch=dispatch, carrier=carrier, message=message, ok=ok, today=utcnow().date(),
                   waiting=shipping.packed_waiting(carrier, site),
                   transfers_waiting=shipping.transfer_parcels_waiting(carrier, site),
                   carrier_manifest=has_carrier_manifest(carrier))
    template = "desk/dispatch/_dispatch.html" if is_htmx() else "desk/dispatch/carrier.html"
    response = make_response(render_template(template, **context), status)
    if message:
        trigger(response, "scan-ok" if ok else "scan-error")
    return response


@bp.route("/dispatch/carriers/<code>")
def dispatch_carrier(code):
    """Show the carrier's open dispatch, or offer to start one: a GET changes nothing."""
    carrier = shipping.carrier_by_code(code)
    return _render_dispatch(shipping.find_open_dispatch(carrier, _site()), carrier=carrier)


@bp.route("/dispatch/carriers/<code>", methods=["POST"])
@transactional
def dispatch_start(code):
    """Start a dispatch for the carrier (or carry on with the one already open)."""
    carrier = shipping.carrier_by_code(code)
    dispatch = shipping.open_dispatch(carrier, current_user, _site())
    return _render_dispatch(dispatch, _("%(code)s open: scan the parcels for %(carrier)s", code=dispatch.code, carrier=carrier.name))


@bp.route("/dispatch/<int:dispatch_id>/scan", methods=["POST"])
@transactional
def dispatch_scan(dispatch_id):
    dispatch = shipping.get_dispatch(dispatch_id)
    try:
        parcel = shipping.add_parcel(dispatch, request.form.get("code", ""), current_user)
    except DomainError as exc:
        return _render_dispatch(dispatch, exc.message, ok=False,
                                status=exc.status if exc.status in (409, 422) else 422)
    reference = parcel.transfer.code if hasattr(parcel, "transfer") else parcel.shipment.order.reference
    return _render_dispatch(dispatch, _("%(parcel)s (%(tracking)s, %(order)s) added", parcel=parcel.code,
                                        tracking=parcel.tracking_number, order=reference))


@bp.route("/dispatch/<int:dispatch_id>/remove", methods=["POST"])
@transactional
def dispatch_remove(dispatch_id):
    dispatch = shipping.get_dispatch(dispatch_id)
    try:
        parcel = shipping.remove_parcel(dispatch, request.form.get("code", ""))
    except DomainError as exc:
        return _render_dispatch(dispatch, exc.message, ok=False, status=422)
    return _render_dispatch(dispatch, _("%(parcel)s taken off the dispatch", parcel=parcel.code))


@bp.route("/dispatch/<int:dispatch_id>/close", methods=["POST"])
@transactional
def dispatch_close(dispatch_id):
    dispatch = shipping.get_dispatch(dispatch_id)
    try:
        shipments = shipping.close_dispatch(dispatch, current_user)
    except DomainError as exc:
        return _render_dispatch(dispatch, exc.message, ok=False,
                                status=exc.status if exc.status in (409, 422) else 422)
    done = ngettext("%(code)s closed: %(num)d order shipped with %(carrier)s",
                    "%(code)s closed: %(num)d orders shipped with %(carrier)s",
                    len(shipments), code=dispatch.code, carrier=dispatch.carrier.name)
    moved = sorted({p.transfer.code for p in dispatch.transfer_parcels})
    if moved:
        done += " · " + ngettext("%(num)d transfer in transit: %(codes)s", "%(num)d transfers in transit: %(codes)s",
                                 len(moved), codes=", ".join(moved))
    return _render_dispatch(dispatch, done)


@bp.route("/dispatch/carriers/<code>/range", methods=["POST"])
@transactional
def dispatch_range(code):
    carrier = shipping.carrier_by_code(code)
    try:
        raw = [request.form.get(n, "").strip() for n in ("start", "end")]
        if not all(r.isascii() and r.isdecimal() and len(r) <= 10 for r in raw):
            raise ValueError
        start, end = int(raw[0]), int(raw[1])
    except ValueError:
        raise DomainError(_("Type the first and the last tracking number of the range as digits.")) from None
    shipping.set_tracking_range(carrier, start, end, request.form.get("prefix"))
    if carrier.range_next != start:
        done = _("%(carrier)s: tracking numbers %(first)s to %(last)s ready (%(start)s to %(used)s are "
                 "already on parcels)", carrier=carrier.name, first=carrier.range_next, last=end,
                 start=start, used=carrier.range_next - 1)
    else:
        done = _("%(carrier)s: tracking numbers %(first)s to %(last)s ready", carrier=carrier.name,
                 first=carrier.range_next, last=end)
    return _render_dispatch(shipping.find_open_dispatch(carrier, _site()), done,
                            carrier=carrier)


@bp.route("/dispatch/carriers/<code>/service", methods=["POST"])
@transactional
def dispatch_service(code):
    """Map the carrier to its adapter, account and service (the label on the last scan)."""
    carrier = shipping.carrier_by_code(code)
    try:
        shipping.set_carrier_service(carrier, request.form.get("adapter", ""), request.form.get("account"),
                                     request.form.get("service_code"), request.form.get("relay") == "1",
                                     request.form.get("ps_id_reference"))
    except DomainError as exc:
        return _render_dispatch(shipping.find_open_dispatch(carrier, _site()), exc.message, ok=False,
                                status=exc.status if exc.status in (409, 422) else 422, carrier=carrier)
    return _render_dispatch(shipping.find_open_dispatch(carrier, _site()),
                            f"{carrier.name}: {carrier.adapter}"
                            + (f" {carrier.account} {carrier.service_code}" if carrier.account else "")
                            + (" (%s)" % _("relay point") if carrier.relay else ""), carrier=carrier)


@bp.route("/dispatch/<int:dispatch_id>/carrier-manifest.pdf")
def dispatch_carrier_manifest(dispatch_id):
    """The carrier's own manifest of a closed dispatch (Colissimo's deposit slip)."""
    from wms.domain.shipping.labels import carrier_manifest

    dispatch = shipping.get_dispatch(dispatch_id)
    code = dispatch.code
    pdf, number = carrier_manifest(dispatch)
    response = Response(pdf, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'inline; filename="{number or code}.pdf"'
    return response


@bp.route("/dispatch/manifest/<code>/<day>.pdf")
def dispatch_manifest(code, day):
    carrier = shipping.carrier_by_code(code)
    try:
        when = date.fromisoformat(day)
    except ValueError:
        raise DomainError(_("%(day)s is not a date (YYYY-MM-DD).", day=day[:20])) from None
    if not 2000 <= when.year <= 2999:
        raise DomainError(_("%(day)s is not a day the warehouse shipped on: choose a date from 2000 to 2999.",
                            day=day))
    response = Response(shipping.manifest(carrier, when, _site()), mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'inline; filename="manifest-{carrier.code}-{day}.pdf"'
    return response
