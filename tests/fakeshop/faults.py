"""Queue faults for the fake shop's next requests: errors, slowness, dropped answers, noise."""

from __future__ import annotations

import threading
from dataclasses import dataclass

DEFAULT_NOTICE = (
    "<br />\n<b>Notice</b>:  Undefined index: id_lang in "
    "/var/www/modules/brokenmodule/brokenmodule.php on line 42<br />\n"
)
BOM = "\ufeff"


@dataclass
class Fault:
    """One queued fault; it applies to ``remaining`` matching requests."""

    kind: str  # fail | delay | drop | prefix
    remaining: int
    status: int = 500
    body: str = ""
    content_type: str = "text/html; charset=utf-8"
    headers: dict[str, str] | None = None
    seconds: float = 0.0
    prefix: str = ""
    method: str | None = None
    resource: str | None = None

    def matches(self, method: str, resource: str) -> bool:
        """Return True if this fault targets a request with that method and resource."""
        if self.method is not None and self.method != method:
            return False
        return self.resource is None or self.resource == resource


class Faults:
    """Fault injection, driven from the test: each request consumes the first matching fault."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._queue: list[Fault] = []

    def _add(self, fault: Fault) -> Fault:
        if fault.remaining < 1:
            raise ValueError("a fault must apply to at least one request")
        with self._lock:
            self._queue.append(fault)
        return fault

    def fail_next(
        self,
        n: int = 1,
        status: int = 500,
        body: str = DEFAULT_NOTICE,
        *,
        content_type: str = "text/html; charset=utf-8",
        headers: dict[str, str] | None = None,
        method: str | None = None,
        resource: str | None = None,
    ) -> Fault:
        """Answer the next ``n`` requests with ``status`` and ``body`` without touching the shop."""
        return self._add(
            Fault("fail", n, status=status, body=body, content_type=content_type,
                  headers=headers, method=method, resource=resource)
        )

    def delay_next(
        self, seconds: float, n: int = 1, *, method: str | None = None, resource: str | None = None
    ) -> Fault:
        """Sleep ``seconds`` before handling the next ``n`` requests (they still apply)."""
        return self._add(Fault("delay", n, seconds=seconds, method=method, resource=resource))

    def apply_then_drop_next(
        self,
        n: int = 1,
        *,
        hang: float | None = None,
        method: str | None = None,
        resource: str | None = None,
    ) -> Fault:
        """Apply the next ``n`` requests but never answer: close the socket, or hang ``hang`` s."""
        return self._add(
            Fault("drop", n, seconds=hang or 0.0, method=method, resource=resource)
        )

    def prefix_next(
        self,
        n: int = 1,
        *,
        bom: bool = True,
        notice: str = DEFAULT_NOTICE,
        method: str | None = None,
        resource: str | None = None,
    ) -> Fault:
        """Print a BOM and/or a PHP notice before the body of the next ``n`` answers."""
        return self._add(
            Fault("prefix", n, prefix=(BOM if bom else "") + notice, method=method, resource=resource)
        )

    def take(self, method: str, resource: str) -> Fault | None:
        """Consume and return the first fault matching this request, if any."""
        with self._lock:
            for fault in self._queue:
                if fault.matches(method, resource):
                    fault.remaining -= 1
                    if fault.remaining <= 0:
                        self._queue.remove(fault)
                    return fault
        return None

    def clear(self) -> None:
        """Forget every pending fault."""
        with self._lock:
            self._queue.clear()

    @property
    def pending(self) -> int:
        """Return how many requests the queued faults will still affect."""
        with self._lock:
            return sum(f.remaining for f in self._queue)
