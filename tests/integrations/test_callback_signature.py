"""Test the callback signature on both sides: the Python verifier and the PHP module `wmscallback`."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
import uuid
import zipfile
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from wms.integrations.prestashop import webhooks
from wms.integrations.prestashop.webhooks import CallbackEvent, CallbackRejected, sign, verify

ROOT = Path(__file__).resolve().parents[2]
SPEC = ROOT / "docs" / "callback-signature.md"
MODULE_ROOT = ROOT / "prestashop-module"
PHP_TESTS = ROOT / "tests" / "php"
PHP = shutil.which("php")
needs_php = pytest.mark.skipif(PHP is None, reason="php is not on PATH (CI installs php-cli)")

SECRET = "a-test-secret-that-is-long-enough-0123456789"
OTHER_SECRET = "another-test-secret-long-enough-9876543210"
NOW = 1_767_225_600


def load_worked_example() -> dict[str, str]:
    """Read the `name: value` lines between the worked-example markers of the spec."""
    text = SPEC.read_text(encoding="utf-8")
    block = re.search(r"<!-- worked-example:start -->(.*?)<!-- worked-example:end -->", text, re.S)
    assert block, "docs/callback-signature.md lost its worked-example markers"
    values = {}
    for line in block.group(1).splitlines():
        match = re.match(r"^(\w+):\s+(.*?)$", line)
        if match:
            values[match.group(1)] = match.group(2)
    return values


EXAMPLE = load_worked_example()


def make_body(**overrides) -> bytes:
    payload = {
        "event_id": "0f8c2a8e-5b9d-4c1e-9a7b-3d2e1f0a9b8c",
        "event": "order.status_changed",
        "id_order": 7,
        "old_state": 2,
        "new_state": 4,
        "date": "2026-01-01T00:00:00Z",
        "shop_id": 1,
    }
    payload.update(overrides)
    for key in [k for k, v in overrides.items() if v is _DROP]:
        del payload[key]
    return json.dumps(payload, separators=(",", ":")).encode()


_DROP = object()


def signed_request(body: bytes, secret=SECRET, timestamp=NOW, event_id=None) -> dict[str, str]:
    if event_id is None:
        event_id = json.loads(body)["event_id"]
    return webhooks.signed_headers(secret, event_id, timestamp, body)


# --- the worked example of the spec -------------------------------------------------------


def test_worked_example_signature_matches_the_spec():
    body = EXAMPLE["body"].encode()
    assert EXAMPLE["signed"] == f"{EXAMPLE['timestamp']}.{EXAMPLE['body']}"
    assert sign(EXAMPLE["secret"], int(EXAMPLE["timestamp"]), body) == EXAMPLE["signature"]
    both = webhooks.signed_headers(
        [EXAMPLE["secret"], EXAMPLE["second_secret"]], EXAMPLE["event_id"], int(EXAMPLE["timestamp"]), body
    )
    assert both["Webhook-Signature"] == EXAMPLE["both"]


def test_worked_example_verifies_into_the_documented_event():
    headers = {
        "Webhook-Id": EXAMPLE["event_id"],
        "Webhook-Timestamp": EXAMPLE["timestamp"],
        "Webhook-Signature": EXAMPLE["signature"],
    }
    event = verify(EXAMPLE["secret"], headers, EXAMPLE["body"].encode(), now=int(EXAMPLE["timestamp"]))
    assert event == CallbackEvent(
        event_id="3b241101-e2bb-4255-8caf-4136c566a962",
        event="order.status_changed",
        order_id=42,
        old_state=2,
        new_state=4,
        occurred_at=datetime(2025, 12, 31, 23, 59, 58, tzinfo=timezone.utc),
        shop_id=1,
    )
    assert webhooks.encode_event(event) == EXAMPLE["body"].encode()


def test_sign_is_plain_hmac_sha256_over_timestamp_dot_body():
    body = b'{"x":1}'
    digest = hmac.new(SECRET.encode(), b"1700000000." + body, hashlib.sha256).digest()
    assert sign(SECRET, 1_700_000_000, body) == "v1," + base64.b64encode(digest).decode()
    assert sign(SECRET, 1_700_000_000, body) != sign(SECRET, 1_700_000_001, body)


# --- verify(): accepted requests ------------------------------------------------------------


def test_verify_accepts_a_fresh_request_with_lowercase_header_names():
    body = make_body()
    headers = {k.lower(): v for k, v in signed_request(body).items()}
    event = verify(SECRET, headers, body, now=NOW + 10)
    assert (event.order_id, event.old_state, event.new_state, event.shop_id) == (7, 2, 4, 1)


def test_verify_accepts_the_edges_of_the_tolerance_window():
    body = make_body()
    headers = signed_request(body)
    verify(SECRET, headers, body, now=NOW + 300)
    verify(SECRET, headers, body, now=NOW - 300)
    verify(SECRET, headers, body, now=NOW + 50, tolerance_s=60)


def test_verify_accepts_any_configured_secret_during_rotation():
    body = make_body()
    old_headers = signed_request(body, secret=OTHER_SECRET)
    assert verify([SECRET, OTHER_SECRET], old_headers, body, now=NOW).order_id == 7
    with pytest.raises(CallbackRejected) as caught:
        verify(SECRET, old_headers, body, now=NOW)
    assert caught.value.code == "bad_signature"


def test_verify_accepts_a_header_with_several_signatures_and_unknown_versions():
    body = make_body()
    headers = signed_request(body, secret=[OTHER_SECRET, SECRET])
    headers["Webhook-Signature"] = "v2,c29tZXRoaW5nIGVsc2U= " + headers["Webhook-Signature"]
    assert verify(SECRET, headers, body, now=NOW).event_id == "0f8c2a8e-5b9d-4c1e-9a7b-3d2e1f0a9b8c"


def test_verify_normalises_the_event_id_and_allows_null_states_for_edits():
    body = make_body(
        event_id="0F8C2A8E-5B9D-4C1E-9A7B-3D2E1F0A9B8C", event="order.edited", old_state=None, new_state=None
    )
    headers = signed_request(body, event_id="0f8c2a8e-5b9d-4c1e-9a7b-3d2e1f0a9b8c")
    event = verify(SECRET, headers, body, now=NOW)
    assert event.event_id == "0f8c2a8e-5b9d-4c1e-9a7b-3d2e1f0a9b8c"
    assert (event.event, event.old_state, event.new_state) == ("order.edited", None, None)


def test_verify_converts_an_offset_date_to_utc():
    body = make_body(date="2026-01-01T02:00:00+02:00")
    event = verify(SECRET, signed_request(body), body, now=NOW)
    assert event.occurred_at == datetime(2026, 1, 1, 0, 0, tzinfo=timezone.utc)
    assert event.occurred_at.tzinfo == timezone.utc


# --- verify(): refused requests --------------------------------------------------------------


def rejected(secret, headers, body, now=NOW, **kwargs) -> CallbackRejected:
    with pytest.raises(CallbackRejected) as caught:
        verify(secret, headers, body, now=now, **kwargs)
    assert str(caught.value) == caught.value.reason
    return caught.value


@pytest.mark.parametrize("missing", ["Webhook-Id", "Webhook-Timestamp", "Webhook-Signature"])
def test_verify_refuses_missing_or_empty_headers(missing):
    body = make_body()
    headers = signed_request(body)
    del headers[missing]
    error = rejected(SECRET, headers, body)
    assert (error.code, error.http_status) == ("missing_header", 400)
    assert missing in error.reason
    headers[missing] = "  "
    assert rejected(SECRET, headers, body).code == "missing_header"


@pytest.mark.parametrize("timestamp", ["abc", "-1767225600", "1767225600.0", "1e9", "١٢٣"])
def test_verify_refuses_a_malformed_timestamp(timestamp):
    body = make_body()
    headers = signed_request(body)
    headers["Webhook-Timestamp"] = timestamp
    error = rejected(SECRET, headers, body)
    assert error.code == "malformed_header" and "Webhook-Timestamp" in error.reason


@pytest.mark.parametrize(
    "signature",
    [
        "+lbu7Q5dvB88msSq9vuvkAhhigfUG7QCHpnWdNMAhPA=",  # no version
        "v1,",
        "v1,not*base64*at*all",
        "v1," + base64.b64encode(b"16 bytes only!!!").decode(),
        "v2," + base64.b64encode(b"x" * 32).decode(),  # no v1 entry at all
    ],
)
def test_verify_refuses_a_malformed_signature_header(signature):
    body = make_body()
    headers = signed_request(body)
    headers["Webhook-Signature"] = signature
    assert rejected(SECRET, headers, body).code == "malformed_header"


def test_verify_refuses_a_wrong_secret_and_a_tampered_body():
    body = make_body()
    headers = signed_request(body)
    error = rejected(OTHER_SECRET, headers, body)
    assert (error.code, error.http_status) == ("bad_signature", 401)
    assert "WMS_PRESTASHOP_CALLBACK_SECRET" in error.reason
    assert rejected(SECRET, headers, body.replace(b'"id_order":7', b'"id_order":8')).code == "bad_signature"
    assert rejected(SECRET, headers, body + b" ").code == "bad_signature"


def test_verify_refuses_a_timestamp_moved_after_signing():
    body = make_body()
    headers = signed_request(body)
    headers["Webhook-Timestamp"] = str(NOW + 1)
    assert rejected(SECRET, headers, body).code == "bad_signature"


def test_verify_refuses_stale_and_future_timestamps():
    body = make_body()
    headers = signed_request(body)
    stale = rejected(SECRET, headers, body, now=NOW + 301)
    assert (stale.code, stale.http_status) == ("stale_timestamp", 401)
    assert "301 s old" in stale.reason
    future = rejected(SECRET, headers, body, now=NOW - 301)
    assert future.code == "future_timestamp" and "301 s in the future" in future.reason
    assert rejected(SECRET, headers, body, now=NOW + 61, tolerance_s=60).code == "stale_timestamp"


def test_verify_checks_the_signature_before_the_clock():
    body = make_body()
    headers = signed_request(body, secret=OTHER_SECRET)
    assert rejected(SECRET, headers, body, now=NOW + 10_000).code == "bad_signature"


@pytest.mark.parametrize("body", [b"not json", b"\xff\xfe{}", b"[1, 2]", b'"text"'])
def test_verify_refuses_a_signed_body_that_is_not_a_json_object(body):
    headers = webhooks.signed_headers(SECRET, "0f8c2a8e-5b9d-4c1e-9a7b-3d2e1f0a9b8c", NOW, body)
    error = rejected(SECRET, headers, body)
    assert (error.code, error.http_status) == ("malformed_body", 400)


def test_verify_refuses_an_oversized_body_before_hashing_it():
    body = b"{" + b" " * webhooks.MAX_BODY_BYTES + b"}"
    headers = webhooks.signed_headers(SECRET, "0f8c2a8e-5b9d-4c1e-9a7b-3d2e1f0a9b8c", NOW, body)
    error = rejected(SECRET, headers, body)
    assert (error.code, error.http_status) == ("body_too_large", 413)


def test_verify_lists_every_missing_field():
    body = make_body(shop_id=_DROP, date=_DROP)
    error = rejected(SECRET, signed_request(body), body)
    assert error.code == "missing_field"
    assert "date" in error.reason and "shop_id" in error.reason


@pytest.mark.parametrize(
    "overrides, field",
    [
        ({"id_order": "7"}, "id_order"),
        ({"id_order": 0}, "id_order"),
        ({"id_order": True}, "id_order"),
        ({"shop_id": None}, "shop_id"),
        ({"old_state": -1}, "old_state"),
        ({"new_state": None}, "new_state"),  # null only allowed for order.edited
        ({"new_state": 4.0}, "new_state"),
        ({"event": "order.deleted"}, "order.deleted"),
        ({"date": "2026-01-01T00:00:00"}, "time zone"),
        ({"date": "yesterday"}, "date"),
        ({"date": 1767225600}, "date"),
        ({"event_id": "not-a-uuid"}, "UUID"),
    ],
)
def test_verify_refuses_fields_of_the_wrong_type(overrides, field):
    body = make_body(**overrides)
    headers = webhooks.signed_headers(SECRET, "0f8c2a8e-5b9d-4c1e-9a7b-3d2e1f0a9b8c", NOW, body)
    error = rejected(SECRET, headers, body)
    assert error.code == "invalid_field"
    assert field in error.reason


def test_verify_refuses_a_header_id_that_differs_from_the_body():
    body = make_body()
    headers = signed_request(body, event_id=str(uuid.uuid4()))
    error = rejected(SECRET, headers, body)
    assert error.code == "invalid_field" and "Webhook-Id" in error.reason


def test_secrets_must_be_long_enough_and_configured():
    with pytest.raises(ValueError, match="at least 32 characters"):
        sign("short", NOW, b"{}")
    body = make_body()
    with pytest.raises(ValueError, match="WMS_PRESTASHOP_CALLBACK_SECRET"):
        verify([], signed_request(body), body, now=NOW)
    with pytest.raises(ValueError, match="at least 32 characters"):
        verify("", signed_request(body), body, now=NOW)
    with pytest.raises(TypeError, match="raw request body"):
        verify(SECRET, signed_request(body), body.decode(), now=NOW)


def test_verify_uses_the_real_clock_when_now_is_omitted():
    body = make_body()
    fresh = signed_request(body, timestamp=int(time.time()))
    assert verify(SECRET, fresh, body).order_id == 7
    assert rejected(SECRET, signed_request(body, timestamp=NOW - 3600), body, now=None).code == "stale_timestamp"


# --- PHP: lint, the module's signer against the Python verifier --------------------------------


def run_php(script: str, arguments: dict, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(
        [PHP, str(PHP_TESTS / script), json.dumps(arguments)],
        capture_output=True,
        text=True,
        timeout=60,
        check=check,
    )


def php_emit(**arguments) -> tuple[dict[str, str], bytes]:
    defaults = {
        "secret": SECRET,
        "timestamp": NOW,
        "event": "order.status_changed",
        "id_order": 42,
        "old_state": 2,
        "new_state": 4,
        "occurred_at": NOW - 2,
        "shop_id": 1,
    }
    result = json.loads(run_php("emit_callback.php", {**defaults, **arguments}).stdout)
    return result["headers"], result["body"].encode()


@needs_php
def test_every_php_file_passes_php_lint():
    files = sorted([*MODULE_ROOT.rglob("*.php"), *PHP_TESTS.rglob("*.php")])
    assert len(files) > 15
    failures = []
    for path in files:
        result = subprocess.run([PHP, "-l", str(path)], capture_output=True, text=True)
        if result.returncode != 0:
            failures.append(f"{path.relative_to(ROOT)}: {result.stdout}{result.stderr}")
    assert not failures, "\n".join(failures)


@needs_php
def test_lint_script_passes_on_the_module_and_fails_on_a_syntax_error(tmp_path):
    result = subprocess.run(["sh", str(MODULE_ROOT / "lint.sh")], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    copy = tmp_path / "prestashop-module"
    shutil.copytree(MODULE_ROOT, copy, ignore=shutil.ignore_patterns("dist"))
    (copy / "wmscallback" / "classes" / "Broken.php").write_text("<?php\nfunction (\n")
    broken = subprocess.run(["sh", str(copy / "lint.sh")], capture_output=True, text=True)
    assert broken.returncode == 1
    assert "Broken.php" in broken.stderr


@needs_php
def test_php_reproduces_the_worked_example_of_the_spec():
    example_body = json.loads(EXAMPLE["body"])
    arguments = {
        "secret": EXAMPLE["secret"],
        "timestamp": int(EXAMPLE["timestamp"]),
        "event_id": EXAMPLE["event_id"],
        "event": example_body["event"],
        "id_order": example_body["id_order"],
        "old_state": example_body["old_state"],
        "new_state": example_body["new_state"],
        "occurred_at": int(datetime.fromisoformat(example_body["date"]).timestamp()),
        "shop_id": example_body["shop_id"],
    }
    headers, body = php_emit(**arguments)
    assert body == EXAMPLE["body"].encode()
    assert headers == {
        "Content-Type": "application/json",
        "Webhook-Id": EXAMPLE["event_id"],
        "Webhook-Timestamp": EXAMPLE["timestamp"],
        "Webhook-Signature": EXAMPLE["signature"],
    }
    rotated, _ = php_emit(**{**arguments, "secret": [EXAMPLE["secret"], EXAMPLE["second_secret"]]})
    assert rotated["Webhook-Signature"] == EXAMPLE["both"]


@needs_php
def test_python_accepts_what_php_signs_and_refuses_tampering():
    now = int(time.time())
    headers, body = php_emit(timestamp=now, occurred_at=now - 1, id_order=1234, old_state=None, new_state=6)
    event = verify(SECRET, headers, body)
    assert (event.order_id, event.old_state, event.new_state, event.event) == (1234, None, 6, "order.status_changed")
    assert uuid.UUID(event.event_id).version == 4
    assert event.occurred_at == datetime.fromtimestamp(now - 1, tz=timezone.utc)

    tampered = body.replace(b'"new_state":6', b'"new_state":4')
    assert tampered != body
    assert rejected(SECRET, headers, tampered, now=now).code == "bad_signature"
    assert rejected(OTHER_SECRET, headers, body, now=now).code == "bad_signature"
    old_headers, old_body = php_emit(timestamp=now - 600, occurred_at=now - 600)
    assert rejected(SECRET, old_headers, old_body, now=now).code == "stale_timestamp"


@needs_php
def test_php_edit_events_verify_with_null_old_state():
    headers, body = php_emit(event="order.edited", old_state=None, new_state=3, shop_id=2)
    event = verify(SECRET, headers, body, now=NOW)
    assert (event.event, event.old_state, event.new_state, event.shop_id) == ("order.edited", None, 3, 2)


@needs_php
def test_php_event_ids_are_distinct_uuid4():
    ids = {php_emit()[0]["Webhook-Id"] for _ in range(5)}
    assert len(ids) == 5
    assert all(uuid.UUID(i).version == 4 and i == i.lower() for i in ids)


@needs_php
@pytest.mark.parametrize(
    "arguments, message",
    [
        ({"event": "order.deleted"}, "Unknown callback event"),
        ({"id_order": 0}, "id_order must be a positive integer"),
        ({"new_state": None}, "needs the new state"),
        ({"secret": "too-short"}, "at least 32 characters"),
        ({"event_id": "3B241101-E2BB-4255-8CAF-4136C566A962"}, "lowercase UUID"),
        ({"timestamp": "1767225600"}, "unix seconds"),
    ],
)
def test_php_refuses_bad_input_with_a_message(arguments, message):
    result = run_php(
        "emit_callback.php",
        {"secret": SECRET, "timestamp": NOW, "event": "order.status_changed", "id_order": 42,
         "old_state": 2, "new_state": 4, "occurred_at": NOW, "shop_id": 1, **arguments},
        check=False,
    )
    assert result.returncode == 3, result.stdout + result.stderr
    assert message in result.stderr


# --- PHP: delivery, retries and giving up, against a local HTTP server -------------------------


class Recorder:
    """A local callback endpoint answering scripted statuses and recording what it received."""

    def __init__(self, statuses, delay_s=0.0, location=None):
        self.statuses = list(statuses)
        self.delay_s = delay_s
        self.location = location
        self.requests: list[tuple[dict[str, str], bytes]] = []
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                recorder.requests.append((dict(self.headers.items()), body))
                time.sleep(recorder.delay_s)
                status = recorder.statuses.pop(0) if len(recorder.statuses) > 1 else recorder.statuses[0]
                self.send_response(status)
                if recorder.location:
                    self.send_header("Location", recorder.location)
                text = b"ok" if status < 300 else b"<html><b>Service down</b>\n for maintenance</html>"
                self.send_header("Content-Length", str(len(text)))
                self.end_headers()
                self.wfile.write(text)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/webhooks/prestashop"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def endpoint():
    servers = []

    def start(statuses, **kwargs):
        servers.append(Recorder(statuses, **kwargs))
        return servers[-1]

    yield start
    for server in servers:
        server.close()


def curl_loaded() -> bool:
    if PHP is None:
        return False
    return subprocess.run([PHP, "-r", "exit(function_exists('curl_init') ? 0 : 1);"]).returncode == 0


TRANSPORTS = [
    pytest.param("stream"),
    pytest.param("curl", marks=pytest.mark.skipif(not curl_loaded(), reason="the php curl extension is not loaded")),
]


def run_dispatcher(url, ticks, transport, timeout_ms=2000, secret=SECRET):
    arguments = {
        "url": url, "secret": secret, "timeout_ms": timeout_ms, "transport": transport,
        "created_at": ticks[0], "ticks": ticks, "id_order": 77,
    }
    return json.loads(run_php("run_dispatcher.php", arguments).stdout)


@needs_php
@pytest.mark.parametrize("transport", TRANSPORTS)
def test_module_retries_after_a_server_error_with_the_same_event(endpoint, transport):
    server = endpoint([500, 200])
    result = run_dispatcher(server.url, [NOW, NOW + 30, NOW + 60], transport)
    first, too_early, retried = result["snapshots"]

    assert (first["attempts"], first["sent_at"], first["next_attempt_at"]) == (1, None, NOW + 60)
    assert first["last_error"] == "HTTP 500: Service down for maintenance"
    assert too_early["counts"] == {"sent": 0, "failed": 0}
    assert (retried["attempts"], retried["sent_at"], retried["last_error"]) == (2, NOW + 60, None)

    assert len(server.requests) == 2
    for (headers, body), tick in zip(server.requests, [NOW, NOW + 60]):
        assert body == result["body"].encode()
        assert headers["Webhook-Timestamp"] == str(tick)
        assert headers["Content-Type"] == "application/json"
        assert headers["User-Agent"].startswith("wmscallback/")
        event = verify(SECRET, headers, body, now=tick)
        assert (event.event_id, event.order_id) == (result["event_id"], 77)
    assert server.requests[0][0]["Webhook-Signature"] != server.requests[1][0]["Webhook-Signature"]


@needs_php
def test_module_gives_up_after_eight_attempts_and_keeps_the_row(endpoint):
    server = endpoint([503])
    ticks = [NOW]
    for delay in [60, 300, 1800, 7200, 21600, 43200, 86400]:
        ticks.append(ticks[-1] + delay)
    ticks.append(ticks[-1] + 10 * 86400)  # nothing left to do after giving up
    result = run_dispatcher(server.url, ticks, "stream")
    snapshots = result["snapshots"]

    assert len(server.requests) == 8
    for snapshot, next_tick in zip(snapshots[:7], ticks[1:8]):
        assert snapshot["next_attempt_at"] == next_tick
    final = snapshots[-1]
    assert (final["attempts"], final["next_attempt_at"], final["sent_at"]) == (8, None, None)
    assert final["last_error"].startswith("Gave up after 8 attempts. Last error: HTTP 503")
    assert final["counts"] == {"sent": 0, "failed": 0}


@needs_php
@pytest.mark.parametrize("transport", TRANSPORTS)
def test_module_gives_up_on_a_slow_endpoint_within_its_timeout(endpoint, transport):
    server = endpoint([200], delay_s=2.0)
    snapshot = run_dispatcher(server.url, [NOW], transport, timeout_ms=300)["snapshots"][0]
    assert snapshot["sent_at"] is None and snapshot["attempts"] == 1
    assert snapshot["next_attempt_at"] == NOW + 60
    assert "timed out" in snapshot["last_error"].lower()
    assert snapshot["elapsed_ms"] < 1500


@needs_php
@pytest.mark.parametrize("transport", TRANSPORTS)
def test_module_records_a_refused_connection(transport):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    snapshot = run_dispatcher(f"http://127.0.0.1:{port}/hook", [NOW], transport)["snapshots"][0]
    assert snapshot["sent_at"] is None and snapshot["next_attempt_at"] == NOW + 60
    # curl says "Couldn't connect to server", the stream wrapper "Connection refused".
    assert re.search(r"refused|connect to", snapshot["last_error"], re.I)


@needs_php
@pytest.mark.parametrize("transport", TRANSPORTS)
def test_module_does_not_follow_redirects(endpoint, transport):
    target = endpoint([200])
    server = endpoint([301], location=target.url)
    snapshot = run_dispatcher(server.url, [NOW], transport)["snapshots"][0]
    assert snapshot["sent_at"] is None
    assert snapshot["last_error"].startswith(f"HTTP 301 redirect to {target.url} not followed")
    assert target.requests == []


# --- the zip the back office uploads ------------------------------------------------------------


def build_zip(source_root: Path, output: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(source_root / "build.py"), str(output)], capture_output=True, text=True
    )


def test_build_produces_an_installable_zip(tmp_path):
    result = build_zip(MODULE_ROOT, tmp_path)
    assert result.returncode == 0, result.stderr
    archive = tmp_path / "wmscallback.zip"
    assert result.stdout.strip() == str(archive)
    with zipfile.ZipFile(archive) as zipped:
        names = zipped.namelist()
        assert zipped.testzip() is None
        main = zipped.read("wmscallback/wmscallback.php").decode()
    assert all(name.startswith("wmscallback/") for name in names)
    for required in [
        "wmscallback/config.xml",
        "wmscallback/logo.png",
        "wmscallback/controllers/front/cron.php",
        "wmscallback/classes/WmsCallbackSigner.php",
        "wmscallback/classes/WmsCallbackPayload.php",
        "wmscallback/sql/install.php",
    ]:
        assert required in names
    folders = {name.rsplit("/", 1)[0] for name in names if not name.endswith("/")}
    assert all(f"{folder}/index.php" in names for folder in folders)
    assert "class Wmscallback extends Module" in main
    assert not any(name.endswith((".zip", ".md", ".sh", ".py")) for name in names)


def test_build_is_reproducible(tmp_path):
    assert build_zip(MODULE_ROOT, tmp_path / "a").returncode == 0
    assert build_zip(MODULE_ROOT, tmp_path / "b").returncode == 0
    assert (tmp_path / "a" / "wmscallback.zip").read_bytes() == (tmp_path / "b" / "wmscallback.zip").read_bytes()


def test_build_refuses_a_version_mismatch_and_a_missing_guard(tmp_path):
    copy = tmp_path / "prestashop-module"
    shutil.copytree(MODULE_ROOT, copy, ignore=shutil.ignore_patterns("dist"))
    config = copy / "wmscallback" / "config.xml"
    config.write_text(config.read_text().replace("1.0.0", "1.0.1"))
    result = build_zip(copy, tmp_path / "out")
    assert result.returncode != 0 and "version differs" in result.stderr
    config.write_text(config.read_text().replace("1.0.1", "1.0.0"))
    (copy / "wmscallback" / "sql" / "index.php").unlink()
    result = build_zip(copy, tmp_path / "out")
    assert result.returncode != 0 and "index.php" in result.stderr


# --- PHP: the module's hooks, on PrestaShop stubs ------------------------------------------------


def run_hooks(url: str, configured: bool = True, broken_store: bool = False) -> dict:
    arguments = {"url": url, "secret": SECRET, "configured": configured, "broken_store": broken_store}
    return json.loads(run_php("run_hooks.php", arguments).stdout)


@needs_php
def test_hooks_queue_and_deliver_one_event_per_change(endpoint):
    server = endpoint([204])
    result = run_hooks(server.url)

    assert result["log"] == []
    assert [row["sent_at"] is not None for row in result["rows"]] == [True] * 4
    events = [verify(SECRET, headers, body) for headers, body in server.requests]
    assert [(e.event, e.order_id, e.old_state, e.new_state, e.shop_id) for e in events] == [
        ("order.status_changed", 101, None, 2, 1),
        ("order.status_changed", 102, None, 4, 3),  # shop looked up from the order
        ("order.status_changed", 101, 2, 6, 1),
        ("order.edited", 102, None, 4, 3),  # three hook calls, one event
    ]
    assert len({e.event_id for e in events}) == 4


@needs_php
def test_hooks_stop_after_the_first_failure_and_leave_the_rest_to_the_cron(endpoint):
    server = endpoint([503])
    rows = run_hooks(server.url)["rows"]
    assert len(server.requests) == 1
    assert [(row["attempts"], row["sent_at"]) for row in rows] == [(1, None), (0, None), (0, None), (0, None)]
    assert rows[0]["last_error"].startswith("HTTP 503")
    assert all(row["next_attempt_at"] is not None for row in rows)


@needs_php
def test_hooks_do_nothing_until_the_module_is_configured(endpoint):
    server = endpoint([200])
    result = run_hooks(server.url, configured=False)
    assert result == {"rows": [], "log": []}
    assert server.requests == []


@needs_php
def test_hooks_swallow_and_log_a_database_failure(endpoint):
    server = endpoint([200])
    result = run_hooks(server.url, broken_store=True)
    assert result["rows"] == []
    # 3 state changes + 3 edit calls: an edit counts as queued only once it is stored.
    assert len(result["log"]) == 6
    assert all("MySQL server has gone away" in line for line in result["log"])
