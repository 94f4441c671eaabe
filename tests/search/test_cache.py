"""The library cache never changes a result: edits, additions, deletions, vocabulary changes, damage."""

from __future__ import annotations

import json
import os
import random
import shutil
import sqlite3
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from refcli.cli.commands import app
from refcli.records.library import load_library
from refcli.search import cache
from refcli.search.cache import cache_file, load_library_cached
from tests.conftest import ROOT, record_text

sys.path.insert(0, str(ROOT / "bench"))

from generate import generate_library

SEARCHES = [
    ["concertation", "maison du projet"],
    ["GUP", "-c", "gestion urbaine", "--explain"],
    ["concertaiton", "--since", "2015", "--client", "public"],
    ["-c", "capitalisation:3", "-n", "30"],
    ["relogement", "NPNRU", "--years", "8"],
]
LISTS = [[], ["-c", "concertation", "--since", "2015"]]


@pytest.fixture(autouse=True)
def small_blocks(monkeypatch: pytest.MonkeyPatch) -> None:
    """Postings are stored in blocks of cache.BLOCK slots; blocks of 8 make these 45-record libraries span several."""
    monkeypatch.setattr(cache, "BLOCK", 8)


@pytest.fixture
def big_library(tmp_path: Path) -> Path:
    """Forty generated records beside the shipped five, the vocabulary and the glossary."""
    data = tmp_path / "data"
    shutil.copytree(ROOT / "data", data)
    generate_library(40, data / "missions" / "generated", seed=3)
    return data / "missions"


def outputs(folder: Path, *extra: str) -> dict[str, tuple[int, str, str]]:
    """Every search and list, as (exit code, stdout, stderr), through the cache or not (extra)."""
    runner = CliRunner()
    found = {}
    for arguments in SEARCHES:
        result = runner.invoke(app, ["search", *arguments, "--data", str(folder), "--json", *extra])
        found[" ".join(arguments)] = (result.exit_code, result.stdout, result.stderr)
    for arguments in LISTS:
        result = runner.invoke(app, ["list", *arguments, "--data", str(folder), "--json", *extra])
        found["list " + " ".join(arguments)] = (result.exit_code, result.stdout, result.stderr)
    result = runner.invoke(app, ["show", "antony-point-etape-psl", "--data", str(folder), "--json", *extra])
    found["show"] = (result.exit_code, result.stdout, result.stderr)
    result = runner.invoke(app, ["list", "--data", str(folder), *extra], env={"COLUMNS": "100"})  # the table
    found["list table"] = (result.exit_code, result.stdout, result.stderr)
    return found


def assert_cache_changes_nothing(folder: Path) -> None:
    without = outputs(folder, "--no-cache")
    assert outputs(folder) == without  # builds or updates the cache
    assert outputs(folder) == without  # reads it warm
    assert any(json.loads(stdout).get("results") for code, stdout, _ in without.values() if code == 0)


def test_the_cache_gives_the_same_results_through_edits_additions_and_deletions(big_library: Path,
                                                                                 cache_dir: Path) -> None:
    assert_cache_changes_nothing(big_library)
    assert list(cache_dir.glob("library-*.sqlite3"))
    generated = sorted((big_library / "generated").glob("*.toml"))

    # edited: a new keyword that a search looks for, and a record that loses its concertation
    record = generated[0]
    record.write_text(record.read_text(encoding="utf-8").replace("keywords = [", 'keywords = [\n    "relogement",'),
                      encoding="utf-8")
    antony = big_library / "antony-point-etape-psl.toml"
    antony.write_text(antony.read_text(encoding="utf-8").replace("capitalisation = 5", "capitalisation = 1"),
                      encoding="utf-8")
    # an edit that keeps the size: the modification time tells it
    stat = generated[1].stat()
    text = generated[1].read_text(encoding="utf-8")
    generated[1].write_text(text.replace("start = 20", "start = 19", 1) if "start = 20" in text else text,
                            encoding="utf-8")
    os.utime(generated[1], ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    assert_cache_changes_nothing(big_library)

    # added, deleted, made invalid, a duplicate id
    (big_library / "ajout.toml").write_text(record_text("ajout-relogement", "Relogement et concertation",
                                                        keywords=("relogement",)), encoding="utf-8")
    generated[2].unlink()
    generated[3].write_text(generated[3].read_text(encoding="utf-8").replace('role = "', 'role = "x'),
                            encoding="utf-8")
    shutil.copy(generated[4], big_library / "zz-copy.toml")
    assert_cache_changes_nothing(big_library)
    assert "duplicate id" in outputs(big_library)["list "][2]


def test_changing_the_vocabulary_or_the_glossary_changes_results_alike(big_library: Path) -> None:
    assert_cache_changes_nothing(big_library)
    components = big_library.parent / "components.toml"
    components.write_text(components.read_text(encoding="utf-8").replace(
        'label = "Concertation"', 'label = "Participation citoyenne"'), encoding="utf-8")
    assert_cache_changes_nothing(big_library)
    glossary = big_library.parent / "glossary.toml"
    synonyms = '\n[[synonyms]]\nterms = ["maison du projet", "tableau de bord"]\n'
    glossary.write_text(glossary.read_text(encoding="utf-8") + synonyms, encoding="utf-8")
    assert_cache_changes_nothing(big_library)


def test_a_deleted_illustration_is_noticed(data_copy: Path) -> None:
    from tests.conftest import add_illustration

    image = add_illustration(data_copy, "bagneux-point-etape-cloture.toml")
    assert_cache_changes_nothing(data_copy)
    image.unlink()
    assert_cache_changes_nothing(data_copy)
    assert "does not exist" in outputs(data_copy)["list "][2]
    add_illustration(data_copy, "antony-point-etape-psl.toml")  # the image is back, the record unchanged
    assert_cache_changes_nothing(data_copy)


def _stdout(found: dict[str, tuple[int, str, str]]) -> dict[str, tuple[int, str]]:
    return {key: value[:2] for key, value in found.items()}


UNSORTED = "x'" + __import__("marshal").dumps({0: (bytes([2, 0, 0, 0, 1, 0, 0, 0]), bytes([1, 0, 1, 0]))}).hex() + "'"


@pytest.mark.parametrize("damage", ["random bytes", "truncated", "another identity", "missing words", "bad posting",
                                    "unsorted posting", "bad record", "bad listing", "bad manifest", "empty file"])
def test_a_damaged_cache_is_rebuilt_never_trusted(big_library: Path, cache_dir: Path, damage: str) -> None:
    expected = outputs(big_library, "--no-cache")
    assert outputs(big_library) == expected
    (database,) = cache_dir.glob("library-*.sqlite3")
    if damage == "random bytes":
        database.write_bytes(random.Random(1).randbytes(50_000))
    elif damage == "truncated":
        database.write_bytes(database.read_bytes()[: database.stat().st_size // 2])
    elif damage == "empty file":
        database.write_bytes(b"")
    else:
        with sqlite3.connect(database) as connection:
            if damage == "another identity":  # another refcli, other components: rebuilt without a word
                connection.execute("UPDATE meta SET value = 'x' WHERE key = 'identity'")
            elif damage == "missing words":
                connection.execute("DELETE FROM blobs WHERE name = 'words'")
            elif damage == "bad posting":
                connection.execute("UPDATE postings SET data = x'0102' WHERE key = 'concertat'")
            elif damage == "unsorted posting":
                connection.execute(f"UPDATE postings SET data = {UNSORTED} WHERE key = 'maison projet'")
            elif damage == "bad record":  # found when a search decodes a result
                connection.execute("UPDATE files SET record = '{\"id\": 3}' WHERE path = 'antony-point-etape-psl.toml'")
            elif damage == "bad listing":  # found when `list` reads what it shows
                connection.execute("UPDATE files SET listing = x'0102' WHERE path = 'antony-point-etape-psl.toml'")
            else:
                connection.execute("UPDATE blobs SET data = x'0102' WHERE name = 'manifest'")
            assert connection.total_changes, f"{damage}: the statement damaged nothing"
        connection.close()
    found = outputs(big_library)
    assert _stdout(found) == _stdout(expected)
    if damage == "another identity":
        assert found == expected
    assert outputs(big_library) == expected  # repaired: warm and quiet again


def test_a_programming_error_in_the_warm_load_is_not_taken_for_damage(big_library: Path, cache_dir: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """A bug raises: it is neither swallowed as damage nor answered by rebuilding the cache on every run."""
    import refcli.search.cache

    outputs(big_library)

    def broken(*arguments, **options):
        raise TypeError("a bug")

    monkeypatch.setattr(refcli.search.cache, "keep_first", broken)
    result = CliRunner().invoke(app, ["search", "concertation", "--data", str(big_library), "--json"])
    assert result.exit_code != 0 and isinstance(result.exception, TypeError)


@pytest.mark.parametrize("damage", ["UPDATE postings SET data = x'0102' WHERE key = 'concertat'",
                                    "UPDATE files SET record = '[1]' WHERE path LIKE 'generated/%'",
                                    "DELETE FROM blobs WHERE name = 'words'"])
def test_damage_found_while_patching_rebuilds(big_library: Path, cache_dir: Path, damage: str) -> None:
    expected = outputs(big_library, "--no-cache")
    assert outputs(big_library) == expected
    (database,) = cache_dir.glob("library-*.sqlite3")
    with sqlite3.connect(database) as connection:
        connection.execute(damage)
        assert connection.total_changes, f"{damage}: the statement damaged nothing"
    connection.close()
    for record in sorted((big_library / "generated").glob("*.toml"))[:3]:  # edits that reach the damage
        text = record.read_text(encoding="utf-8")
        record.write_text(text.replace("keywords = [", 'keywords = [\n    "concertation",'), encoding="utf-8")
    without = outputs(big_library, "--no-cache")
    found = outputs(big_library)
    assert _stdout(found) == _stdout(without)
    assert any("cache rebuilt" in stderr for _, _, stderr in found.values())
    assert outputs(big_library) == without


def _slots(database: Path) -> dict[str, int]:
    with sqlite3.connect(database) as connection:
        found = dict(connection.execute("SELECT path, slot FROM files"))
    connection.close()
    return found


def _postings_by_path(database: Path) -> dict[str, object]:
    """The stored postings, each slot named by its file's path (slots differ between an updated and a new cache)."""
    import marshal
    from array import array

    with sqlite3.connect(database) as connection:
        paths = dict(connection.execute("SELECT slot, path FROM files"))
        found: dict[str, object] = {}
        for key, data in connection.execute("SELECT key, data FROM postings ORDER BY key, block"):
            fields = found.setdefault(key, {})
            for field, (slots, counts) in marshal.loads(data).items():
                fields[field] = sorted([*fields.get(field, []), *zip([paths[slot] for slot in array("i", slots)],
                                                                     array("H", counts), strict=True)])
        words = connection.execute("SELECT data FROM blobs WHERE name = 'words'").fetchone()[0]
    connection.close()
    return {"words": marshal.loads(words), **found}


def _blocks(database: Path) -> dict[tuple[str, int], bytes]:
    with sqlite3.connect(database) as connection:
        found = {(key, block): data for key, block, data in connection.execute("SELECT key, block, data FROM postings")}
    connection.close()
    return found


@pytest.mark.parametrize("block", [8, 1024])
def test_patched_postings_equal_a_fresh_cache(big_library: Path, cache_dir: Path, tmp_path: Path, block: int,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cache, "BLOCK", block)
    load_library_cached(big_library, cache_dir, with_index=True)
    before = _blocks(cache_file(big_library, cache_dir))
    slots = _slots(cache_file(big_library, cache_dir))
    generated = sorted((big_library / "generated").glob("*.toml"))
    generated[0].write_text(generated[0].read_text(encoding="utf-8").replace("keywords = [",
                                                                             'keywords = [\n    "zygomatique",'),
                            encoding="utf-8")
    generated[1].unlink()
    (big_library / "ajout.toml").write_text(record_text("ajout", "Relogement et concertation"), encoding="utf-8")
    generated[2].write_text("id = [", encoding="utf-8")
    updated = load_library_cached(big_library, cache_dir, with_index=True)
    assert updated.note is None and updated.index is not None
    fresh = load_library_cached(big_library, tmp_path / "fresh", with_index=True)
    stored, new = _postings_by_path(cache_file(big_library, cache_dir)), \
        _postings_by_path(cache_file(big_library, tmp_path / "fresh"))
    # The words of a file deleted stay listed (a word list only grows between rebuilds); the postings agree.
    assert stored.pop("words").items() >= new.pop("words").items()
    assert stored == new
    # Only the blocks of the slots read again were rewritten: those of the files edited, deleted, made invalid
    # and the one added (after the others).
    after = _blocks(cache_file(big_library, cache_dir))
    changed = {slots[path.relative_to(big_library).as_posix()] // block for path in generated[:3]} | {
        (max(slots.values()) + 1) // block}
    rewritten = {number for (key, number) in before.keys() ^ after.keys()} | {
        number for (key, number), data in after.items() if before.get((key, number), data) != data}
    assert rewritten and rewritten <= changed
    if block == 8:
        assert len({number for _, number in after}) > 3
    assert "zygomatique" in updated.index.words
    assert sorted(map(updated.index.facts.of, updated.index.facts.ids)) == \
        sorted(map(fresh.index.facts.of, fresh.index.facts.ids))


def test_a_cache_folder_that_cannot_be_written_is_done_without(big_library: Path, tmp_path: Path) -> None:
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the cache folder should be", encoding="utf-8")
    expected = outputs(big_library, "--no-cache")
    found = outputs(big_library, "--cache-dir", str(blocked))
    assert {key: value[:2] for key, value in found.items()} == {key: value[:2] for key, value in expected.items()}
    assert all("cache not written" in stderr for _, _, stderr in found.values())
    result = CliRunner().invoke(app, ["list", "--data", str(big_library), "--cache-dir", str(blocked), "--quiet"])
    assert result.exit_code == 0 and result.stderr == ""


def test_no_cache_creates_no_cache(big_library: Path, cache_dir: Path) -> None:
    outputs(big_library, "--no-cache")
    assert list(cache_dir.iterdir()) == []


def test_cache_dir_option_and_environment(big_library: Path, tmp_path: Path, cache_dir: Path) -> None:
    chosen = tmp_path / "chosen"
    result = CliRunner().invoke(app, ["list", "--data", str(big_library), "--cache-dir", str(chosen), "--json"])
    assert result.exit_code == 0
    assert cache_file(big_library, chosen).is_file()
    assert list(cache_dir.iterdir()) == []


def test_a_warm_search_decodes_only_the_records_it_shows(big_library: Path, cache_dir: Path) -> None:
    load_library_cached(big_library, cache_dir)
    loaded = load_library_cached(big_library, cache_dir)
    missions = loaded.library.missions
    assert not isinstance(missions, tuple) and len(missions) == 45
    first = missions[0]
    assert missions.decoded.keys() == {0}  # type: ignore[attr-defined]
    assert loaded.library.get("bagneux-point-etape-cloture").id == "bagneux-point-etape-cloture"
    assert len(missions.decoded) == 2 and loaded.library.get("nope") is None  # type: ignore[attr-defined]
    full = load_library(big_library)
    assert first == full.missions[0] and first.path == full.missions[0].path
    assert list(missions) == list(full.missions)
    assert (loaded.library.problems, loaded.library.skipped_files) == (full.problems, full.skipped_files)


def test_an_edited_record_patches_the_manifest_as_a_fresh_cache_writes_it(big_library: Path, cache_dir: Path,
                                                                         tmp_path: Path,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """The usual update (files only edited, valid before and after) patches the manifest in place."""
    load_library_cached(big_library, cache_dir, with_index=True)
    generated = sorted((big_library / "generated").glob("*.toml"))
    edits = [(generated[0], ("keywords = [", 'keywords = [\n    "zygomatique",')),
             (big_library / "antony-point-etape-psl.toml", ("capitalisation = 5", "capitalisation = 1")),
             (big_library / "henin-carvin-projet-urbain-social.toml",
              ("[components]", "[components]\ncoordination = 2"))]
    for record, change in edits:
        record.write_text(record.read_text(encoding="utf-8").replace(*change, 1), encoding="utf-8")
    import refcli.search.cache

    in_place = []
    patch = refcli.search.cache._edited_in_place

    def watched(*arguments):
        in_place.append(patch(*arguments))
        return in_place[-1]

    monkeypatch.setattr(refcli.search.cache, "_edited_in_place", watched)
    updated = load_library_cached(big_library, cache_dir, with_index=True)
    assert in_place and in_place[0] is not None
    fresh = load_library_cached(big_library, tmp_path / "fresh", with_index=True)
    assert sorted(map(updated.index.facts.of, updated.index.facts.ids)) == \
        sorted(map(fresh.index.facts.of, fresh.index.facts.ids))
    again = load_library_cached(big_library, cache_dir, with_index=True)  # warm, from the patched manifest
    assert sorted(map(again.index.facts.of, again.index.facts.ids)) == \
        sorted(map(fresh.index.facts.of, fresh.index.facts.ids))


def test_a_key_in_fields_of_missions_in_different_blocks_is_patched_where_it_is_stored(
        big_library: Path, cache_dir: Path) -> None:
    """A word in the title of an early mission and in the stakes of one a block further on, when the cache is
    built: each field's slots lie in one block, but not the same one. Taking the word out of the later mission
    must take it out of the index."""
    load_library_cached(big_library, cache_dir, with_index=True)  # the slots, by path
    slots = _slots(cache_file(big_library, cache_dir))
    records = sorted((big_library / "generated").glob("*.toml"), key=lambda path: slots[
        path.relative_to(big_library).as_posix()])
    early, later = records[0], records[20]
    assert slots[later.relative_to(big_library).as_posix()] // cache.BLOCK > \
        slots[early.relative_to(big_library).as_posix()] // cache.BLOCK
    early.write_text(early.read_text(encoding="utf-8").replace('title = "', 'title = "Zythum ', 1), encoding="utf-8")
    text = later.read_text(encoding="utf-8")
    later.write_text(text.replace('stakes = "', 'stakes = "Zythum. ', 1), encoding="utf-8")
    shutil.rmtree(cache_dir)  # built afresh with the word in both
    runner = CliRunner()

    def found(*extra: str) -> list[str]:
        result = runner.invoke(app, ["search", "zythum", "--data", str(big_library), "--json", *extra])
        return sorted(match["id"] for match in json.loads(result.stdout)["results"]) if result.exit_code == 0 else []

    assert len(found()) == 2
    later.write_text(text, encoding="utf-8")  # the word taken out again
    assert found() == found("--no-cache") and len(found()) == 1
    assert [path for path, _ in _postings_by_path(cache_file(big_library, cache_dir))["zythum"][0]] == \
        [early.relative_to(big_library).as_posix()]


def test_the_identity_reads_every_module_that_reads_checks_indexes_or_stores_a_record(tmp_path):
    # A module of that path left out of cache.SHAPING_MODULES would let a cache built before it changed be
    # served after (records/written.py, which validation came to use, was). What the first run imports says.
    import subprocess

    script = (
        "import sys\nfrom pathlib import Path\nfrom refcli.search.cache import load_library_cached\n"
        f"load_library_cached(Path({str(ROOT / 'data' / 'missions')!r}), Path({str(tmp_path)!r}), with_index=True)\n"
        "print(' '.join(sorted(name for name in sys.modules if name.startswith('refcli'))))\n")
    imported = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout.split()
    assert "refcli.records.validate" in imported and "refcli.search.index" in imported  # the cache was built
    shaping = {"refcli." + name.removesuffix(".py").replace("/", ".") for name in cache.SHAPING_MODULES}
    # Packages (empty), the error and translation helpers, @frozen, and the file walk (its answer is compared
    # with the cache's on every run) shape nothing the cache stores.
    neutral = {"refcli", "refcli.annex", "refcli.records", "refcli.search", "refcli.errors", "refcli.i18n",
               "refcli.frozen", "refcli.records.scan"}
    assert set(imported) - shaping - neutral == set()


def _with_keywords(path: Path, *words: str) -> None:
    text = path.read_text(encoding="utf-8")
    start = text.index("keywords = [")
    end = text.index("]", start)
    path.write_text(text[:start] + "keywords = [" + ", ".join(f'"{word}"' for word in words) + text[end:],
                    encoding="utf-8")


def _found(folder: Path, term: str, *extra: str) -> tuple[int, list[str]]:
    result = CliRunner().invoke(app, ["search", term, "--json", "--data", str(folder), *extra])
    return result.exit_code, sorted(match["id"] for match in json.loads(result.stdout or '{"results": []}')["results"])


def test_a_word_taken_out_of_every_fiche_leaves_the_library_s_words(data_copy: Path) -> None:
    # A typo written in a fiche, then corrected: a patched cache kept it as a word the library writes, so the
    # same typo in a search was never corrected (1 result against 2 without the cache).
    record = data_copy / "antony-point-etape-psl.toml"
    original = record.read_text(encoding="utf-8")
    _with_keywords(record, "concertatiom")
    assert "antony-point-etape-psl" in _found(data_copy, "concertatiom")[1]  # the cache built with the typo
    record.write_text(original, encoding="utf-8")
    without = _found(data_copy, "concertatiom", "--no-cache")
    assert len(without[1]) == 2
    assert _found(data_copy, "concertatiom") == without  # patched
    assert _found(data_copy, "concertatiom") == without  # warm


def test_a_broken_word_reads_as_a_build_reads_it_after_the_words_that_fit_it_change(data_copy: Path) -> None:
    files = sorted(data_copy.glob("*.toml"))
    for path, word in zip(files, ["zqabo", "zqabo", "zqabo", "zqebo", "zq\ufffdbo"], strict=True):
        _with_keywords(path, word)
    broken = files[4].stem
    assert broken in _found(data_copy, "zqabo")[1]  # built: the broken word is read as the more spread zqabo
    for path in files[:3]:
        _with_keywords(path, "zqebo")
    without = _found(data_copy, "zqebo", "--no-cache")
    assert broken in without[1] and len(without[1]) == 5
    assert _found(data_copy, "zqebo") == without  # the patch rebuilt the cache
    assert _found(data_copy, "zqebo") == without


def test_a_broken_word_nothing_fits_added_by_an_edit_is_a_word_of_the_library(data_copy: Path) -> None:
    record = data_copy / "antony-point-etape-psl.toml"
    assert _found(data_copy, "concertation")[0] == 0  # the cache exists
    _with_keywords(record, "zqx\ufffdvw")
    without = _found(data_copy, "zqxavw", "--no-cache")
    assert without[1] == ["antony-point-etape-psl"]  # the typo correction reaches the broken word
    assert _found(data_copy, "zqxavw") == without


def test_a_glossary_that_does_not_load_fails_only_the_commands_that_read_it(data_copy: Path) -> None:
    # list, show and validate do not read the glossary without the cache: through it, they must not fail on it.
    glossary = data_copy.parent / "glossary.toml"
    glossary.write_text(glossary.read_text(encoding="utf-8") + '\n[[synonyms]]\nterms = ["par", "bilan"]\n',
                        encoding="utf-8")
    runner = CliRunner()
    for arguments in (["list", "--json"], ["show", "antony-point-etape-psl", "--json"], ["validate", "--json"]):
        cached = runner.invoke(app, [*arguments, "--data", str(data_copy)])
        uncached = runner.invoke(app, [*arguments, "--data", str(data_copy), "--no-cache"])
        assert (cached.exit_code, cached.stdout) == (uncached.exit_code, uncached.stdout) == (0, uncached.stdout)
        if arguments[0] != "validate":  # which lists the records' problems, not the cache's notes
            assert "warning: cache not used (" in cached.stderr and "synonyms[30].terms: 'par'" in cached.stderr
    for extra in ((), ("--no-cache",)):
        searched = runner.invoke(app, ["search", "concertation", "--data", str(data_copy), *extra])
        assert searched.exit_code == 2 and "synonyms[30].terms: 'par'" in searched.stderr
