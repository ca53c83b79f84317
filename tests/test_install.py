"""The product installs as a wheel and runs from it, away from the checkout.

Builds the wheel with `python -m build`, installs it into a fresh virtual environment in a
temporary folder (dependencies from the package index; pip's cache makes repeats quick), and
runs the commands a new user runs: `wms db upgrade`, `wms seed`, `wms serve`, then asks the
server for /healthz, a handheld page, its JavaScript and a label PDF.
"""
from __future__ import annotations

import os
import re
import subprocess
import sys
import time
import venv
from pathlib import Path

import pytest
import requests

from tests.conftest import free_port

REPO = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.slow


def run(args, **kw):
    result = subprocess.run(args, capture_output=True, text=True, timeout=900, **kw)
    assert result.returncode == 0, f"{args} failed:\n{result.stdout}\n{result.stderr}"
    return result


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """A fresh venv (no system site-packages) with only the built wheel and its dependencies."""
    base = tmp_path_factory.mktemp("wheel-install")
    dist = base / "dist"
    run([sys.executable, "-m", "build", "--wheel", "--outdir", str(dist), str(REPO)], cwd=REPO)
    wheels = list(dist.glob("wms-*.whl"))
    assert len(wheels) == 1, wheels
    env_dir = base / "venv"
    venv.EnvBuilder(with_pip=True, system_site_packages=False).create(env_dir)
    run([str(env_dir / "bin" / "python"), "-m", "pip", "install", "-q", str(wheels[0])], cwd=base)
    return base, env_dir, wheels[0]


def wait_for_line(process: subprocess.Popen, needle: str, timeout: float = 60) -> str:
    """Read the process's output until a line holds `needle`; return that line ('' if it ended)."""
    import queue
    import threading

    lines: queue.Queue = queue.Queue()

    def pump():
        for line in process.stdout:
            lines.put(line)
        lines.put("")

    threading.Thread(target=pump, daemon=True).start()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            line = lines.get(timeout=max(deadline - time.monotonic(), 0.01))
        except queue.Empty:
            break
        if needle in line or line == "":
            return line
    return ""


def wms_env(base: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("WMS_", "PYTHON", "VIRTUAL_ENV"))}
    env.update(WMS_INSTANCE_PATH=str(base / "instance"), WMS_SECRET_KEY="wheel-test-secret",
               WMS_DATABASE_URL=f"sqlite:///{base / 'instance' / 'wms.db'}",
               # Served over plain HTTP on loopback: production cookies would be Secure.
               WMS_ALLOW_PLAIN_HTTP="true")
    return env


def test_the_wheel_carries_templates_static_labels_and_seed_data(installed):
    import zipfile

    _, _, wheel = installed
    names = set(zipfile.ZipFile(wheel).namelist())
    for folder in ("templates", "static", "labels", "seed_data"):
        in_repo = {str(p.relative_to(REPO / folder)) for p in (REPO / folder).rglob("*")
                   if p.is_file() and "__pycache__" not in p.parts}
        in_wheel = {n[len(f"wms/_data/{folder}/"):] for n in names if n.startswith(f"wms/_data/{folder}/")}
        assert in_repo and in_repo == in_wheel, folder
    assert "wms/migrations/versions/0001_initial_schema.py" in names
    # The catalogues ship compiled: an installed WMS cannot count on writing next to itself.
    assert "wms/translations/fr/LC_MESSAGES/messages.mo" in names


def test_installed_wheel_upgrades_seeds_and_serves(installed):
    base, env_dir, _ = installed
    bin_dir = env_dir / "bin"
    env = wms_env(base)
    # The installed package reads its own copies, not the checkout's folders.
    where = run([str(bin_dir / "python"), "-c",
                 "import wms, wms.resources as r; print(wms.__file__); print(r.resource_dir('templates'))"],
                cwd=base, env=env).stdout.split()
    assert all(Path(p).is_relative_to(env_dir) for p in where), where

    run([str(bin_dir / "wms"), "db", "upgrade"], cwd=base, env=env)
    seeded = run([str(bin_dir / "wms"), "seed", "--demo-orders"], cwd=base, env=env)
    assert "admin" in seeded.stdout and "demo catalog" in seeded.stdout
    backed_up = run([str(bin_dir / "wms"), "backup", str(base / "backup.db")], cwd=base, env=env)
    assert "integrity check ok" in backed_up.stdout

    port = free_port()
    server = subprocess.Popen([str(bin_dir / "wms"), "serve", "--port", str(port), "--workers", "1"],
                              cwd=base, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        assert "listening" in wait_for_line(server, "listening"), "the server did not start"
        url = f"http://127.0.0.1:{port}"
        health = requests.get(f"{url}/healthz", timeout=10)
        assert health.status_code == 200 and health.json()["database"] == "ok"

        page = requests.get(f"{url}/handheld/login", timeout=10)
        assert page.status_code == 200 and "badge" in page.text.lower()
        # The compiled French catalogue is in the installed package: a French browser reads French.
        french = requests.get(f"{url}/handheld/login", headers={"Accept-Language": "fr-FR,fr;q=0.9"}, timeout=10)
        assert french.status_code == 200 and 'lang="fr"' in french.text, french.text[:300]
        english = requests.get(f"{url}/handheld/login", headers={"Accept-Language": "en"}, timeout=10).text
        assert french.text != english
        scripts = re.findall(r'src="(/static/[^"]+\.js[^"]*)"', page.text)
        assert any("scan.js" in s for s in scripts) or scripts, page.text[:500]
        for src in scripts:
            js = requests.get(url + src, timeout=10)
            assert js.status_code == 200 and len(js.content) > 100, src
        assert requests.get(f"{url}/static/js/scan.js", timeout=10).status_code == 200

        desk = requests.Session()
        form = desk.get(f"{url}/login", timeout=10).text
        token = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
        signed_in = desk.post(f"{url}/login", data={"csrf_token": token, "username": "admin",
                                                     "password": "admin-demo"}, timeout=10, allow_redirects=False)
        assert signed_in.status_code == 302, signed_in.text[:500]
        pdf = desk.get(f"{url}/desk/labels/locations.pdf", params={"prefix": "A-01"}, timeout=30)
        assert pdf.status_code == 200 and pdf.headers["Content-Type"] == "application/pdf"
        assert pdf.content.startswith(b"%PDF") and len(pdf.content) > 1000
    finally:
        server.terminate()
        out, _ = server.communicate(timeout=30)
    assert server.returncode == 0, out
