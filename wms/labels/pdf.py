"""Render label layouts to PDF: one label per page, or a grid of labels per sheet page."""

from __future__ import annotations

import io
from typing import Any, Iterable, Mapping

from reportlab import rl_config
from reportlab.graphics import renderPDF
from reportlab.graphics.barcode import code128, eanbc
from reportlab.graphics.shapes import Drawing
from reportlab.lib.colors import Color, black
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from .layout import BoxElement, LabelDataError, Layout, LineElement
from .resolve import PlacedBarcode, PlacedText, resolve_label

# Barcodes are drawn with reportlab.graphics.barcode rather than python-barcode: reportlab puts the
# bars into the PDF as vector rectangles in the same pass as the text, with no SVG or PNG to create
# and re-embed, which keeps 1,000 labels within a second or two and sharp at any printer
# resolution. Check digits are computed in symbology.py, so python-barcode is not needed here.

QUIET_MODULES = 10  # Code 128 needs at least 10 modules of white on each side to scan.
BASELINE = 0.76  # first baseline below the top of a text box, as a fraction of the font size
CUT_MARK_GREY = Color(0.75, 0.75, 0.75)


def render_pdf(layout: Layout, records: Iterable[Mapping[str, Any]], title: str | None = None) -> bytes:
    """Render one label per record into a PDF: a page per label, or ``sheet`` grids of labels per page."""
    buffer = io.BytesIO()
    if layout.sheet is None:
        page_size = (layout.width_mm * mm, layout.height_mm * mm)
    else:
        page_size = (layout.sheet.page_width_mm * mm, layout.sheet.page_height_mm * mm)
    canvas = Canvas(buffer, pagesize=page_size, pageCompression=1)
    canvas.setTitle(title or layout.title)
    canvas.setCreator("wms labels")

    count = 0
    on_page = 0
    for index, record in enumerate(records, start=1):
        # Resolve before drawing so a bad record fails before it leaves half a label behind.
        placed = resolve_label(layout, record, index)
        if layout.sheet is None:
            if count:
                canvas.showPage()
            origin_x, origin_y = 0.0, 0.0
        else:
            sheet = layout.sheet
            if on_page == sheet.per_page:
                canvas.showPage()
                on_page = 0
            column, row = on_page % sheet.columns, on_page // sheet.columns
            origin_x = sheet.margin_left_mm + column * (layout.width_mm + sheet.gap_x_mm)
            origin_y = sheet.margin_top_mm + row * (layout.height_mm + sheet.gap_y_mm)
            on_page += 1
        canvas.saveState()
        # Layouts measure from the label's top-left corner; PDF measures from the page's bottom-left.
        canvas.translate(origin_x * mm, page_size[1] - (origin_y + layout.height_mm) * mm)
        if layout.sheet is not None and layout.sheet.cut_marks:
            canvas.setStrokeColor(CUT_MARK_GREY)
            canvas.setLineWidth(0.25)
            canvas.rect(0, 0, layout.width_mm * mm, layout.height_mm * mm)
            canvas.setStrokeColor(black)
        draw_label(canvas, placed, layout.height_mm)
        canvas.restoreState()
        count += 1
    if count == 0:
        raise LabelDataError(f"no records to print with layout {layout.name!r}")
    canvas.showPage()
    # Compressed streams without the ASCII85 wrapping: a fifth smaller, and reportlab's pure-Python
    # ASCII85 encoder took a fifth of the render time. reportlab reads this switch only while
    # saving; another thread saving meanwhile would merely write binary streams too, still valid PDF.
    previous = rl_config.useA85
    rl_config.useA85 = 0
    try:
        canvas.save()
    finally:
        rl_config.useA85 = previous
    return buffer.getvalue()


def draw_label(canvas: Canvas, placed: list, height_mm: float) -> None:
    """Draw resolved label items on a canvas whose origin is the label's bottom-left corner."""
    top = height_mm * mm
    for item in placed:
        if isinstance(item, PlacedText):
            _draw_text(canvas, item, top)
        elif isinstance(item, PlacedBarcode):
            draw_barcode(canvas, item, top)
        elif isinstance(item, LineElement):
            canvas.setLineWidth(item.thickness_mm * mm)
            x, y = item.x_mm * mm, top - item.y_mm * mm
            if item.direction == "horizontal":
                canvas.line(x, y, x + item.length_mm * mm, y)
            else:
                canvas.line(x, y, x, y - item.length_mm * mm)
        elif isinstance(item, BoxElement):
            canvas.setLineWidth(item.thickness_mm * mm)
            canvas.rect(
                item.x_mm * mm, top - (item.y_mm + item.height_mm) * mm, item.width_mm * mm, item.height_mm * mm,
                stroke=1, fill=1 if item.fill else 0,
            )


def _draw_text(canvas: Canvas, item: PlacedText, top: float) -> None:
    canvas.setFont(item.font, item.size_pt)
    x = item.x_mm * mm
    width = item.width_mm * mm
    y = top - item.y_mm * mm - item.size_pt * BASELINE
    for line in item.lines:
        if item.align == "center":
            canvas.drawCentredString(x + width / 2, y, line)
        elif item.align == "right":
            canvas.drawRightString(x + width, y, line)
        else:
            canvas.drawString(x, y, line)
        y -= item.leading_pt


def draw_barcode(canvas: Canvas, item: PlacedBarcode, top: float) -> None:
    """Draw a barcode centred in its box, as large as the box and ``max_module_mm`` allow."""
    box_x, box_w = item.x_mm * mm, item.width_mm * mm
    bottom = top - (item.y_mm + item.height_mm) * mm
    height = item.height_mm * mm
    if item.symbology == "code128":
        draw_code128(canvas, item.data, box_x, bottom, box_w, height, item.human_readable, item.text_size_pt,
                     item.max_module_mm * mm)
        return
    widget_class = eanbc.Ean13BarcodeWidget if item.symbology == "ean13" else eanbc.UPCA
    # The widgets take the digits without the check digit and add it themselves.
    widget = widget_class(item.data[:-1])
    modules = widget.getBounds()[2] / widget.barWidth
    bar = min(item.max_module_mm * mm, box_w / modules)
    widget.barWidth = bar
    widget.barHeight = height
    # Digits sit between the guard bars: keep them narrower than the 7-module digit slots.
    widget.fontSize = min(item.text_size_pt, bar * 10)
    widget.humanReadable = 1 if item.human_readable else 0
    width = widget.getBounds()[2]
    drawing = Drawing(width, height)
    drawing.add(widget)
    renderPDF.draw(drawing, canvas, box_x + (box_w - width) / 2, bottom)


def code128_bars(data: str) -> tuple[int, list[tuple[int, int]]]:
    """Return ``(modules, bars)`` for Code 128: the symbol's width in modules and each bar's (start, width)."""
    # reportlab encodes (choosing subsets B/C, adding the check symbol) into a string where
    # upper-case letters are bars and lower-case letters spaces, "A" or "a" meaning one module.
    symbol = code128.Code128(data, quiet=0)
    symbol.validate()
    symbol.encode()
    pattern = symbol.decompose()
    bars = []
    position = 0
    for char in pattern:
        width = ord(char.upper()) - ord("A") + 1
        if char.isupper():
            bars.append((position, width))
        position += width
    return position, bars


def code128_modules(data: str) -> int:
    """Count the modules of a Code 128 symbol for ``data``, quiet zones excluded."""
    return code128_bars(data)[0]


def draw_code128(
    canvas: Canvas,
    data: str,
    x: float,
    y: float,
    width: float,
    height: float,
    human_readable: bool = True,
    text_size: float = 9.0,
    max_module: float = 0.6 * mm,
) -> None:
    """Draw Code 128 centred in the box (x, y, width, height) in points, with its quiet zones inside the box."""
    modules, bars = code128_bars(data)
    bar = min(max_module, width / (modules + 2 * QUIET_MODULES))
    bar_height = height - (text_size * 1.25 if human_readable else 0)
    draw_bars(canvas, bars, x + (width - modules * bar) / 2, y + height - bar_height, bar, bar_height)
    if human_readable:
        canvas.setFont("Helvetica", text_size)
        canvas.drawCentredString(x + width / 2, y + text_size * 0.2, data)


def draw_bars(canvas: Canvas, bars: list[tuple[int, int]], x: float, y: float, module: float, height: float) -> None:
    """Fill bars given in modules as one path, scaled so every coordinate written to the PDF is an integer."""
    # Bars in module units, written as literal "re" operators filled once: reportlab's rect() would
    # format every coordinate as a float, which was most of the time a label took.
    canvas.saveState()
    canvas.translate(x, y)
    canvas.scale(module, height)
    canvas.addLiteral(" ".join(f"{start} 0 {width} 1 re" for start, width in bars) + " f")
    canvas.restoreState()
