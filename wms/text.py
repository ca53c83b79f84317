"""Sentences for people: counted nouns ("1 order", "3 orders"), never "order(s)"."""
from __future__ import annotations

IRREGULAR = {"box": "boxes", "entry": "entries", "this": "these", "is": "are", "was": "were"}


def plural(count: int, word: str, many: str | None = None) -> str:
    """Return "1 parcel" / "2 parcels" (or the given plural form, or a known irregular one)."""
    if count == 1:
        return f"{count} {word}"
    return f"{count} {many or IRREGULAR.get(word) or word + 's'}"
