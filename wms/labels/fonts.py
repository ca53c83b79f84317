"""Pick a PDF font that can draw a given text, falling back to DejaVu for non-Latin-1 scripts."""

from __future__ import annotations

import os
from functools import lru_cache

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

DEJAVU_DIR = "/usr/share/fonts/truetype/dejavu"

# The built-in fonts are drawn with WinAnsi (cp1252) encoding: Latin-1 plus a few extras such as
# the euro sign. Anything else needs an embedded TrueType font.
_FALLBACK_FILES = {
    "Helvetica": "DejaVuSans.ttf",
    "Helvetica-Bold": "DejaVuSans-Bold.ttf",
    "Helvetica-Oblique": "DejaVuSans-Oblique.ttf",
    "Helvetica-BoldOblique": "DejaVuSans-BoldOblique.ttf",
    "Courier": "DejaVuSansMono.ttf",
    "Courier-Bold": "DejaVuSansMono-Bold.ttf",
}


def fits_winansi(text: str) -> bool:
    """Tell whether the built-in PDF fonts can draw every character of ``text``."""
    try:
        text.encode("cp1252")
    except UnicodeEncodeError:
        return False
    return True


@lru_cache(maxsize=None)
def fallback_font(font: str) -> str | None:
    """Register and return the DejaVu font standing in for ``font``, or None when it is not installed."""
    filename = _FALLBACK_FILES.get(font, "DejaVuSans.ttf")
    path = os.path.join(DEJAVU_DIR, filename)
    if not os.path.isfile(path):
        return None
    name = "WMS-" + filename.removesuffix(".ttf")
    pdfmetrics.registerFont(TTFont(name, path))
    return name


def font_for(text: str, font: str) -> tuple[str, str]:
    """Return ``(font_name, text)`` so the text can be drawn without losing or garbling characters."""
    if fits_winansi(text):
        return font, text
    fallback = fallback_font(font)
    if fallback is not None:
        return fallback, text
    # No TrueType font installed: show a "?" rather than a wrong glyph.
    return font, text.encode("cp1252", errors="replace").decode("cp1252")


def string_width(text: str, font: str, size: float) -> float:
    """Measure ``text`` in points."""
    return pdfmetrics.stringWidth(text, font, size)
