"""Build hook: copy the top-level templates/, static/, labels/ and seed_data/ into the wheel.

The folders stay at the top of the repository (where people look for them); a wheel can only
install files under its packages, so the build puts copies at wms/_data/<name>/, where
wms/resources.py finds them. Editable installs skip the copy and read the checkout's folders.
Everything else is declared in pyproject.toml.
"""
import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
RESOURCES = ("templates", "static", "labels", "seed_data")


class BuildWithResources(build_py):
    def run(self):
        super().run()
        if getattr(self, "editable_mode", False):
            return  # an editable install reads the checkout's folders in place
        target = Path(self.build_lib) / "wms" / "_data"
        for name in RESOURCES:
            source = ROOT / name
            if not source.is_dir():
                raise FileNotFoundError(f"{source} is missing: the wheel would be incomplete")
            shutil.rmtree(target / name, ignore_errors=True)
            shutil.copytree(source, target / name,
                            ignore=shutil.ignore_patterns("__pycache__", "*.pyc", ".DS_Store"))


setup(cmdclass={"build_py": BuildWithResources})
