"""Where the WMS finds its templates/, static/, labels/ and seed_data/ folders.

In a checkout (and an editable install) they are the top-level folders of the repository.
A built wheel carries copies of them inside the package, as ``wms/_data/<name>/`` (setup.py
copies them there at build time), because a wheel can only install files under its packages.
"""
from __future__ import annotations

from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
# The repository root of a checkout (site-packages in an installed wheel: never used there).
CHECKOUT_ROOT = PACKAGE_DIR.parent
BUNDLED_ROOT = PACKAGE_DIR / "_data"
NAMES = ("templates", "static", "labels", "seed_data")


def resource_dir(name: str) -> Path:
    """The folder `name` (one of NAMES): the wheel's bundled copy, else the checkout's."""
    if name not in NAMES:
        raise ValueError(f"unknown resource folder {name!r}")
    bundled = BUNDLED_ROOT / name
    if bundled.is_dir():
        return bundled
    return CHECKOUT_ROOT / name


def is_checkout() -> bool:
    """True when running from a source checkout (or an editable install), not a built wheel."""
    return not BUNDLED_ROOT.is_dir() and (CHECKOUT_ROOT / "pyproject.toml").is_file()


def default_instance_path() -> Path:
    """Where the SQLite file and generated files go without WMS_INSTANCE_PATH: the checkout's
    instance/ folder, or ./instance in the current directory for an installed wheel."""
    return CHECKOUT_ROOT / "instance" if is_checkout() else Path.cwd() / "instance"
