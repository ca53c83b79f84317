"""Render A4 warehouse documents to PDF: packing slip, pick list and carrier manifest.

Every fixed text is in gettext and dates and numbers follow the locale (wms/labels/locale.py):
the pick list and the manifest speak the language of whoever prints them; the caller renders
the packing slip inside `customer_locale(order.language)`, the customer's language.
"""

from __future__ import annotations

import datetime as dt
import io
from typing import Any, Mapping
from xml.sax.saxutils import escape

from reportlab.graphics.barcode import code128
from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from wms.i18n import _, ngettext

from .fonts import fallback_font, fits_winansi
from .layout import LabelDataError
from .locale import current_locale, format_day, format_moment, format_number, format_quantity
from .pdf import QUIET_MODULES, code128_modules
from .resolve import MISSING, lookup

MARGIN = 15 * mm
CONTENT_WIDTH = A4[0] - 2 * MARGIN
GRID = colors.Color(0.6, 0.6, 0.6)
# Languages whose fixed texts the PDF built-in fonts (WinAnsi) can draw.
WINANSI_LANGUAGES = {"en", "fr", "es", "it", "de", "pt", "nl", "ca", "da", "sv", "nb", "no", "fi",
                     "ga", "is"}
HEADER_FILL = colors.Color(0.9, 0.9, 0.9)


def packing_slip_pdf(data: Mapping[str, Any]) -> bytes:
    """Render a packing slip.

    ``data``::

        {
          "shop": {"name": str, "address1": str, "address2"?: str, "postcode": str, "city": str,
                   "country": str, "phone"?: str, "email"?: str},
          "order": {"reference": str, "date": date | datetime | str, "note"?: str},
          "recipient": {"name": str, "company"?: str, "address1": str, "address2"?: str,
                        "postcode": str, "city": str, "country": str},
          "items": [{"sku": str, "name": str, "quantity": int}, ...],
          "parcel_count": int,
        }

    Keys marked ``?`` may be left out. The order reference is also printed as a Code 128 barcode.
    """
    doc = _Doc(data, "packing slip")
    reference = doc.text("order.reference")
    story: list[Flowable] = [
        Table(
            [[doc.para(doc.address("shop"), "small"), [doc.para(escape(_("Packing slip").upper()), "title"),
              doc.para(_bold(_("Order %(reference)s", reference="\0"), reference), "right"),
              doc.para(escape(_("Date %(date)s", date=doc.date("order.date"))), "right"),
              BarcodeFlowable(reference, 70 * mm, 12 * mm, align="right")]]],
            colWidths=[CONTENT_WIDTH * 0.5, CONTENT_WIDTH * 0.5],
            style=[("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 0),
                   ("RIGHTPADDING", (0, 0), (-1, -1), 0)],
        ),
        Spacer(1, 8 * mm),
        doc.para(escape(_("Ship to")), "caption"),
        doc.para(doc.address("recipient", with_company=True), "address"),
        Spacer(1, 8 * mm),
    ]
    items = doc.items("items", ("sku", "name", "quantity"))
    rows = [["SKU", _("Product"), doc.strong(_("Qty"), "right")]]
    for item in items:
        rows.append([doc.para(escape(str(item["sku"]))), doc.para(escape(str(item["name"]))),
                     doc.para(str(item["quantity"]), "right")])
    total = sum(_number(item["quantity"], "items quantity") for item in items)
    rows.append(["", doc.strong(_("Total items"), "right"),
                 doc.para(f"<b>{_fmt_number(total)}</b>", "right")])
    story.append(doc.table(rows, [40 * mm, CONTENT_WIDTH - 60 * mm, 20 * mm], total_row=True))
    story.append(Spacer(1, 6 * mm))
    parcels = doc.value("parcel_count")
    story.append(doc.para(_bold(_("Parcels in this shipment: %(count)s", count="\0"), str(parcels))))
    note = doc.value("order.note", optional=True)
    if note:
        story += [Spacer(1, 4 * mm), doc.para(escape(_("Note")), "caption"), doc.para(escape(str(note)))]
    return doc.build(story, _("Packing slip %(reference)s", reference=reference))


def pick_list_pdf(data: Mapping[str, Any]) -> bytes:
    """Render a pick list in route order, with barcodes for the list, each location and each SKU.

    ``data``::

        {
          "code": str,                       # pick list code, printed as a Code 128 barcode
          "operator"?: str,
          "date": date | datetime | str,
          "warehouse"?: str,
          "lines": [{"sequence": int, "location": str, "sku": str, "name": str,
                     "quantity": int, "tote"?: str}, ...],
        }

    Lines are printed sorted by ``sequence`` (the walking order the router computed).
    """
    doc = _Doc(data, "pick list")
    code = doc.text("code")
    operator = doc.value("operator", optional=True) or "-"
    warehouse = doc.value("warehouse", optional=True)
    heading = [doc.para(escape(_("Pick list").upper()), "title"), doc.para(f"<b>{escape(code)}</b>", "big")]
    meta = [_bold(_("Operator %(name)s", name="\0"), str(operator)),
            escape(_("Date %(date)s", date=doc.date("date", with_time=True)))]
    if warehouse:
        meta.append(escape(_("Warehouse %(name)s", name=str(warehouse))))
    lines = sorted(doc.items("lines", ("sequence", "location", "sku", "name", "quantity")),
                   key=lambda line: _number(line["sequence"], "lines sequence"))
    units = sum(_number(l['quantity'], 'lines quantity') for l in lines)
    meta.append(escape(_("%(lines)s, %(units)s",
                         lines=ngettext("%(num)d line", "%(num)d lines", len(lines)),
                         units=_units(units))))
    meta = "<br/>".join(meta)
    story: list[Flowable] = [
        Table([[heading, doc.para(meta, "right"), BarcodeFlowable(code, 60 * mm, 14 * mm, align="right")]],
              colWidths=[55 * mm, CONTENT_WIDTH - 115 * mm, 60 * mm],
              style=[("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 0),
                     ("RIGHTPADDING", (0, 0), (-1, -1), 0)]),
        Spacer(1, 6 * mm),
    ]
    location_w, sku_w = 52 * mm, 52 * mm
    rows = [["#", _("Location"), "SKU", _("Product"), doc.strong(_("Qty"), "right"),
             _("Tote"), "\u2713"]]
    for line in lines:
        location, sku = str(line["location"]), str(line["sku"])
        rows.append([
            doc.para(str(line["sequence"])),
            [doc.para(f"<b>{escape(location)}</b>", "big"), BarcodeFlowable(location, location_w - 4 * mm, 9 * mm)],
            [doc.para(escape(sku)), BarcodeFlowable(sku, sku_w - 4 * mm, 9 * mm)],
            doc.para(escape(str(line["name"])), "small"),
            doc.para(f"<b>{escape(str(line['quantity']))}</b>", "bigright"),
            doc.para(escape(str(line.get("tote") or ""))),
            TickBox(5 * mm),
        ])
    widths = [8 * mm, location_w, sku_w, 0, 12 * mm, 16 * mm, 8 * mm]
    widths[3] = CONTENT_WIDTH - sum(widths)
    table = doc.table(rows, widths)
    story.append(table)
    return doc.build(story, _("Pick list %(code)s", code=code))


def manifest_pdf(data: Mapping[str, Any]) -> bytes:
    """Render a carrier manifest (end-of-day hand-over list) with totals and signature lines.

    ``data``::

        {
          "carrier": str,
          "service"?: str,
          "date": date | datetime | str,
          "reference"?: str,                 # manifest number
          "shipper": {"name": str, "address1": str, "address2"?: str, "postcode": str,
                      "city": str, "country": str},
          "parcels": [{"tracking_number": str, "order_reference": str, "recipient": str,
                       "destination"?: str, "weight_kg": float}, ...],
        }
    """
    doc = _Doc(data, "manifest")
    carrier = doc.text("carrier")
    service = doc.value("service", optional=True)
    reference = doc.value("reference", optional=True)
    title = (_("%(carrier)s manifest %(reference)s", carrier=carrier, reference=reference) if reference
             else _("%(carrier)s manifest", carrier=carrier))
    meta = _bold(_("Carrier %(name)s", name="\0"), carrier)
    if service:
        meta += f" \u2013 {escape(str(service))}"
    meta += "<br/>" + escape(_("Date %(date)s", date=doc.date("date")))
    if reference:
        meta += "<br/>" + _bold(_("Manifest %(reference)s", reference="\0"), str(reference))
    parcels = doc.items("parcels", ("tracking_number", "order_reference", "recipient", "weight_kg"))
    story: list[Flowable] = [
        Table([[doc.para(doc.address("shipper"), "small"), [doc.para(escape(_("Carrier manifest").upper()), "title"),
                                                        doc.para(meta, "right")]]],
              colWidths=[CONTENT_WIDTH * 0.5] * 2,
              style=[("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 0),
                     ("RIGHTPADDING", (0, 0), (-1, -1), 0)]),
        Spacer(1, 6 * mm),
    ]
    tracking_w = 70 * mm
    rows = [["#", _("Tracking number"), _("Order"), _("Recipient"),
             doc.strong(_("Weight"), "right")]]
    total_weight = 0.0
    for number, parcel in enumerate(parcels, start=1):
        tracking = str(parcel["tracking_number"])
        weight = _number(parcel["weight_kg"], "parcels weight_kg")
        total_weight += weight
        recipient = escape(str(parcel["recipient"]))
        if parcel.get("destination"):
            recipient += f"<br/><font size=7>{escape(str(parcel['destination']))}</font>"
        rows.append([
            doc.para(str(number)),
            [BarcodeFlowable(tracking, tracking_w - 4 * mm, 9 * mm), doc.para(escape(tracking), "small")],
            doc.para(escape(str(parcel["order_reference"]))),
            doc.para(recipient),
            doc.para(f"{format_number(weight, 2)} kg", "right"),
        ])
    count = ngettext("%(num)d parcel", "%(num)d parcels", len(parcels))
    rows.append(["", doc.para(f"<b>{escape(count)}</b>"), "",
                 doc.strong(_("Total weight"), "right"),
                 doc.para(f"<b>{format_number(total_weight, 2)} kg</b>", "right")])
    widths = [9 * mm, tracking_w, 32 * mm, 0, 22 * mm]
    widths[3] = CONTENT_WIDTH - sum(widths)
    story.append(doc.table(rows, widths, total_row=True))
    story.append(Spacer(1, 14 * mm))
    signature = [
        [doc.strong(_("Handed over by (warehouse)")), "",
         doc.strong(_("Collected by (driver)"))],
        [doc.para(escape(_("Name"))), "", doc.para(escape(_("Name")))],
        [doc.para(escape(_("Signature"))), "", doc.para(escape(_("Signature")))],
        [doc.para(escape(_("Date and time"))), "", doc.para(escape(_("Date and time")))],
    ]
    story.append(Table(
        signature, colWidths=[CONTENT_WIDTH * 0.45, CONTENT_WIDTH * 0.1, CONTENT_WIDTH * 0.45],
        rowHeights=[8 * mm, 12 * mm, 16 * mm, 12 * mm],
        style=[("LINEBELOW", (0, 1), (0, -1), 0.5, colors.black), ("LINEBELOW", (2, 1), (2, -1), 0.5, colors.black),
               ("VALIGN", (0, 0), (-1, -1), "BOTTOM"), ("LEFTPADDING", (0, 0), (-1, -1), 0)],
    ))
    return doc.build(story, title)


class TickBox(Flowable):
    """An empty square to tick by hand, one per line of a printed list."""

    def __init__(self, size: float):
        super().__init__()
        self.size = size

    def wrap(self, available_width, available_height):
        return self.size, self.size

    def draw(self):
        self.canv.setLineWidth(0.9)
        self.canv.rect(0, 0, self.size, self.size, stroke=1, fill=0)


class BarcodeFlowable(Flowable):
    """A Code 128 barcode as large as ``max_width`` and 0.35 mm modules allow, quiet zones included."""

    def __init__(self, value: str, max_width: float, height: float, align: str = "left", max_module: float = 0.35 * mm):
        super().__init__()
        if not value or not all(32 <= ord(ch) < 127 for ch in value):
            raise LabelDataError(f"cannot draw {value!r} as Code 128: it needs printable ASCII only")
        self.value = value
        modules = code128_modules(value)
        self.bar = min(max_module, max_width / (modules + 2 * QUIET_MODULES))
        self.width = (modules + 2 * QUIET_MODULES) * self.bar
        self.height = height
        self.max_width = max_width
        self.align = align

    def wrap(self, available_width, available_height):
        return (self.max_width if self.align == "right" else self.width), self.height

    def draw(self):
        offset = self.max_width - self.width if self.align == "right" else 0
        symbol = code128.Code128(self.value, barWidth=self.bar, barHeight=self.height, quiet=0, humanReadable=0)
        symbol.drawOn(self.canv, offset + QUIET_MODULES * self.bar, 0)


class _Doc:
    """Look up fields in a document's data with clear errors, and build its styles and PDF."""

    def __init__(self, data: Mapping[str, Any], kind: str):
        if not isinstance(data, Mapping):
            raise LabelDataError(f"{kind} data must be a dict, got {type(data).__name__}")
        self.data = data
        self.kind = kind
        regular, bold = "Helvetica", "Helvetica-Bold"
        # The fixed texts are in the document's language: one outside Latin-1 needs DejaVu too.
        latin = current_locale().language in WINANSI_LANGUAGES
        if not latin or not all(fits_winansi(text) for text in _strings(data)):
            # One TrueType family for the whole document when any text is outside Latin-1.
            regular = fallback_font("Helvetica") or regular
            bold = fallback_font("Helvetica-Bold") or bold
            if regular.startswith("WMS-"):
                from reportlab.lib.fonts import addMapping

                addMapping(regular, 0, 0, regular)
                addMapping(regular, 1, 0, bold)
                addMapping(regular, 0, 1, regular)
                addMapping(regular, 1, 1, bold)
        self.font, self.bold = regular, bold
        base = ParagraphStyle("body", fontName=regular, fontSize=9, leading=11)
        self.styles = {
            "body": base,
            "small": ParagraphStyle("small", base, fontSize=8, leading=10),
            "caption": ParagraphStyle("caption", base, fontName=bold, fontSize=7, leading=9, textColor=colors.Color(0.35, 0.35, 0.35)),
            "address": ParagraphStyle("address", base, fontSize=11, leading=14),
            "title": ParagraphStyle("title", base, fontName=bold, fontSize=16, leading=20),
            "big": ParagraphStyle("big", base, fontName=bold, fontSize=11, leading=13),
            "right": ParagraphStyle("right", base, alignment=TA_RIGHT),
            "bigright": ParagraphStyle("bigright", base, fontName=bold, fontSize=12, leading=14, alignment=TA_RIGHT),
        }

    def value(self, path: str, optional: bool = False) -> Any:
        value = lookup(self.data, path)
        if value is MISSING or value is None:
            if optional:
                return None
            raise LabelDataError(f"{self.kind}: field {path!r} is missing")
        return value

    def text(self, path: str) -> str:
        text = str(self.value(path)).strip()
        if not text:
            raise LabelDataError(f"{self.kind}: field {path!r} is empty")
        return text

    def date(self, path: str, with_time: bool = False) -> str:
        """The date in the document's language ("23 nov. 2025"), with the time when asked
        and known, in the warehouse's time zone."""
        value = self.value(path)
        if isinstance(value, dt.datetime) and with_time:
            return format_moment(value)
        if isinstance(value, (dt.date, dt.datetime)):
            return format_day(value)
        return str(value)

    def address(self, prefix: str, with_company: bool = False) -> str:
        """Return an escaped multi-line address as Paragraph markup."""
        name = escape(self.text(f"{prefix}.name"))
        lines = [f"<b>{name}</b>"]
        optional_keys = ["company"] if with_company else []
        for key in optional_keys + ["address1", "address2"]:
            value = self.value(f"{prefix}.{key}", optional=key != "address1")
            if value:
                lines.append(escape(str(value)))
        lines.append(escape(f"{self.text(prefix + '.postcode')} {self.text(prefix + '.city')}"))
        lines.append(escape(self.text(f"{prefix}.country")))
        for key in ("phone", "email"):
            value = self.value(f"{prefix}.{key}", optional=True)
            if value:
                lines.append(escape(str(value)))
        return "<br/>".join(lines)

    def items(self, path: str, required: tuple[str, ...]) -> list[Mapping[str, Any]]:
        items = self.value(path)
        if not isinstance(items, (list, tuple)):
            raise LabelDataError(f"{self.kind}: {path!r} must be a list, got {type(items).__name__}")
        for number, item in enumerate(items, start=1):
            if not isinstance(item, Mapping):
                raise LabelDataError(f"{self.kind}: {path}[{number}] must be a dict")
            missing = [key for key in required if item.get(key) is None]
            if missing:
                raise LabelDataError(f"{self.kind}: {path}[{number}] is missing {', '.join(missing)}")
        return list(items)

    def strong(self, text: str, style: str = "body") -> Paragraph:
        return Paragraph(f"<b>{escape(text)}</b>", self.styles[style])

    def para(self, markup: str, style: str = "body") -> Paragraph:
        return Paragraph(markup, self.styles[style])

    def table(self, rows: list, widths: list[float], total_row: bool = False) -> Table:
        table = Table(rows, colWidths=widths, repeatRows=1)
        commands = [
            ("FONTNAME", (0, 0), (-1, 0), self.bold),
            ("FONTSIZE", (0, 0), (-1, 0), 8),
            ("BACKGROUND", (0, 0), (-1, 0), HEADER_FILL),
            ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ("LINEBELOW", (0, 0), (-1, -1), 0.4, GRID),
            ("TOPPADDING", (0, 1), (-1, -1), 4),
            ("BOTTOMPADDING", (0, 1), (-1, -1), 4),
        ]
        if total_row:
            commands.append(("LINEABOVE", (0, -1), (-1, -1), 1, colors.black))
        table.setStyle(TableStyle(commands))
        return table

    def build(self, story: list[Flowable], title: str) -> bytes:
        buffer = io.BytesIO()
        font = self.font

        def footer(canvas, document):
            canvas.saveState()
            canvas.setFont(font, 7)
            canvas.setFillColor(colors.Color(0.4, 0.4, 0.4))
            canvas.drawString(MARGIN, 8 * mm, title)
            canvas.drawRightString(A4[0] - MARGIN, 8 * mm, _("Page %(number)d", number=document.page))
            canvas.restoreState()

        document = SimpleDocTemplate(
            # The frame pads its content by 6 pt; take that off the margins so tables span CONTENT_WIDTH.
            buffer, pagesize=A4, leftMargin=MARGIN - 6, rightMargin=MARGIN - 6, topMargin=MARGIN - 6,
            bottomMargin=MARGIN, title=title, creator="wms labels",
        )
        document.build(story, onFirstPage=footer, onLaterPages=footer)
        return buffer.getvalue()


def _strings(value: Any):
    if isinstance(value, str):
        yield value
    elif isinstance(value, Mapping):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _strings(item)


def _number(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        try:
            return float(value)
        except (TypeError, ValueError):
            raise LabelDataError(f"{where}: {value!r} is not a number") from None
    return value


def _fmt_number(value: float) -> str:
    return format_quantity(value)


def _units(units: float) -> str:
    if float(units).is_integer():
        return ngettext("%(num)d unit", "%(num)d units", int(units))
    return _("%(quantity)s units", quantity=_fmt_number(units))


def _bold(sentence: str, value: str) -> str:
    """Paragraph markup of a translated sentence whose placeholder (given as "\\0") is in bold."""
    before, _sep, after = sentence.partition("\0")
    return f"{escape(before)}<b>{escape(value)}</b>{escape(after)}"
