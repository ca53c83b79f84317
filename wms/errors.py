"""Domain errors: each carries a message an operator or supervisor can act on."""
from __future__ import annotations


class DomainError(Exception):
    """A refusal of the business rules; changes nothing. Rendered as HTTP 422."""

    status = 422
    code = "refused"

    def __init__(self, message: str, *, code: str | None = None, **details):
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        self.details = details


class NotFound(DomainError):
    status = 404
    code = "not_found"


class InvalidQuantity(DomainError):
    code = "invalid_quantity"


class InsufficientStock(DomainError):
    code = "insufficient_stock"


class Conflict(DomainError):
    status = 409
    code = "conflict"


class PermissionDenied(DomainError):
    status = 403
    code = "forbidden"
