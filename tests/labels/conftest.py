"""Shared records and helpers for the label tests: realistic data, PDF text and barcode decoding."""

import io

import pypdf
import pypdfium2
import pytest
import zxingcpp


@pytest.fixture
def shipping_record():
    """Return a shipping-label record; tests change what they need."""
    return {
        "sender": {"name": "Demo Shop Ltd", "address1": "12 Dock Road", "postcode": "75001", "city": "Paris", "country": "France"},
        "recipient": {
            "name": "Zoë Müller",
            "company": "Müller & Söhne GmbH",
            "address1": "Hauptstraße 42",
            "address2": "Hinterhaus, 3. OG",
            "postcode": "10115",
            "city": "Berlin",
            "country": "Germany",
        },
        "order": {"reference": "XKBKNABJK"},
        "parcel": {"number": 1, "count": 2, "weight_kg": 1.25, "tracking_number": "1Z999AA10123456784"},
        "carrier": {"name": "UPS", "service": "Standard"},
    }


def pdf_text(pdf: bytes, page: int = 0) -> str:
    """Extract the text of one PDF page."""
    return pypdf.PdfReader(io.BytesIO(pdf)).pages[page].extract_text()


def page_count(pdf: bytes) -> int:
    """Count the pages of a PDF."""
    return len(pypdf.PdfReader(io.BytesIO(pdf)).pages)


def decode_page(pdf: bytes, page: int = 0, scale: float = 4) -> list[tuple[str, str]]:
    """Render a page at about 300 dpi and return every barcode found as (text, format name)."""
    document = pypdfium2.PdfDocument(pdf)
    try:
        image = document[page].render(scale=scale).to_pil()
    finally:
        document.close()
    return [(result.text, result.format.name) for result in zxingcpp.read_barcodes(image)]
