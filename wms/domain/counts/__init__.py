"""Counts domain."""
