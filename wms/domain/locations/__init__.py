"""Locations domain."""
