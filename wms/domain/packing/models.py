"""Packing keeps no tables of its own: parcels and their contents are shipping's models."""
from wms.domain.shipping.models import BoxSize, Parcel, ParcelItem, Shipment, ShipmentStatus  # noqa: F401
