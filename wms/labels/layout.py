"""Load label layouts from TOML files and validate them into immutable objects."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from wms.resources import resource_dir

# The top-level labels/ folder (bundled in the wheel); deployments may pass their own layouts_dir.
DEFAULT_LAYOUTS_DIR = resource_dir("labels")

SYMBOLOGIES = ("code128", "ean13", "upca", "auto")
FONTS = (
    "Helvetica",
    "Helvetica-Bold",
    "Helvetica-Oblique",
    "Helvetica-BoldOblique",
    "Courier",
    "Courier-Bold",
)
ALIGNS = ("left", "center", "right")
PAGE_SIZES_MM = {"A4": (210.0, 297.0), "A5": (148.0, 210.0), "LETTER": (215.9, 279.4)}

# {path}, {path?} (optional), {path:format}, {first.path|fallback.path}; {{ and }} are literal braces.
_PATH = r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+)*"
PLACEHOLDER = re.compile(r"\{\{|\}\}|\{(" + _PATH + r"(?:\|" + _PATH + r")*)(\?)?(?::([^{}]*))?\}")


class LayoutError(ValueError):
    """A label layout file is missing, unreadable or describes an impossible label."""


class LabelDataError(ValueError):
    """A record lacks a field (or holds a value) that the layout needs."""


@dataclass(frozen=True)
class TextElement:
    name: str
    x_mm: float
    y_mm: float
    width_mm: float
    height_mm: float | None
    lines: tuple[str, ...]
    font: str = "Helvetica"
    size_pt: float = 10.0
    min_size_pt: float = 10.0
    align: str = "left"
    wrap: bool = False
    max_lines: int | None = None
    line_spacing: float = 1.15
    uppercase: bool = False
    optional: bool = False
    # Look the text up in the catalogue (context "label") before filling its placeholders.
    translate: bool = False


@dataclass(frozen=True)
class BarcodeElement:
    name: str
    x_mm: float
    y_mm: float
    width_mm: float
    height_mm: float
    data: str
    symbology: str = "code128"
    human_readable: bool = True
    text_size_pt: float = 9.0
    max_module_mm: float = 0.6
    optional: bool = False


@dataclass(frozen=True)
class LineElement:
    name: str
    x_mm: float
    y_mm: float
    length_mm: float
    direction: str = "horizontal"
    thickness_mm: float = 0.3


@dataclass(frozen=True)
class BoxElement:
    name: str
    x_mm: float
    y_mm: float
    width_mm: float
    height_mm: float
    thickness_mm: float = 0.3
    fill: bool = False


Element = TextElement | BarcodeElement | LineElement | BoxElement


@dataclass(frozen=True)
class Sheet:
    page_width_mm: float
    page_height_mm: float
    columns: int
    rows: int
    margin_left_mm: float
    margin_top_mm: float
    gap_x_mm: float = 0.0
    gap_y_mm: float = 0.0
    cut_marks: bool = False

    @property
    def per_page(self) -> int:
        return self.columns * self.rows


@dataclass(frozen=True)
class Layout:
    name: str
    title: str
    width_mm: float
    height_mm: float
    elements: tuple[Element, ...]
    sheet: Sheet | None = None
    dpi: int = 203
    source: str = ""


_LABEL_KEYS = {"title", "width_mm", "height_mm", "dpi"}
_SHEET_KEYS = {
    "page",
    "page_width_mm",
    "page_height_mm",
    "columns",
    "rows",
    "margin_left_mm",
    "margin_top_mm",
    "gap_x_mm",
    "gap_y_mm",
    "cut_marks",
}
_COMMON_KEYS = {"type", "name"}
_ELEMENT_KEYS = {
    "text": _COMMON_KEYS
    | {
        "x_mm", "y_mm", "width_mm", "height_mm", "text", "lines", "font", "size_pt",
        "min_size_pt", "align", "wrap", "max_lines", "line_spacing", "uppercase", "optional",
        "translate",
    },
    "barcode": _COMMON_KEYS
    | {
        "x_mm", "y_mm", "width_mm", "height_mm", "data", "symbology", "human_readable",
        "text_size_pt", "max_module_mm", "optional",
    },
    "line": _COMMON_KEYS | {"x_mm", "y_mm", "length_mm", "direction", "thickness_mm"},
    "box": _COMMON_KEYS | {"x_mm", "y_mm", "width_mm", "height_mm", "thickness_mm", "fill"},
}
_REQUIRED_KEYS = {
    "text": {"x_mm", "y_mm", "width_mm"},
    "barcode": {"x_mm", "y_mm", "width_mm", "height_mm", "data"},
    "line": {"x_mm", "y_mm", "length_mm"},
    "box": {"x_mm", "y_mm", "width_mm", "height_mm"},
}


def load_layout(name_or_path: str | Path, layouts_dir: str | Path | None = None) -> Layout:
    """Load and validate a label layout by name (``"shipping_4x6"``) or by file path."""
    path = _find_layout_file(name_or_path, layouts_dir)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise LayoutError(f"{path}: not valid TOML: {exc}") from exc
    return parse_layout(raw, name=path.stem, source=str(path))


def available_layouts(layouts_dir: str | Path | None = None) -> list[str]:
    """List the layout names found in a layouts folder."""
    folder = Path(layouts_dir) if layouts_dir is not None else DEFAULT_LAYOUTS_DIR
    return sorted(p.stem for p in folder.glob("*.toml"))


def parse_layout(raw: dict, name: str, source: str = "<memory>") -> Layout:
    """Validate a layout already parsed from TOML and build a ``Layout``."""
    where = source
    _reject_unknown(raw, {"label", "sheet", "element"}, where)
    label = raw.get("label")
    if not isinstance(label, dict):
        raise LayoutError(f"{where}: missing [label] table with width_mm and height_mm")
    _reject_unknown(label, _LABEL_KEYS, f"{where} [label]")
    width = _positive(label, "width_mm", f"{where} [label]", required=True)
    height = _positive(label, "height_mm", f"{where} [label]", required=True)
    if width > 1000 or height > 1000:
        raise LayoutError(f"{where} [label]: size {width}x{height} mm is larger than 1 m; sizes are in millimetres")
    dpi = label.get("dpi", 203)
    if not isinstance(dpi, int) or dpi not in (152, 203, 300, 600):
        raise LayoutError(f"{where} [label]: dpi must be one of 152, 203, 300, 600 (got {dpi!r})")

    sheet = _parse_sheet(raw["sheet"], width, height, where) if "sheet" in raw else None

    raw_elements = raw.get("element", [])
    if not isinstance(raw_elements, list) or not raw_elements:
        raise LayoutError(f"{where}: a layout needs at least one [[element]]")
    elements = []
    seen_names: set[str] = set()
    for index, item in enumerate(raw_elements, start=1):
        element = _parse_element(item, index, width, height, where)
        if element.name in seen_names:
            raise LayoutError(f"{where}: two elements are named {element.name!r}; names must be unique")
        seen_names.add(element.name)
        elements.append(element)
    return Layout(
        name=name,
        title=str(label.get("title", name)),
        width_mm=width,
        height_mm=height,
        elements=tuple(elements),
        sheet=sheet,
        dpi=dpi,
        source=source,
    )


def _find_layout_file(name_or_path: str | Path, layouts_dir: str | Path | None) -> Path:
    candidate = Path(name_or_path)
    if candidate.suffix == ".toml" or candidate.parent != Path("."):
        if candidate.is_file():
            return candidate
        raise LayoutError(f"layout file {candidate} does not exist")
    folder = Path(layouts_dir) if layouts_dir is not None else DEFAULT_LAYOUTS_DIR
    path = folder / f"{name_or_path}.toml"
    if not path.is_file():
        known = ", ".join(available_layouts(folder)) or "none"
        raise LayoutError(f"no layout named {str(name_or_path)!r} in {folder} (available: {known})")
    return path


def _parse_sheet(raw: dict, width: float, height: float, where: str) -> Sheet:
    where = f"{where} [sheet]"
    if not isinstance(raw, dict):
        raise LayoutError(f"{where}: must be a table")
    _reject_unknown(raw, _SHEET_KEYS, where)
    if "page" in raw:
        page = str(raw["page"]).upper()
        if page not in PAGE_SIZES_MM:
            raise LayoutError(f"{where}: unknown page {raw['page']!r}; use one of {', '.join(PAGE_SIZES_MM)} or page_width_mm/page_height_mm")
        page_w, page_h = PAGE_SIZES_MM[page]
    else:
        page_w = _positive(raw, "page_width_mm", where, required=True)
        page_h = _positive(raw, "page_height_mm", where, required=True)
    columns, rows = raw.get("columns"), raw.get("rows")
    for key, value in (("columns", columns), ("rows", rows)):
        if not isinstance(value, int) or value < 1:
            raise LayoutError(f"{where}: {key} must be a whole number of at least 1 (got {value!r})")
    gap_x = _non_negative(raw, "gap_x_mm", where)
    gap_y = _non_negative(raw, "gap_y_mm", where)
    grid_w = columns * width + (columns - 1) * gap_x
    grid_h = rows * height + (rows - 1) * gap_y
    # Centre the grid unless the sheet stock says where the first label starts.
    margin_left = _non_negative(raw, "margin_left_mm", where, default=max(0.0, (page_w - grid_w) / 2))
    margin_top = _non_negative(raw, "margin_top_mm", where, default=max(0.0, (page_h - grid_h) / 2))
    if margin_left + grid_w > page_w + 0.01 or margin_top + grid_h > page_h + 0.01 or margin_left < 0 or margin_top < 0:
        raise LayoutError(
            f"{where}: {columns}x{rows} labels of {width}x{height} mm with these gaps and margins "
            f"need {margin_left + grid_w:.1f}x{margin_top + grid_h:.1f} mm, larger than the {page_w}x{page_h} mm page"
        )
    return Sheet(page_w, page_h, columns, rows, margin_left, margin_top, gap_x, gap_y, bool(raw.get("cut_marks", False)))


def _parse_element(item: object, index: int, width: float, height: float, where: str) -> Element:
    if not isinstance(item, dict):
        raise LayoutError(f"{where}: element #{index} must be a table")
    kind = item.get("type")
    if kind not in _ELEMENT_KEYS:
        raise LayoutError(f"{where}: element #{index} has type {kind!r}; use one of {', '.join(_ELEMENT_KEYS)}")
    name = str(item.get("name", f"{kind}{index}"))
    here = f"{where}: element #{index} ({name!r})"
    _reject_unknown(item, _ELEMENT_KEYS[kind], here)
    missing = sorted(_REQUIRED_KEYS[kind] - item.keys())
    if missing:
        raise LayoutError(f"{here}: missing {', '.join(missing)}")
    x = _non_negative(item, "x_mm", here)
    y = _non_negative(item, "y_mm", here)

    if kind == "line":
        direction = item.get("direction", "horizontal")
        if direction not in ("horizontal", "vertical"):
            raise LayoutError(f"{here}: direction must be 'horizontal' or 'vertical' (got {direction!r})")
        length = _positive(item, "length_mm", here)
        end_x, end_y = (x + length, y) if direction == "horizontal" else (x, y + length)
        _inside(here, end_x, end_y, width, height)
        return LineElement(name, x, y, length, direction, _positive(item, "thickness_mm", here, default=0.3))

    w = _positive(item, "width_mm", here)
    h = _positive(item, "height_mm", here, default=None)
    _inside(here, x + w, y + (h or 0), width, height)

    if kind == "box":
        return BoxElement(name, x, y, w, h, _positive(item, "thickness_mm", here, default=0.3), bool(item.get("fill", False)))

    if kind == "barcode":
        symbology = item.get("symbology", "code128")
        if symbology not in SYMBOLOGIES:
            raise LayoutError(f"{here}: unknown symbology {symbology!r}; use one of {', '.join(SYMBOLOGIES)}")
        data = _template(item, "data", here)
        return BarcodeElement(
            name, x, y, w, h, data, symbology,
            human_readable=bool(item.get("human_readable", True)),
            text_size_pt=_positive(item, "text_size_pt", here, default=9.0),
            max_module_mm=_positive(item, "max_module_mm", here, default=0.6),
            optional=bool(item.get("optional", False)),
        )

    if ("text" in item) == ("lines" in item):
        raise LayoutError(f"{here}: give either text = \"...\" or lines = [\"...\", ...]")
    if "text" in item:
        lines = (_template(item, "text", here),)
    else:
        raw_lines = item["lines"]
        if not isinstance(raw_lines, list) or not raw_lines or not all(isinstance(v, str) for v in raw_lines):
            raise LayoutError(f"{here}: lines must be a non-empty list of strings")
        for line in raw_lines:
            _check_placeholders(line, here)
        lines = tuple(raw_lines)
    font = item.get("font", "Helvetica")
    if font not in FONTS:
        raise LayoutError(f"{here}: unknown font {font!r}; use one of {', '.join(FONTS)}")
    align = item.get("align", "left")
    if align not in ALIGNS:
        raise LayoutError(f"{here}: align must be one of {', '.join(ALIGNS)} (got {align!r})")
    size = _positive(item, "size_pt", here, default=10.0)
    min_size = _positive(item, "min_size_pt", here, default=size)
    if min_size > size:
        raise LayoutError(f"{here}: min_size_pt ({min_size}) is larger than size_pt ({size})")
    max_lines = item.get("max_lines")
    if max_lines is not None and (not isinstance(max_lines, int) or max_lines < 1):
        raise LayoutError(f"{here}: max_lines must be a whole number of at least 1 (got {max_lines!r})")
    spacing = _positive(item, "line_spacing", here, default=1.15)
    if h is not None and size * 0.3528 > h + 0.01 and min_size * 0.3528 > h + 0.01:
        raise LayoutError(f"{here}: {min_size} pt text does not fit in a {h} mm high box")
    return TextElement(
        name, x, y, w, h, lines, font, size, min_size, align,
        wrap=bool(item.get("wrap", False)),
        max_lines=max_lines,
        line_spacing=spacing,
        uppercase=bool(item.get("uppercase", False)),
        optional=bool(item.get("optional", False)),
        translate=bool(item.get("translate", False)),
    )


def _reject_unknown(table: dict, allowed: set[str], where: str) -> None:
    unknown = sorted(set(table) - allowed)
    if unknown:
        raise LayoutError(f"{where}: unknown field {', '.join(map(repr, unknown))}; allowed: {', '.join(sorted(allowed))}")


def _number(table: dict, key: str, where: str, default: float | None, required: bool) -> float | None:
    if key not in table:
        if required:
            raise LayoutError(f"{where}: missing {key}")
        return default
    value = table[key]
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise LayoutError(f"{where}: {key} must be a number (got {value!r})")
    return float(value)


def _positive(table: dict, key: str, where: str, default: float | None = None, required: bool = False) -> float | None:
    value = _number(table, key, where, default, required)
    if value is not None and value <= 0:
        raise LayoutError(f"{where}: {key} must be greater than 0 (got {value})")
    return value


def _non_negative(table: dict, key: str, where: str, default: float = 0.0) -> float:
    value = _number(table, key, where, default, required=False)
    if value < 0:
        raise LayoutError(f"{where}: {key} must not be negative (got {value})")
    return value


def _inside(where: str, right: float, bottom: float, width: float, height: float) -> None:
    if right > width + 0.01 or bottom > height + 0.01:
        raise LayoutError(f"{where}: reaches {right:.1f} x {bottom:.1f} mm, outside the {width} x {height} mm label")


def _template(item: dict, key: str, where: str) -> str:
    value = item[key]
    if not isinstance(value, str):
        raise LayoutError(f"{where}: {key} must be a string (got {value!r})")
    _check_placeholders(value, where)
    return value


def _check_placeholders(template: str, where: str) -> None:
    # A lone brace left over after removing valid placeholders is a typo such as "{recipient.name".
    rest = PLACEHOLDER.sub("", template)
    if "{" in rest or "}" in rest:
        raise LayoutError(f"{where}: malformed placeholder in {template!r}; write {{field.path}} or {{{{ for a literal brace")
