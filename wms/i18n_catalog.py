"""Keep the gettext catalogues in step with the code: extract, update, compile, check.

`wms translations update` extracts every message from the package's Python files and the
templates (Babel's extractors, with this project's gettext keywords), merges them into each
language's messages.po (new messages empty, vanished ones dropped) and `check` lists what a
translator still has to do. The same extraction runs in tests/test_i18n.py.
"""
from __future__ import annotations

import io
from pathlib import Path

import click
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

from wms.i18n import LANGUAGES, TRANSLATIONS_DIR, compile_stale_catalogues
from wms.resources import resource_dir

PACKAGE_DIR = Path(__file__).parent
# gettext names and which arguments hold the message (Babel's own defaults plus ours).
KEYWORDS = {
    "_": None, "gettext": None, "N_": None, "pgettext": ((1, "c"), 2),
    "ngettext": (1, 2), "ungettext": (1, 2), "_l": None, "lazy_gettext": None,
    "_nl": (1, 2), "lazy_ngettext": (1, 2),
}
JINJA_OPTIONS = {"extensions": "jinja2.ext.do,jinja2.ext.loopcontrols",
                 "trimmed": "true", "silent": "false"}


def extract() -> Catalog:
    """Every translatable message in the code and the templates, with where it is used."""
    catalog = Catalog(project="wms", msgid_bugs_address="", charset="utf-8")
    sources = [
        (PACKAGE_DIR, [("**/migrations/**", "ignore"), ("**.py", "python")], "wms"),
        (resource_dir("templates"), [("**.html", "jinja2"), ("**.txt", "jinja2")], "templates"),
    ]
    for directory, method_map, prefix in sources:
        options = {"**.html": JINJA_OPTIONS, "**.txt": JINJA_OPTIONS}
        for filename, lineno, message, comments, context in extract_from_dir(
                str(directory), method_map, options_map=options, keywords=KEYWORDS,
                comment_tags=("TRANSLATORS:",), strip_comment_tags=True,
                directory_filter=_searched):
            catalog.add(message, None, [(f"{prefix}/{filename}", lineno)],
                        auto_comments=comments, context=context)
    return catalog


def _searched(directory: str) -> bool:
    """Every folder but hidden ones and caches: Babel's default also skips folders whose name
    starts with "_", such as templates/handheld/_macros."""
    name = Path(directory).name
    return not name.startswith(".") and name != "__pycache__"


def read_catalog(language: str) -> Catalog:
    path = po_path(language)
    with path.open("rb") as handle:
        return read_po(handle, locale=language)


def po_path(language: str) -> Path:
    return TRANSLATIONS_DIR / language / "LC_MESSAGES" / "messages.po"


def update(language: str, template: Catalog | None = None) -> Catalog:
    """Merge the extracted messages into the language's catalogue and write it back."""
    template = template or extract()
    catalog = read_catalog(language)
    catalog.update(template, no_fuzzy_matching=True)
    catalog.obsolete.clear()  # vanished messages go; git keeps their history
    buffer = io.BytesIO()
    write_po(buffer, catalog, width=100, sort_output=False, omit_header=False,
             include_previous=False)
    po_path(language).write_bytes(buffer.getvalue())
    return catalog


def problems(language: str, template: Catalog | None = None) -> list[str]:
    """What is missing or wrong in a language's catalogue, one sentence per message."""
    template = template or extract()
    catalog = read_catalog(language)
    found = []
    for message in template:
        if not message.id:
            continue
        where = ", ".join(f"{f}:{n}" for f, n in message.locations[:2])
        translated = catalog.get(message.id, context=message.context)
        if translated is None:
            found.append(f"not in the catalogue: {message.id!r} ({where})")
            continue
        strings = translated.string if isinstance(translated.string, (list, tuple)) else [translated.string]
        if not all(strings):
            found.append(f"not translated: {message.id!r} ({where})")
        elif translated.fuzzy:
            found.append(f"fuzzy (check and clear the flag): {message.id!r} ({where})")
        else:
            for error in translated.check(catalog):
                found.append(f"{error}: {message.id!r} ({where})")
    return found


@click.group("translations")
def translations() -> None:
    """Maintain the gettext catalogues (docs/translating.md)."""


@translations.command("update")
@click.option("--language", "languages", multiple=True, help="Only this language (repeatable).")
def update_cmd(languages) -> None:
    """Extract the messages and merge them into each catalogue."""
    template = extract()
    for language in languages or [code for code in LANGUAGES if code != "en"]:
        catalog = update(language, template)
        todo = len(problems(language, template))
        click.echo(f"{language}: {len(catalog)} messages, {todo} to translate or check")


@translations.command("compile")
def compile_cmd() -> None:
    """Compile the catalogues whose .mo is missing or older than the .po."""
    for path in compile_stale_catalogues():
        click.echo(f"compiled {path}")


@translations.command("check")
@click.option("--language", "languages", multiple=True)
def check_cmd(languages) -> None:
    """List the messages still to translate; exit 1 if there are any."""
    template = extract()
    failed = False
    for language in languages or [code for code in LANGUAGES if code != "en"]:
        for line in problems(language, template):
            click.echo(f"{language}: {line}")
            failed = True
    raise SystemExit(1 if failed else 0)
