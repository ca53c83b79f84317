"""Printers, stations and sending labels to them."""
