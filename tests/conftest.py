"""Fixtures: the shipped library (the five seed fiches) and small libraries written for one test."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SEED_FOLDER = ROOT / "data" / "missions"


@pytest.fixture(scope="session")
def seed_library():
    from refcli.library import load_library

    return load_library(SEED_FOLDER)


@pytest.fixture(scope="session")
def glossary():
    from refcli.glossary import load_glossary

    return load_glossary(path=ROOT / "data" / "glossary.toml")


@pytest.fixture(scope="session")
def seed_index(seed_library):
    from refcli.index import build_index

    return build_index(seed_library)


def record_text(mission_id: str, title: str, *, keywords: tuple[str, ...] = (), stakes: str = "Enjeux.",
                start: int = 2020, kind: str = "public", components: str = "") -> str:
    """A minimal valid record, as TOML."""
    listed = ", ".join(f'"{keyword}"' for keyword in keywords)
    return f'''id = "{mission_id}"
title = "{title}"
mission_type = "Etude"
role = "titulaire"
keywords = [{listed}]
stakes = "{stakes}"
content = ["Contenu."]

[client]
name = "Client"
kind = "{kind}"

[period]
start = {start}

[components]
{components}
'''


@pytest.fixture
def write_library(tmp_path):
    """Write records (id -> TOML text) into a fresh library folder and load it."""
    from refcli.library import load_library

    def write(records: dict[str, str]):
        folder = tmp_path / "missions"
        folder.mkdir(exist_ok=True)
        for mission_id, text in records.items():
            (folder / f"{mission_id}.toml").write_text(text, encoding="utf-8")
        return load_library(folder)

    return write
