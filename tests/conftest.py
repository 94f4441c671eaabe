"""Shared fixtures: the shipped library copied into a temporary folder, and a CLI runner."""

from __future__ import annotations

import shutil
import struct
import zlib
from pathlib import Path

import pytest
from hypothesis import settings
from typer.testing import CliRunner

from refcli.i18n import use_language
from refcli.records.library import load_library
from refcli.records.model import Library

# No time limit on a property's example: a shared machine's load is not a failure of refcli.
settings.register_profile("refcli", deadline=None)
settings.load_profile("refcli")

ROOT = Path(__file__).resolve().parents[1]
SHIPPED_MISSIONS = ROOT / "data" / "missions"
SHIPPED_COMPONENTS = ROOT / "data" / "components.toml"
DATA = ROOT / "data"
TEMPLATE = ROOT / "templates" / "perspectives-urbaines.docx"
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


use_language("en")  # the help texts, made when a test module imports refcli.cli.commands


@pytest.fixture(autouse=True)
def english(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test runs in English whatever the machine's locale (tests/cli/test_french.py switches to French)."""
    monkeypatch.setenv("REFCLI_LANG", "en")
    use_language("en")


@pytest.fixture(autouse=True)
def cache_dir(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh library cache folder per test: no test reads or writes the user's real cache."""
    folder = tmp_path_factory.mktemp("cache")
    monkeypatch.setenv("REFCLI_CACHE_DIR", str(folder))
    return folder


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


@pytest.fixture(scope="session")
def shipped_library() -> Library:
    """The shipped library, loaded once (read-only)."""
    return load_library(DATA / "missions")


@pytest.fixture
def data_copy(tmp_path: Path) -> Path:
    """A writable copy of the shipped data folder; returns its missions folder."""
    target = tmp_path / "data"
    shutil.copytree(ROOT / "data", target)
    return target / "missions"


def png_bytes(width: int = 4, height: int = 3) -> bytes:
    """A valid RGB PNG of the given size, written by hand (no Pillow)."""

    def chunk(kind: bytes, payload: bytes) -> bytes:
        return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))

    rows = b"".join(b"\x00" + bytes([40, 127, 127]) * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


def add_illustration(data_missions: Path, mission_file: str, image_name: str = "plan.png") -> Path:
    """Give one record of a data copy an illustration; returns the image's path."""
    images = data_missions / "images"
    images.mkdir(exist_ok=True)
    image = images / image_name
    image.write_bytes(png_bytes(400, 300))
    record = data_missions / mission_file
    record.write_text(
        record.read_text(encoding="utf-8")
        + f'\n[[illustrations]]\nfile = "images/{image_name}"\ncaption = "Plan masse du quartier"\n'
        'credit = "agence RDE"\n',
        encoding="utf-8",
    )
    return image


def document_text(document) -> str:
    """The document as text, one line per paragraph or table row, each with its style: what goldens hold.

    Header and footer come first; field codes (PAGE) show as their instruction.
    """
    from docx.oxml.ns import qn
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    lines = []
    section = document.sections[0]
    for where, part in (("header", section.header), ("footer", section.footer)):
        for paragraph in part.paragraphs:
            lines.append(f"[{where}] {_paragraph_text(paragraph)}")
    body = document.element.body
    for element in body.iterchildren():
        if element.tag == qn("w:p"):
            paragraph = Paragraph(element, document)
            marker = " [page break]" if paragraph.paragraph_format.page_break_before else ""
            lines.append(f"[{paragraph.style.name}]{marker} {_paragraph_text(paragraph)}")
        elif element.tag == qn("w:tbl"):
            table = Table(element, document)
            lines.append(f"[table {table.style.name}]")
            for row in table.rows:
                lines.append("  | " + " | ".join(cell.text for cell in row.cells))
    return "\n".join(lines) + "\n"


def _paragraph_text(paragraph) -> str:
    from docx.oxml.ns import qn

    parts = []
    for node in paragraph._p.iter(qn("w:t"), qn("w:instrText"), qn("w:tab"), qn("w:drawing")):
        if node.tag == qn("w:instrText"):
            parts.append("{" + (node.text or "").strip() + "}")
        elif node.tag == qn("w:tab"):
            if node.getparent().tag == qn("w:r"):  # not a tab stop's definition
                parts.append("\t")
        elif node.tag == qn("w:drawing"):
            parts.append("[picture]")
        else:
            parts.append(node.text or "")
    return "".join(parts)


@pytest.fixture(scope="session")
def seed_library():
    from refcli.records.library import load_library

    return load_library(SHIPPED_MISSIONS)


@pytest.fixture(scope="session")
def glossary():
    from refcli.search.glossary import load_glossary

    return load_glossary(path=ROOT / "data" / "glossary.toml")


@pytest.fixture(scope="session")
def seed_index(seed_library):
    from refcli.search.index import build_index

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
    from refcli.records.library import load_library

    def write(records: dict[str, str]):
        folder = tmp_path / "missions"
        folder.mkdir(exist_ok=True)
        for mission_id, text in records.items():
            (folder / f"{mission_id}.toml").write_text(text, encoding="utf-8")
        return load_library(folder)

    return write


def confirm_records(missions: Path) -> Path:
    """Play the firm confirming every value of a library copy: drop each record's [inferred] table, and give
    the Neuilly fee the basis the contract would say. The shipped records end with their [inferred] table."""
    for record in missions.glob("*.toml"):
        text = record.read_text(encoding="utf-8")
        if "\n[inferred]\n" in text:
            text = text[: text.index("\n[inferred]\n")] + "\n"
            record.write_text(text, encoding="utf-8")
    neuilly = missions / "neuilly-sur-marne-amo-concertation.toml"
    neuilly.write_text(neuilly.read_text(encoding="utf-8").replace('scope = "tranche ferme"',
                                                                   'scope = "tranche ferme"\nbasis = "HT"'),
                       encoding="utf-8")
    return missions


@pytest.fixture
def confirmed_missions(tmp_path: Path) -> Path:
    """A copy of the shipped data whose values the firm has all confirmed; returns its missions folder."""
    target = tmp_path / "confirmed"
    shutil.copytree(ROOT / "data", target)
    return confirm_records(target / "missions")


@pytest.fixture(scope="session")
def confirmed_library(tmp_path_factory: pytest.TempPathFactory):
    from refcli.records.library import load_library

    target = tmp_path_factory.mktemp("confirmed") / "data"
    shutil.copytree(ROOT / "data", target)
    return load_library(confirm_records(target / "missions"))


@pytest.fixture(scope="session")
def confirmed_index(confirmed_library):
    from refcli.search.index import build_index

    return build_index(confirmed_library)
