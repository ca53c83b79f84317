"""English counted nouns for the command line's output ("1 order", "3 orders").

Screens and documents count with gettext's plural forms instead, which every language gets
right: `ngettext("%(num)d parcel", "%(num)d parcels", n)` (wms.i18n).
"""
from __future__ import annotations

IRREGULAR = {"box": "boxes", "entry": "entries", "this": "these", "is": "are", "was": "were"}


def plural(count: int, word: str, many: str | None = None) -> str:
    """Return "1 parcel" / "2 parcels" (or the given plural form, or a known irregular one)."""
    if count == 1:
        return f"{count} {word}"
    return f"{count} {many or IRREGULAR.get(word) or word + 's'}"
