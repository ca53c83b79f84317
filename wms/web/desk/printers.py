"""Desk: label printers (ZPL over TCP or PDF in the browser) and the stations that use them."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for

from wms.domain.printing import services as printing
from wms.domain.printing.models import PrinterKind
from wms.errors import DomainError
from wms.web.desk import bp
from wms.domain.locations.sites import all_warehouses
from wms.web.menu import DESK_MENU, MenuItem, add
from wms.web.tx import transactional
from wms.i18n import _, N_

add(DESK_MENU, MenuItem(N_("Printers"), "desk.printers", N_("Label printers and packing stations"), order=85))


def _page(error: str | None = None, status: int = 200):
    return render_template("desk/printers/page.html", printers=printing.all_printers(),
                           stations=printing.all_stations(), kinds=list(PrinterKind),
                           warehouses=all_warehouses(), error=error), status


def _printer_fields(form) -> dict:
    return {"name": form.get("name", ""), "kind": form.get("kind", ""),
            "host": form.get("host", ""), "port": form.get("port", "")}


@bp.route("/printers")
def printers():
    return _page()


@bp.route("/printers", methods=["POST"])
@transactional
def printer_create():
    try:
        printer = printing.save_printer(**_printer_fields(request.form))
    except DomainError as exc:
        return _page(exc.message, exc.status)
    flash(_("Printer “%(name)s” added.", name=printer.name), "ok")
    return redirect(url_for("desk.printers"))


@bp.route("/printers/<int:printer_id>", methods=["POST"])
@transactional
def printer_update(printer_id: int):
    try:
        printer = printing.get_printer(printer_id)
        printing.save_printer(**_printer_fields(request.form), printer=printer,
                              active=request.form.get("active") == "1")
    except DomainError as exc:
        return _page(exc.message, exc.status)
    flash(_("Printer “%(name)s” saved.", name=printer.name), "ok")
    return redirect(url_for("desk.printers"))


@bp.route("/printers/<int:printer_id>/delete", methods=["POST"])
@transactional
def printer_delete(printer_id: int):
    printer = printing.get_printer(printer_id)
    name = printer.name
    printing.delete_printer(printer)
    flash(_("Printer “%(name)s” removed: its stations print PDFs until they get another.", name=name), "ok")
    return redirect(url_for("desk.printers"))


@bp.route("/printers/<int:printer_id>/test", methods=["POST"])
def printer_test(printer_id: int):
    printer = printing.get_printer(printer_id)
    if printer.kind is not PrinterKind.ZPL_TCP:
        flash(_("%(name)s prints PDFs in the browser: there is nothing to send.", name=printer.name), "error")
        return redirect(url_for("desk.printers"))
    try:
        sent = printing.send_zpl(printer, printing.sample_label(printer))
    except DomainError as exc:
        flash(exc.message, "error")
    else:
        flash(_("Test label sent to %(name)s (%(bytes)s bytes): check that it came out.", name=printer.name, bytes=sent), "ok")
    return redirect(url_for("desk.printers"))


def _station_fields(form) -> dict:
    raw = form.get("printer_id", "")
    return {"name": form.get("name", ""),
            "printer": printing.get_printer(raw) if raw else None,
            "print_on_last_scan": form.get("print_on_last_scan") == "1",
            "warehouse": form.get("warehouse_id", "")}


@bp.route("/stations", methods=["POST"])
@transactional
def station_create():
    try:
        station = printing.save_station(**_station_fields(request.form))
    except DomainError as exc:
        return _page(exc.message, exc.status)
    flash(_("Station “%(name)s” added: choose it on the device (handheld menu, Station).", name=station.name), "ok")
    return redirect(url_for("desk.printers"))


@bp.route("/stations/<int:station_id>", methods=["POST"])
@transactional
def station_update(station_id: int):
    try:
        station = printing.get_station(station_id)
        printing.save_station(**_station_fields(request.form), station=station)
    except DomainError as exc:
        return _page(exc.message, exc.status)
    flash(_("Station “%(name)s” saved.", name=station.name), "ok")
    return redirect(url_for("desk.printers"))
