"""The early scan: a child forked at start-up stats the library while refcli imports (refcli/records/scan.py)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from refcli.records import scan
from refcli.records.scan import named_folder, scan_record_files, start_early_scan, take_early_scan

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the early scan forks on Linux only")


@pytest.mark.parametrize(("arguments", "environment", "expected"), [
    (["search", "gup", "--data", "lib"], {}, "lib"),
    (["search", "--data=lib", "gup"], {}, "lib"),
    (["check", "--tender", "t.toml", "--data", "a", "--data", "b"], {}, "b"),  # the last one wins, as in click
    (["build-bid", "--ids", "x"], {"REFCLI_DATA": "env/lib"}, "env/lib"),
    (["list"], {}, os.path.join("data", "missions")),
    (["show", "x", "--data", "lib"], {"REFCLI_DATA": "env/lib"}, "lib"),
    (["search", "--", "--data", "lib"], {}, os.path.join("data", "missions")),  # after --, a search term
    (["search", "gup", "--no-cache", "--data", "lib"], {}, None),  # nothing is stat'ed
    (["search", "--help"], {}, None),
    (["validate", "--data", "lib"], {}, None),  # validate reads every file without the cache
    (["new"], {}, None),
    ([], {}, None),
    (["--version"], {}, None),
])
def test_the_folder_a_command_line_names(arguments: list[str], environment: dict[str, str],
                                         expected: str | None) -> None:
    assert named_folder(arguments, environment) == expected


def _library(tmp_path: Path, count: int = 40) -> Path:
    folder = tmp_path / "missions"
    (folder / "sub").mkdir(parents=True)
    for number in range(count):
        (folder / ("sub" if number % 7 == 0 else "") / f"m{number:03}.toml").write_text("x" * number)
    return folder


def _no_child_left(pid: int) -> bool:
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        return True
    return False


def test_the_child_scans_what_the_parent_would(tmp_path: Path) -> None:
    folder = _library(tmp_path)
    start_early_scan(["search", "gup", "--data", str(folder)])
    assert scan._early is not None
    pid = scan._early[0]
    found = take_early_scan(folder)
    assert found is not None  # the child's answer, not a fallback
    assert found == scan_record_files(folder)
    assert list(found) == list(scan_record_files(folder))  # in the library's order
    assert _no_child_left(pid)
    assert take_early_scan(folder) is None  # taken once


def test_another_folder_gets_nothing_and_the_child_is_stopped(tmp_path: Path) -> None:
    folder = _library(tmp_path)
    start_early_scan(["search", "gup", "--data", str(folder)])
    pid = scan._early[0]
    assert take_early_scan(tmp_path / "elsewhere") is None
    assert _no_child_left(pid)


def test_a_command_that_ends_first_leaves_no_process(tmp_path: Path) -> None:
    """What the entry point registers with atexit: an answer never taken (the command failed before it
    read the library) still has its child stopped and reaped."""
    from refcli.records.scan import drop_early_scan

    start_early_scan(["search", "gup", "--data", str(_library(tmp_path, count=3000))])
    pid = scan._early[0]
    drop_early_scan()
    assert scan._early is None and _no_child_left(pid)
    drop_early_scan()  # nothing left to drop


def test_a_folder_the_child_cannot_scan_gets_nothing(tmp_path: Path) -> None:
    start_early_scan(["search", "gup", "--data", str(tmp_path / "missing")])
    assert take_early_scan(tmp_path / "missing") is None  # the parent scans and reports the error itself


def test_a_child_that_dies_gets_nothing(tmp_path: Path) -> None:
    folder = _library(tmp_path, count=3000)  # more than a pipe holds: the child is still writing
    start_early_scan(["search", "gup", "--data", str(folder)])
    os.kill(scan._early[0], 9)
    assert take_early_scan(folder) is None


def test_the_command_sees_an_edit_made_before_it_starts(tmp_path: Path, library_folder: Path) -> None:
    """End to end through the `refcli` entry point, whose early scan feeds the cache: a record edited
    between two searches is read again (its size and mtime come from the child)."""
    environment = {**os.environ, "REFCLI_CACHE_DIR": str(tmp_path / "cache")}

    def search(term: str) -> list[str]:
        command = [sys.executable, "-m", "refcli", "search", term, "--data", str(library_folder), "--json", "--quiet"]
        result = subprocess.run(command, capture_output=True, text=True, env=environment, check=False)
        assert result.returncode in (0, 1), result.stderr
        return [found["id"] for found in json.loads(result.stdout)["results"]]

    assert search("zygomatique") == []
    record = sorted(library_folder.glob("*.toml"))[0]
    text = record.read_text(encoding="utf-8")
    record.write_text(text.replace("keywords = [", 'keywords = ["zygomatique", ', 1), encoding="utf-8")
    assert "zygomatique" in record.read_text(encoding="utf-8")
    found = search("zygomatique")
    assert len(found) == 1
    record.write_text(text, encoding="utf-8")
    os.utime(record, ns=(time.time_ns(), time.time_ns()))
    assert search("zygomatique") == []
