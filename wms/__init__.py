"""A lightweight warehouse management system for PrestaShop merchants."""
