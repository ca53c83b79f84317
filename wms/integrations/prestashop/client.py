"""Talk HTTP to a PrestaShop webservice: JSON reads, XML writes, retries and clear errors.

This is the only module in the project that imports ``requests``. It knows nothing of
Flask or the database: it returns plain dicts and lists and raises ``ShopError``s.
"""

from __future__ import annotations

import json
import logging
import random
import re
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import requests
from urllib3.exceptions import ConnectTimeoutError, NewConnectionError

__all__ = [
    "PrestaShopClient",
    "ShopAuthError",
    "ShopBadRequest",
    "ShopConfig",
    "ShopError",
    "ShopMethodNotAllowed",
    "ShopNotFound",
    "ShopProtocolError",
    "ShopUnavailable",
    "ShopWriteUncertain",
    "between",
    "build_xml",
    "greater_than",
    "less_than",
    "redact_urls",
    "singular",
]

log = logging.getLogger(__name__)

DATETIME_FORMAT = "%Y-%m-%d %H:%M:%S"
# Ids per list request: keeps URLs far below the 8 KB most servers accept.
ID_CHUNK = 100
# A POST answered with one of these never reached the save: 127 = body not parsable XML,
# 46 = the object's add() failed. Other 5xx on a POST may come after the save (a module hook
# printing a notice), so those are "uncertain".
NOT_APPLIED_CODES = frozenset({46, 127})
# Fields a whole-node PUT must carry, or the shop resets them to 0.
_REQUIRED_NODE_FIELDS = {
    "order_carriers": ("id", "id_order", "id_carrier"),
    "stock_availables": ("id", "id_product", "id_product_attribute", "id_shop", "quantity"),
}
_SINGULAR = {
    "addresses": "address",
    "carriers": "carrier",
    "combinations": "combination",
    "countries": "country",
    "customers": "customer",
    "languages": "language",
    "order_carriers": "order_carrier",
    "order_histories": "order_history",
    "order_states": "order_state",
    "orders": "order",
    "products": "product",
    "stock_availables": "stock_available",
}
_FILTER_FORBIDDEN = re.compile(r"[\[\]|,]")
_TAGS = re.compile(r"<[^>]+>")
_MAX_JSON_STARTS = 64


# --------------------------------------------------------------------------- config


@dataclass(frozen=True)
class ShopConfig:
    """How to reach one shop's webservice.

    ``base_url`` is either ``https://shop.example/api`` or, for shops without URL
    rewriting, ``https://shop.example/webservice/dispatcher.php``.
    """

    base_url: str
    key: str = field(repr=False)  # never print the key in logs or tracebacks
    timeout: tuple[float, float] = (5.0, 30.0)
    max_retries: int = 3
    backoff_base: float = 0.5
    auth_mode: str = "basic"
    name: str = "prestashop"
    backoff_max: float = 30.0

    def __post_init__(self) -> None:
        if not self.key or not self.key.strip():
            raise ValueError(
                f"shop {self.name!r}: the webservice key is empty: set WMS_PRESTASHOP_KEY to the "
                "32-character key from Advanced Parameters > Webservice"
            )
        if self.auth_mode not in {"basic", "ws_key"}:
            raise ValueError(f"shop {self.name!r}: auth_mode must be 'basic' or 'ws_key', got {self.auth_mode!r}")
        parts = urlsplit(self.base_url)
        if parts.scheme not in {"http", "https"} or not parts.netloc:
            raise ValueError(
                f"shop {self.name!r}: base_url must look like https://shop.example/api, got {self.base_url!r}"
            )
        if self.max_retries < 0:
            raise ValueError(f"shop {self.name!r}: max_retries must be 0 or more")

    @property
    def uses_dispatcher(self) -> bool:
        """Return True when the shop is reached through webservice/dispatcher.php."""
        return urlsplit(self.base_url).path.rstrip("/").endswith("dispatcher.php")

    def url_for(self, resource: str, ident: int | str | None = None) -> tuple[str, dict[str, str]]:
        """Return the URL and extra query parameters that address ``resource[/ident]``."""
        target = resource if ident is None else f"{resource}/{ident}"
        parts = urlsplit(self.base_url)
        if self.uses_dispatcher:
            return urlunsplit((parts.scheme, parts.netloc, parts.path, "", "")), {"url": target}
        path = parts.path.rstrip("/")
        if path == "":
            path = "/api"  # a bare shop address: the webservice lives under /api
        return urlunsplit((parts.scheme, parts.netloc, f"{path}/{target}", "", "")), {}


# --------------------------------------------------------------------------- errors

# In ws_key mode the key travels in the query string, and error texts end up in logs, in
# OutboxMessage.last_error and on the desk: no URL in an error keeps its query or its user.
_SCHEME_URL = re.compile(r"""(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*://)(?:[^/\s@'"<>]*@)?"""
                         r"""(?P<rest>[^\s?#'"<>]*)(?:[?#][^\s'"<>]*[^\s'"<>:;,.)])?""")
_PATH_QUERY = re.compile(r"""(?P<path>/[^\s?'"<>]*)\?[^\s'"<>]*=[^\s'"<>]*[^\s'"<>:;,.)]""")
_WS_KEY = re.compile(r"""(?i)(ws_key=)[^&\s#'"<>]+""")


def redact_urls(text: str) -> str:
    """Drop query strings, user info and any ws_key value from the URLs in a text."""
    if not text:
        return text
    text = _SCHEME_URL.sub(lambda m: m.group("scheme") + m.group("rest"), text)
    text = _PATH_QUERY.sub(lambda m: m.group("path"), text)
    return _WS_KEY.sub(r"\1[hidden]", text)



# Every webservice key a client of this process holds, in every form it may be echoed back
# by a shop or a proxy: plain, URL-encoded, and base64 ("key:" is the Basic auth header).
_SECRET_FORMS: set[str] = set()
MIN_SECRET_FORM = 8


def secret_forms(key: str) -> set[str]:
    """The texts under which a key can appear in an answer, a URL or a header."""
    import base64
    from urllib.parse import quote

    if not key or len(key) < MIN_SECRET_FORM:
        return set()
    forms = {key, quote(key, safe=""), quote(key)}
    for raw in (key + ":", key):
        encoded = base64.b64encode(raw.encode()).decode()
        forms |= {encoded, encoded.rstrip("=")}
    return {f for f in forms if len(f) >= MIN_SECRET_FORM}


def register_secret(key: str) -> None:
    """Remember a key so that strip_secrets() takes it out of every message from now on."""
    _SECRET_FORMS.update(secret_forms(key))


def strip_secrets(text: str, extra: Iterable[str] = ()) -> str:
    """Drop URL queries and user info, and every known key in every form, from a text."""
    if not text:
        return text
    text = redact_urls(text)
    forms = set(_SECRET_FORMS)
    for key in extra:
        forms |= secret_forms(key)
    for form in sorted(forms, key=len, reverse=True):  # longest first: base64 before plain
        if form in text:
            text = text.replace(form, "[hidden]")
    return text


class SecretFilter(logging.Filter):
    """A logging filter that takes the webservice keys out of a record (message and traceback)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not _SECRET_FORMS:
            return True
        message = record.getMessage()
        clean = strip_secrets(message)
        if clean != message:
            record.msg, record.args = clean, ()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = strip_secrets(record.exc_text)
        return True


def protect_logger(logger: logging.Logger) -> None:
    if not any(isinstance(f, SecretFilter) for f in logger.filters):
        logger.addFilter(SecretFilter())


class ShopError(Exception):
    """A call to the shop failed; ``status``, ``code`` and ``message`` come from the shop."""

    def __init__(
        self,
        hint: str,
        *,
        status: int | None = None,
        code: int | None = None,
        message: str = "",
        method: str = "",
        resource: str = "",
        errors: list[dict[str, Any]] | None = None,
        shop: str = "prestashop",
    ) -> None:
        self.hint = strip_secrets(hint)
        self.status = status
        self.code = code
        self.message = strip_secrets(message)
        self.method = method
        self.resource = resource
        # The shop's own error list may echo the request (and the key) too.
        self.errors = [{k: strip_secrets(v) if isinstance(v, str) else v for k, v in e.items()}
                       if isinstance(e, dict) else e for e in (errors or [])]
        self.shop = shop
        super().__init__(self._describe())

    def _describe(self) -> str:
        where = f"{self.method} {self.resource}".strip()
        head = f"shop {self.shop!r}"
        if where:
            head += f": {where}"
        details = []
        if self.status is not None:
            details.append(f"HTTP {self.status}")
        if self.code is not None:
            details.append(f"error {self.code}")
        if self.message:
            details.append(self.message)
        text = head + (f" failed ({', '.join(details)})" if details else " failed")
        return f"{text}: {self.hint}" if self.hint else text


class ShopAuthError(ShopError):
    """The shop refused the key (401) or the key is not allowed on this shop (403)."""


class ShopNotFound(ShopError):
    """The resource or id does not exist (404)."""


class ShopMethodNotAllowed(ShopError):
    """The method is not allowed on that resource or for that key (405)."""


class ShopBadRequest(ShopError):
    """The shop rejected the request as malformed or invalid (400)."""


class ShopUnavailable(ShopError):
    """The shop kept failing (5xx, 429, timeouts, connection errors) after every retry."""


class ShopProtocolError(ShopError):
    """The shop answered something that is not the webservice's JSON (HTML page, garbage)."""


class ShopWriteUncertain(ShopError):
    """A write was sent but its outcome is unknown: it MAY have been applied.

    Re-read the shop's state (e.g. the order's current_state and order_histories) before
    sending a non-idempotent POST again.
    """


# --------------------------------------------------------------------------- helpers


def singular(resource: str) -> str:
    """Return the XML node name of one ``resource`` item (order_histories -> order_history)."""
    if resource in _SINGULAR:
        return _SINGULAR[resource]
    if resource.endswith("ies"):
        return resource[:-3] + "y"
    if resource.endswith("s"):
        return resource[:-1]
    return resource


def _format_value(value: Any) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, datetime):
        return value.strftime(DATETIME_FORMAT)
    if isinstance(value, date):
        return value.strftime("%Y-%m-%d")
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)


def _filter_atom(value: Any) -> str:
    text = _format_value(value)
    if _FILTER_FORBIDDEN.search(text):
        raise ValueError(
            f"cannot filter on {text!r}: the webservice filter syntax has no escape for [ ] | ,"
        )
    return text


def between(low: Any, high: Any) -> str:
    """Return a BETWEEN filter value (inclusive): ``[low,high]``."""
    return f"[{_filter_atom(low)},{_filter_atom(high)}]"


def greater_than(value: Any) -> str:
    """Return a strictly-greater filter value: ``>[value]``."""
    return f">[{_filter_atom(value)}]"


def less_than(value: Any) -> str:
    """Return a strictly-lower filter value: ``<[value]``."""
    return f"<[{_filter_atom(value)}]"


def _filter_value(value: Any) -> str | None:
    """Turn a Python filter value into webservice syntax; None means "matches nothing"."""
    if isinstance(value, str) and value[:1] in {"[", ">", "<", "%", "!"}:
        return value  # already in webservice syntax (between(), greater_than(), ...)
    if isinstance(value, (list, tuple, set, frozenset)):
        items = sorted(value, key=str) if isinstance(value, (set, frozenset)) else list(value)
        if not items:
            return None
        return "[" + "|".join(_filter_atom(v) for v in items) + "]"
    return f"[{_filter_atom(value)}]"


def _bracket_list(values: str | Iterable[str]) -> str:
    if isinstance(values, str):
        return values if values.startswith("[") else f"[{values}]"
    return "[" + ",".join(values) + "]"


def _append_xml(parent: ET.Element, name: str, value: Any) -> None:
    child = ET.SubElement(parent, name)
    if value is None:
        return
    if isinstance(value, Mapping):
        for key, inner in value.items():
            _append_xml(child, str(key), inner)
        return
    if isinstance(value, list):
        # The only list a write node carries is a translated field: [{"id": 1, "value": ".."}].
        for entry in value:
            if not (isinstance(entry, Mapping) and "id" in entry):
                raise ValueError(
                    f"cannot write field {name!r}: only translated lists [{{id, value}}] are supported"
                )
            lang = ET.SubElement(child, "language", id=_format_value(entry["id"]))
            lang.text = "" if entry.get("value") is None else _format_value(entry["value"])
        return
    child.text = _format_value(value)


def build_xml(resource: str, node: Mapping[str, Any]) -> bytes:
    """Return the XML write body ``<prestashop><singular>...</singular></prestashop>`` for ``node``.

    Values are escaped by ElementTree; ``associations`` are left out (our writes never need them).
    """
    root = ET.Element("prestashop", {"xmlns:xlink": "http://www.w3.org/1999/xlink"})
    item = ET.SubElement(root, singular(resource))
    for key, value in node.items():
        if key == "associations":
            continue
        _append_xml(item, str(key), value)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def _strip_noise(text: str) -> str:
    """Drop a BOM and leading whitespace."""
    return text.lstrip("\ufeff \t\r\n")


def _decode_json_body(text: str) -> Any:
    """Return the JSON in ``text``, skipping a BOM or PHP notices printed before it.

    Raises ValueError when no JSON document can be found.
    """
    text = _strip_noise(text)
    decoder = json.JSONDecoder()
    lenient: Any = None
    found_lenient = False
    # Notices are short: give up after a few candidates instead of scanning a broken body.
    for tries, match in enumerate(re.finditer(r"[\[{]", text)):
        if tries >= _MAX_JSON_STARTS:
            break
        start = match.start()
        try:
            value, end = decoder.raw_decode(text, start)
        except ValueError:
            continue
        if text[end:].strip() == "":
            return value
        if not found_lenient and isinstance(value, (dict, list)) and start == 0:
            lenient, found_lenient = value, True
    if found_lenient:
        return lenient  # JSON followed by a notice printed after it
    raise ValueError("no JSON document in the body")


def _looks_like_html(text: str) -> bool:
    head = _strip_noise(text)[:200].lower()
    return head.startswith("<!doctype html") or head.startswith("<html") or "<body" in head


def _plain(text: str, limit: int = 200) -> str:
    """Return a short one-line version of a body for error messages."""
    flat = " ".join(_TAGS.sub(" ", text).split())
    return flat[:limit] + ("..." if len(flat) > limit else "")


def _parse_errors(body: str) -> list[dict[str, Any]]:
    """Return [{code, message}] from a JSON or XML error body; [] when there is none."""
    text = _strip_noise(body)
    if not text:
        return []
    try:
        data = _decode_json_body(text)
    except ValueError:
        data = None
    if isinstance(data, dict) and isinstance(data.get("errors"), list):
        out = []
        for err in data["errors"]:
            if isinstance(err, Mapping):
                out.append({"code": _int_or_none(err.get("code")), "message": str(err.get("message") or "")})
        return out
    start = text.find("<prestashop")
    if start >= 0:
        try:
            root = ET.fromstring(text[start:].encode("utf-8"))
        except ET.ParseError:
            return []
        out = []
        for err in root.iter("error"):
            out.append(
                {
                    "code": _int_or_none((err.findtext("code") or "").strip()),
                    "message": (err.findtext("message") or "").strip(),
                }
            )
        return out
    return []


def _int_or_none(value: Any) -> int | None:
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return None


def _error_sent(exc: requests.RequestException) -> bool:
    """Return True when the request may have reached the shop before ``exc`` happened."""
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return False
    reason = exc.args[0] if exc.args else None
    reason = getattr(reason, "reason", reason)
    if isinstance(reason, (NewConnectionError, ConnectTimeoutError)):
        return False  # refused or unreachable: nothing was sent
    return True


# --------------------------------------------------------------------------- client


class PrestaShopClient:
    """A webservice client for one shop. Not thread-safe: use one per thread or job."""

    def __init__(
        self,
        config: ShopConfig,
        session: requests.Session | None = None,
        *,
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
    ) -> None:
        self.config = config
        register_secret(config.key)
        self._own_session = session is None
        self.session = session or requests.Session()
        self.auth_mode = config.auth_mode
        self.request_count = 0
        self._sleep = sleep
        self._rng = rng or random.Random()

    # -- lifecycle

    def close(self) -> None:
        """Close the HTTP session if this client created it."""
        if self._own_session:
            self.session.close()

    def __enter__(self) -> PrestaShopClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- low level

    def _hide(self, text: str) -> str:
        """Return text without URL queries and without the key itself, wherever it stands."""
        return strip_secrets(text, (self.config.key,))

    def _backoff(self, attempt: int, response: requests.Response | None) -> float:
        """Return the wait before retry number ``attempt`` (0-based): exponential, jittered."""
        if response is not None:
            retry_after = _int_or_none(response.headers.get("Retry-After"))
            if retry_after is not None and retry_after >= 0:
                return min(float(retry_after), self.config.backoff_max)
        ceiling = min(self.config.backoff_base * (2**attempt), self.config.backoff_max)
        # "Equal jitter": at least half the exponential step, so waits still grow.
        return ceiling / 2 + self._rng.uniform(0, ceiling / 2)

    def _send(
        self, method: str, url: str, params: dict[str, str], body: bytes | None, mode: str
    ) -> requests.Response:
        query = dict(params)
        auth = None
        if mode == "ws_key":
            query["ws_key"] = self.config.key
        else:
            auth = (self.config.key, "")
        headers = {"Accept": "application/json"}
        if body is not None:
            headers["Content-Type"] = "application/xml; charset=utf-8"
        self.request_count += 1
        return self.session.request(
            method,
            url,
            params=query,
            data=body,
            headers=headers,
            auth=auth,
            timeout=self.config.timeout,
            # A redirect turns a write into a GET without body (error 127 "XML length: 0").
            allow_redirects=(method == "GET"),
        )

    def _send_authenticated(
        self, method: str, url: str, params: dict[str, str], body: bytes | None
    ) -> requests.Response:
        """Send once, falling back to ?ws_key= if the host dropped the Authorization header."""
        response = self._send(method, url, params, body, self.auth_mode)
        if (
            response.status_code == 401
            and self.auth_mode == "basic"
            and not _parse_errors(response.text)
        ):
            # A plain-text 401 means the shop saw no key at all although we sent one:
            # the host strips Authorization. A wrong key gets a JSON error instead.
            log.warning(
                "shop %r ignored the Authorization header; switching to ?ws_key= authentication",
                self.config.name,
            )
            fallback = self._send(method, url, params, body, "ws_key")
            if fallback.status_code != 401 or _parse_errors(fallback.text):
                self.auth_mode = "ws_key"
            return fallback
        return response

    def request(
        self,
        method: str,
        resource: str,
        ident: int | str | None = None,
        *,
        params: Mapping[str, Any] | None = None,
        body: bytes | None = None,
        idempotent: bool | None = None,
    ) -> Any:
        """Send one webservice call with retries and return its decoded JSON (None when empty).

        Non-idempotent calls (POST by default) are not retried once they may have reached
        the shop: they raise ShopWriteUncertain instead.
        """
        method = method.upper()
        if idempotent is None:
            idempotent = method in {"GET", "HEAD", "PUT", "DELETE"}
        url, query = self.config.url_for(resource, ident)
        query["output_format"] = "JSON"
        for key, value in (params or {}).items():
            if value is not None:
                query[key] = _format_value(value)
        target = resource if ident is None else f"{resource}/{ident}"
        attempts = self.config.max_retries + 1
        last_problem = ""
        last_response: requests.Response | None = None

        for attempt in range(attempts):
            if attempt:
                wait = self._backoff(attempt - 1, last_response)
                log.info(
                    "shop %r: %s %s: %s, retry %d/%d in %.2fs",
                    self.config.name, method, target, last_problem, attempt, attempts - 1, wait,
                )
                self._sleep(wait)
            last_response = None
            try:
                response = self._send_authenticated(method, url, query, body)
            except requests.RequestException as exc:
                # ChunkedEncodingError: the connection broke while the answer was being read.
                transient = (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError)
                if not isinstance(exc, transient):
                    raise ShopError(
                        f"the request could not be sent ({self._hide(str(exc))}); check base_url",
                        method=method, resource=target, shop=self.config.name,
                    ) from exc
                last_problem = "timed out" if isinstance(exc, requests.Timeout) else f"connection failed ({exc.__class__.__name__})"
                if not idempotent and _error_sent(exc):
                    raise ShopWriteUncertain(
                        "the write was sent but no answer came back, so it may have been applied: "
                        f"re-read the shop's state before sending it again ({last_problem})",
                        method=method, resource=target, shop=self.config.name,
                    ) from exc
                continue

            status = response.status_code
            if status == 429 or status >= 500:
                errors = _parse_errors(response.text)
                first = errors[0] if errors else {}
                if not idempotent and status not in {429, 503}:
                    if first.get("code") in NOT_APPLIED_CODES:
                        raise self._error_for(method, target, response)
                    raise ShopWriteUncertain(
                        f"the shop failed while handling the write (HTTP {status}); it may have been "
                        "applied: re-read the shop's state before sending it again",
                        status=status, code=first.get("code"),
                        message=first.get("message") or _plain(response.text),
                        method=method, resource=target, errors=errors, shop=self.config.name,
                    )
                last_problem = f"HTTP {status}"
                last_response = response
                continue
            if 300 <= status < 400:
                raise ShopError(
                    f"the shop redirected to {self._hide(response.headers.get('Location', '?'))}: set base_url "
                    "to the final address (https, www) so writes are not turned into empty GETs",
                    status=status, method=method, resource=target, shop=self.config.name,
                )
            if status >= 400:
                raise self._error_for(method, target, response)
            return self._decode(method, target, response)

        status = last_response.status_code if last_response is not None else None
        errors = _parse_errors(last_response.text) if last_response is not None else []
        first = errors[0] if errors else {}
        message = first.get("message") or (_plain(last_response.text) if last_response is not None else "")
        raise ShopUnavailable(
            f"gave up after {attempts} attempts (last: {last_problem}); check that the shop is up "
            "and its webservice enabled; the sync will try again later",
            status=status, code=first.get("code"), message=message,
            method=method, resource=target, errors=errors, shop=self.config.name,
        )

    def _decode(self, method: str, target: str, response: requests.Response) -> Any:
        text = response.content.decode("utf-8", errors="replace")
        if _strip_noise(text) == "":
            return None
        try:
            return _decode_json_body(text)
        except ValueError:
            pass
        if _looks_like_html(text):
            raise ShopProtocolError(
                "the shop answered an HTML page instead of webservice JSON: check that base_url "
                "points at the webservice (https://shop.example/api) and that it is enabled",
                status=response.status_code, message=_plain(text),
                method=method, resource=target, shop=self.config.name,
            )
        raise ShopProtocolError(
            "the shop's answer is not JSON: check base_url and that the shop supports output_format=JSON",
            status=response.status_code, message=_plain(text),
            method=method, resource=target, shop=self.config.name,
        )

    def _error_for(self, method: str, target: str, response: requests.Response) -> ShopError:
        status = response.status_code
        errors = _parse_errors(response.text)
        first = errors[0] if errors else {}
        code = first.get("code")
        message = first.get("message") or _plain(response.text)
        resource = target.split("/", 1)[0]
        kwargs = dict(
            status=status, code=code, message=message, method=method,
            resource=target, errors=errors, shop=self.config.name,
        )
        if status == 401:
            return ShopAuthError(
                f"check WMS_PRESTASHOP_KEY, that the key is active and that it has {method} on "
                f"{resource} (Advanced Parameters > Webservice)",
                **kwargs,
            )
        if status == 403:
            return ShopAuthError(
                "the key is not allowed on this shop: in a multistore, enable the key for this "
                "shop (Advanced Parameters > Webservice)",
                **kwargs,
            )
        if status == 404:
            return ShopNotFound(
                f"{target} does not exist in the shop (deleted, or wrong base_url)", **kwargs
            )
        if status == 405:
            return ShopMethodNotAllowed(
                f"tick {method} for {resource} on the webservice key, or this resource does not "
                f"accept {method} at all",
                **kwargs,
            )
        if status == 400:
            return ShopBadRequest(
                "the shop rejected the request; if the message names a field or filter, the "
                "connector and the shop version disagree: report it with this message",
                **kwargs,
            )
        return ShopError("unexpected answer from the shop", **kwargs)

    # -- reads

    @staticmethod
    def _unwrap_list(data: Any, resource: str) -> list[dict[str, Any]]:
        if data is None or data == [] or data == "":
            return []  # an empty list is a bare [] (or nothing), not {"orders": []}
        if isinstance(data, dict):
            if resource in data:
                items = data[resource]
            elif len(data) == 1:
                items = next(iter(data.values()))
            else:
                raise ShopProtocolError(
                    f"expected {{{resource!r}: [...]}} from the shop, got keys {sorted(data)}",
                    resource=resource,
                )
            if items is None or items == "" or items == []:
                return []
            if isinstance(items, dict):
                return [items]
            if isinstance(items, list):
                return [item for item in items if isinstance(item, dict)]
        if isinstance(data, list):
            return [item for item in data if isinstance(item, dict)]
        raise ShopProtocolError(f"expected a list of {resource} from the shop", resource=resource)

    def list(
        self,
        resource: str,
        filters: Mapping[str, Any] | None = None,
        display: str | Iterable[str] | None = "full",
        sort: str | Iterable[str] | None = None,
        limit: int | tuple[int, int] | None = None,
        date_filter: bool = False,
    ) -> list[dict[str, Any]]:
        """Return the items of a list read; filter values: scalar, list (OR) or between()/greater_than()."""
        params: dict[str, Any] = {}
        for field, value in (filters or {}).items():
            formatted = _filter_value(value)
            if formatted is None:
                return []  # filter[id]=[] is invalid in the shop and would match nothing anyway
            params[f"filter[{field}]"] = formatted
        if display is not None:
            params["display"] = display if display == "full" else _bracket_list(display)
        if sort is not None:
            params["sort"] = _bracket_list(sort)
        if limit is not None:
            params["limit"] = f"{limit[0]},{limit[1]}" if isinstance(limit, tuple) else str(limit)
        if date_filter:
            params["date"] = "1"
        return self._unwrap_list(self.request("GET", resource, params=params), resource)

    def iter_pages(
        self,
        resource: str,
        filters: Mapping[str, Any] | None = None,
        display: str | Iterable[str] | None = "full",
        sort: str | Iterable[str] | None = None,
        date_filter: bool = False,
        page_size: int = 100,
    ) -> Iterator[list[dict[str, Any]]]:
        """Yield pages (lists) of a list read with limit=offset,count until a short page."""
        if page_size <= 0:
            raise ValueError("page_size must be positive")
        # Offset paging needs a total order, or rows move between pages.
        order = sort if sort is not None else ["id_ASC"]
        offset = 0
        while True:
            page = self.list(
                resource, filters, display=display, sort=order,
                limit=(offset, page_size), date_filter=date_filter,
            )
            if page:
                yield page
            if len(page) < page_size:
                return
            offset += page_size

    def get(self, resource: str, ident: int) -> dict[str, Any]:
        """Return one object by id; beware the shop drops fields equal to 0, "0" or "" here."""
        data = self.request("GET", resource, ident)
        if data is None:
            raise ShopNotFound(
                f"{resource}/{ident} came back empty", status=200,
                method="GET", resource=f"{resource}/{ident}", shop=self.config.name,
            )
        if isinstance(data, dict) and len(data) == 1:
            inner = next(iter(data.values()))
            if isinstance(inner, dict):
                return inner
        raise ShopProtocolError(
            f"expected {{{singular(resource)!r}: {{...}}}} from the shop",
            method="GET", resource=f"{resource}/{ident}", shop=self.config.name,
        )

    def _by_ids(
        self, resource: str, ids: Iterable[int], display: str | Iterable[str] = "full",
        key: str = "id", extra: Mapping[str, Any] | None = None,
    ) -> list[dict[str, Any]]:
        unique = sorted({int(i) for i in ids})
        out: list[dict[str, Any]] = []
        for start in range(0, len(unique), ID_CHUNK):
            chunk = unique[start:start + ID_CHUNK]
            filters = {key: chunk, **(extra or {})}
            out.extend(self.list(resource, filters, display=display, sort=["id_ASC"]))
        return out

    def get_orders_updated_since(
        self,
        cursor_datetime: datetime | None,
        states: Iterable[int] | None = None,
        page_size: int = 100,
        display: str | Iterable[str] = "full",
    ) -> Iterator[dict[str, Any]]:
        """Yield orders with date_upd > ``cursor_datetime`` (all when None), oldest change first.

        The filter is strict and second-grained: pass the cursor minus a small overlap and
        de-duplicate by order id. ``states`` limits to those current_state ids.
        """
        filters: dict[str, Any] = {}
        if cursor_datetime is not None:
            filters["date_upd"] = greater_than(cursor_datetime)
        if states is not None:
            state_list = sorted({int(s) for s in states})
            if not state_list:
                return
            filters["current_state"] = state_list
        for page in self.iter_pages(
            "orders", filters, display=display, sort=["date_upd_ASC", "id_ASC"],
            date_filter=cursor_datetime is not None, page_size=page_size,
        ):
            yield from page

    def get_orders_by_ids(self, ids: Iterable[int]) -> list[dict[str, Any]]:
        """Return full orders (with associations.order_rows) for ``ids``."""
        return self._by_ids("orders", ids)

    def get_addresses(self, ids: Iterable[int]) -> list[dict[str, Any]]:
        """Return full addresses for ``ids``."""
        return self._by_ids("addresses", ids)

    def get_customers(self, ids: Iterable[int]) -> list[dict[str, Any]]:
        """Return id, email, firstname, lastname of customers (never display=full: password hash)."""
        return self._by_ids("customers", ids, display=["id", "email", "firstname", "lastname"])

    def get_countries(self, ids: Iterable[int]) -> list[dict[str, Any]]:
        """Return id, iso_code and name of countries."""
        return self._by_ids("countries", ids, display=["id", "iso_code", "name"])

    def get_languages(self, ids: Iterable[int]) -> list[dict[str, Any]]:
        """Return id and iso_code of languages ("fr"; orders carry only id_lang)."""
        return self._by_ids("languages", ids, display=["id", "iso_code"])

    def get_relay_point(self, order_id: int) -> dict[str, Any] | None:
        """Return the relay point the customer chose for an order, or None.

        Read from the "wms_relay_points" resource of the WMS's shop module (wmscallback), which
        looks in the Colissimo, Mondial Relay and Sendcloud modules' tables (docs/carriers.md).
        A shop without that resource answers 400 (code 28) or 401 (code 21): ShopError.
        """
        point = self.get("wms_relay_points", int(order_id))
        return point if str(point.get("relay_point_id") or "").strip() else None

    def get_carriers(self) -> list[dict[str, Any]]:
        """Return every carrier, deleted ones included (map on id_reference)."""
        return [row for page in self.iter_pages("carriers") for row in page]

    def get_order_states(self) -> list[dict[str, Any]]:
        """Return every order state with its flags (paid, shipped, ...)."""
        return [row for page in self.iter_pages("order_states") for row in page]

    def get_order_carriers(self, order_id: int) -> list[dict[str, Any]]:
        """Return the order_carriers rows of one order (usually one)."""
        return self.list("order_carriers", {"id_order": int(order_id)}, sort=["id_ASC"])

    def get_order_histories(self, order_id: int) -> list[dict[str, Any]]:
        """Return the state history rows of one order, oldest first."""
        return self.list("order_histories", {"id_order": int(order_id)}, sort=["id_ASC"])

    def get_stock_availables(self, product_id: int, combination_id: int = 0) -> list[dict[str, Any]]:
        """Return the stock rows of one product/combination (one per shop in a multistore)."""
        return self.list(
            "stock_availables",
            {"id_product": int(product_id), "id_product_attribute": int(combination_id)},
            sort=["id_ASC"],
        )

    def get_stock_availables_bulk(self, product_ids: Iterable[int]) -> list[dict[str, Any]]:
        """Return every stock row (all combinations) of ``product_ids``."""
        return self._by_ids("stock_availables", product_ids, key="id_product")

    # -- writes

    def _put_node(self, resource: str, node: Mapping[str, Any], params: Mapping[str, Any]) -> dict[str, Any]:
        missing = [f for f in _REQUIRED_NODE_FIELDS.get(resource, ("id",)) if f not in node]
        if missing:
            raise ValueError(
                f"{resource} node lacks {', '.join(missing)}: PUT replaces the whole node and the "
                "shop resets omitted fields to 0; pass the node read from the shop, changed"
            )
        ident = int(node["id"])
        data = self.request("PUT", resource, ident, params=params, body=build_xml(resource, node))
        return self._single(data, resource)

    def _single(self, data: Any, resource: str) -> dict[str, Any]:
        if isinstance(data, dict):
            inner = data.get(singular(resource))
            if isinstance(inner, dict):
                return inner
        return {} if data is None else data

    def update_order_carrier(self, node: Mapping[str, Any], send_email: bool = True) -> dict[str, Any]:
        """PUT a whole order_carriers node (e.g. with a new tracking_number); return the saved node."""
        params = {"sendemail": "1"} if send_email else {}
        return self._put_node("order_carriers", node, params)

    def update_stock_available(self, node: Mapping[str, Any]) -> dict[str, Any]:
        """PUT a whole stock_availables node (it must keep id_shop); return the saved node."""
        return self._put_node("stock_availables", node, {})

    def add_order_history(self, order_id: int, state_id: int, send_email: bool = True) -> dict[str, Any]:
        """POST a new order state; NOT idempotent: a repeat adds a row and re-sends the e-mail.

        Raises ShopWriteUncertain when the outcome is unknown: read the order's
        current_state (or get_order_histories) before posting again.
        """
        body = build_xml("order_histories", {"id_order": int(order_id), "id_order_state": int(state_id)})
        params = {"sendemail": "1"} if send_email else {}
        data = self.request("POST", "order_histories", params=params, body=body, idempotent=False)
        return self._single(data, "order_histories")


protect_logger(log)
