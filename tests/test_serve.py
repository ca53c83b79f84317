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
               WMS_DATABASE_URL=f"sqlite:///{tmp_path / 'wms.db'}",
               # Served over plain HTTP on loopback: production cookies would be Secure.
               WMS_ALLOW_PLAIN_HTTP="true")
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


def test_metrics_add_up_the_workers_of_one_server(tmp_path):
    """Two gunicorn workers, each with its own counters: every scrape shows the sum."""
    import re

    env = _env(tmp_path) | {"WMS_METRICS_TOKEN": "t0ken-for-metrics"}
    for command in (["db", "upgrade"], ["seed"]):
        subprocess.run(WMS + command, env=env, check=True, capture_output=True, timeout=300)
    port = free_port()
    server = subprocess.Popen(WMS + ["serve", "--port", str(port), "--workers", "2", "--threads", "2"], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    url = f"http://127.0.0.1:{port}"
    try:
        assert "listening" in wait_for_line(server, "listening")
        for _ in range(6):
            desk = requests.Session()  # a new connection each time: the workers share the load
            token = re.search(r'name="csrf_token" value="([^"]+)"', desk.get(f"{url}/login", timeout=10).text).group(1)
            refused = desk.post(f"{url}/login", data={"csrf_token": token, "username": "olga", "password": "wrong"},
                                timeout=10)
            assert refused.status_code == 401
            desk.close()
        seen = set()
        for _ in range(6):
            page = requests.get(f"{url}/metrics", headers={"Authorization": "Bearer t0ken-for-metrics",
                                                          "Connection": "close"}, timeout=10).text
            found = re.search(r"^wms_signin_failures_total\{screen=\"desk\"\} (\S+)$", page, re.M)
            assert found, page
            seen.add(found.group(1))
        assert seen == {"6.0"}
        assert (tmp_path / "metrics" / str(port)).is_dir()
    finally:
        server.terminate()
        server.wait(30)


def test_serve_freezes_what_start_up_built_out_of_the_collectors_passes(tmp_path):
    # gunicorn's run is replaced by a report: what the workers would be forked with.
    probe = ("import gc, sys\n"
             "from gunicorn.app.base import BaseApplication\n"
             "def report(self):\n"
             "    from wms.domain.users.models import User\n"
             "    print('frozen', gc.get_freeze_count(), 'gen2', len(gc.get_objects(generation=2)),\n"
             "          'mappers', User.__mapper__.configured)\n"
             "BaseApplication.run = report\n"
             "from wms.cli import main\n"
             "main()\n")
    result = subprocess.run([sys.executable, "-c", probe, "serve", "--port", str(free_port()), "--workers", "1"],
                            env=_env(tmp_path), capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    _, frozen, _, gen2, _, configured = result.stdout.split()
    # The app, SQLAlchemy, Jinja and Babel: a full pass in a worker walks none of it.
    assert int(frozen) > 100_000
    assert int(gen2) < 1_000
    assert configured == "True"  # the mappers were built before the freeze, not by a request
