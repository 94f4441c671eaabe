"""The interface in French: every message translated, the .mo the .po's, French where a French user looks."""

from __future__ import annotations

import gettext
import io
import json
import os
import string
import subprocess
import sys
from pathlib import Path

import pytest

from refcli.i18n import CATALOG, CLICK_PHRASES, choose_language, use_language
from tools.catalog import compiled, messages_in_code, read_catalog


def _forms(value: str | tuple[str, ...]) -> tuple[str, ...]:
    return value if isinstance(value, tuple) else (value,)


def _placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


def test_every_message_of_the_code_has_a_french_translation() -> None:
    catalog = read_catalog()
    messages = messages_in_code()
    assert len(messages) > 200  # the scan finds the code's messages (a broken scan finds none)
    untranslated = [message for message in messages if catalog.get(message) is None
                    or not all(form.strip() for form in _forms(catalog.get(message).string))]
    assert not untranslated, f"no French translation (run python tools/catalog.py, then translate): {untranslated}"


def test_the_catalog_holds_no_message_the_code_lost() -> None:
    messages = messages_in_code()
    lost = [message.id for message in read_catalog() if message.id and message.id not in messages]
    assert not lost, f"run python tools/catalog.py: {lost}"


def test_a_translation_names_only_the_placeholders_of_its_message() -> None:
    """A French message naming a value the English one does not have would raise KeyError when formatted."""
    for message in read_catalog():
        if message.id:
            allowed = set().union(*(_placeholders(text) for text in _forms(message.id)))
            for form in _forms(message.string):
                assert _placeholders(form) <= allowed, (message.id, form)


def test_no_function_hides_the_translation_function() -> None:
    """`for _, x in ...` in a function that calls _() makes _ a local: the call fails only when it runs."""
    import ast

    from tools.catalog import PACKAGE

    for path in PACKAGE.rglob("*.py"):
        for function in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
                nodes = list(ast.walk(function))
                binds = any(isinstance(node, ast.Name) and node.id == "_" and isinstance(node.ctx, ast.Store)
                            and node not in _comprehension_names(function) for node in nodes)
                calls = any(isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "_"
                            for node in nodes)
                assert not (binds and calls), f"{path}: {function.name} binds _ and calls _()"


def _comprehension_names(function):  # type: ignore[no-untyped-def]
    """The names bound by the comprehensions in a function: local to them, they hide nothing outside."""
    import ast

    return [name for node in ast.walk(function) if isinstance(node, ast.comprehension)
            for name in ast.walk(node.target) if isinstance(name, ast.Name)]


def test_the_committed_mo_is_the_po_compiled() -> None:
    fresh = gettext.GNUTranslations(io.BytesIO(compiled(read_catalog())))
    with CATALOG.open("rb") as file:
        committed = gettext.GNUTranslations(file)
    # The header ("" ) names the Babel that compiled it; the messages are what must be the same.
    messages = {key: value for key, value in fresh._catalog.items() if key != ""}
    assert {key: value for key, value in committed._catalog.items() if key != ""} == messages, \
        "refcli.mo is not refcli.po's: run python tools/catalog.py"
    assert len(messages) > 200


def test_every_click_phrase_is_in_the_catalog() -> None:
    messages = messages_in_code()
    assert all(message in messages for _, message in CLICK_PHRASES)


@pytest.mark.parametrize(("environ", "arguments", "expected"), [
    ({}, None, "en"),
    ({"LANG": "fr_FR.UTF-8"}, None, "fr"),
    ({"LANG": "fr"}, None, "fr"),
    ({"LANG": "fr_CA.UTF-8"}, None, "fr"),
    ({"LANG": "en_US.UTF-8"}, None, "en"),
    ({"LC_ALL": "C.UTF-8", "LANG": "fr_FR.UTF-8"}, None, "en"),  # LC_ALL wins over LANG
    ({"LC_MESSAGES": "fr_FR.UTF-8", "LANG": "en_GB.UTF-8"}, None, "fr"),
    ({"LC_ALL": "en_US.UTF-8", "LC_MESSAGES": "fr_FR.UTF-8"}, None, "en"),
    ({"LANGUAGE": "fr:en", "LANG": "en_US.UTF-8"}, None, "fr"),  # gettext's LANGUAGE list, as GNU reads it
    ({"LANGUAGE": "fr", "LC_ALL": "C"}, None, "en"),  # ... but not under the C locale
    ({"REFCLI_LANG": "en", "LANG": "fr_FR.UTF-8"}, None, "en"),  # REFCLI_LANG wins over the locale
    ({"REFCLI_LANG": "fr", "LC_ALL": "C"}, None, "fr"),
    ({"LANG": "fr_FR.UTF-8"}, ["search", "--json"], "en"),  # a script reads English on every machine
    ({"REFCLI_LANG": "fr", "LANG": "fr_FR.UTF-8"}, ["search", "--json"], "fr"),
])
def test_the_language_is_chosen_as_gettext_orders_the_variables(environ: dict[str, str], arguments: list[str] | None,
                                                                 expected: str) -> None:
    assert choose_language(environ, arguments) == expected


RUN = "import sys; sys.argv[0] = 'refcli'; from refcli.cli.entry import main; main()"


def _refcli(*arguments: str, language: str | None = "fr", **environ: str) -> subprocess.CompletedProcess[str]:
    """Run the refcli command as a user does, in a fresh interpreter, with the machine's locale French."""
    env = {key: value for key, value in os.environ.items()
           if key not in ("REFCLI_LANG", "LC_ALL", "LC_MESSAGES", "LANG", "LANGUAGE")}
    env.update(LANG="fr_FR.UTF-8", **environ)
    if language is not None:
        env["REFCLI_LANG"] = language
    return subprocess.run([sys.executable, "-c", RUN, *arguments], capture_output=True, text=True, env=env,
                          timeout=60, check=False)


def test_help_is_french_on_a_french_locale() -> None:
    result = _refcli("--help", language=None)
    assert result.returncode == 0
    assert result.stdout.startswith("Utilisation\u00a0: refcli [OPTIONS] COMMAND [ARGS]...")
    assert "Tenir les fiches références du cabinet en TOML" in result.stdout
    assert "Commandes\u00a0:" in result.stdout and "Afficher ce message et quitter." in result.stdout
    for english in ("Usage", "Options:", "Commands", "Show this message", "Show completion", "Keep the firm"):
        assert english not in result.stdout


def test_refcli_lang_en_wins_over_a_french_locale() -> None:
    result = _refcli("--help", language="en")
    assert result.stdout.startswith("Usage: refcli [OPTIONS] COMMAND [ARGS]...")
    assert "Keep the firm's fiches références" in result.stdout


def test_a_command_help_is_french() -> None:
    result = _refcli("build-bid", "--help")
    assert "Écrire l'annexe des références d'une candidature" in result.stdout
    assert "Le fichier Word à écrire." in result.stdout
    assert "[par défaut\u00a0:" in result.stdout and "annexe.docx]" in result.stdout


@pytest.mark.parametrize(("arguments", "french"), [
    (["list", "--bogus"],
     "erreur\u00a0: refcli list: Option inconnue\u00a0: --bogus (voir «\u00a0refcli list --help\u00a0»)"),
    (["list", "--yeer", "2020"], "Option inconnue\u00a0: --yeer (Options possibles\u00a0: --year)"),
    (["list", "--year", "deux-mille"],
     "Valeur invalide pour '--year'\u00a0: «\u00a0deux-mille\u00a0» n'est pas un nombre entier."),
    (["show"], "Argument manquant\u00a0: «\u00a0ID\u00a0»."),
    (["lsit"], "Commande inconnue\u00a0: «\u00a0lsit\u00a0»."),
    (["list", "--year"], "l'option «\u00a0--year\u00a0» demande une valeur."),
    (["list", "2020"], "Argument(s) en trop\u00a0: (2020)"),
])
def test_a_usage_error_is_french(arguments: list[str], french: str) -> None:
    result = _refcli(*arguments)
    assert result.returncode == 2
    assert french in result.stderr, result.stderr
    assert not any(english in result.stderr for english in ("Usage:", "Try '", "Error:"))
    assert result.stderr.count("\n") == 1  # one line, as every other error


def test_an_error_of_refcli_is_french(tmp_path: Path) -> None:
    result = _refcli("build-bid", "--data", str(tmp_path))
    assert result.returncode == 2
    assert result.stderr.startswith("erreur\u00a0: build-bid: choisissez les références avec --ids")


def test_validate_on_a_broken_library_speaks_french(library_folder: Path) -> None:
    (library_folder / "broken.toml").write_text('id = "x"\n', encoding="utf-8")
    result = _refcli("validate", "--data", str(library_folder))
    assert result.returncode == 1
    assert f"{library_folder / 'broken.toml'}: title: clé obligatoire absente (une chaîne)" in result.stdout
    assert "5 fiche(s) valide(s), 1 invalide(s), " in result.stderr


def test_json_stays_english_for_scripts_on_a_french_machine(library_folder: Path) -> None:
    (library_folder / "broken.toml").write_text('id = "x"\n', encoding="utf-8")
    french = _refcli("validate", "--json", "--data", str(library_folder), language=None)
    english = _refcli("validate", "--json", "--data", str(library_folder), language="en")
    assert french.stdout == english.stdout and json.loads(french.stdout)["invalid"] == 1


def test_french_in_process_then_english_again(runner, library_folder: Path) -> None:  # type: ignore[no-untyped-def]
    """A test may switch the language and back: the English tests that follow still read English."""
    from refcli.cli.commands import app

    use_language("fr")
    try:
        result = runner.invoke(app, ["list", "--data", str(library_folder), "--year", "1900"])
        assert result.exit_code == 1
        assert "aucune mission ne correspond à ces filtres" in result.stderr
    finally:
        use_language("en")
    result = runner.invoke(app, ["list", "--data", str(library_folder), "--year", "1900"])
    assert "no mission matches these filters" in result.stderr


def test_french_help_loads_only_the_catalog() -> None:
    """gettext and one .mo: Babel (the catalog's tool) is never imported, nor what --help does not need."""
    code = ("import sys; sys.argv = ['refcli', '--help']\nfrom refcli.cli.entry import main\ntry:\n    main()\n"
            "except SystemExit:\n    pass\nprint(sorted({'babel', 'rich', 'docx', 'rapidfuzz'} & set(sys.modules)))")
    env = {**os.environ, "REFCLI_LANG": "fr"}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60,
                            check=True)
    assert result.stdout.splitlines()[-1] == "[]"


def test_a_french_draft_tender_file_is_french_and_still_a_tender_file(tmp_path: Path) -> None:
    import tomllib

    from tests.conftest import ROOT

    out = tmp_path / "tender.toml"
    result = _refcli("tender", "read", str(ROOT / "examples" / "tender-object.txt"), "--out", str(out))
    assert result.returncode == 0, result.stderr
    draft = out.read_text(encoding="utf-8")
    assert draft.startswith("# Brouillon de fichier de consultation, lu par `refcli tender read`")
    assert "# buyer : non trouvé : aucune phrase ne nomme le pouvoir adjudicateur" in draft.replace("\u00a0", " ")
    assert tomllib.loads(draft)["references"] == 3
    assert f"{out} écrit\u00a0: vérifiez chaque valeur d'après la phrase citée" in result.stderr


def test_the_cache_never_serves_a_problem_in_the_other_language(library_folder: Path, cache_dir: Path) -> None:
    """The cache stores records' problems as made: each language has its own, both stay warm."""
    (library_folder / "broken.toml").write_text('id = "x"\n', encoding="utf-8")
    for language, message in [("fr", "clé obligatoire absente"), ("en", "missing required key"),
                              ("fr", "clé obligatoire absente"), ("en", "missing required key")]:
        result = _refcli("list", "--data", str(library_folder), language=language, REFCLI_CACHE_DIR=str(cache_dir))
        assert result.returncode == 0 and message in result.stderr, (language, result.stderr)
    assert len(list(cache_dir.glob("library-*.sqlite3"))) == 2


def test_template_check_refuses_a_plain_document_in_french(tmp_path: Path) -> None:
    import docx

    from refcli.annex.template import REQUIRED_STYLES

    plain = tmp_path / "plain.docx"
    docx.Document().save(plain)
    result = _refcli("template", "check", str(plain))
    assert result.returncode == 1
    assert f"{plain}: 0 des {len(REQUIRED_STYLES)} styles dont l'annexe a besoin" in result.stdout
    assert "emplacement\u00a0: {{ANNEXE_REFERENCES}} introuvable" in result.stdout
    assert result.stderr.startswith(f"erreur\u00a0: {plain}: ce n'est pas encore un modèle pour l'annexe\u00a0; "
                                    "pour en faire un, lancez\u00a0: refcli template adopt")


def test_a_record_over_a_limit_is_told_in_french(library_folder: Path) -> None:
    keys = "".join(f"key{number} = 1\n" for number in range(600))
    (library_folder / "big.toml").write_text(f'id = "big"\n[client]\n{keys}', encoding="utf-8")
    result = _refcli("validate", "--data", str(library_folder))
    assert result.returncode == 1
    assert f"{library_folder / 'big.toml'}: client: contient 600 clés\u00a0; la limite est de 500" in result.stdout


def test_a_pipe_given_as_the_tender_file_is_refused_in_french(tmp_path: Path) -> None:
    fifo = tmp_path / "tender.toml"
    os.mkfifo(fifo)
    result = _refcli("check", "--tender", str(fifo))
    assert result.returncode == 2
    assert result.stderr == (f"erreur\u00a0: {fifo}: le fichier de consultation est un tube nommé (FIFO), pas un "
                             "fichier ordinaire\u00a0; refcli ne lit que des fichiers\n")


def test_the_template_commands_help_is_french() -> None:
    result = _refcli("template", "--help")
    assert result.returncode == 0
    assert "Faire du document Word du cabinet un modèle pour l'annexe" in result.stdout
    assert "Copier dans une copie du document du cabinet" in result.stdout and "Copy into" not in result.stdout


def test_a_line_is_never_broken_at_a_no_break_space(monkeypatch: pytest.MonkeyPatch) -> None:
    """French writes a no-break space before « : » and « ; », a narrow one inside 29 340 €: a terminal's line is
    never broken there (rich's own wrapping would: refcli.cli.output.NO_BREAK_WORD)."""
    import io

    from rich.console import Console

    import refcli.cli.output

    screen = io.StringIO()
    monkeypatch.setattr(refcli.cli.output, "stderr_console", lambda: refcli.cli.output._wide_enough(
        Console(file=screen, force_terminal=True, width=80, highlight=False, color_system=None)))
    message = ("x" * 70 + "\u00a0: la suite\u00a0; [yellow]et[/] " + "y" * 50
               + " 29\u202f340\u00a0€ « la\u00a0fin\u00a0»")
    refcli.cli.output.print_warning(message)
    lines = screen.getvalue().splitlines()
    assert len(lines) == 4 and all(len(line) <= 80 for line in lines), lines
    assert not any(line.startswith((":", ";", "»", "340", "€", "\u00a0", "\u202f")) for line in lines), lines
    assert " ".join(line.rstrip() for line in lines) == f"warning: {message}"  # as written: no markup


def test_the_sections_left_out_of_a_tender_text_are_named_in_french(tmp_path: Path) -> None:
    """`--explain` said "(administrative)" and "(other)" in a French sentence, with English semicolons."""
    from tests.conftest import SHIPPED_MISSIONS
    from tests.rc_fixtures import write_rc_text

    rc = write_rc_text(tmp_path / "RC.txt")
    result = _refcli("search", "--tender-text", str(rc), "--data", str(SHIPPED_MISSIONS), "--explain", "-n", "1",
                     REFCLI_CACHE_DIR=str(tmp_path / "cache"), COLUMNS="300")
    left = next(line for line in result.stdout.splitlines() if line.strip().startswith("omis"))
    assert "(administratif)" in left and "(administrative)" not in left and "(other)" not in left
    assert "\u00a0; " in left or left.count("(") == 1


def test_a_refusal_of_the_system_is_said_in_french(tmp_path: Path) -> None:
    """Python leaves the C library's strerror in English: "No such file or directory" in a French sentence."""
    result = _refcli("check", "--tender", str(tmp_path / "tendr.toml"), REFCLI_CACHE_DIR=str(tmp_path / "cache"))
    assert result.returncode == 2
    assert result.stderr.endswith(": impossible de lire le fichier de consultation\u00a0: fichier ou dossier "
                                  "introuvable\n"), result.stderr
