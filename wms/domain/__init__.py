"""Domain code: models and services, with no Flask request, session or current_user in here."""
