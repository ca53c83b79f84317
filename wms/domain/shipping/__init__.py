"""Shipping domain."""
