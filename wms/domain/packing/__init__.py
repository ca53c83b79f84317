"""Packing domain."""
