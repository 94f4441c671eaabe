"""Every table fits the terminal: at 40, 60 and 80 columns no line is wider and no id is cut; at 200 the room is used.
Under CliRunner (rich reads COLUMNS), and once through a real terminal (tmux)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from rich.cells import cell_len
from typer.testing import CliRunner

from refcli.cli.commands import app
from tests.conftest import ROOT, SHIPPED_MISSIONS

IDS = sorted(path.stem for path in SHIPPED_MISSIONS.glob("*.toml"))
LONG_ID = "neuilly-sur-marne-amo-concertation-maison-du-projet-des-fauvettes"  # 65 characters
COMMANDS = [
    ["list"],
    ["search", "concertation", "maison du projet"],
    ["search", "--tender", "examples/tender-concertation.toml", "-n", "4", "--explain"],
    ["search", "--tender", "examples/tender-coordination.toml", "--cover"],
    ["check", "--tender", "examples/tender-amo-npru.toml"],
    ["check", "--tender", "examples/tender-coordination.toml"],
    *[["show", mission_id] for mission_id in IDS],
]


def run(arguments: list[str], width: int, data: Path = SHIPPED_MISSIONS):
    return CliRunner(env={"COLUMNS": str(width)}).invoke(app, [*arguments, "--data", str(data)])


def too_wide(text: str, width: int) -> list[str]:
    return [line for line in text.splitlines() if cell_len(line.rstrip()) > width]


def whole(mission_id: str, text: str) -> bool:
    """Whether the id is printed in one piece somewhere (not cut by a wrap or an ellipsis)."""
    return re.search(rf"(?<![\w-]){re.escape(mission_id)}(?![\w…-])", text) is not None


def named_ids(arguments: list[str]) -> list[str]:
    """The ids the command is about, from its JSON: the missions listed, found, chosen or shown."""
    if arguments[0] == "show":
        return []  # show prints the record, whose id is only in its file's path (folded when it is long)
    document = json.loads(run([*arguments, "--json"], 200).stdout)
    rows = document.get("missions") or document.get("results") or document.get("selected") or []
    return [row["id"] for row in rows]


@pytest.mark.parametrize("width", [40, 60, 80, 200])
@pytest.mark.parametrize("arguments", COMMANDS, ids=lambda arguments: " ".join(arguments)[:40])
def test_no_line_is_wider_than_the_terminal_and_ids_are_whole(arguments: list[str], width: int,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    result = run(arguments, width)
    assert result.exit_code in (0, 1), result.stderr
    assert too_wide(result.stdout, width) == []
    ids = named_ids(arguments)
    assert ids or arguments[0] == "show"
    for mission_id in ids:
        assert whole(mission_id, result.stdout), f"{mission_id} is not whole in:\n{result.stdout}"


def test_a_long_id_stays_whole_at_80_columns(library_folder: Path) -> None:
    record = library_folder / "neuilly-sur-marne-amo-concertation.toml"
    text = record.read_text(encoding="utf-8").replace('id = "neuilly-sur-marne-amo-concertation"', f'id = "{LONG_ID}"')
    record.unlink()
    (library_folder / f"{LONG_ID}.toml").write_text(text, encoding="utf-8")
    for arguments in (["list"], ["search", "concertation"], ["search", "concertation", "--cover", "-c", "conseil"]):
        result = run(arguments, 80, library_folder)
        assert result.exit_code == 0, result.stderr
        assert too_wide(result.stdout, 80) == []
        assert whole(LONG_ID, result.stdout), result.stdout


def test_the_search_table_uses_the_room_at_200_columns_and_stacks_at_80(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    arguments = ["search", "--tender", "examples/tender-concertation.toml", "-n", "3"]
    wide, narrow = run(arguments, 200).stdout, run(arguments, 80).stdout
    header = next(line for line in wide.splitlines() if line.strip().startswith("#"))
    assert header.split() == ["#", "score", "id", "title", "client", "years", "matched", "competencies"]
    assert max(cell_len(line.rstrip()) for line in wide.splitlines()) > 150  # wider than any 80- or 120-column one
    # At 80: the id on a line of its own, the title and client under it; the client column gone.
    header = next(line for line in narrow.splitlines() if line.strip().startswith("#"))
    assert header.split() == ["#", "score", "mission", "matched,", "competencies"]
    lines = narrow.splitlines()
    first = next(number for number, line in enumerate(lines) if "neuilly-sur-marne-amo-concertation" in line)
    assert lines[first].split()[:3] == ["1", "100", "neuilly-sur-marne-amo-concertation"]
    assert lines[first + 1].split()[:4] == ["AMO", "pour", "la", "mise"]
    assert len(narrow.splitlines()) > len(wide.splitlines())


def test_list_drops_to_one_column_per_mission_only_when_narrow(monkeypatch: pytest.MonkeyPatch) -> None:
    wide = run(["list"], 200).stdout
    assert next(line for line in wide.splitlines() if "title" in line).split() == ["id", "title", "client", "years",
                                                                                  "fee"]
    assert any(line.split()[:2] == ["est-ensemble-amo-npru", "AMO"] for line in wide.splitlines())
    narrow = run(["list"], 80).stdout
    assert next(line for line in narrow.splitlines() if "years" in line).split() == ["mission", "years", "fee"]


TMUX = shutil.which("tmux")


@pytest.mark.skipif(TMUX is None, reason="tmux is not installed (.ci/run installs it)")
@pytest.mark.parametrize("width", [60, 80])
def test_an_80_or_60_column_terminal_shows_the_search_table_whole(tmp_path: Path, width: int) -> None:
    """A real terminal (tmux, 80 or 60 columns): what a bid manager sees, not what a test runner captures."""
    session = f"refcli-widths-{tmp_path.name}"
    done = tmp_path / "done"
    # The pane stays open (sleep) until the screen is captured; the server is killed at the end.
    command = (f"cd {ROOT} && {sys.executable} -m refcli search --tender examples/tender-concertation.toml -n 3 "
               f"--data {SHIPPED_MISSIONS} --cache-dir {tmp_path / 'cache'}; touch {done}; exec sleep 60")
    environment = {key: value for key, value in os.environ.items() if key not in ("COLUMNS", "LINES", "TMUX")}
    tmux = [TMUX, "-L", session, "-f", "/dev/null"]
    subprocess.run([*tmux, "new-session", "-d", "-s", session, "-x", str(width), "-y", "50", command], check=True,
                   env={**environment, "TERM": "xterm-256color"})
    try:
        for _ in range(600):
            if done.exists():
                break
            time.sleep(0.1)
        screen = subprocess.run([*tmux, "capture-pane", "-p", "-t", session], check=True, capture_output=True,
                                text=True).stdout
    finally:
        subprocess.run([*tmux, "kill-server"], check=False, capture_output=True)
    lines = screen.splitlines()
    assert done.exists(), screen
    assert all(cell_len(line.rstrip()) <= width for line in lines)
    # At 80 the rank and score beside the id; at 60 above it, the table in one column.
    first = ["1", "100", "neuilly-sur-marne-amo-concertation"] if width == 80 else ["1.", "score", "100"]
    assert any(line.split()[:3] == first for line in lines), screen
    for mission_id in ("neuilly-sur-marne-amo-concertation", "est-ensemble-amo-npru",
                       "henin-carvin-projet-urbain-social"):
        assert whole(mission_id, screen), screen
    assert "3 best mission(s), public clients, window since 2016; score: the best one = 100" in " ".join(
        screen.split())
