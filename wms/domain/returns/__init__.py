"""Customer returns: expected (announced by the shop or the desk) or unexpected parcels."""
