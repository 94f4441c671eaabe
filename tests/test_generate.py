import importlib.util
from pathlib import Path

from refcli.records.library import load_library

GENERATE = Path(__file__).resolve().parent.parent / "bench" / "generate.py"


def load_generator():
    spec = importlib.util.spec_from_file_location("generate", GENERATE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_generated_records_are_valid_and_varied(tmp_path):
    load_generator().generate_library(80, tmp_path / "missions", seed=3)
    library = load_library(tmp_path / "missions")
    assert library.problems == () and len(library.missions) == 80
    assert {mission.client.kind for mission in library.missions} == {"public", "private"}
    assert all(2005 <= mission.period.start <= mission.period.end <= 2026 for mission in library.missions)
    assert len({component for mission in library.missions for component in mission.components}) == 12
    assert all(mission.fee and mission.project_amount for mission in library.missions)
    assert 10 < sum(bool(mission.programme) for mission in library.missions) < 70


def test_the_same_seed_writes_the_same_files(tmp_path):
    generator = load_generator()
    generator.generate_library(5, tmp_path / "a", seed=7)
    generator.generate_library(5, tmp_path / "b", seed=7)
    first = {path.name: path.read_text(encoding="utf-8") for path in (tmp_path / "a").iterdir()}
    assert first == {path.name: path.read_text(encoding="utf-8") for path in (tmp_path / "b").iterdir()}
