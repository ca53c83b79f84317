"""Layouts' fixed texts are translatable and extracted; numbers and dates follow the language."""
from __future__ import annotations

import datetime as dt
import re

import pytest

from wms.i18n_catalog import extract
from wms.labels.layout import LayoutError, TextElement, available_layouts, load_layout, parse_layout
from wms.labels.locale import customer_language, customer_locale, format_day, format_number
from wms.labels.pdf import render_pdf
from wms.labels.resolve import fill_template
from wms.labels.zpl import render_zpl, unescape_field

from .conftest import pdf_text


def test_every_translated_text_of_the_bundled_layouts_is_in_the_catalogue():
    """A `translate = true` text Babel cannot see (TOML) must be marked in wms/labels/captions.py."""
    extracted = {(m.context, m.id) for m in extract() if m.id}
    texts = [(name, line) for name in available_layouts() for element in load_layout(name).elements
             if isinstance(element, TextElement) and element.translate for line in element.lines]
    assert texts, "the shipping label's captions are translatable"
    missing = [f"{name}: {line!r}" for name, line in texts if ("label", line) not in extracted]
    assert not missing, "add to wms/labels/captions.py: " + ", ".join(missing)


def test_english_words_outside_placeholders_are_marked_translate():
    """A caption in a bundled layout is translatable: no fixed word printed as it is."""
    from wms.labels.layout import PLACEHOLDER

    for name in available_layouts():
        for element in load_layout(name).elements:
            if isinstance(element, TextElement) and not element.translate:
                for line in element.lines:
                    words = re.findall(r"[A-Za-z]{3,}", PLACEHOLDER.sub("", line))
                    assert not words, f"{name}: {element.name} prints {words} untranslated"


def test_shipping_label_in_french_inside_customer_locale(app, shipping_record):
    with app.test_request_context(), customer_locale("fr-FR") as language:
        assert language == "fr"
        pdf = render_pdf(load_layout("shipping_4x6"), [shipping_record])
        zpl = render_zpl(load_layout("shipping_4x6"), [shipping_record])
    text = pdf_text(pdf)
    # Non-ASCII field data is hex-escaped (^FH): read the fields back as the printer does.
    zpl = "\n".join(unescape_field(m.group(2), bool(m.group(1)))
                     for m in re.finditer(r"(\^FH)?\^FD(.*?)\^FS", zpl))
    for french in ("EXPÉDITEUR", "DESTINATAIRE", "COMMANDE", "COLIS", "POIDS", "SUIVI", "1,25 kg"):
        assert french in text and french in zpl, french
    # The carrier's fields and the addresses are printed as they are.
    assert "UPS" in text and "Standard" in text and "GERMANY" in text
    with app.test_request_context():
        english = pdf_text(render_pdf(load_layout("shipping_4x6"), [shipping_record]))
    assert "FROM" in english and "TO" in english and "1.25 kg" in english


def test_customer_language_falls_back_to_the_warehouses(app):
    with app.app_context():
        app.config["DEFAULT_LANGUAGE"] = "fr"
        assert [customer_language(c) for c in ("en", "EN-gb", "fr_CA", "pl", "", None)] == [
            "en", "en", "fr", "fr", "fr", "fr"]
        app.config["DEFAULT_LANGUAGE"] = "xx"
        assert customer_language(None) == "en"
    assert customer_language(None) == "en"  # no app: English


def test_dates_and_numbers_follow_the_locale(app):
    day = dt.date(2026, 2, 3)
    assert format_day(day) == "Feb 3, 2026" and format_number(1234.5, 2) == "1,234.50"
    with app.test_request_context(), customer_locale("fr"):
        assert format_day(day) == "3 févr. 2026"
        assert format_number(1234.5, 2) == "1\u00a0234,50"  # a no-break space every printer has
        # A datetime is shown on the warehouse's clock (Europe/Paris in the tests' config).
        assert format_day(dt.datetime(2026, 2, 3, 23, 30, tzinfo=dt.timezone.utc)) == "4 févr. 2026"


def test_n_format_spec_is_a_number_in_the_labels_language(app):
    record = {"w": 1.5, "q": 3}
    assert fill_template("{w:.2n} kg {q:n}", record, "t") == "1.50 kg 3"
    with app.test_request_context(), customer_locale("fr"):
        assert fill_template("{w:.2n} kg {w:.2f}", record, "t") == "1,50 kg 1.50"
    from wms.labels.layout import LabelDataError

    with pytest.raises(LabelDataError, match="cannot be formatted"):
        fill_template("{w:.xn}", record, "t")


def test_translate_must_be_true_or_false_like_other_flags():
    raw = {"label": {"width_mm": 50, "height_mm": 20},
           "element": [{"type": "text", "x_mm": 1, "y_mm": 1, "width_mm": 40, "text": "Fragile",
                        "translate": True}]}
    assert parse_layout(raw, "t").elements[0].translate is True
    raw["element"][0]["colour"] = "red"
    with pytest.raises(LayoutError, match="unknown field 'colour'"):
        parse_layout(raw, "t")
