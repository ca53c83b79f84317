"""Benchmark rendering shipping labels into one PDF: time and peak memory for N varied labels.

Run: .venv/bin/python bench/labels.py [--labels 1000] [--out /tmp/labels.pdf]
The last line of output is one JSON object with the figures.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from wms.labels.layout import load_layout  # noqa: E402
from wms.labels.pdf import render_pdf  # noqa: E402

FIRST = ["Zoë", "Jean-Pierre", "Ana", "Łukasz", "Siobhán", "Mohammed", "Greta", "José", "Chloé", "Björn", "Li", "Anna-Maria"]
LAST = ["Müller", "Dubois", "García", "Kowalski", "O'Brien", "Nielsen", "Rossi", "van der Berg", "Papadopoulos", "Smith"]
COMPANIES = [None, None, None, "Müller & Söhne GmbH", "Atelier Lumière SARL", "Northwind Traders Ltd", "Café de la Gare"]
STREETS = ["Hauptstraße", "Rue de la République", "Calle Mayor", "ul. Marszałkowska", "High Street", "Via Roma", "Kongens Gade"]
CITIES = [("10115", "Berlin", "Germany"), ("69002", "Lyon", "France"), ("28013", "Madrid", "Spain"), ("00-001", "Warszawa", "Poland"),
          ("SW1A 1AA", "London", "United Kingdom"), ("00184", "Roma", "Italy"), ("1050", "København K", "Denmark")]
CARRIERS = [("UPS", "Standard"), ("DHL", "Paket International"), ("Colissimo", "Domicile sans signature"), ("GLS", "BusinessParcel")]


def make_records(count: int, seed: int = 42):
    """Yield ``count`` varied shipping-label records (a generator: memory stays flat)."""
    rng = random.Random(seed)
    sender = {"name": "Demo Shop Ltd", "address1": "12 Dock Road", "postcode": "75001", "city": "Paris", "country": "France"}
    for number in range(count):
        postcode, city, country = rng.choice(CITIES)
        carrier, service = rng.choice(CARRIERS)
        parcels = rng.choice([1, 1, 1, 2, 3])
        yield {
            "sender": sender,
            "recipient": {
                "name": f"{rng.choice(FIRST)} {rng.choice(LAST)}",
                "company": rng.choice(COMPANIES),
                "address1": f"{rng.randint(1, 250)} {rng.choice(STREETS)}",
                "address2": rng.choice([None, None, "Apt 4B", "Hinterhaus, 3. OG", "Bâtiment C, escalier 2"]),
                "postcode": postcode,
                "city": city,
                "country": country,
            },
            "order": {"reference": "".join(rng.choice("ABCDEFGHJKLMNPQRSTUVWXYZ") for _ in range(9))},
            "parcel": {
                "number": rng.randint(1, parcels),
                "count": parcels,
                "weight_kg": round(rng.uniform(0.1, 30), 2),
                "tracking_number": f"1Z{rng.randint(0, 999999):06d}{''.join(rng.choice('ABCDEFGH') for _ in range(2))}{rng.randint(0, 10**10 - 1):010d}",
            },
            "carrier": {"name": carrier, "service": service},
        }


def main(argv: list[str] | None = None) -> int:
    """Render the labels, print a human line, then the JSON figures as the last line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--labels", type=int, default=1000, help="number of shipping labels (default 1000)")
    parser.add_argument("--out", type=Path, help="also write the PDF here")
    args = parser.parse_args(argv)
    if args.labels < 1:
        parser.error("--labels must be at least 1")

    layout = load_layout("shipping_4x6")
    started = time.perf_counter()
    pdf = render_pdf(layout, make_records(args.labels))
    seconds = time.perf_counter() - started
    if args.out:
        args.out.write_bytes(pdf)
    # ru_maxrss is in kilobytes on Linux.
    peak_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    rate = args.labels / seconds
    print(f"{args.labels} shipping labels in {seconds:.2f} s ({rate:.0f} labels/s), "
          f"PDF {len(pdf) / 1e6:.1f} MB, peak RSS {peak_rss_mb:.0f} MB")
    print(json.dumps({"labels": args.labels, "seconds": round(seconds, 3), "labels_per_s": round(rate, 1),
                      "peak_rss_mb": round(peak_rss_mb, 1)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
