"""Shared fixtures: the shipped library, the seed fiches (copies kept under tests/fixtures), a CLI runner."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = ROOT / "data" / "missions"
SEEDS = Path(__file__).resolve().parent / "fixtures" / "seeds"


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def seeds() -> list[Path]:
    return sorted(SEEDS.glob("*.txt"))


@pytest.fixture
def library(tmp_path: Path) -> Path:
    """An empty library folder, with the vocabulary beside it as in a checkout."""
    folder = tmp_path / "data" / "missions"
    folder.mkdir(parents=True)
    (tmp_path / "data" / "components.toml").write_text((ROOT / "data" / "components.toml").read_text("utf-8"),
                                                       encoding="utf-8")
    return folder
