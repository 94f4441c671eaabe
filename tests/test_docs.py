"""The authoring commands have help text and are documented in the README."""

from __future__ import annotations

import pytest

from refcli.cli import app
from tests.conftest import ROOT


@pytest.mark.parametrize("command", ["new", "import"])
def test_command_has_help_and_is_in_the_readme(runner, command: str) -> None:
    result = runner.invoke(app, [command, "--help"])
    assert result.exit_code == 0
    assert "Usage" in result.stdout
    readme = ROOT.joinpath("README.md").read_text(encoding="utf-8")
    assert f"| `refcli {command}" in readme
    assert f"### `refcli {command}`" in readme
