"""Read GS1 element strings (GS1-128, GS1 DataMatrix, GS1 QR): GTIN, lot, expiry, serial, count."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from wms.i18n import N_, _

GS = "\x1d"  # FNC1 as a scanner transmits it between fields (ASCII 29, group separator)
# AIM symbology identifiers that announce GS1 data: GS1-128, GS1 DataMatrix, GS1 QR, DataBar.
GS1_SYMBOLOGY_IDS = {"]C1": "GS1-128", "]d2": "GS1 DataMatrix", "]Q3": "GS1 QR Code",
                     "]e0": "GS1 DataBar"}


@dataclass(frozen=True)
class AI:
    """One application identifier: its data length (fixed, or the maximum) and what it is."""

    code: str
    name: str
    length: int
    fixed: bool
    numeric: bool = False


# The identifiers a warehouse reads off cartons and pallets; any other AI refuses the scan so
# a misread never turns into a wrong product or quantity.
AIS = {ai.code: ai for ai in (
    AI("00", "SSCC", 18, True, True),
    AI("01", "GTIN", 14, True, True),
    AI("02", N_("GTIN of contained items"), 14, True, True),
    AI("10", N_("lot"), 20, False),
    AI("11", N_("production date"), 6, True, True),
    AI("13", N_("packaging date"), 6, True, True),
    AI("15", N_("best before"), 6, True, True),
    AI("17", N_("expiry"), 6, True, True),
    AI("21", N_("serial"), 20, False),
    AI("30", N_("count"), 8, False, True),
    AI("37", N_("count of trade items"), 8, False, True),
)}
_BRACKETED_AI = re.compile(r"\((" + "|".join(AIS) + r")\)")
# The AIs whose data length is fixed by the standard (from their first two digits); after
# these no FNC1 is needed, even for AIs this reader does not keep.
PREDEFINED_LENGTH = {"00": 18, "01": 14, "02": 14, "03": 14, "04": 16, "11": 6, "12": 6,
                     "13": 6, "14": 6, "15": 6, "16": 6, "17": 6, "18": 6, "19": 6, "20": 2}
# GS1 "character set 82", the only characters lots and serials may hold; the usual FNC1
# substitutes (~ | # and the like) are outside it, so they can never be taken for data.
CHARSET_82 = frozenset("!\"%&'()*+,-./0123456789:;<=>?ABCDEFGHIJKLMNOPQRSTUVWXYZ_"
                       "abcdefghijklmnopqrstuvwxyz")
_PAREN = re.compile(r"\((\d{2,4})\)")


class GS1Error(ValueError):
    """A GS1 string that cannot be read; the message says what is wrong."""


@dataclass(frozen=True)
class GS1Data:
    """What a GS1 scan carries."""

    fields: dict[str, str] = field(default_factory=dict)
    symbology: str | None = None

    @property
    def gtin(self) -> str | None:
        """The GTIN-14 of the scanned item (AI 01), else of the contained items (AI 02)."""
        return self.fields.get("01") or self.fields.get("02")

    @property
    def lot(self) -> str | None:
        return self.fields.get("10")

    @property
    def serial(self) -> str | None:
        return self.fields.get("21")

    @property
    def expiry(self) -> date | None:
        raw = self.fields.get("17")
        return yymmdd(raw) if raw else None

    @property
    def count(self) -> int | None:
        """Units the scan counts from AI 30 (variable count) or 37 (count of trade items)."""
        raw = self.fields.get("30") or self.fields.get("37")
        return int(raw) if raw else None

    @property
    def count_ai(self) -> str | None:
        return "30" if "30" in self.fields else ("37" if "37" in self.fields else None)

    def element_string(self) -> str:
        """The human-readable form, e.g. (01)09506000134352(17)201225(10)ABC123."""
        return "".join(f"({ai}){value}" for ai, value in self.fields.items())

    def note(self) -> str | None:
        """Lot, expiry and serial as a short note for a stock movement (None if none)."""
        parts = []
        if self.lot:
            parts.append(f"lot {self.lot}")
        if self.expiry:
            parts.append(f"exp {self.expiry.isoformat()}")
        if self.serial:
            parts.append(f"serial {self.serial}")
        return ", ".join(parts) or None


def yymmdd(raw: str) -> date:
    """Read a GS1 date; day 00 means the last day of the month, the century per GS1 rules."""
    if len(raw) != 6 or not raw.isdecimal():
        raise GS1Error(_("%(raw)s is not a date written YYMMDD.", raw=raw))
    yy, mm, dd = int(raw[:2]), int(raw[2:4]), int(raw[4:])
    # GS1 General Specifications 7.12: a year up to 50 ahead is this century, else the last.
    this_year = date.today().year
    century = this_year // 100 * 100
    year = century + yy
    if year - this_year > 50:
        year -= 100
    elif this_year - year >= 50:
        year += 100
    if not 1 <= mm <= 12:
        raise GS1Error(_("%(raw)s: month %(mm)s does not exist.", raw=raw, mm=format(mm, '02d')))
    if dd == 0:
        dd = _last_day(year, mm)
    try:
        return date(year, mm, dd)
    except ValueError:
        raise GS1Error(_("%(raw)s: %(year)s-%(mm)s-%(dd)s is not a date.",
                         raw=raw, year=year, mm=format(mm, '02d'), dd=format(dd, '02d'))) from None


def _last_day(year: int, month: int) -> int:
    following = date(year + month // 12, month % 12 + 1, 1)
    return (following - date(year, month, 1)).days if month != 12 else 31


def strip_symbology(text: str) -> tuple[str, str | None]:
    """Remove a leading GS1 AIM identifier (]C1, ]d2, ]Q3, ]e0); return text and symbology."""
    for prefix, name in GS1_SYMBOLOGY_IDS.items():
        if text.startswith(prefix):
            return text[len(prefix):], name
    return text, None


def looks_like_gs1(text: str, separator: str | None = None) -> bool:
    """Tell whether a scan is a GS1 element string rather than a plain code (cheap test)."""
    text = text.strip()
    body, symbology = strip_symbology(text)
    if symbology:
        return True
    if body.startswith("(") and _PAREN.match(body):
        return True
    if body.startswith(GS):
        return True
    if separator and separator != GS:
        body = body.replace(separator, GS)
    # Without an announcement, only AI 01/02 with 14 digits, then nothing, a separator or
    # another AI is taken as GS1: internal codes and SKUs never look like that. A wrong
    # check digit is then reported as a misread rather than as an unknown code.
    if len(body) >= 16 and body[:2] in ("01", "02") and body[2:16].isdecimal():
        rest = body[16:]
        return not rest or rest[0] == GS or rest[:2] in AIS
    return False


def parse_gs1(raw: str, separator: str | None = None) -> GS1Data:
    """Parse a GS1 element string from a scanner into its fields; refuse what cannot be read.

    FNC1 may come as ASCII 29 or as the configured substitute (`separator`, e.g. "~" or "|");
    the human-readable form with AIs in brackets is read too.
    """
    text = (raw or "").strip()
    text, symbology = strip_symbology(text)
    if separator and separator != GS:
        text = text.replace(separator, GS)
    if text.startswith("("):
        fields = _parse_bracketed(text)
    else:
        fields = _parse_raw(text.strip(GS))
    _check(fields)
    return GS1Data(fields, symbology)


def _parse_bracketed(text: str) -> dict[str, str]:
    # Split only at "(AI)" of the AIs we read: GS1 lots and serials may contain brackets.
    fields: dict[str, str] = {}
    marks = list(_BRACKETED_AI.finditer(text))
    if not marks or marks[0].start() != 0:
        raise GS1Error(_("Cannot read %(text)s: it should start with an AI in brackets, e.g. "
                         "(01).", text=repr(text)))
    for mark, following in zip(marks, marks[1:] + [None]):
        value = text[mark.end():following.start() if following else len(text)]
        _store(fields, mark.group(1), value.strip(GS))
    return fields


def _parse_raw(text: str) -> dict[str, str]:
    fields: dict[str, str] = {}
    i = 0
    while i < len(text):
        if text[i] == GS:
            i += 1
            continue
        ai = text[i:i + 2]
        spec = AIS.get(ai)
        if spec is None:
            raise GS1Error(_("Application identifier (%(ai)s) is not one this warehouse reads "
                             "(01, 02, 10, 11, 13, 15, 17, 21, 30, 37, 00).", ai=ai))
        start = i + 2
        if spec.fixed:
            value = text[start:start + spec.length]
            if len(value) != spec.length or GS in value:
                raise GS1Error(_("(%(ai)s) %(name)s needs %(length)s characters, the scan has "
                                 "%(count)s.",
                                 ai=ai, name=_(spec.name), length=spec.length, count=len(value.split(GS)[0])))
            i = start + spec.length
        else:
            end = text.find(GS, start)
            end = len(text) if end < 0 else end
            value = text[start:end]
            i = end
        _store(fields, ai, value)
    return fields


def _store(fields: dict[str, str], ai: str, value: str) -> None:
    spec = AIS.get(ai)
    if spec is None:
        raise GS1Error(_("Application identifier (%(ai)s) is not one this warehouse reads.", ai=ai))
    if ai in fields:
        raise GS1Error(_("(%(ai)s) appears twice in one scan.", ai=ai))
    if not value:
        raise GS1Error(_("(%(ai)s) %(name)s is empty.", ai=ai, name=_(spec.name)))
    if spec.fixed and len(value) != spec.length:
        raise GS1Error(_("(%(ai)s) %(name)s needs %(length)s characters, not %(count)s.",
                         ai=ai, name=_(spec.name), length=spec.length, count=len(value)))
    if len(value) > spec.length:
        raise GS1Error(_("(%(ai)s) %(name)s is %(count)s characters long, at most %(length)s are "
                         "allowed: was a separator (FNC1) lost?",
                         ai=ai, name=_(spec.name), count=len(value), length=spec.length))
    if spec.numeric and not value.isdecimal():
        raise GS1Error(_("(%(ai)s) %(name)s must be digits, not %(value)s.",
                         ai=ai, name=_(spec.name), value=repr(value)))
    bad = sorted({c for c in value if c not in CHARSET_82})
    if bad:
        raise GS1Error(_("(%(ai)s) %(name)s holds %(bad)s, which GS1 does not allow: is the "
                         "scanner's FNC1 substitute set in WMS_GS1_SEPARATOR?",
                         ai=ai, name=_(spec.name), bad=repr(''.join(bad))))
    fields[ai] = value


def _check(fields: dict[str, str]) -> None:
    from wms.barcodes import gs1_check_digit, has_valid_check_digit

    if not fields:
        raise GS1Error(_("The GS1 scan holds no data."))
    for ai in ("01", "02"):
        if ai in fields and not has_valid_check_digit(fields[ai]):
            gtin = fields[ai]
            raise GS1Error(_("GTIN %(gtin)s has a wrong check digit (expected %(digit)s): the "
                             "barcode was misread, scan again.",
                             gtin=gtin, digit=gs1_check_digit(gtin[:-1])))
    if "17" in fields:
        yymmdd(fields["17"])
    for ai in ("30", "37"):
        if ai in fields and int(fields[ai]) < 1:
            raise GS1Error(_("(%(ai)s) count is 0: nothing to count.", ai=ai))
    if "30" in fields and "37" in fields:
        raise GS1Error(_("The scan has two counts, (30) and (37): scan a single-item barcode."))


def gtin_candidates(gtin14: str) -> list[str]:
    """Codes a GTIN-14 may be stored as: itself, and with indicator 0 its EAN-13/UPC-A/EAN-8."""
    candidates = [gtin14]
    if gtin14.startswith("0"):
        candidates.append(gtin14[1:])  # EAN-13
        if gtin14.startswith("00"):
            candidates.append(gtin14[2:])  # UPC-A
        if gtin14.startswith("000000"):
            candidates.append(gtin14[6:])  # EAN-8
    return candidates


def configured_separator() -> str | None:
    """The FNC1 substitute set by WMS_GS1_SEPARATOR, when an app is running."""
    try:
        from flask import current_app, has_app_context
    except ImportError:  # pragma: no cover - flask is a dependency
        return None
    if not has_app_context():
        return None
    value = current_app.config.get("GS1_SEPARATOR")
    return str(value) if value else None
