#!/usr/bin/env python3
"""Package the PrestaShop module into wmscallback.zip, the file the back office uploads.

Usage: python3 prestashop-module/build.py [OUTPUT_DIR]   (default: prestashop-module/dist)
The zip holds one top folder, wmscallback/, as PrestaShop requires. Entries are sorted and
dated 1980-01-01 so that the same sources always give the same bytes.
"""

from __future__ import annotations

import re
import sys
import zipfile
from pathlib import Path

MODULE = "wmscallback"
HERE = Path(__file__).resolve().parent
SOURCE = HERE / MODULE
SKIP_NAMES = {".DS_Store", "Thumbs.db", "__pycache__", ".git"}
SKIP_SUFFIXES = (".zip", "~", ".swp", ".orig")
FIXED_DATE = (1980, 1, 1, 0, 0, 0)


def check_sources(source: Path) -> None:
    """Refuse to package a module that PrestaShop would reject or that has drifted."""
    main = (source / f"{MODULE}.php").read_text(encoding="utf-8")
    php_version = re.search(r"\$this->version\s*=\s*'([^']+)'", main)
    xml_version = re.search(
        r"<version><!\[CDATA\[([^\]]+)\]\]></version>",
        (source / "config.xml").read_text(encoding="utf-8"),
    )
    if not php_version or not xml_version or php_version.group(1) != xml_version.group(1):
        raise SystemExit(
            f"build: version differs between {MODULE}.php and config.xml: "
            f"{php_version and php_version.group(1)} vs {xml_version and xml_version.group(1)}"
        )
    for folder in [source, *(p for p in source.rglob("*") if p.is_dir())]:
        if not _skipped(folder.relative_to(source)) and not (folder / "index.php").is_file():
            raise SystemExit(f"build: {folder} has no index.php guard file")


def build(output_dir: Path) -> Path:
    """Write OUTPUT_DIR/wmscallback.zip and return its path."""
    check_sources(SOURCE)
    output_dir.mkdir(parents=True, exist_ok=True)
    target = output_dir / f"{MODULE}.zip"
    paths = sorted(p for p in SOURCE.rglob("*") if not _skipped(p.relative_to(SOURCE)))
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        _add_dir(archive, f"{MODULE}/")
        for path in paths:
            name = f"{MODULE}/{path.relative_to(SOURCE).as_posix()}"
            if path.is_dir():
                _add_dir(archive, name + "/")
            else:
                info = zipfile.ZipInfo(name, FIXED_DATE)
                info.external_attr = 0o644 << 16
                info.compress_type = zipfile.ZIP_DEFLATED
                archive.writestr(info, path.read_bytes())
    return target


def _add_dir(archive: zipfile.ZipFile, name: str) -> None:
    info = zipfile.ZipInfo(name, FIXED_DATE)
    info.external_attr = (0o40755 << 16) | 0x10
    archive.writestr(info, b"")


def _skipped(relative: Path) -> bool:
    return any(part in SKIP_NAMES for part in relative.parts) or relative.name.endswith(SKIP_SUFFIXES)


def main(argv: list[str]) -> int:
    """Build the zip into the folder given on the command line."""
    output_dir = Path(argv[1]) if len(argv) > 1 else HERE / "dist"
    print(build(output_dir))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
