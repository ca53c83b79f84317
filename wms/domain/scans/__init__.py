"""Scans domain."""
