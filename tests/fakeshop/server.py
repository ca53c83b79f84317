"""Serve a FakeShop over real HTTP on 127.0.0.1 in a background thread."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from werkzeug.serving import WSGIRequestHandler, make_server

from .shop import FakeShop


class _QuietHandler(WSGIRequestHandler):
    """Do not print one access-log line per request (benchmarks send thousands)."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass


@contextmanager
def serve(shop: FakeShop, host: str = "127.0.0.1", port: int = 0) -> Iterator[str]:
    """Run ``shop`` on a free port and yield its base URL (``http://127.0.0.1:PORT/api``)."""
    server = make_server(host, port, shop, threaded=True, request_handler=_QuietHandler)
    # A short poll interval makes shutdown() return quickly (the default waits up to 0.5 s).
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02},
                              name="fakeshop", daemon=True)
    thread.start()
    try:
        yield f"http://{host}:{server.server_address[1]}/api"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def dispatcher_url(base_url: str) -> str:
    """Return the webservice/dispatcher.php form of a ``.../api`` base URL from serve()."""
    if not base_url.endswith("/api"):
        raise ValueError(f"expected a base URL ending in /api, got {base_url!r}")
    return base_url[: -len("/api")] + "/webservice/dispatcher.php"
