"""Tell what a scanned code is: a location, a product barcode, an order, a pick list, a tote..."""
from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from functools import lru_cache

from wms.gs1 import GS1Data, GS1Error, configured_separator, looks_like_gs1, parse_gs1
from wms.i18n import N_, _


class ScanKind(enum.Enum):
    LOCATION = N_("location")
    PRODUCT = N_("product")
    RECEIPT = N_("receipt")
    ORDER = N_("order")
    PICK_LIST = N_("pick list")
    TOTE = N_("tote")
    PARCEL = N_("parcel")
    COUNT = N_("count task")
    BADGE = N_("badge")
    RETURN = N_("return")
    INVALID = N_("invalid")

    @property
    def label(self) -> str:
        """What the code is, in the reader's language (for sentences)."""
        return _(self.value)


# Codes the WMS prints carry a prefix that names what they are (InvenTree's idea of
# self-describing barcodes); vendor barcodes (EAN/UPC/GTIN) are recognised by their digits.
PREFIXES = {
    "RCV-": ScanKind.RECEIPT,
    "SO-": ScanKind.ORDER,
    "PL-": ScanKind.PICK_LIST,
    "TOTE-": ScanKind.TOTE,
    "PCL-": ScanKind.PARCEL,
    "CNT-": ScanKind.COUNT,
    "BADGE-": ScanKind.BADGE,
    "RMA-": ScanKind.RETURN,
}
DEFAULT_LOCATION_PATTERN = r"^(?:[A-Z]{1,3}-\d{2}-\d{2}-\d{1,2}|[A-Z]{3,5}-\d{2})$"
# Scanners add stray whitespace and control characters (a trailing CR, a leading AIM id).
_STRIP = re.compile(r"^[\s\x00-\x1c\x1e-\x1f]+|[\s\x00-\x1c\x1e-\x1f]+$")
AIM_PREFIX = re.compile(r"^\][A-Za-z][0-9A-Za-z]")


@dataclass(frozen=True)
class Scan:
    """What a scan turned out to be."""

    kind: ScanKind
    code: str  # the cleaned code as it should be looked up
    raw: str
    symbology: str | None = None  # for product barcodes: EAN-13, UPC-A, GTIN-14, Code 128
    error: str | None = None  # why an INVALID scan was refused
    # A GS1-128 / GS1 DataMatrix scan: its fields (GTIN, lot, expiry, serial, count); the
    # code is then the element string "(01)…(10)…", which product lookups understand.
    gs1: GS1Data | None = None

    @property
    def is_valid(self) -> bool:
        return self.kind is not ScanKind.INVALID


def gs1_check_digit(digits: str) -> int:
    """Return the GS1 mod-10 check digit for the digits before it (EAN, UPC, GTIN-14)."""
    # One formula serves every GS1 key length, so a library call per length buys nothing.
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(digits)))
    return (10 - total % 10) % 10


def has_valid_check_digit(code: str) -> bool:
    """Return True if the last digit of an EAN-8/UPC-A/EAN-13/GTIN-14 is right."""
    return code.isdecimal() and len(code) in (8, 12, 13, 14) and \
        gs1_check_digit(code[:-1]) == int(code[-1])


def numeric_symbology(code: str) -> str | None:
    return {8: "EAN-8", 12: "UPC-A", 13: "EAN-13", 14: "GTIN-14"}.get(len(code))


def clean(raw: str) -> str:
    """Strip what scanners add around a code: whitespace, CR/LF, an AIM symbology id."""
    text = _STRIP.sub("", raw or "")
    if AIM_PREFIX.match(text):
        text = text[3:]
    return text


@lru_cache(maxsize=8)
def _compiled(pattern: str) -> re.Pattern:
    """The location pattern compiled once per pattern (the setting is read per scan: a
    changed WMS_LOCATION_PATTERN is a new key, so nothing stale is ever used)."""
    return re.compile(pattern, re.ASCII)


def configured_location_pattern() -> str:
    """The location code pattern set by WMS_LOCATION_PATTERN, when an app is running."""
    from flask import current_app, has_app_context

    if has_app_context():
        return current_app.config.get("LOCATION_PATTERN") or DEFAULT_LOCATION_PATTERN
    return DEFAULT_LOCATION_PATTERN


def parse_scan(raw: str, location_pattern: str | None = None,
               gs1_separator: str | None = None) -> Scan:
    """Decide what a scanned code is; lookups in the database come after.

    `location_pattern` is the regular expression of location codes (WMS_LOCATION_PATTERN
    when not given); `gs1_separator` is the character a scanner sends for FNC1 when it
    cannot send ASCII 29 (WMS_GS1_SEPARATOR when not given).
    """
    location_pattern = location_pattern or configured_location_pattern()
    separator = gs1_separator or configured_separator()
    gs1_scan = _gs1_scan(raw, separator)
    if gs1_scan is not None:
        return gs1_scan
    code = clean(raw)
    if not code:
        return Scan(ScanKind.INVALID, code, raw, error=_("Nothing was scanned: scan again."))
    if len(code) > 128:
        return Scan(ScanKind.INVALID, code[:128], raw,
                    error=_("That code is too long to be one of ours: scan a single barcode."))
    upper = code.upper()
    for prefix, kind in PREFIXES.items():
        if upper.startswith(prefix) and len(upper) > len(prefix):
            return Scan(kind, upper, raw)
    if code.isdecimal() and len(code) in (8, 12, 13, 14):
        if not has_valid_check_digit(code):
            return Scan(ScanKind.INVALID, code, raw,
                        error=_("%(code)s has a wrong check digit: the barcode was misread, "
                                "scan it again or type it.", code=code))
        return Scan(ScanKind.PRODUCT, code, raw, symbology=numeric_symbology(code))
    # ASCII: \d must not match "١" or "２" (a code that prints and scans differently).
    if _compiled(location_pattern).match(upper):
        return Scan(ScanKind.LOCATION, upper, raw)
    # Anything else is an internal Code 128 product code (or a SKU typed by hand).
    return Scan(ScanKind.PRODUCT, code, raw, symbology="Code 128")


def _gs1_scan(raw: str, separator: str | None) -> Scan | None:
    # Only whitespace and CR/LF are stripped here: ASCII 29 and the AIM id carry meaning.
    text = (raw or "").strip(" \t\r\n")
    if not text or not looks_like_gs1(text, separator):
        return None
    try:
        data = parse_gs1(text, separator)
    except GS1Error as exc:
        return Scan(ScanKind.INVALID, text.replace("\x1d", " ")[:128], raw,
                    error=_("GS1 barcode not understood: %(reason)s Scan it again or type the "
                            "GTIN.", reason=exc))
    if data.gtin is None:
        return Scan(ScanKind.INVALID, data.element_string(), raw, gs1=data,
                    error=_("That GS1 label has no product (GTIN): scan the item's or carton's "
                            "barcode."))
    return Scan(ScanKind.PRODUCT, data.element_string(), raw,
                symbology=data.symbology or "GS1", gs1=data)


def validate_product_barcode(code: str) -> str:
    """Check a barcode before it is attached to a product; return its symbology name."""
    code = clean(code)
    if not code:
        raise ValueError(_("The barcode is empty."))
    if code.isdecimal() and len(code) in (8, 12, 13, 14):
        if not has_valid_check_digit(code):
            raise ValueError(
                _("%(code)s: wrong check digit (expected %(digit)s at the end).", code=code,
                  digit=gs1_check_digit(code[:-1])))
        return numeric_symbology(code)
    upper = code.upper()
    if any(upper.startswith(p) for p in PREFIXES) or re.match(configured_location_pattern(), upper, re.ASCII):
        raise ValueError(_("%(code)s looks like a location or a WMS document code, not a product.",
                           code=code))
    if not all(32 <= ord(c) < 127 for c in code) or len(code) > 48:
        raise ValueError(_("%(code)s: a Code 128 barcode holds up to 48 printable ASCII characters.",
                           code=repr(code)))
    return "Code 128"
