"""No user-facing English outside gettext, and the French catalogue complete (issue 18).

Three checks, one test per file so a failure names the file:
- templates: with every Jinja construct taken out (a `{{ _("...") }}` or a `{% trans %}` block
  is translated), no text node nor user-facing attribute (title, placeholder, aria-label,
  data-confirm...) may still hold a word with a lower-case letter; codes and acronyms in
  capitals (SKU, EAN, PDF, F2) are the same in every language;
- Python: a refusal (DomainError and its kinds), a flash, an abort with a sentence or a JSON
  error built from a literal or an f-string is English nobody can translate: wrap it in `_()`
  with named placeholders;
- the French catalogue holds every extracted message, translated, not fuzzy, with the same
  placeholders (wms/i18n_catalog.py; `wms translations update` merges new messages in).
"""
from __future__ import annotations

import ast
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from wms.i18n import LANGUAGES
from wms.i18n_catalog import extract, problems

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = sorted((ROOT / "templates").rglob("*.html"))
PYTHON = sorted(p for p in (ROOT / "wms").rglob("*.py")
                if "migrations" not in p.parts and p.name not in {"i18n_catalog.py"})

USER_ATTRIBUTES = {"title", "placeholder", "aria-label", "alt", "label", "data-confirm",
                   "data-confirm-how", "data-confirm-yes", "data-confirm-no", "data-hint",
                   "data-offline", "data-message"}
JINJA = re.compile(r"\{%-?\s*trans\b.*?\{%-?\s*endtrans\s*-?%\}|\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", re.S)
# A word a translator must see: it has a lower-case letter (codes and acronyms do not).
WORD = re.compile(r"[^\W\d_]*[a-zà-ÿ][^\W\d_]*")


class _Text(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[int, str]] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self._skip += 1
        for name, value in attrs:
            if name in USER_ATTRIBUTES and value and WORD.search(value):
                self.found.append((self.getpos()[0], f'{name}="{value}"'))
        if tag in ("input", "button") and dict(attrs).get("type") in ("submit", "button"):
            value = dict(attrs).get("value")
            if value and WORD.search(value):
                self.found.append((self.getpos()[0], f'value="{value}"'))

    def handle_endtag(self, tag):
        if tag in ("script", "style") and self._skip:
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip and WORD.search(data):
            self.found.append((self.getpos()[0], data.strip()))


def untranslated_in_template(source: str) -> list[tuple[int, str]]:
    # Keep the line count: each Jinja construct becomes a mark with its own newlines.
    stripped = JINJA.sub(lambda m: "§" + "\n" * m.group(0).count("\n"), source)
    parser = _Text()
    parser.feed(stripped)
    parser.close()
    return [(line, text.replace("§", "…")[:80]) for line, text in parser.found]


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: str(p.relative_to(ROOT)))
def test_template_text_is_translatable(path):
    found = untranslated_in_template(path.read_text(encoding="utf-8"))
    assert not found, "text outside gettext ({{ _('...') }} or {% trans %}):\n" + "\n".join(
        f"  {path.relative_to(ROOT)}:{line}: {text}" for line, text in found)


# Calls whose message argument an operator or a supervisor reads.
MESSAGE_CALLS = {"DomainError", "NotFound", "InvalidQuantity", "InsufficientStock", "Conflict",
                 "PermissionDenied", "flash", "_json_error", "json_error", "abort", "RowError",
                 "ScanRefused", "RoutingError", "ValidationError", "MenuItem",
                 # the domain's own refusals and the sentences it stores or hands back
                 "SignInRefused", "GS1Error", "PrinterUnreachable", "CarrierError",
                 "CarrierUnavailable", "_refusal", "reword", "record_event", "record_return_event",
                 "LabelOutcome", "PrintOutcome", "Scan"}
# Keyword arguments that carry a sentence (a screen's prompt, a scan's refusal).
MESSAGE_KEYWORDS = {"message", "description", "reason", "prompt", "error"}


def _call_name(node: ast.Call) -> str:
    func = node.func
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return ""


def _is_english(node: ast.AST) -> bool:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return bool(WORD.search(node.value)) and " " in node.value.strip()
    if isinstance(node, ast.JoinedStr):
        return any(_is_english(v) for v in node.values)
    if isinstance(node, ast.BinOp):  # "..." + x, "..." % x
        return _is_english(node.left) or _is_english(node.right)
    return False


def untranslated_in_python(source: str) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call) or _call_name(node) not in MESSAGE_CALLS:
            continue
        candidates = list(node.args[:3]) + [k.value for k in node.keywords
                                             if k.arg in MESSAGE_KEYWORDS]
        for arg in candidates:
            if _is_english(arg):
                found.append((node.lineno, ast.unparse(arg)[:80]))
    return found


@pytest.mark.parametrize("path", PYTHON, ids=lambda p: str(p.relative_to(ROOT)))
def test_python_messages_are_translatable(path):
    found = untranslated_in_python(path.read_text(encoding="utf-8"))
    assert not found, "sentence outside gettext (wrap it in _() from wms.i18n):\n" + "\n".join(
        f"  {path.relative_to(ROOT)}:{line}: {text}" for line, text in found)


def test_the_checks_catch_english():
    """The two detectors above find what they are meant to find (and let gettext through)."""
    assert untranslated_in_template('<p>Scan the bin</p>')
    assert untranslated_in_template('<button data-confirm="Is {{ x }} empty?">F2</button>')
    assert not untranslated_in_template('<p>{{ _("Scan the bin") }} <kbd>F2</kbd> SKU</p>')
    assert not untranslated_in_template('<p>{% trans n=3 %}Pick {{ n }} units{% endtrans %}</p>')
    assert untranslated_in_python('raise DomainError(f"{code} is not a bin.")')
    assert untranslated_in_python('flash("Saved the order.", "ok")')
    assert not untranslated_in_python('raise DomainError(_("%(code)s is not a bin.", code=code))')
    assert not untranslated_in_python('raise NotFound(code, code="no_such_bin")')
    assert untranslated_in_python('record_event(order, "held", f"Held by the shop: {why}", user)')
    assert untranslated_in_python('Scan(ScanKind.INVALID, code, raw, error="Nothing was scanned.")')
    assert not untranslated_in_python('record_event(order, "held", _("Held: %(r)s", r=r), user)')


@pytest.fixture(scope="module")
def template():
    return extract()


@pytest.mark.parametrize("language", [code for code in LANGUAGES if code != "en"])
def test_catalogue_is_complete(language, template):
    assert len(template) > 0
    found = problems(language, template)
    assert not found, (f"{len(found)} messages to do in {language} (run `wms translations "
                       f"update`, then translate):\n" + "\n".join(found[:60]))
