"""`wms serve` says it listens only once bound, and exits 1 with the reason when the port is taken."""
from __future__ import annotations

import os
import socket
import subprocess
import sys

import pytest
import requests

from tests.conftest import free_port
from tests.test_install import wait_for_line

pytestmark = pytest.mark.slow
WMS = [sys.executable, "-c", "from wms.cli import main; main()"]


def _env(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("WMS_")}
    env.update(WMS_INSTANCE_PATH=str(tmp_path), WMS_SECRET_KEY="serve-test",
               WMS_DATABASE_URL=f"sqlite:///{tmp_path / 'wms.db'}")
    return env


def test_serve_refuses_a_port_in_use_with_the_reason(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(WMS + ["serve", "--port", str(port), "--workers", "1"], env=_env(tmp_path),
                                capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert f"Cannot listen on 127.0.0.1:{port}: the address is already in use" in result.stderr
    assert "listening" not in result.stdout + result.stderr


def test_serve_refuses_an_unknown_host(tmp_path):
    result = subprocess.run(WMS + ["serve", "--host", "no-such-host.invalid", "--port", "8000"],
                            env=_env(tmp_path), capture_output=True, text=True, timeout=60)
    assert result.returncode == 1 and "unknown host" in result.stderr
    assert "listening" not in result.stdout


def test_serve_says_listening_once_the_port_answers(tmp_path):
    subprocess.run(WMS + ["db", "upgrade"], env=_env(tmp_path), check=True, capture_output=True, timeout=120)
    port = free_port()
    server = subprocess.Popen(WMS + ["serve", "--port", str(port), "--workers", "1"], env=_env(tmp_path),
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        line = wait_for_line(server, "listening")
        assert line.strip() == f"WMS listening on http://127.0.0.1:{port}/"
        # Bound before it said so: a connection is accepted at once.
        with socket.create_connection(("127.0.0.1", port), timeout=2):
            pass
        assert requests.get(f"http://127.0.0.1:{port}/healthz", timeout=10).status_code == 200
    finally:
        server.terminate()
        server.wait(30)
