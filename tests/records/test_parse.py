"""rtoml, the fast parser records go through, gives the same tables and errors as tomllib."""

from __future__ import annotations

import random
import sys
import tomllib
from pathlib import Path

import pytest
import tomli_w

from refcli.records.load import parse_record_bytes, parse_toml
from tests.conftest import MINIMAL_RECORD, SHIPPED_MISSIONS, record_text
from tests.records.test_validate import CASES, FULL_RECORD

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "bench"))

from generate import generate_record  # noqa: E402

# Corners of TOML where a lenient parser could accept what tomllib refuses, or read a value otherwise.
CORNERS = [
    'a = "x"\na = "y"\n',  # a key defined twice
    "[t]\nb = 1\n[t]\nc = 2\n",  # a table defined twice
    'a = "line\nbreak"\n',
    "a = 1\r\nb = 2\r\n",
    "a = 1\rb = 2\n",
    'a = """\nmulti\r\nline"""\n',
    "a = 1_000\nb = 0x1f\nc = 1e3\nd = -0.0\ne = inf\nf = 5_\n",
    "a = 9223372036854775808\n",
    "a = 1979-05-27\nb = 07:32:00\nc = 1979-05-27T07:32:00\nd = 1979-05-27T07:32:00+01:00\n",
    "a = [1, 'x']\n",
    "a = { b = 1, }\n",
    "a = [\n  1,\n  2,\n]\n",
    "'quoted key' = 1\n\"é\" = 2\n",
    "a.b.c = 1\n[a]\nd = 2\n",
    "[[x]]\ny = 1\n[x]\n",
    "a = 'x' # comment\n# \x7f\n",
    "a = \"\\u00e9\\U0001F600\"\n",
    "a = \"\\q\"\n",
    "a = \"\x01\"\n",
    "= 1\n",
    "a = \n",
    "a = true\nb = True\n",
    # TOML 1.1, which rtoml reads and tomllib refuses; carriage returns
    "a = {\n b = 1 }\n",
    'a = "\\e"\n',
    'a = "\\x41"\n',
    "a = 07:32\n",
    "a = 1979-05-27T07:32Z\n",
    "a = '''\r\nx\r\ny'''\n",
    'a = "x\ry"\n',
    'a = """x\ry"""\n',
    'a = "Réunion à 10:30, { accolade }, C:\\\\exemple"\n',
    "a = 0o17\nb = 0b101\nc = 017\n",
    # inline tables: on one line (rtoml reads them), across lines or with a trailing comma (tomllib)
    'programme = [\n    { label = "démolitions", count = 144 },\n    { label = "x", count = 1 },\n]\n',
    "a = { b = { c = 1 }\n}\n",
    "a = { b = { c = 1 }, d = 2 }\n",
    "a = { b = { c = 1 } \n }\n",
    "a = { b = 1 ,\n}\n",
    "a = { b = 1 , }\n",
    "a = [{ b = 1 }, { c = 2 }]\n",
    "a = [{ b = 1 }, {\n c = 2 }]\n",
    'a = { b = "}" }\n',
    'a = { b = "{" }\n',
    "a = { b = 1 # comment\n}\n",
    "a = { b = 1, b = 2 }\n",
    "a = { b.c = 1, b = 2 }\n",
    "a = { b = 1 }\na.c = 2\n",
    "a = { b = 1 }\n[a]\nc = 2\n",
    "a = { }\nb = {}\n",
    "a = { b = [1, { c = 2 }] }\n",
    'a = "}"\nb = { c = 1 }\n',
    "a = { b = 1 }\nc = { d = 2\n, e = 3 }\n",
    "a = [\n{ b = 1 },\n{ c = 2 }\n]\nd = { e = 1 }",
]


def _outcome(parse, text: str) -> tuple[str, object]:
    try:
        return "table", parse(text)
    except ValueError:
        return "error", None


def _records() -> list[str]:
    texts = [path.read_text(encoding="utf-8") for path in sorted(SHIPPED_MISSIONS.glob("*.toml"))]
    texts += [path.read_text(encoding="utf-8") for path in sorted(ROOT.glob("examples/*.toml"))]  # tenders
    texts += [(ROOT / "data" / name).read_text(encoding="utf-8") for name in ("glossary.toml", "components.toml")]
    texts += [MINIMAL_RECORD, FULL_RECORD, record_text("x", "Titre", keywords=("a", "b"), components="gup = 2")]
    texts += [case[1] for case in CASES if isinstance(case[1], str)]
    return texts


@pytest.mark.parametrize("text", _records() + CORNERS)
def test_rtoml_reads_every_record_as_tomllib_does(text: str) -> None:
    assert _outcome(parse_toml, text) == _outcome(tomllib.loads, text)


def test_rtoml_reads_a_generated_library_as_tomllib_does() -> None:
    rng = random.Random(7)
    for number in range(500):
        text = tomli_w.dumps(generate_record(number, rng))
        assert parse_toml(text) == tomllib.loads(text), number


def test_records_with_a_programme_are_parsed_by_rtoml() -> None:
    from refcli.records.load import _needs_tomllib

    antony = (SHIPPED_MISSIONS / "antony-point-etape-psl.toml").read_text(encoding="utf-8")
    assert "programme = [" in antony and not _needs_tomllib(antony)
    assert _needs_tomllib("a = {\n b = 1 }\n") and _needs_tomllib("a = { b = 1, }\n")


def test_a_syntax_error_keeps_tomllib_located_message(tmp_path: Path) -> None:
    problem = parse_record_bytes(tmp_path / "bad.toml", b'title = "unclosed\n')
    assert str(problem) == f"{tmp_path / 'bad.toml'}:1:18: TOML syntax error: Illegal character '\\n'"



@pytest.mark.parametrize("prefix", ["", 's = "{"\n'], ids=["rtoml", "tomllib"])  # a lone { sends the text to tomllib
def test_nesting_is_limited_the_same_on_both_parsers(prefix: str) -> None:
    from refcli.records.load import MAX_DEPTH, _needs_tomllib

    assert _needs_tomllib(prefix + "a = 1") == bool(prefix)
    builders = [lambda depth: "a = " + "[" * depth + "]" * depth,
                lambda depth: "a = " + "{ x = " * depth + "1" + " }" * depth]
    for nested in builders:
        assert parse_toml(prefix + nested(MAX_DEPTH))
        for depth in (MAX_DEPTH + 1, 1000, 100_000):
            with pytest.raises(ValueError, match=f"nested more than {MAX_DEPTH} levels deep"):
                parse_toml(prefix + nested(depth))
