"""Sentences for people: counted nouns ("1 order", "3 orders"), never "order(s)".

New text counts with gettext's plural forms instead, which every language gets right:
`ngettext("%(num)d parcel", "%(num)d parcels", n)` (wms.i18n). `plural` stays for the
English-only output of the command line and the callers not moved yet; it asks the
catalogue the same way, so a "%(num)d <word>" message a translator filled in is used.
"""
from __future__ import annotations

IRREGULAR = {"box": "boxes", "entry": "entries", "this": "these", "is": "are", "was": "were"}


def plural(count: int, word: str, many: str | None = None) -> str:
    """Return "1 parcel" / "2 parcels" (or the given plural form, or a known irregular one)."""
    from wms.i18n import ngettext

    many = many or IRREGULAR.get(word) or word + "s"
    return ngettext(f"%(num)d {word}", f"%(num)d {many}", count)
