"""Layouts load from TOML with clear errors; records fill placeholders or fail naming the field."""

import pytest

from wms.labels.layout import LabelDataError, LayoutError, available_layouts, load_layout
from wms.labels.resolve import PlacedText, fill_template, fit_text, resolve_label
from wms.labels.symbology import choose_symbology, gtin_check_digit

MINIMAL = """
[label]
width_mm = 50
height_mm = 30

[[element]]
type = "text"
name = "title"
x_mm = 2
y_mm = 2
width_mm = 40
text = "{item.name}"
"""


def write_layout(tmp_path, text, name="custom"):
    path = tmp_path / f"{name}.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_shipped_layouts_all_load():
    names = available_layouts()
    assert {"shipping_4x6", "product", "location", "location_sheet_a4"} <= set(names)
    for name in names:
        layout = load_layout(name)
        assert layout.elements
    shipping = load_layout("shipping_4x6")
    assert (shipping.width_mm, shipping.height_mm, shipping.dpi) == (102, 152, 203)
    sheet = load_layout("location_sheet_a4").sheet
    assert sheet is not None and sheet.per_page == 10


def test_layouts_dir_can_be_overridden(tmp_path):
    write_layout(tmp_path, MINIMAL, "mine")
    layout = load_layout("mine", layouts_dir=tmp_path)
    assert layout.name == "mine" and layout.width_mm == 50
    assert load_layout(tmp_path / "mine.toml").name == "mine"


def test_unknown_layout_name_lists_available(tmp_path):
    write_layout(tmp_path, MINIMAL, "mine")
    with pytest.raises(LayoutError, match=r"no layout named 'nope'.*available: mine"):
        load_layout("nope", layouts_dir=tmp_path)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (('text = "{item.name}"', 'text = "{item.name}"\ncolour = "red"'), r"unknown field 'colour'"),
        (("width_mm = 50", "width_mm = 0"), r"width_mm must be greater than 0"),
        (("width_mm = 50", 'width_mm = "wide"'), r"width_mm must be a number"),
        (("width_mm = 50", "width_mm = 5000"), r"larger than 1 m"),
        (("x_mm = 2", "x_mm = 20"), r"outside the 50.0 x 30.0 mm label"),
        (('type = "text"', 'type = "circle"'), r"type 'circle'"),
        (('text = "{item.name}"', 'text = "{item.name"'), r"malformed placeholder"),
        (('text = "{item.name}"', 'text = "{item.name}"\nfont = "Comic Sans"'), r"unknown font 'Comic Sans'"),
        (("[label]", "[label]\ndpi = 250"), r"dpi must be one of"),
        (("[label]", "[lable]\n[label]"), r"unknown field 'lable'"),
    ],
)
def test_bad_layouts_are_rejected_with_a_clear_error(tmp_path, change, message):
    old, new = change
    assert old in MINIMAL
    path = write_layout(tmp_path, MINIMAL.replace(old, new, 1))
    with pytest.raises(LayoutError, match=message):
        load_layout(path)


def test_unknown_symbology_is_rejected(tmp_path):
    text = MINIMAL + """
[[element]]
type = "barcode"
x_mm = 2
y_mm = 10
width_mm = 40
height_mm = 15
data = "{item.code}"
symbology = "qr"
"""
    with pytest.raises(LayoutError, match=r"unknown symbology 'qr'; use one of code128, ean13, upca, auto"):
        load_layout(write_layout(tmp_path, text))


def test_sheet_grid_must_fit_the_page(tmp_path):
    text = MINIMAL + "\n[sheet]\npage = \"A4\"\ncolumns = 5\nrows = 2\n"
    with pytest.raises(LayoutError, match=r"larger than the 210.0x297.0 mm page"):
        load_layout(write_layout(tmp_path, text))


def test_invalid_toml_names_the_file(tmp_path):
    path = write_layout(tmp_path, "[label\nwidth_mm = 3")
    with pytest.raises(LayoutError, match=r"custom.toml: not valid TOML"):
        load_layout(path)


def test_missing_field_names_the_field_and_element(shipping_record):
    layout = load_layout("shipping_4x6")
    del shipping_record["recipient"]["city"]
    with pytest.raises(LabelDataError, match=r"record 1.*element 'recipient_address'.*field 'recipient.city' is missing"):
        resolve_label(layout, shipping_record)


def test_optional_placeholders_and_elements_render_empty(shipping_record):
    layout = load_layout("shipping_4x6")
    del shipping_record["recipient"]["company"]
    shipping_record["recipient"]["address2"] = None
    placed = resolve_label(layout, shipping_record)
    address = next(item for item in placed if isinstance(item, PlacedText) and "Hauptstraße 42" in item.lines)
    assert address.lines == ("Hauptstraße 42", "10115 Berlin")
    # The footer element is optional and its field is absent: nothing is drawn for it.
    assert not any(isinstance(item, PlacedText) and item.lines == ("",) for item in placed)


def test_fill_template_formats_falls_back_and_escapes():
    record = {"parcel": {"weight_kg": 1.5}, "product": {"sku": "MUG-1"}, "lines": ["first", "second"]}
    assert fill_template("{parcel.weight_kg:.2f} kg", record, "t") == "1.50 kg"
    assert fill_template("{product.barcode|product.sku}", record, "t") == "MUG-1"
    assert fill_template("{{literal}} {lines.1}", record, "t") == "{literal} second"
    with pytest.raises(LabelDataError, match=r"none of the fields 'product.barcode' or 'product.ean'"):
        fill_template("{product.barcode|product.ean}", record, "t")
    with pytest.raises(LabelDataError, match=r"cannot be formatted"):
        fill_template("{product.sku:.2f}", record, "t")


def test_fit_text_shrinks_then_truncates_with_an_ellipsis():
    size, lines = fit_text(["Short"], "Helvetica", 12, 6, 100, None, False, None, 1.2)
    assert (size, lines) == (12, ["Short"])
    long_name = "Organic cotton T-shirt with an extremely long descriptive product name " * 3
    size, lines = fit_text([long_name], "Helvetica", 8, 6, 150, 20, True, 2, 1.15)
    assert size == 6 and len(lines) == 2 and lines[-1].endswith("\u2026")
    from reportlab.pdfbase.pdfmetrics import stringWidth

    assert all(stringWidth(line, "Helvetica", size) <= 150 for line in lines)


def test_record_must_be_a_dict():
    with pytest.raises(LabelDataError, match=r"record 1 for layout 'location' must be a dict, got list"):
        resolve_label(load_layout("location"), ["A-01"])


def test_symbology_choice_and_check_digits():
    assert gtin_check_digit("400638133393") == "1"
    assert choose_symbology("4006381333931") == "ean13"
    assert choose_symbology("036000291452") == "upca"
    assert choose_symbology("4006381333932") == "code128"  # wrong check digit: not an EAN
    assert choose_symbology("MUG-001") == "code128"
