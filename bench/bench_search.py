"""Benchmark `refcli search` against a naive baseline on a generated library (not a test).

    python bench/bench_search.py --records 10000

Writes the library with bench/generate.py when its folder does not exist yet, then reports
medians, as a Markdown table:
- the ranking step alone, in-process, library loaded and index built: build_query + rank_missions;
- the naive baseline measured the same way: rapidfuzz fuzz.partial_ratio (processor=None, on
  pre-folded text) of each query term over every record's full text, scores summed per record;
- a search end to end: `refcli search ... --data DIR --json` in a subprocess, and the same for
  the naive baseline (this script with --naive-search in a subprocess: load, fold, score, print).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

QUERIES = [
    ("concertation \"maison du projet\"", ["concertation", "maison du projet"], []),
    ("GUP -c \"gestion urbaine\"", ["GUP"], ["gestion urbaine"]),
    ("concertaiton (typo)", ["concertaiton"], []),
    ("NPNRU relogement", ["NPNRU", "relogement"], []),
    ("\"Assistance à ma\\ufffdtrise d'ouvrage\"", ["Assistance à ma\ufffdtrise d'ouvrage"], []),
]


def naive_texts(library) -> list[str]:
    """Every record's searched text, folded once (the baseline's equivalent of building the index)."""
    from refcli.search.index import mission_fields
    from refcli.search.text import fold

    return [fold(" ".join(text for texts in mission_fields(mission, library.vocabulary).values() for text in texts))
            for mission in library.missions]


def naive_rank(library, texts: list[str], keywords: list[str], limit: int = 10) -> list[tuple[float, str]]:
    """The baseline: a fuzzy scorer over every record's full text, for every query term."""
    from rapidfuzz import fuzz, process

    from refcli.search.text import fold

    totals = [0.0] * len(texts)
    for keyword in keywords:
        for _, score, number in process.extract(fold(keyword), texts, scorer=fuzz.partial_ratio, processor=None,
                                                score_cutoff=80, limit=None):
            totals[number] += score
    ranked = sorted((-total, mission.id) for total, mission in zip(totals, library.missions, strict=True) if total)
    return [(-total, mission_id) for total, mission_id in ranked[:limit]]


def median_ms(function, repeat: int) -> float:
    from timing import median_call

    return median_call(function, repeat).seconds * 1000


def naive_search(folder: Path, keywords: list[str]) -> None:
    from refcli.records.library import load_library

    library = load_library(folder)
    ranked = naive_rank(library, naive_texts(library), keywords)
    print(json.dumps([mission_id for _, mission_id in ranked]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=10000)
    parser.add_argument("--folder", type=Path, help="default: bench/out/lib-RECORDS/missions")
    parser.add_argument("--repeat", type=int, default=7, help="runs of each in-process measure")
    parser.add_argument("--repeat-end-to-end", type=int, default=3, help="runs of each subprocess")
    parser.add_argument("--naive-search", nargs="+", metavar="TERM", help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    folder = arguments.folder or HERE / "out" / f"lib-{arguments.records}" / "missions"
    if arguments.naive_search:
        naive_search(folder, arguments.naive_search)
        return
    if not folder.is_dir():
        from generate import generate_library

        generate_library(arguments.records, folder)

    from refcli.records.library import load_library
    from refcli.search.glossary import load_glossary
    from refcli.search.index import build_index
    from refcli.search.query import build_query
    from refcli.search.rank import rank_missions

    start = time.perf_counter()
    library = load_library(folder)
    loaded = time.perf_counter() - start
    glossary = load_glossary(folder)
    start = time.perf_counter()
    index = build_index(library)
    indexed = time.perf_counter() - start
    start = time.perf_counter()
    texts = naive_texts(library)
    folded = time.perf_counter() - start
    print(f"library: {len(library.missions)} records in {folder}; load and validate {loaded:.2f} s; "
          f"build the index {indexed:.2f} s ({len(set(index.words.values()))} distinct stems); "
          f"baseline's folding of full texts {folded:.2f} s\n")

    print("| query | ranking step (median) | naive baseline (median) | ratio | first result |")
    print("|---|---:|---:|---:|---|")
    for label, keywords, competencies in QUERIES:
        def ours(keywords=keywords, competencies=competencies):
            query = build_query(library.vocabulary, glossary, keywords=keywords, competencies=competencies)
            return rank_missions(library, index, query)

        ours_ms = median_ms(ours, arguments.repeat)
        naive_ms = median_ms(lambda keywords=keywords: naive_rank(library, texts, keywords), arguments.repeat)
        first = ours()
        print(f"| `{label}` | {ours_ms:.1f} ms | {naive_ms:.1f} ms | {naive_ms / ours_ms:.0f}× | "
              f"{first[0].id if first else '—'} |")

    keywords = QUERIES[0][1]
    refcli = Path(sys.executable).with_name("refcli")
    command = [str(refcli), "search", *keywords, "--data", str(folder), "--json", "--quiet", "--no-cache"]  # cold
    naive = [sys.executable, str(Path(__file__).resolve()), "--folder", str(folder), "--naive-search", *keywords]
    ours_ms = median_ms(lambda: subprocess.run(command, check=True, capture_output=True),
                        arguments.repeat_end_to_end)
    naive_ms = median_ms(lambda: subprocess.run(naive, check=True, capture_output=True),
                         arguments.repeat_end_to_end)
    print(f"\n| end to end (subprocess), `{QUERIES[0][0]}` | refcli search | naive baseline | ratio |")
    print("|---|---:|---:|---:|")
    print(f"| median of {arguments.repeat_end_to_end} runs | {ours_ms / 1000:.2f} s | {naive_ms / 1000:.2f} s | "
          f"{naive_ms / ours_ms:.1f}× |")


if __name__ == "__main__":
    main()
