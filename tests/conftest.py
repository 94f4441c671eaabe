"""Shared fixtures: the shipped library copied into a temporary folder, and a CLI runner."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

ROOT = Path(__file__).resolve().parents[1]
SHIPPED_MISSIONS = ROOT / "data" / "missions"
SHIPPED_COMPONENTS = ROOT / "data" / "components.toml"
SEED_IDS = (
    "antony-point-etape-psl",
    "bagneux-point-etape-cloture",
    "est-ensemble-amo-npru",
    "henin-carvin-projet-urbain-social",
    "neuilly-sur-marne-amo-concertation",
)

MINIMAL_RECORD = """\
id = "minimal"
title = "Etude urbaine minimale"
mission_type = "Etude"
role = "titulaire"
stakes = "Un enjeu."
content = ["Un contenu."]

[client]
name = "Ville d'Exemple"
kind = "public"

[period]
start = 2020
"""


@pytest.fixture
def library_folder(tmp_path: Path) -> Path:
    """A copy of the shipped library (data/missions + data/components.toml) in a temporary folder."""
    data = tmp_path / "data"
    shutil.copytree(SHIPPED_MISSIONS, data / "missions")
    shutil.copy(SHIPPED_COMPONENTS, data / "components.toml")
    return data / "missions"


@pytest.fixture
def empty_library(tmp_path: Path) -> Path:
    """A library folder holding only the minimal record, beside a copy of the components."""
    data = tmp_path / "data"
    (data / "missions").mkdir(parents=True)
    shutil.copy(SHIPPED_COMPONENTS, data / "components.toml")
    (data / "missions" / "minimal.toml").write_text(MINIMAL_RECORD, encoding="utf-8")
    return data / "missions"


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


SHIPPED = SHIPPED_MISSIONS
SEEDS = Path(__file__).resolve().parent / "fixtures" / "seeds"


@pytest.fixture
def seeds() -> list[Path]:
    """Copies of the five seed fiches (text extracted from the firm's PDFs), kept as fixtures."""
    return sorted(SEEDS.glob("*.txt"))


@pytest.fixture
def library(tmp_path: Path) -> Path:
    """An empty library folder, with the vocabulary beside it as in a checkout."""
    folder = tmp_path / "data" / "missions"
    folder.mkdir(parents=True)
    shutil.copy(SHIPPED_COMPONENTS, tmp_path / "data" / "components.toml")
    return folder
