"""A webhook receiver for tests: a local HTTP server on 127.0.0.1 that records what it gets.

It answers 500 to the first `fail_first` requests (or to all with `always_fail`), optionally
after `delay_s`, and 204 after that; `accepted` holds the (headers, body) of the 2xx answers.
"""
from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Receiver:
    def __init__(self, fail_first: int = 0, always_fail: bool = False, delay_s: float = 0.0) -> None:
        self.fail_first = fail_first
        self.always_fail = always_fail
        self.delay_s = delay_s
        self.attempts: list[tuple[dict, bytes]] = []
        self.accepted: list[tuple[dict, bytes]] = []
        self._lock = threading.Lock()
        self._busy = threading.Event()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (http.server's naming)
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                headers = {k: v for k, v in self.headers.items()}
                receiver._busy.set()
                if receiver.delay_s:
                    time.sleep(receiver.delay_s)
                with receiver._lock:
                    receiver.attempts.append((headers, body))
                    fail = receiver.always_fail or len(receiver.attempts) <= receiver.fail_first
                    if not fail:
                        receiver.accepted.append((headers, body))
                self.send_response(500 if fail else 204)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> "Receiver":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()

    def server_busy(self) -> bool:
        """True once a request has reached the handler (e.g. is sleeping in `delay_s`)."""
        return self._busy.is_set()

    def events(self) -> list[dict]:
        """The bodies accepted, parsed, in the order they arrived."""
        return [json.loads(body) for _, body in self.accepted]
