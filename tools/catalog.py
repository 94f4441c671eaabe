"""Bring the French catalog up to date with the code: `python tools/catalog.py` (docs/language.md).

It finds every message of the code (the literal first arguments of `_()`, `N_()` and `ngettext()`, and the
docstrings of the commands, which are their help), adds the new ones to refcli/locale/fr/LC_MESSAGES/refcli.po
with an empty translation, drops the ones the code no longer has, and compiles the .po into the .mo that
refcli loads. Babel (a dev dependency, never imported by refcli) reads and writes the two files.
tests/cli/test_french.py fails while a message has no translation or the .mo is not the .po's.
"""

from __future__ import annotations

import ast
import io
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "refcli"
MO_FILE = PACKAGE / "locale" / "fr" / "LC_MESSAGES" / "refcli.mo"  # refcli.i18n.CATALOG
PO_FILE = MO_FILE.with_suffix(".po")


def messages_in_code(package: Path = PACKAGE) -> dict[str | tuple[str, str], str]:
    """Every message of the code, with the file it is first found in: a msgid, or (singular, plural)."""
    found: dict[str | tuple[str, str], str] = {}
    for path in sorted(package.rglob("*.py")):
        relative = path.relative_to(package.parent).as_posix()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                texts = [_literal(arg) for arg in node.args[:2]]
                if node.func.id in ("_", "N_") and texts and texts[0]:
                    found.setdefault(texts[0], relative)
                elif node.func.id == "ngettext" and len(texts) == 2 and None not in texts:
                    found.setdefault((texts[0], texts[1]), relative)  # type: ignore[arg-type]
            elif isinstance(node, ast.FunctionDef) and any(_is_command(decorator) for decorator in node.decorator_list):
                docstring = ast.get_docstring(node, clean=True)
                if docstring:
                    found.setdefault(docstring, relative)
    return found


def _literal(node: ast.expr) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _is_command(decorator: ast.expr) -> bool:
    """`@app.command(...)` or `@tender_app.command(...)`: its docstring is the command's help."""
    return (isinstance(decorator, ast.Call) and isinstance(decorator.func, ast.Attribute)
            and decorator.func.attr == "command")


def compiled(catalog) -> bytes:  # type: ignore[no-untyped-def]
    """The .mo of a Babel catalog."""
    from babel.messages.mofile import write_mo

    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    return buffer.getvalue()


def read_catalog(path: Path = PO_FILE):  # type: ignore[no-untyped-def]
    from babel.messages.pofile import read_po

    with path.open("rb") as file:
        return read_po(file, locale="fr", domain="refcli")


def update() -> int:
    from babel.messages.catalog import Catalog
    from babel.messages.pofile import write_po

    template = Catalog(locale="fr", domain="refcli")
    for message, where in messages_in_code().items():
        template.add(message, locations=[(where, None)])
    catalog = read_catalog() if PO_FILE.exists() else Catalog(locale="fr", domain="refcli")
    template.creation_date = catalog.creation_date  # the header changes only with the messages
    catalog.project, catalog.version, catalog.revision_date = "refcli", "", catalog.creation_date
    catalog.last_translator = catalog.language_team = "Perspectives Urbaines et Sociales"
    catalog.update(template, no_fuzzy_matching=True)
    buffer = io.BytesIO()
    write_po(buffer, catalog, width=120, ignore_obsolete=True, include_lineno=False, omit_header=False)
    PO_FILE.parent.mkdir(parents=True, exist_ok=True)
    PO_FILE.write_bytes(buffer.getvalue())
    catalog = read_catalog()
    MO_FILE.write_bytes(compiled(catalog))
    untranslated = [message.id for message in catalog if message.id and not all(_forms(message.string))]
    print(f"{PO_FILE.relative_to(ROOT)}: {len(catalog)} messages, {len(untranslated)} without a translation")
    return 1 if untranslated else 0


def _forms(string: str | tuple[str, ...]) -> tuple[str, ...]:
    return string if isinstance(string, tuple) else (string,)


if __name__ == "__main__":
    sys.exit(update())
