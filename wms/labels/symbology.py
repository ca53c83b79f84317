"""Choose and check barcode symbologies: EAN-13, UPC-A and Code 128."""

from __future__ import annotations

from .layout import LabelDataError


def gtin_check_digit(digits: str) -> str:
    """Compute the GS1 check digit (EAN-13, UPC-A, EAN-8) for ``digits`` without their check digit."""
    # Weights 3,1,3,1... from the rightmost digit; a dozen lines of code, so no library for it.
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(digits)))
    return str((10 - total % 10) % 10)


def is_valid_gtin(code: str, length: int) -> bool:
    """Tell whether ``code`` is ``length`` digits with a correct GS1 check digit."""
    return len(code) == length and code.isdecimal() and gtin_check_digit(code[:-1]) == code[-1]


def choose_symbology(data: str) -> str:
    """Pick EAN-13 for a valid EAN-13, UPC-A for a valid UPC-A, else Code 128."""
    if is_valid_gtin(data, 13):
        return "ean13"
    if is_valid_gtin(data, 12):
        return "upca"
    return "code128"


def normalise(symbology: str, data: str, where: str) -> tuple[str, str]:
    """Return ``(symbology, full_data)`` ready to draw, raising LabelDataError for data the symbology cannot carry."""
    if symbology == "auto":
        symbology = choose_symbology(data)
    if symbology == "code128":
        if not all(32 <= ord(ch) < 127 for ch in data):
            raise LabelDataError(f"{where}: Code 128 carries printable ASCII only; {data!r} has other characters")
        return symbology, data
    length = 13 if symbology == "ean13" else 12
    name = "EAN-13" if symbology == "ean13" else "UPC-A"
    if not data.isdecimal() or len(data) not in (length - 1, length):
        raise LabelDataError(f"{where}: {name} needs {length - 1} or {length} digits, got {data!r}")
    if len(data) == length - 1:
        return symbology, data + gtin_check_digit(data)
    if not is_valid_gtin(data, length):
        raise LabelDataError(
            f"{where}: {data!r} has a wrong {name} check digit (expected {gtin_check_digit(data[:-1])})"
        )
    return symbology, data
