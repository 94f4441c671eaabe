"""Start-up: a command imports only what it uses (README, "Performance")."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.conftest import SHIPPED_MISSIONS

HEAVY = ("numpy", "rich", "docx", "rapidfuzz", "rtoml", "sqlite3", "platformdirs", "pydantic", "lxml")

PROBE = """
import json, sys
from refcli.cli import app
sys.argv = ["refcli", *json.loads(sys.argv[1])]
try:
    app()
except SystemExit:
    pass
sys.stdout = sys.__stdout__
print("\\nMODULES " + json.dumps(sorted({name.split(".")[0] for name in sys.modules})))
"""


def imported(*arguments: str) -> set[str]:
    result = subprocess.run([sys.executable, "-c", PROBE, json.dumps(arguments)], capture_output=True, text=True,
                            check=True)
    line = result.stdout.rsplit("MODULES ", 1)[1]
    return set(json.loads(line))


def test_help_imports_nothing_heavy() -> None:
    assert imported("--help") & set(HEAVY) == set()


def test_search_imports_neither_word_nor_rich_for_json(cache_dir) -> None:
    modules = imported("search", "concertation", "--data", str(SHIPPED_MISSIONS), "--json", "--quiet")
    assert {"rapidfuzz", "sqlite3"} <= modules
    assert modules & {"docx", "rich", "pydantic", "lxml", "numpy"} == set()  # numpy alone costs ~100 ms
