"""Docs cannot drift: every command has help and a README entry; the README's record example is valid."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

from refcli.cli import app
from refcli.load import RawRecord
from refcli.validate import SCHEMA, validate_record
from refcli.vocabulary import load_vocabulary
from tests.conftest import ROOT, SHIPPED_MISSIONS

README = (ROOT / "README.md").read_text(encoding="utf-8")


def command_names() -> list[str]:
    import typer.main

    group = typer.main.get_command(app)
    return sorted(group.commands)


@pytest.mark.parametrize("name", command_names())
def test_every_command_has_help_and_is_in_the_readme(name: str) -> None:
    import typer.main

    command = typer.main.get_command(app).commands[name]
    assert command.help and command.help.strip(), f"{name} has no help text"
    assert f"`refcli {name}" in README, f"refcli {name} is missing from README.md"


def test_every_schema_key_is_documented() -> None:
    def keys(specs, prefix=""):
        for key, spec in specs.items():
            yield prefix + key
            yield from keys(spec.children, prefix + key + ".")

    for key in keys(SCHEMA):
        leaf = key.split(".")[-1]
        documented = f"`{key}`" in README or f"`{key}." in README or f"`{leaf}`" in README
        assert documented or f"\n{leaf} =" in README, key


def test_the_readme_record_example_is_a_valid_record(tmp_path: Path) -> None:
    example = re.search(r"A complete example.*?```toml\n(.*?)```", README, re.S).group(1)
    example = example.replace("...", "")
    table = tomllib.loads(example)
    (tmp_path / "images").mkdir()
    (tmp_path / "images" / "antony-plan-masse.png").write_bytes(b"\x89PNG")
    result = validate_record(RawRecord(tmp_path / "example.toml", table), load_vocabulary(SHIPPED_MISSIONS), tmp_path)
    assert not isinstance(result, list), [str(problem) for problem in result]
