"""The fixed texts of the bundled label layouts (labels/*.toml), for the translators.

A text element with `translate = true` is looked up in the catalogue with the context
"label" before its placeholders are filled (resolve.py). Babel does not read TOML, so each
such text is written here once in a pgettext call for `wms translations update` to extract;
tests/labels/test_label_language.py fails when a bundled layout has one that is missing here.
"""
from __future__ import annotations

from wms.i18n import pgettext


def bundled_captions() -> list[str]:
    """The bundled layouts' translatable texts, in the current language (printed in capitals)."""
    return [
        # TRANSLATORS: shipping label caption above the sender's address.
        pgettext("label", "From"),
        # TRANSLATORS: shipping label caption above the recipient's address.
        pgettext("label", "To"),
        # TRANSLATORS: shipping label caption above the order reference.
        pgettext("label", "Order"),
        # TRANSLATORS: shipping label caption above "parcel 1/2".
        pgettext("label", "Parcel"),
        # TRANSLATORS: shipping label caption above the parcel's weight.
        pgettext("label", "Weight"),
        # TRANSLATORS: shipping label caption above the tracking barcode.
        pgettext("label", "Tracking"),
    ]
