"""Fill a layout with one record: substitute placeholders, fit text, pick barcode symbologies.

Both the PDF and the ZPL renderers draw the placed items this module returns, so a label
looks the same (same lines, same truncation) whichever printer it goes to.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Mapping

from . import symbology as sym
from .fonts import font_for, string_width
from .locale import format_number, format_quantity, translate
from .layout import (
    PLACEHOLDER,
    BarcodeElement,
    BoxElement,
    LabelDataError,
    Layout,
    LineElement,
    TextElement,
)

PT_PER_MM = 72 / 25.4
ELLIPSIS = "\u2026"
MISSING = object()


@dataclass(frozen=True)
class PlacedText:
    x_mm: float
    y_mm: float
    width_mm: float
    align: str
    font: str
    size_pt: float
    leading_pt: float
    lines: tuple[str, ...]


@dataclass(frozen=True)
class PlacedBarcode:
    x_mm: float
    y_mm: float
    width_mm: float
    height_mm: float
    symbology: str
    data: str
    human_readable: bool
    text_size_pt: float
    max_module_mm: float


Placed = PlacedText | PlacedBarcode | LineElement | BoxElement


def lookup(record: Mapping[str, Any], path: str) -> Any:
    """Return the value at a dotted ``path`` in nested dicts (lists take numeric parts), or a sentinel."""
    value: Any = record
    for part in path.split("."):
        if isinstance(value, Mapping):
            value = value.get(part, MISSING)
        elif isinstance(value, (list, tuple)) and part.isdecimal() and int(part) < len(value):
            value = value[int(part)]
        else:
            return MISSING
        if value is MISSING:
            return MISSING
    return value


def fill_template(template: str, record: Mapping[str, Any], where: str, optional: bool = False) -> str:
    """Substitute ``{dotted.path}`` placeholders; a missing field raises unless it or the element is optional."""

    def substitute(match) -> str:
        whole = match.group(0)
        if whole in ("{{", "}}"):
            return whole[0]
        path, question, spec = match.group(1), match.group(2), match.group(3)
        # "a|b": the first alternative present in the record wins.
        for alternative in path.split("|"):
            value = lookup(record, alternative)
            if value is not MISSING and value is not None:
                break
        if value is MISSING or value is None:
            if question or optional:
                return ""
            if "|" in path:
                names = " or ".join(repr(p) for p in path.split("|"))
                raise LabelDataError(f"{where}: the record has none of the fields {names}")
            raise LabelDataError(f"{where}: field {path!r} is missing from the record")
        try:
            if spec and spec.endswith("n") and _is_number(value):
                return _local_number(value, spec)
            return format(value, spec) if spec else str(value)
        except (ValueError, TypeError) as exc:
            raise LabelDataError(f"{where}: field {path!r} = {value!r} cannot be formatted as {spec!r}: {exc}") from exc

    return PLACEHOLDER.sub(substitute, template)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float, Decimal)) and not isinstance(value, bool)


def _local_number(value: Any, spec: str) -> str:
    """`n` formats a number in the label's language (1,25 in French); `.2n`, with 2 decimals."""
    decimals = spec[:-1].removeprefix(".")
    if not decimals:
        return format_quantity(value)
    if not decimals.isdecimal() or int(decimals) > 6:
        raise ValueError(f"write .2n for two decimals, not {spec!r}")
    return format_number(value, int(decimals))


def resolve_label(layout: Layout, record: Mapping[str, Any], index: int = 1) -> list[Placed]:
    """Turn one record into positioned text, barcodes, lines and boxes for ``layout``."""
    if not isinstance(record, Mapping):
        raise LabelDataError(f"record {index} for layout {layout.name!r} must be a dict, got {type(record).__name__}")
    placed: list[Placed] = []
    for element in layout.elements:
        where = f"record {index}, layout {layout.name!r}, element {element.name!r}"
        if isinstance(element, TextElement):
            text = _place_text(element, record, where)
            if text is not None:
                placed.append(text)
        elif isinstance(element, BarcodeElement):
            data = fill_template(element.data, record, where, element.optional).strip()
            if not data:
                if element.optional:
                    continue
                raise LabelDataError(f"{where}: the barcode data is empty")
            symbology, data = sym.normalise(element.symbology, data, where)
            placed.append(
                PlacedBarcode(
                    element.x_mm, element.y_mm, element.width_mm, element.height_mm, symbology, data,
                    element.human_readable, element.text_size_pt, element.max_module_mm,
                )
            )
        else:
            placed.append(element)
    return placed


def _place_text(element: TextElement, record: Mapping[str, Any], where: str) -> PlacedText | None:
    paragraphs = []
    for template in element.lines:
        if element.translate:
            template = translate(template, "label")
        line = " ".join(fill_template(template, record, where, element.optional).split())
        if line:
            paragraphs.append(line.upper() if element.uppercase else line)
    if not paragraphs:
        return None
    # One font for the whole block so all its lines share metrics.
    font, _ = font_for("\n".join(paragraphs), element.font)
    paragraphs = [font_for(p, element.font)[1] for p in paragraphs]
    height_pt = element.height_mm * PT_PER_MM if element.height_mm is not None else None
    size, lines = fit_text(
        paragraphs, font, element.size_pt, element.min_size_pt, element.width_mm * PT_PER_MM,
        height_pt, element.wrap, element.max_lines, element.line_spacing,
    )
    return PlacedText(
        element.x_mm, element.y_mm, element.width_mm, element.align, font, size,
        size * element.line_spacing, tuple(lines),
    )


def fit_text(
    paragraphs: list[str],
    font: str,
    size: float,
    min_size: float,
    width_pt: float,
    height_pt: float | None,
    wrap: bool,
    max_lines: int | None,
    spacing: float,
) -> tuple[float, list[str]]:
    """Find the largest size from ``size`` down to ``min_size`` at which the text fits, else truncate with an ellipsis."""
    current = size
    while True:
        lines = _wrap_all(paragraphs, font, current, width_pt) if wrap else list(paragraphs)
        limit = _line_limit(current, height_pt, max_lines, spacing)
        if len(lines) <= limit and all(string_width(line, font, current) <= width_pt for line in lines):
            return current, lines
        if current <= min_size:
            break
        current = max(min_size, current - 0.5)
    # Still too long at the smallest size: keep what fits and mark the cut with an ellipsis.
    kept = lines[:limit]
    if len(lines) > limit:
        kept[-1] = kept[-1] + ELLIPSIS
    return current, [_truncate(line, font, current, width_pt) for line in kept]


def _line_limit(size: float, height_pt: float | None, max_lines: int | None, spacing: float) -> int:
    limit = max_lines if max_lines is not None else 10_000
    if height_pt is not None:
        # n lines need one font size for the first line plus one leading for each further line.
        by_height = 1 + int((height_pt - size + 0.01) // (size * spacing)) if height_pt >= size else 1
        limit = min(limit, max(1, by_height))
    return limit


def _wrap_all(paragraphs: list[str], font: str, size: float, width_pt: float) -> list[str]:
    lines: list[str] = []
    for paragraph in paragraphs:
        current = ""
        for word in paragraph.split(" "):
            candidate = f"{current} {word}" if current else word
            if not current or string_width(candidate, font, size) <= width_pt:
                current = candidate
            else:
                lines.append(current)
                current = word
        lines.append(current)
    return lines


def _truncate(line: str, font: str, size: float, width_pt: float) -> str:
    if string_width(line, font, size) <= width_pt:
        return line
    text = line.removesuffix(ELLIPSIS)
    while text and string_width(text.rstrip() + ELLIPSIS, font, size) > width_pt:
        text = text[:-1]
    return text.rstrip() + ELLIPSIS
