"""A fake PrestaShop webservice (WSGI, in memory, quirks included) for tests and benchmarks."""

from .faults import DEFAULT_NOTICE, Fault, Faults
from .server import dispatcher_url, serve
from .shop import DEFAULT_KEY, FakeShop, LoggedRequest, SentEmail

__all__ = [
    "DEFAULT_KEY",
    "DEFAULT_NOTICE",
    "FakeShop",
    "Fault",
    "Faults",
    "LoggedRequest",
    "SentEmail",
    "dispatcher_url",
    "serve",
]
