"""Loading a library folder: the shipped records, the folder's resolution, and what is left out."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from refcli.errors import UserError
from refcli.records.library import load_library
from refcli.records.load import resolve_data_folder
from tests.conftest import SEED_IDS, SHIPPED_MISSIONS


def test_the_five_seed_records_load_clean() -> None:
    library = load_library(SHIPPED_MISSIONS)
    assert library.problems == ()
    assert tuple(mission.id for mission in library.missions) == SEED_IDS


def test_seed_records_keep_the_fiches_figures() -> None:
    library = load_library(SHIPPED_MISSIONS)
    antony = library.get("antony-point-etape-psl")
    assert antony.project_amount.value == 167_000_000 and antony.project_amount.basis == "TTC"
    assert antony.fee is None  # the project's amount is not the mission fee
    assert [(item.label, item.count) for item in antony.programme] == [
        ("démolitions", 144), ("constructions", 351), ("résidentialisations", 2102)]
    assert antony.period.duration_months == 8
    bagneux = library.get("bagneux-point-etape-cloture")
    assert bagneux.site.population == 38495 and bagneux.project_amount.basis is None
    est = library.get("est-ensemble-amo-npru")
    assert (est.fee.value, est.fee.basis) == (99685, "HT") and (est.period.start, est.period.end) == (2018, 2021)
    assert est.team.consultants == ("Valérie Embize", "Ludovic Quintana")
    neuilly = library.get("neuilly-sur-marne-amo-concertation")
    assert (neuilly.fee.value, neuilly.fee.basis, neuilly.fee.scope) == (29340, None, "tranche ferme")
    assert neuilly.components["concertation"] == 5 and "components.concertation" in neuilly.inferred
    assert antony.project_amount.scope == "project" and est.fee.scope == "mission"
    henin = library.get("henin-carvin-projet-urbain-social")
    assert henin.role == "co-traitant" and henin.team.mandataire == "Tracés urbains"
    assert henin.team.referent == "Claudia Romero" and henin.fee is None and henin.project_amount is None


def test_components_are_kept_in_the_vocabulary_order() -> None:
    library = load_library(SHIPPED_MISSIONS)
    order = library.vocabulary.ids()
    for mission in library.missions:
        assert list(mission.components) == [cid for cid in order if cid in mission.components]


def test_the_folder_comes_from_the_option_then_the_environment_then_the_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    option, environment = tmp_path / "option", tmp_path / "environment"
    option.mkdir()
    environment.mkdir()
    monkeypatch.setenv("REFCLI_DATA", str(environment))
    assert resolve_data_folder(option) == option
    assert resolve_data_folder(None) == environment
    monkeypatch.delenv("REFCLI_DATA")
    monkeypatch.chdir(tmp_path)
    with pytest.raises(UserError, match=r"data/missions: the mission library folder does not exist \(the default\)"):
        resolve_data_folder(None)


def test_a_missing_folder_says_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="does not exist .*pass --data DIR or set REFCLI_DATA"):
        resolve_data_folder(tmp_path / "nowhere")


def test_a_folder_without_records_says_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="no mission records .*'refcli new' or 'refcli import'"):
        load_library(tmp_path)


def test_records_in_sub_folders_are_read_but_symlink_loops_are_not_followed(library_folder: Path) -> None:
    sub = library_folder / "2024"
    sub.mkdir()
    (library_folder / "antony-point-etape-psl.toml").rename(sub / "antony.toml")
    os.symlink(library_folder, sub / "loop")
    library = load_library(library_folder)
    assert library.get("antony-point-etape-psl").path == sub / "antony.toml"
    assert len(library.missions) == 5 and library.problems == ()


def test_the_vocabulary_beside_the_library_is_the_one_used(library_folder: Path) -> None:
    components = library_folder.parent / "components.toml"
    components.write_text(components.read_text(encoding="utf-8").replace(
        'label = "Concertation"', 'label = "Participation citoyenne"'), encoding="utf-8")
    library = load_library(library_folder)
    assert library.vocabulary.label("concertation") == "Participation citoyenne"


def test_reading_in_worker_processes_gives_the_serial_results(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """read_files across cores: the same missions, problems, order and words as one file after another."""
    import importlib.util
    import shutil

    from refcli.records import library as library_module
    from refcli.records.library import load_library_indexed, read_files
    from refcli.records.load import find_record_files
    from refcli.records.vocabulary import load_vocabulary
    from refcli.search.index import build_index

    spec = importlib.util.spec_from_file_location("generate", Path(__file__).parents[2] / "bench" / "generate.py")
    generator = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    spec.loader.exec_module(generator)  # type: ignore[union-attr]
    folder = tmp_path / "missions"
    generator.generate_library(60, folder, seed=5)
    shutil.copy(SHIPPED_MISSIONS.parent / "components.toml", tmp_path / "components.toml")
    files = find_record_files(folder)
    shutil.copy(files[3], folder / "zz-duplicate.toml")
    (folder / "zz-broken.toml").write_text('id = "x"\ntitle = [\n', encoding="utf-8")
    (folder / "zz-invalid.toml").write_text('id = "Not An Id"\n', encoding="utf-8")
    files = find_record_files(folder)
    vocabulary = load_vocabulary(folder)

    monkeypatch.setattr(library_module, "PARALLEL_FROM", 10**9)
    serial = read_files(folder, vocabulary, files, with_depends=True)
    serial_library = load_library(folder)
    monkeypatch.setattr(library_module, "PARALLEL_FROM", 5)
    monkeypatch.setattr(library_module, "CHUNK_SIZE", 7)
    monkeypatch.setattr(library_module, "_cores", lambda: 2)
    parallel = read_files(folder, vocabulary, files, with_depends=True)
    assert parallel == serial
    chunks = library_module._in_parallel(library_module._read_chunk, (folder, vocabulary, True), files)
    assert len(chunks) > 1 and [result for chunk in chunks for result in chunk] == serial  # not the fallback
    assert any(isinstance(result.result, list) for result in parallel)
    parallel_library, index = load_library_indexed(folder)
    assert list(parallel_library.missions) == list(serial_library.missions)
    assert parallel_library.problems == serial_library.problems and serial_library.problems
    assert parallel_library.skipped_files == serial_library.skipped_files
    expected = build_index(serial_library)
    assert index.words == expected.words
    assert sorted(map(index.facts.of, index.facts.ids)) == sorted(map(expected.facts.of, expected.facts.ids))

    def by_id(index, key):  # slots differ (file order, library order): compare postings by mission id
        return {field: sorted((index.facts.ids[slot], count) for slot, count in zip(slots, counts, strict=True)
                              if slot in index.facts)
                for field, (slots, counts) in index.posting(key).items()}

    keys = [*set(expected.words.values()), "maison projet", "gestion urban", "point etap"]
    assert all(by_id(index, key) == by_id(expected, key) for key in keys if expected.posting(key))
    assert all(index.posting(key) is None for key in keys if not expected.posting(key))


def test_the_scan_finds_the_record_files_in_the_order_of_sorted_paths(tmp_path: Path) -> None:
    from refcli.records.library import scan_record_files
    from refcli.records.load import find_record_files

    folder = tmp_path / "missions"
    for relative in ["b.toml", "a-b.toml", "a/b.toml", "a/c/d.toml", "z.toml", ".hidden.toml", ".dot/x.toml",
                     "notes.txt", "a/a.toml", "A.toml"]:
        (folder / relative).parent.mkdir(parents=True, exist_ok=True)
        (folder / relative).write_text("x", encoding="utf-8")
    (folder / "loop").symlink_to(folder)  # a symlinked folder is not walked
    (folder / "gone.toml").symlink_to(tmp_path / "nowhere.toml")  # a file that cannot be stat'ed
    found = scan_record_files(folder)
    expected = ["A.toml", "a/a.toml", "a/b.toml", "a/c/d.toml", "a-b.toml", "b.toml", "gone.toml", "z.toml"]
    assert list(found) == expected == [path.as_posix() for path in sorted(map(Path, expected))]
    assert find_record_files(folder) == [folder / relative for relative in expected]
    assert found["gone.toml"] == (-1, -1) and found["a/c/d.toml"][0] == 1


def test_a_library_nested_deeper_than_python_recurses_is_walked(tmp_path: Path) -> None:
    import os
    import sys

    folder = tmp_path / "missions"
    folder.mkdir()
    (folder / "b.toml").write_text("x", encoding="utf-8")
    here = os.open(folder, os.O_RDONLY)
    for _ in range(sys.getrecursionlimit() + 100):  # one folder in the other (pathlib's mkdir recurses too)
        os.mkdir("a", dir_fd=here)
        deeper = os.open("a", os.O_RDONLY, dir_fd=here)
        os.close(here)
        here = deeper
    os.close(os.open("x.toml", os.O_WRONLY | os.O_CREAT, dir_fd=here))
    os.close(here)
    from refcli.records.library import scan_record_files

    try:
        assert list(scan_record_files(folder)) == ["a/" * (sys.getrecursionlimit() + 100) + "x.toml", "b.toml"]
        library = load_library(folder)  # one problem each (not records), no RecursionError
        assert len(library.problems) == 2 and not library.missions
    finally:  # removed from the bottom up: shutil.rmtree, which pytest cleans its folders with, recurses too
        levels = [os.path.join(folder, *["a"] * depth) for depth in range(1, sys.getrecursionlimit() + 101)]
        os.unlink(os.path.join(levels[-1], "x.toml"))
        for level in reversed(levels):
            os.rmdir(level)


def test_a_pool_whose_workers_die_is_reported_and_the_files_read_here(tmp_path: Path, monkeypatch) -> None:
    import os

    from refcli.records import library as library_module
    from refcli.records.library import PoolWarning, load_library_indexed
    from tests.test_generate import load_generator

    folder = tmp_path / "missions"
    load_generator().generate_library(30, folder, seed=2)
    serial_library, serial_index = load_library_indexed(folder)
    monkeypatch.setattr(library_module, "PARALLEL_FROM", 5)
    monkeypatch.setattr(library_module, "_cores", lambda: 2)
    monkeypatch.setattr(library_module, "_start_worker", lambda *arguments: os._exit(1))  # each worker dies at once
    with pytest.warns(PoolWarning, match="read in one process"):
        library, index = load_library_indexed(folder)
    assert list(library.missions) == list(serial_library.missions)
    assert index.words == serial_index.words
    assert index.posting("concertat") == serial_index.posting("concertat")
