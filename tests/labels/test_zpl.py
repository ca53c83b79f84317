"""ZPL output follows the format: balanced labels and fields, sizes in dots, escaped data."""

import pytest

from wms.labels.layout import load_layout
from wms.labels.zpl import ZplError, dots, escape_field, parse_zpl, render_zpl, unescape_field


def fields(label, command):
    """Return the decoded ^FD data of every field that uses ``command`` (e.g. "BC")."""
    found = []
    current = []
    for name, args in label:
        current.append(name)
        if name == "FD" and command in current:
            found.append(unescape_field(args, "FH" in current))
        if name == "FS":
            current = []
    return found


def test_shipping_label_structure(shipping_record):
    zpl = render_zpl(load_layout("shipping_4x6"), [shipping_record, shipping_record])
    labels = parse_zpl(zpl)
    assert len(labels) == 2
    assert zpl.count("^XA") == 2 and zpl.count("^XZ") == 2
    assert zpl.startswith("^XA") and zpl.rstrip().endswith("^XZ")
    label = labels[0]
    assert ("PW", str(dots(102, 203))) in label and ("PW", "815") in label
    assert ("LL", str(dots(152, 203))) in label and ("LL", "1215") in label
    assert ("CI", "28") in label
    assert fields(label, "BC") == ["1Z999AA10123456784"]
    texts = fields(label, "A")
    for expected in ("Zoë Müller", "XKBKNABJK", "1/2", "1.25 kg", "GERMANY"):
        assert expected in texts


def test_positions_follow_the_dpi(shipping_record):
    layout = load_layout("shipping_4x6")
    at_300 = parse_zpl(render_zpl(layout, [shipping_record], dpi=300))[0]
    assert ("PW", "1205") in at_300 and ("LL", "1795") in at_300
    # The recipient name sits at x = 4 mm, y = 31 mm.
    assert ("FO", f"{dots(4, 300)},{dots(31, 300)}") in at_300


def test_special_characters_are_hex_escaped(shipping_record):
    shipping_record["recipient"]["name"] = "Zoë ^Müller~ and_co \\ x"
    zpl = render_zpl(load_layout("shipping_4x6"), [shipping_record])
    line = next(line for line in zpl.splitlines() if "Zo_C3_AB" in line)
    assert "^FH^FDZo_C3_AB _5EM_C3_BCller_7E and_5Fco \\ x^FS" in line
    assert "ë" not in zpl and "~" not in zpl
    assert "Zoë ^Müller~ and_co \\ x" in fields(parse_zpl(zpl)[0], "A")


def test_plain_ascii_needs_no_fh():
    assert escape_field("ABC-123") == ("ABC-123", False)
    assert escape_field("a_b") == ("a_b", False)
    assert escape_field("é") == ("_C3_A9", True)
    assert escape_field("a\\&b", block=True) == ("a\\\\&b", False)


@pytest.mark.parametrize(
    ("barcode", "command", "data"),
    [("4006381333931", "BE", "400638133393"), ("036000291452", "BU", "03600029145"), ("MUG-1", "BC", "MUG-1")],
)
def test_product_barcode_commands(barcode, command, data):
    zpl = render_zpl(load_layout("product"), [{"product": {"sku": "MUG-1", "name": "Mug", "barcode": barcode}}])
    label = parse_zpl(zpl)[0]
    assert fields(label, command) == [data]
    by = next(args for name, args in label if name == "BY")
    assert int(by.split(",")[0]) >= 2  # modules of at least 2 dots scan reliably at 203 dpi


def test_sheet_layout_prints_one_label_each():
    zpl = render_zpl(load_layout("location_sheet_a4"), [{"location": {"code": f"A-01-0{n}-1"}} for n in range(1, 4)])
    labels = parse_zpl(zpl)
    assert len(labels) == 3
    assert ("PW", str(dots(99, 203))) in labels[0]
    assert fields(labels[2], "BC") == ["A-01-03-1"]


@pytest.mark.parametrize(
    ("zpl", "message"),
    [
        ("^XA^FO10,10^FDhello^XZ", r"not closed by \^FS"),
        ("^XA^FO10,10^FDhello^FS", r"not closed with \^XZ"),
        ("^XA^XA^XZ", r"before the previous one was closed"),
        ("^FO10,10^XA^XZ", r"outside \^XA"),
        ("^XA^QQ1^XZ", r"unknown command \^QQ"),
        ("^XA^FDcaf\u00e9^FS^XZ", r"escape it with \^FH"),
        ("^XA^FH^FDa_zz^FS^XZ", r"not a two-digit hex escape"),
        ("^XA^FDa~b^FS^XZ", r"raw '~'"),
        ("hello ^XA^XZ", r"stray text"),
        ("", r"no label found"),
    ],
)
def test_validator_rejects_malformed_zpl(zpl, message):
    with pytest.raises(ZplError, match=message):
        parse_zpl(zpl)
