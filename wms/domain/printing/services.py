"""Configure printers and stations, and send labels to a station's printer without a dialog."""
from __future__ import annotations

import re
import socket
from dataclasses import dataclass

from sqlalchemy import func, select

from wms.db import as_id, db
from wms.domain.printing.models import Printer, PrinterKind, Station
from wms.errors import Conflict, DomainError, NotFound
from wms.i18n import _

DEFAULT_PORT = 9100
DEFAULT_TIMEOUT = 4.0  # seconds: an operator waits this long at most before the PDF fallback
_HOST = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9.-]{0,253})$|^\[?[0-9A-Fa-f:]+\]?$")


class PrinterUnreachable(DomainError):
    """The label printer did not take the job; the message says which printer and what to check."""

    status = 503
    code = "printer_unreachable"


# ---------------------------------------------------------------- configuration

def _clean_name(name: str, what: str) -> str:
    name = (name or "").strip()
    if not name or len(name) > 80:
        raise DomainError(_("Give the %(what)s a name (up to 80 characters), e.g. “Packing 1”.",
                            what=what))
    return name


def _check_unique(model, name: str, exclude_id: int | None) -> None:
    other = db.session.execute(
        select(model).where(func.lower(model.name) == name.lower())).scalar_one_or_none()
    if other is not None and other.id != exclude_id:
        raise Conflict(_("“%(name)s” already exists: choose another name.", name=other.name))


def parse_kind(raw) -> PrinterKind:
    """Read a printer kind ("zpl_tcp" or "pdf_browser"), refusing anything else."""
    if isinstance(raw, PrinterKind):
        return raw
    try:
        return PrinterKind((raw or "").strip())
    except ValueError:
        raise DomainError(_("Choose the printer kind: a label printer reached over TCP (ZPL), or "
                            "PDF in the browser.")) from None


def _check_address(kind: PrinterKind, host: str | None, port) -> tuple[str | None, int]:
    if kind is PrinterKind.PDF_BROWSER:
        return None, DEFAULT_PORT
    host = (host or "").strip()
    if not host or not _HOST.match(host):
        raise DomainError(_("Give the label printer's IP address or host name, e.g. 192.168.1.50."))
    try:
        port = int(str(port).strip() or DEFAULT_PORT) if port not in (None, "") else DEFAULT_PORT
    except ValueError:
        raise DomainError(_("The port must be a number (label printers listen on "
                            "%(default_port)s).", default_port=DEFAULT_PORT)) from None
    if not 1 <= port <= 65535:
        raise DomainError(_("The port must be between 1 and 65535 (label printers listen on "
                            "%(default_port)s).", default_port=DEFAULT_PORT))
    return host, port


def save_printer(name: str, kind, host: str | None = None, port=DEFAULT_PORT, *,
                 printer: Printer | None = None, active: bool = True) -> Printer:
    """Create a printer, or change one when `printer` is given."""
    name = _clean_name(name, "printer")
    kind = parse_kind(kind)
    host, port = _check_address(kind, host, port)
    _check_unique(Printer, name, printer.id if printer else None)
    if printer is None:
        printer = Printer(name=name, kind=kind)
        db.session.add(printer)
    printer.name, printer.kind, printer.host, printer.port, printer.active = name, kind, host, port, active
    db.session.flush()
    return printer


def save_station(name: str, printer: Printer | None = None, print_on_last_scan: bool = False, *,
                 station: Station | None = None) -> Station:
    """Create a station with its default printer, or change one when `station` is given."""
    name = _clean_name(name, "station")
    _check_unique(Station, name, station.id if station else None)
    if print_on_last_scan and (printer is None or printer.kind is not PrinterKind.ZPL_TCP):
        raise DomainError(_("Printing on the last scan needs a label printer (ZPL over TCP) as "
                            "the station's printer: a PDF cannot print without the browser's "
                            "dialog."))
    if station is None:
        station = Station(name=name)
        db.session.add(station)
    station.name, station.printer, station.print_on_last_scan = name, printer, print_on_last_scan
    db.session.flush()
    return station


def get_printer(printer_id) -> Printer:
    """Return a printer by id, or refuse an unknown one."""
    printer = db.session.get(Printer, as_id(printer_id)) if as_id(printer_id) is not None else None
    if printer is None:
        raise NotFound(_("Printer %(printer_id)s does not exist.", printer_id=printer_id))
    return printer


def get_station(station_id) -> Station:
    """Return a station by id, or refuse an unknown one."""
    station = db.session.get(Station, as_id(station_id)) if as_id(station_id) is not None else None
    if station is None:
        raise NotFound(_("Station %(station_id)s does not exist: choose this device's station "
                         "again.", station_id=station_id))
    return station


def find_station(station_id) -> Station | None:
    """Return the station a device remembers, or None if it has none (or it was deleted)."""
    if as_id(station_id) is None:
        return None
    return db.session.get(Station, as_id(station_id))


def all_printers() -> list[Printer]:
    return list(db.session.execute(select(Printer).order_by(Printer.name)).scalars())


def all_stations() -> list[Station]:
    return list(db.session.execute(select(Station).order_by(Station.name)).scalars())


def delete_printer(printer: Printer) -> None:
    """Remove a printer; stations that used it fall back to the PDF."""
    for station in db.session.execute(select(Station).where(Station.printer_id == printer.id)).scalars():
        station.printer = None
        station.print_on_last_scan = False
    db.session.delete(printer)
    db.session.flush()


# ---------------------------------------------------------------- sending

def send_zpl(printer: Printer, zpl: str | bytes, timeout: float = DEFAULT_TIMEOUT) -> int:
    """Send ZPL to a network label printer over raw TCP; return the bytes sent.

    Raises PrinterUnreachable, naming the printer and its address, when it does not answer.
    """
    if printer.kind is not PrinterKind.ZPL_TCP:
        raise DomainError(_("%(name)s is not a label printer: open the PDF instead.",
                            name=printer.name))
    if not printer.active:
        raise PrinterUnreachable(_("%(name)s is switched off in the WMS: a supervisor can turn "
                                   "it back on in Printers. Use the PDF meanwhile.",
                                   name=printer.name))
    # render_zpl escapes everything else with ^FH; a carrier's own ZPL comes as bytes.
    data = zpl if isinstance(zpl, bytes) else zpl.encode("ascii", errors="strict")
    try:
        with socket.create_connection((printer.host, printer.port), timeout=timeout) as sock:
            sock.settimeout(timeout)
            sock.sendall(data)
            sock.shutdown(socket.SHUT_WR)
    except TimeoutError:
        raise PrinterUnreachable(
            _("%(name)s (%(address)s) did not answer within %(timeout)s s: check it is switched "
              "on, has paper and is on the network. Use the PDF meanwhile.",
              name=printer.name, address=printer.address, timeout=format(timeout, 'g'))) from None
    except OSError as exc:
        why = {111: _("refused the connection"), 113: _("cannot be reached (no route)"),
               101: _("cannot be reached (network down)")}.get(exc.errno or 0, exc.strerror or str(exc))
        raise PrinterUnreachable(
            _("%(name)s (%(address)s) %(why)s: check it is switched on and on the network. Use "
              "the PDF meanwhile.", name=printer.name, address=printer.address, why=why)) from None
    return len(data)


@dataclass
class PrintOutcome:
    """What happened to a print request; `sent` False means: show `message` and the PDF."""

    sent: bool
    message: str
    printer: Printer | None = None


def print_labels(station: Station | None, zpl: str | bytes, what: str, *,
                 timeout: float = DEFAULT_TIMEOUT) -> PrintOutcome:
    """Print labels on the station's printer; say so, or say why not (the caller offers the PDF)."""
    printer = station.printer if station is not None else None
    if station is None:
        return PrintOutcome(False, _("This device has no station, so %(what)s cannot print "
                                     "directly: open the PDF, or choose the station in Station.",
                                     what=what))
    if printer is None:
        return PrintOutcome(False, _("%(name)s has no printer: open the PDF for %(what)s, or ask "
                                     "a supervisor to set the station's printer.",
                                     name=station.name, what=what))
    if printer.kind is PrinterKind.PDF_BROWSER:
        return PrintOutcome(False, _("%(name)s prints PDFs: open the PDF for %(what)s.",
                                     name=station.name, what=what), printer)
    try:
        send_zpl(printer, zpl, timeout)
    except PrinterUnreachable as exc:
        return PrintOutcome(False, _("%(what)s NOT printed: %(message)s",
                                     what=what.capitalize(), message=exc.message), printer)
    return PrintOutcome(True, _("%(what)s sent to %(name)s.",
                                what=what.capitalize(), name=printer.name), printer)


def sample_label(printer: Printer) -> str:
    """Return a small ZPL label that names the printer, for the desk's test print."""
    from wms.labels.zpl import escape_field

    name, hexed = escape_field(_("WMS test print: %(name)s", name=printer.name))
    return ("^XA^CI28^FO40,40^A0N,40,40" + ("^FH" if hexed else "") + f"^FD{name}^FS"
            f"^FO40,100^A0N,30,30^FD{printer.host}:{printer.port}^FS^XZ")
