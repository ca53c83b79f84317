"""Render label layouts as ZPL II for Zebra-compatible thermal printers, and check ZPL text."""

from __future__ import annotations

import re
from typing import Any, Iterable, Mapping

from .layout import BoxElement, LabelDataError, Layout, LineElement
from .pdf import QUIET_MODULES, code128_modules
from .resolve import PlacedBarcode, PlacedText, resolve_label

# ^FH makes "_" the escape character: "_5E" is "^". Field data must never contain a raw "^" or
# "~" (the printer would read a command), and with ^CI28 the printer decodes the escaped bytes
# as UTF-8, so "é" travels as "_C3_A9".
HEX_ESCAPE = "_"
_JUSTIFY = {"left": "L", "center": "C", "right": "R"}


class ZplError(ValueError):
    """A ZPL document is malformed: unbalanced ^XA/^XZ or ^FD/^FS, an unknown command, raw special characters."""


def render_zpl(layout: Layout, records: Iterable[Mapping[str, Any]], dpi: int | None = None) -> str:
    """Render one ``^XA ... ^XZ`` label per record; sheet layouts print one label at a time."""
    dpi = dpi or layout.dpi
    if dpi <= 0:
        raise ValueError(f"dpi must be positive, got {dpi}")
    labels = []
    for index, record in enumerate(records, start=1):
        placed = resolve_label(layout, record, index)
        labels.append(_render_one(layout, placed, dpi))
    if not labels:
        raise LabelDataError(f"no records to print with layout {layout.name!r}")
    return "".join(labels)


def dots(value_mm: float, dpi: int) -> int:
    """Convert millimetres to printer dots."""
    return round(value_mm / 25.4 * dpi)


def escape_field(text: str, block: bool = False) -> tuple[str, bool]:
    """Return ``(field_data, needs_fh)``: ``text`` safe to put between ^FD and ^FS."""
    if block:
        # Inside a ^FB block a backslash starts an escape such as "\&" (new line).
        text = text.replace("\\", "\\\\")
    if all(32 <= ord(ch) < 127 and ch not in "^~" for ch in text):
        return text, False
    out = []
    for ch in text:
        if 32 <= ord(ch) < 127 and ch not in "^~" + HEX_ESCAPE:
            out.append(ch)
        else:
            out.extend(f"{HEX_ESCAPE}{byte:02X}" for byte in ch.encode("utf-8"))
    return "".join(out), True


def unescape_field(data: str, hex_escaped: bool) -> str:
    """Turn ^FD field data back into text (the inverse of ``escape_field`` without ^FB)."""
    if not hex_escaped:
        return data
    raw = bytearray()
    i = 0
    while i < len(data):
        if data[i] == HEX_ESCAPE:
            raw.append(int(data[i + 1 : i + 3], 16))
            i += 3
        else:
            raw.extend(data[i].encode("ascii"))
            i += 1
    return raw.decode("utf-8")


def _field(data: str, block: bool = False) -> str:
    escaped, needs_fh = escape_field(data, block)
    return ("^FH" if needs_fh else "") + f"^FD{escaped}^FS"


def _render_one(layout: Layout, placed: list, dpi: int) -> str:
    out = ["^XA", "^CI28", f"^PW{dots(layout.width_mm, dpi)}", f"^LL{dots(layout.height_mm, dpi)}", "^LH0,0"]
    for item in placed:
        if isinstance(item, PlacedText):
            out.extend(_text(item, dpi))
        elif isinstance(item, PlacedBarcode):
            out.append(_barcode(item, dpi))
        elif isinstance(item, LineElement):
            length, thick = dots(item.length_mm, dpi), max(1, dots(item.thickness_mm, dpi))
            w, h = (length, thick) if item.direction == "horizontal" else (thick, length)
            out.append(f"^FO{dots(item.x_mm, dpi)},{dots(item.y_mm, dpi)}^GB{w},{h},{thick}^FS")
        elif isinstance(item, BoxElement):
            w, h = dots(item.width_mm, dpi), dots(item.height_mm, dpi)
            thick = min(w, h) if item.fill else max(1, dots(item.thickness_mm, dpi))
            out.append(f"^FO{dots(item.x_mm, dpi)},{dots(item.y_mm, dpi)}^GB{w},{h},{thick}^FS")
    out.append("^XZ")
    return "\n".join(out) + "\n"


def _text(item: PlacedText, dpi: int) -> list[str]:
    height = max(10, round(item.size_pt / 72 * dpi))
    x, y = dots(item.x_mm, dpi), dots(item.y_mm, dpi)
    leading = item.leading_pt / 72 * dpi
    width = dots(item.width_mm, dpi)
    commands = []
    for number, line in enumerate(item.lines):
        top = round(y + number * leading)
        # Font 0 is narrower than Helvetica, so lines fitted with Helvetica metrics fit here too.
        command = f"^FO{x},{top}^A0N,{height},{height}"
        if item.align == "left":
            commands.append(command + _field(line))
        else:
            commands.append(command + f"^FB{width},1,0,{_JUSTIFY[item.align]},0" + _field(line, block=True))
    return commands


def _barcode(item: PlacedBarcode, dpi: int) -> str:
    box_x, box_w = dots(item.x_mm, dpi), dots(item.width_mm, dpi)
    y = dots(item.y_mm, dpi)
    text_dots = round(item.text_size_pt * 1.25 / 72 * dpi) if item.human_readable else 0
    bar_height = max(10, dots(item.height_mm, dpi) - text_dots)
    interpretation = "Y" if item.human_readable else "N"
    max_module = max(1, int(item.max_module_mm / 25.4 * dpi))
    if item.symbology == "code128":
        modules = code128_modules(item.data)
        module = max(1, min(max_module, box_w // (modules + 2 * QUIET_MODULES)))
        x = box_x + (box_w - modules * module) // 2
        # Mode A lets the printer switch Code 128 subsets itself (digits pack two per symbol).
        command = f"^BCN,{bar_height},{interpretation},N,N,A"
        data = item.data
    else:
        # 95 modules of bars plus room for the human-readable digits outside the guards.
        bars, outside = (95, 11)
        module = max(1, min(max_module, box_w // (bars + 2 * outside)))
        x = box_x + (box_w - bars * module) // 2
        # The printer appends the check digit, so it gets the digits without it.
        if item.symbology == "ean13":
            command = f"^BEN,{bar_height},{interpretation},N"
        else:
            command = f"^BUN,{bar_height},{interpretation},N,Y"
        data = item.data[:-1]
    return f"^FO{x},{y}^BY{module},3,{bar_height}{command}{_field(data)}"


# --- checking ---------------------------------------------------------------------------

KNOWN_COMMANDS = {
    "XA", "XZ", "CI", "PW", "LL", "LH", "LS", "LT", "PR", "PQ", "MD", "MN", "MT", "PO", "PM",
    "FO", "FT", "FB", "FH", "FD", "FS", "FR", "FX", "FW",
    "BY", "BC", "BE", "BU", "B3", "BQ", "BX", "GB", "GC", "GD", "A",
}
_TOKEN = re.compile(r"([\^~])(A(?=[0-9A-Z@])|[A-Z0-9@]{2})")


def parse_zpl(zpl: str) -> list[list[tuple[str, str]]]:
    """Split ZPL into labels of ``(command, arguments)`` pairs, raising ZplError for malformed text.

    Checks that each label is wrapped in ^XA ... ^XZ, every command is known, every ^FD is closed
    by ^FS, and field data holds no raw control or non-ASCII characters (they must be ^FH-escaped).
    """
    labels: list[list[tuple[str, str]]] = []
    current: list[tuple[str, str]] | None = None
    position = 0
    hex_escaped = False
    while position < len(zpl):
        start = zpl.find("^", position)
        tilde = zpl.find("~", position)
        if tilde != -1 and (start == -1 or tilde < start):
            raise ZplError(f"raw '~' at offset {tilde}: tilde commands are not allowed in labels")
        if start == -1:
            rest = zpl[position:]
            if rest.strip():
                raise ZplError(f"text {rest.strip()[:20]!r} after the last command at offset {position}")
            break
        between = zpl[position:start]
        if between.strip():
            raise ZplError(f"stray text {between.strip()[:20]!r} at offset {position}")
        match = _TOKEN.match(zpl, start)
        if not match:
            raise ZplError(f"malformed command {zpl[start:start + 4]!r} at offset {start}")
        command = match.group(2)
        if command not in KNOWN_COMMANDS:
            raise ZplError(f"unknown command ^{command} at offset {start}")
        end = zpl.find("^", match.end())
        end = len(zpl) if end == -1 else end
        args = zpl[match.end() : end]
        if "~" in args:
            raise ZplError(f"raw '~' after ^{command} at offset {start}: escape it with ^FH (_7E)")
        if command == "XA":
            if current is not None:
                raise ZplError(f"^XA at offset {start} opens a label before the previous one was closed with ^XZ")
            current = []
        elif current is None:
            raise ZplError(f"^{command} at offset {start} is outside ^XA ... ^XZ")
        elif command == "XZ":
            labels.append(current)
            current = None
        else:
            if command == "FD":
                if not zpl.startswith("^FS", end):
                    raise ZplError(f"^FD at offset {start} is not closed by ^FS")
                _check_field_data(args, hex_escaped, start)
            else:
                args = args.strip()
            if command == "FH":
                hex_escaped = True
            elif command == "FS":
                hex_escaped = False
            current.append((command, args))
        position = end
    if current is not None:
        raise ZplError("the last label is not closed with ^XZ")
    if not labels:
        raise ZplError("no label found: ZPL must contain ^XA ... ^XZ")
    return labels


def _check_field_data(data: str, hex_escaped: bool, offset: int) -> None:
    bad = [ch for ch in data if not 32 <= ord(ch) < 127]
    if bad:
        raise ZplError(f"^FD at offset {offset} holds raw {bad[0]!r}; escape it with ^FH")
    if hex_escaped and re.search(r"_(?![0-9A-Fa-f]{2})", data):
        raise ZplError(f"^FD at offset {offset} has a '_' that is not a two-digit hex escape")
