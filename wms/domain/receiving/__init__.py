"""Receiving domain."""
