"""Build hook: copy the top-level templates/, static/, labels/ and seed_data/ into the wheel,
and compile the gettext catalogues (wms/translations/*/LC_MESSAGES/messages.mo).

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
        _compile_catalogues(Path(self.build_lib) / "wms" / "translations")
        target = Path(self.build_lib) / "wms" / "_data"
        for name in RESOURCES:
            source = ROOT / name
            if not source.is_dir():
                raise FileNotFoundError(f"{source} is missing: the wheel would be incomplete")
            shutil.rmtree(target / name, ignore_errors=True)
            shutil.copytree(source, target / name,
                            ignore=shutil.ignore_patterns("__pycache__", "*.pyc", ".DS_Store"))


def _compile_catalogues(translations: Path) -> None:
    """Ship each language's catalogue compiled (wms/i18n.py loads the .mo files)."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    for po_path in sorted((ROOT / "wms" / "translations").glob("*/LC_MESSAGES/messages.po")):
        language = po_path.parent.parent.name
        target = translations / language / "LC_MESSAGES"
        target.mkdir(parents=True, exist_ok=True)
        with po_path.open("rb") as po_file:
            catalog = read_po(po_file, locale=language)
        with (target / "messages.mo").open("wb") as mo_file:
            write_mo(mo_file, catalog)


setup(cmdclass={"build_py": BuildWithResources})
