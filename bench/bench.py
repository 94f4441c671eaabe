"""Benchmark refcli at library scale and print the table docs/performance.md quotes (not a test).

    python bench/bench.py            # 1,000 and 10,000 records
    python bench/bench.py --quick    # 1,000 records, fewer runs

Generates the libraries with bench/generate.py in a temporary folder (components.toml and
glossary.toml beside them), with a temporary cache folder, then reports medians of several runs in
this one session, each command run as the installed `refcli` beside this interpreter:
- `refcli --help`;
- `refcli search` cold (--no-cache: read, parse, validate, index, rank), on its first run with the
  cache (the same, plus writing the cache), and warm (the cache up to date); and warm with the example
  tender (the README's daily job: its title, keywords and object text, ≈ 50 terms);
- the ranking step alone, in-process (build_query + rank_missions, library loaded, index built);
- `refcli build-bid` with 10 references, warm;
- the largest peak memory (resident set) of those commands;
- the naive baseline of the search issue (bench_search.py: load, fold every record's full text, rapidfuzz
  partial_ratio of each term over it), end to end and for the ranking step alone, as ratios.

refcli's modules are compiled to .pyc first (python -m compileall), as an installed wheel is: this
machine sets PYTHONDONTWRITEBYTECODE, which would otherwise make every run compile them again.
"""

from __future__ import annotations

import argparse
import compileall
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from bench_search import naive_rank, naive_texts  # noqa: E402
from generate import generate_library  # noqa: E402
from timing import Measure, median_call, median_run  # noqa: E402

TERMS = ["concertation", "maison du projet"]
# The README's daily job: a tender's title, keywords and object text (tender-object.txt), ≈ 50 query terms.
TENDER = ROOT / "examples" / "tender-concertation.toml"
TARGETS = {
    "help": 0.150, "warm": 0.300, "cold": 2.0, "build-bid": 1.5, "peak": 300 * 1024, "ratio": 10.0,
    "first": 3.0, "edit": 0.5, "validate": 2.0, "list": 0.6, "new": 0.5,
}


def prepare_copies(count: int, root: Path) -> Path:
    """count copies of the shipped fiches (longer texts than generate.py writes), each with an id of its own."""
    folder = root / f"copies-{count}" / "missions"
    folder.mkdir(parents=True)
    seeds = sorted((ROOT / "data" / "missions").glob("*.toml"))
    texts = [(seed.stem, seed.read_text(encoding="utf-8")) for seed in seeds]
    for number in range(count):
        stem, text = texts[number % len(texts)]
        copy_id = f"{stem}-{number:05d}"
        (folder / f"{copy_id}.toml").write_text(text.replace(f'id = "{stem}"', f'id = "{copy_id}"', 1),
                                                 encoding="utf-8")
    for name in ("components.toml", "glossary.toml"):
        shutil.copy(ROOT / "data" / name, folder.parent / name)
    return folder


def prepare(count: int, root: Path) -> Path:
    folder = root / f"lib-{count}" / "missions"
    start = time.perf_counter()
    generate_library(count, folder)
    for name in ("components.toml", "glossary.toml"):
        shutil.copy(ROOT / "data" / name, folder.parent / name)
    print(f"generated {count} records in {time.perf_counter() - start:.1f} s", file=sys.stderr)
    return folder


def measure(count: int, folder: Path, cache: Path, repeat: int, slow_repeat: int) -> dict[str, Measure]:
    refcli = str(Path(sys.executable).with_name("refcli"))
    env = {**os.environ, "REFCLI_CACHE_DIR": str(cache)}
    search = [refcli, "search", *TERMS, "--data", str(folder), "--json", "--quiet"]
    found: dict[str, Measure] = {}

    def clear_cache() -> None:
        shutil.rmtree(cache, ignore_errors=True)

    print(f"{count}: cold search", file=sys.stderr)
    found["cold"] = median_run([*search, "--no-cache"], slow_repeat, env)
    print(f"{count}: first search (writes the cache)", file=sys.stderr)
    found["first"] = median_run(search, slow_repeat, env, setup=clear_cache)
    print(f"{count}: warm search", file=sys.stderr)
    found["warm"] = median_run(search, repeat, env)
    print(f"{count}: warm search with the example tender", file=sys.stderr)
    found["tender"] = median_run([refcli, "search", "--tender", str(TENDER), "--data", str(folder), "--json",
                                  "--quiet"], repeat, env)
    data = ["--data", str(folder), "--quiet"]
    print(f"{count}: validate, list, new --dry-run (warm)", file=sys.stderr)
    found["validate"] = median_run([refcli, "validate", *data], repeat, env)
    found["list"] = median_run([refcli, "list", "--json", *data], repeat, env)
    found["table"] = median_run([refcli, "list", *data], repeat, {**env, "COLUMNS": "80"})
    found["new"] = median_run([refcli, "new", *data, "--dry-run", "--title", "Étude de test", "--mission-type", "Étude",
                               "--role", "titulaire", "--client", "Ville de Test", "--client-kind", "public",
                               "--start", "2020", "--stakes", "Des enjeux.", "--content", "Un contenu."], repeat, env)
    records = sorted(folder.glob("*.toml"))
    edits = iter(records)

    def edit_one() -> None:  # a different record each run: a word added to its keywords
        record = next(edits)
        record.write_text(record.read_text(encoding="utf-8").replace("keywords = [", 'keywords = [\n    "zythum",', 1)
                          if "keywords = [" in record.read_text(encoding="utf-8")
                          else record.read_text(encoding="utf-8") + "\n", encoding="utf-8")

    print(f"{count}: one record edited, then a search", file=sys.stderr)
    found["edit"] = median_run(search, repeat, env, setup=edit_one)
    ids = ",".join(path.stem for path in records[:10])
    with tempfile.TemporaryDirectory() as out:
        annex = str(Path(out) / "annexe.docx")
        print(f"{count}: build-bid", file=sys.stderr)
        found["build-bid"] = median_run([refcli, "build-bid", "--ids", ids, "--out", annex, "--force", "--data",
                                         str(folder), "--quiet"], repeat, env)
    print(f"{count}: naive baseline", file=sys.stderr)
    naive = [sys.executable, str(HERE / "bench_search.py"), "--folder", str(folder), "--naive-search", *TERMS]
    found["naive"] = median_run(naive, slow_repeat, env)

    from refcli.records.library import load_library
    from refcli.search.glossary import load_glossary
    from refcli.search.index import build_index
    from refcli.search.query import build_query
    from refcli.search.rank import rank_missions

    library = load_library(folder)
    index = build_index(library)
    glossary = load_glossary(folder)
    texts = naive_texts(library)
    found["rank"] = median_call(lambda: rank_missions(library, index, build_query(library.vocabulary, glossary,
                                                                                  keywords=TERMS)), repeat)
    found["naive rank"] = median_call(lambda: naive_rank(library, texts, TERMS), repeat)
    return found


def _time(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms" if seconds < 1 else f"{seconds:.2f} s"


def _cell(measure: Measure) -> str:
    """The median wall time, and in parentheses the median processor time the command itself used."""
    return f"{_time(measure.seconds)} ({_time(measure.cpu_seconds)})"


def table(help_measure: Measure, results: dict[int, dict[str, Measure]]) -> str:
    counts = sorted(results)
    head = ("| measure: median wall time (processor time) | " + " | ".join(f"{count:,} records" for count in counts)
            + " | target |")
    lines = [head, "|---|" + "---:|" * len(counts) + "---|"]

    def row(label: str, cells: list[str], target: str) -> None:
        lines.append(f"| {label} | " + " | ".join(cells) + f" | {target} |")

    row(f"`refcli --help` ({help_measure.runs} runs)", [_cell(help_measure)] * len(counts), "< 150 ms")
    labels = {"cold": "`refcli search` cold, `--no-cache`", "first": "`refcli search`, first run (writes the cache)",
              "warm": "`refcli search` warm (cache up to date)",
              "tender": "`refcli search --tender examples/tender-concertation.toml` warm",
              "edit": "one record edited, then `refcli search`",
              "validate": "`refcli validate` (warm)", "list": "`refcli list --json` (warm)",
              "table": "`refcli list` (warm; its table, 80 columns)",
              "new": "`refcli new --dry-run` (warm)", "build-bid": "`refcli build-bid`, 10 references"}
    targets = {"cold": "< 2 s", "first": "< 3 s", "warm": "< 300 ms", "tender": "(< 300 ms, as warm)",
               "edit": "< 0.5 s", "validate": "< 2 s", "list": "< 0.6 s", "table": "< 0.6 s", "new": "< 0.5 s",
               "build-bid": "< 1.5 s"}
    for key, label in labels.items():
        runs = results[counts[0]][key].runs
        row(f"{label} ({runs} runs)", [_cell(results[count][key]) for count in counts],
            targets[key])
    row("ranking step alone, in-process", [_cell(results[count]["rank"]) for count in counts],
        "—")
    peaks = [max(results[count][key].peak_kb for key in labels)
             for count in counts]
    row("peak memory (largest of the refcli commands)", [f"{peak / 1024:.0f} MB" for peak in peaks],
        "< 300 MB at 10,000")
    row("naive baseline, end to end", [_cell(results[count]["naive"]) for count in counts], "—")
    row("**search warm vs naive, end to end**",
        [f"{results[count]['naive'].seconds / results[count]['warm'].seconds:.0f}×" for count in counts],
        "≥ 10×")
    row("search cold vs naive, end to end",
        [f"{results[count]['naive'].seconds / results[count]['cold'].seconds:.1f}×" for count in counts],
        "—")
    row("ranking step vs naive ranking, in-process",
        [f"{results[count]['naive rank'].seconds / results[count]['rank'].seconds:.0f}×" for count in counts],
        "—")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1,000 records only, fewer runs")
    parser.add_argument("--repeat", type=int, help="runs of each fast measure (default 7, quick 3)")
    parser.add_argument("--slow-repeat", type=int, help="runs of cold, first and naive (default 3, quick 1)")
    parser.add_argument("--keep", type=Path, help="generate the libraries into this folder and keep them")
    parser.add_argument("--copies", action="store_true", help="also 10,000 copies of the shipped fiches")
    arguments = parser.parse_args()
    counts = [1000] if arguments.quick else [1000, 10000]
    repeat = arguments.repeat or (3 if arguments.quick else 7)
    slow_repeat = arguments.slow_repeat or (1 if arguments.quick else 3)
    compileall.compile_dir(str(ROOT / "refcli"), quiet=1)

    refcli = str(Path(sys.executable).with_name("refcli"))
    help_measure = median_run([refcli, "--help"], 2 * repeat + 1)
    with tempfile.TemporaryDirectory(prefix="refcli-bench-") as temporary:
        root = arguments.keep or Path(temporary)
        results = {}
        for count in counts:
            folder = root / f"lib-{count}" / "missions"
            if not folder.is_dir():
                folder = prepare(count, root)
            results[count] = measure(count, folder, Path(temporary) / f"cache-{count}", repeat, slow_repeat)
        copies = None
        if arguments.copies:
            folder = root / "copies-10000" / "missions"
            if not folder.is_dir():
                folder = prepare_copies(10000, root)
            copies = measure(10000, folder, Path(temporary) / "cache-copies", repeat, slow_repeat)
    import platform

    import rapidfuzz

    print(f"\nPython {platform.python_version()}, rapidfuzz {rapidfuzz.__version__}, {os.cpu_count()} cores, "
          f"load average {os.getloadavg()[0]:.1f}; `{' '.join(TERMS)}`; medians\n")
    print(table(help_measure, results))
    if copies is not None:
        print("\n10,000 copies of the shipped fiches:\n")
        print(table(help_measure, {10000: copies}))


if __name__ == "__main__":
    main()
