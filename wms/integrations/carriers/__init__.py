"""Carrier APIs that create the shipment and give the carrier's own label (docs/carriers.md)."""
