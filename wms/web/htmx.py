"""Small htmx helpers: is this an htmx request, trigger client events, render a fragment.

htmx-flask (a single 0.1.0 release from 2022) would give us `request.htmx` by replacing
Flask's request class for the whole app; we need only these three helpers, and they follow
htmx 2's headers as we vendor it, so we keep our own.
"""
from __future__ import annotations

import html
import json
import re

from flask import Response, make_response, render_template, request

# How a partial answer starts (templates/handheld/_macros/scan.html, status(partial=True)):
# the status line, whose sentence a replay shows again over the whole current screen.
PARTIAL = re.compile(r'<div id="status" data-answer="partial" [^>]*data-status="(\w+)">([^<]*)</div>')


def is_htmx() -> bool:
    """Return True when the request came from htmx (or our scan queue, which sets the header)."""
    return request.headers.get("HX-Request") == "true"


def trigger(response: Response, event: str, detail=None) -> Response:
    """Add a client event to the response's HX-Trigger header (merging with any present)."""
    existing = response.headers.get("HX-Trigger")
    events = json.loads(existing) if existing and existing.startswith("{") else (
        {existing: None} if existing else {})
    events[event] = detail
    response.headers["HX-Trigger"] = json.dumps(events)
    return response


def render_page_or_fragment(page: str, fragment: str, status: int = 200, **context) -> Response:
    """Render the whole page, or only its fragment when htmx asks for it."""
    html = render_template(fragment if is_htmx() else page, **context)
    return Response(html, status=status, mimetype="text/html")


def flow_screen(flow: str, *, message: str | None = None, ok: bool = True, status: int = 200,
                **context) -> Response:
    """Render a handheld flow: the whole page, or its `_screen.html` for htmx and the scan
    queue, with the status line and the success or error signal when there is a message."""
    template = f"handheld/{flow}/_screen.html" if is_htmx() else f"handheld/{flow}/page.html"
    response = make_response(render_template(template, message=message, ok=ok, **context), status)
    if message:
        trigger(response, "scan-ok" if ok else "scan-error")
    return response


def flow_update(flow: str, *, message: str, **context) -> Response:
    """Answer a scan that left the operator on the same task with only what changed.

    `handheld/<flow>/_update.html` renders the status line, which replaces #status (the
    answer's main swap, named by HX-Retarget), and the screen's changed elements as htmx
    out-of-band swaps; the scan form is not sent again, so the input keeps its focus (and
    whatever the scanner typed meanwhile). A request without htmx gets the whole page.
    The stored answer of such a scan is never replayed as it is: the screen may have moved
    on since, so scan_endpoint answers a retry with the whole current screen under this
    status line (wms.web.tx).
    """
    if not is_htmx():
        return flow_screen(flow, message=message, **context)
    body = render_template(f"handheld/{flow}/_update.html", message=message, ok=True, **context)
    response = Response(body.strip(), mimetype="text/html")
    response.headers["HX-Retarget"] = "#status"
    response.headers["HX-Reswap"] = "outerHTML"
    return trigger(response, "scan-ok")


def partial_status(body: str | None) -> tuple[str, bool] | None:
    """The (sentence, ok) of a stored partial answer; None for a whole screen or other answer."""
    found = PARTIAL.match(body or "")
    return (html.unescape(found.group(2)), found.group(1) == "ok") if found else None
