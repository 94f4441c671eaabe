"""Measure `refcli search --text` on the real-tender relevance collection in bench/relevance/ (not a test).

    python bench/relevance.py                      # the table: one line per field (text, text_raw)
    python bench/relevance.py --per-query          # and one line per query and field
    python bench/relevance.py --json out/          # also write out/run-text.json, out/run-text_raw.json
    python bench/relevance.py --show-unjudged      # list the unjudged top-10 documents where unjudged@10 > 0.1
    python bench/relevance.py --explain T06        # refcli's `search --explain` for one query, nothing else
    python bench/relevance.py --field text         # one field only (also with --explain)
    python bench/relevance.py --in-process         # the searches in this process (same rankings, faster)
    python bench/relevance.py --check-in-process   # both ways: exit 1 unless the rankings are identical
    python bench/relevance.py --library-dir DIR    # where the generated library lives (default below)
    python bench/relevance.py --ablate             # the ranking without each of its parts, one at a time

The library is generated from corpus.jsonl into bench/.relevance-library/ (git-ignored): one record
file per document in missions/, the files of data/ beside it (components.toml, glossary.toml: the
shipped layout), ids.json mapping record ids back to doc_ids. It is rebuilt only when the corpus or
the converter (record_id, doc_record, refcli's record writer) changes, and checked once with
`refcli validate`. refcli's cache of it lives in cache/, emptied whenever refcli's source or the data
files change, so a change to the ranking never meets a stale index: the first search then fills it
and the others run warm.

Each query's `text` and `text_raw` is searched with `refcli search --text ... --limit 30 --json` (the
refcli installed beside this Python), in subprocesses run in parallel once the cache is warm. The
scores use the definitions of the collection's reference scorer (bench/relevance/README.md,
"Metrics"): the run files written by --json can be fed to it and give the same figures.
Standard library and refcli only.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import hashlib
import io
import json
import math
import os
import shutil
import subprocess
import sys
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
COLLECTION = HERE / "relevance"
DEFAULT_LIBRARY = HERE / ".relevance-library"
FIELDS = ("text", "text_raw")
METRICS = ("nDCG@10", "P@5", "R@20", "MRR", "unjudged@10")
LIMIT = 30
DEFAULT_YEAR = 2019  # period.start of a document whose year is null
NO_WORDS = "-"  # a required text field's value: refcli's tokeniser finds no word in it


# --- The collection -------------------------------------------------------------------------------

def load_queries(folder: Path = COLLECTION) -> list[dict]:
    with open(folder / "queries.jsonl", encoding="utf-8") as stream:
        return [json.loads(line) for line in stream if line.strip()]


def load_qrels(folder: Path = COLLECTION) -> dict[str, dict[str, int]]:
    qrels: dict[str, dict[str, int]] = defaultdict(dict)
    with open(folder / "qrels.tsv", encoding="utf-8") as stream:
        next(stream)  # the header line
        for line in stream:
            if line.strip():
                qid, doc_id, grade = line.rstrip("\n").split("\t")
                qrels[qid][doc_id] = int(grade)
    return qrels


def load_corpus(folder: Path = COLLECTION) -> list[dict]:
    with open(folder / "corpus.jsonl", encoding="utf-8") as stream:
        return [json.loads(line) for line in stream if line.strip()]


# --- Scoring (the reference scorer's definitions) ---------------------------------------------------

def dcg(grades: list[int]) -> float:
    return sum(grade / math.log2(rank + 2) for rank, grade in enumerate(grades))


def score_query(ranking: list[str], judged: dict[str, int]) -> dict[str, float | None]:
    """The five metrics of one ranking (self documents already removed); None where the query has nothing to find."""
    grades = [judged.get(doc_id, 0) for doc_id in ranking]
    ideal = dcg(sorted(judged.values(), reverse=True)[:10])
    relevant = sum(1 for grade in judged.values() if grade >= 1)
    first2 = next((rank for rank, grade in enumerate(grades) if grade == 2), None)
    return {
        "nDCG@10": dcg(grades[:10]) / ideal if ideal else None,
        "P@5": sum(1 for grade in grades[:5] if grade >= 1) / 5 if relevant else None,
        "R@20": sum(1 for grade in grades[:20] if grade >= 1) / relevant if relevant else None,
        "MRR": (1 / (first2 + 1) if first2 is not None else 0.0) if 2 in judged.values() else None,
        "unjudged@10": sum(1 for doc_id in ranking[:10] if doc_id not in judged) / 10,
    }


def score_run(run: dict[str, list[str]], queries: list[dict], qrels: dict[str, dict[str, int]]):
    """Per-query metrics (each query's self_doc_ids removed first) and their means over the queries that have them."""
    per = {}
    for query in queries:
        own = set(query.get("self_doc_ids") or ())
        ranking = [doc_id for doc_id in run.get(query["qid"], []) if doc_id not in own]
        per[query["qid"]] = score_query(ranking, qrels.get(query["qid"], {}))
    means = {}
    for name in METRICS:
        values = [metrics[name] for metrics in per.values() if metrics[name] is not None]
        means[name] = sum(values) / len(values) if values else 0.0
    return per, means


# --- The library ----------------------------------------------------------------------------------

def record_id(number: int) -> str:
    """A valid refcli id for the corpus's line number (doc_ids hold capitals, dots and colons)."""
    return f"doc-{number:05d}"


def doc_record(doc: dict, rid: str) -> dict:
    """The record table of one corpus document (bench/relevance/README.md: "Using it with refcli")."""
    table: dict = {
        "id": rid,
        "title": doc["title"].strip() or NO_WORDS,
        "mission_type": NO_WORDS,
        "role": "titulaire",
        "stakes": NO_WORDS,
        "content": [NO_WORDS],
        "client": {"name": (doc.get("client") or "").strip() or NO_WORDS, "kind": "public"},
        "period": {"start": doc.get("year") or DEFAULT_YEAR},
    }
    members = [name.strip() for name in doc.get("contractors") or () if name and name.strip()]
    if members:
        table["team"] = {"members": members}
    if doc.get("amount_eur") is not None:
        table["amounts"] = {"fee": {"value": doc["amount_eur"], "currency": "EUR"}}
    return table


def refcli_command() -> list[str]:
    script = Path(sys.executable).with_name("refcli")
    return [str(script)] if script.is_file() else [sys.executable, "-m", "refcli"]


def _digest(*parts: Path | str) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part.name.encode() + b"\0" + part.read_bytes() if isinstance(part, Path) else part.encode())
        digest.update(b"\0")
    return digest.hexdigest()


def converter_source() -> str:
    """What the records depend on besides the corpus: the converter's code and constants, and refcli's writer."""
    import inspect

    from refcli.records.new_files import record_text

    return "\n".join([repr((NO_WORDS, DEFAULT_YEAR)), *map(inspect.getsource, (record_id, doc_record, record_text))])


def build_library(library: Path, corpus_file: Path = COLLECTION / "corpus.jsonl", force: bool = False) -> bool:
    """Write the library from the corpus unless its digest says it is up to date; return whether it was built."""
    from refcli.records.new_files import record_text

    stamp = library / "digest.txt"
    digest = _digest(corpus_file, converter_source())
    if not force and stamp.is_file() and stamp.read_text() == digest:
        return False
    missions = library / "missions"
    for stale in (missions, library / "cache"):
        shutil.rmtree(stale, ignore_errors=True)
    missions.mkdir(parents=True)
    stamp.unlink(missing_ok=True)
    ids = {}
    with open(corpus_file, encoding="utf-8") as stream:
        for number, line in enumerate(filter(str.strip, stream), start=1):
            doc = json.loads(line)
            rid = record_id(number)
            ids[rid] = doc["doc_id"]
            (missions / f"{rid}.toml").write_text(record_text(doc_record(doc, rid)), encoding="utf-8")
    (library / "ids.json").write_text(json.dumps(ids, indent=0), encoding="utf-8")
    sync_data_files(library)
    done = subprocess.run([*refcli_command(), "validate", "--data", str(missions), "--quiet"],
                          capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"refcli validate found problems in {missions}:\n{done.stdout[-2000:]}{done.stderr[-2000:]}")
    stamp.write_text(digest)
    return True


def sync_data_files(library: Path) -> None:
    """Copy the files of data/ (components.toml, glossary.toml...) beside missions/, as the shipped library has them."""
    for source in sorted((ROOT / "data").iterdir()):
        target = library / source.name
        if source.is_file() and not (target.is_file() and target.read_bytes() == source.read_bytes()):
            shutil.copyfile(source, target)


def refcli_fingerprint(library: Path) -> str:
    """refcli's source and the library's data files: when they change, its cache may hold another index."""
    import refcli

    package = Path(refcli.__file__).resolve().parent
    files = sorted(package.rglob("*.py")) + sorted(path for path in library.iterdir() if path.is_file())
    return _digest(*files)


def prepare_cache(library: Path) -> Path:
    cache = library / "cache"
    stamp = cache / "fingerprint.txt"
    fingerprint = refcli_fingerprint(library)
    if not (stamp.is_file() and stamp.read_text() == fingerprint):
        shutil.rmtree(cache, ignore_errors=True)
        cache.mkdir(parents=True)
        stamp.write_text(fingerprint)
    return cache


# --- Searching ------------------------------------------------------------------------------------

def search_args(library: Path, cache: Path, text: str, *extra: str) -> list[str]:
    return ["search", "--text", text, "--data", str(library / "missions"), "--cache-dir", str(cache), "--quiet",
            *extra]


def parse_results(returncode: int, stdout: str, stderr: str) -> list[str]:
    """The ranked record ids of `search --json`'s output; exit 1 (nothing matched) is an empty ranking."""
    try:
        if returncode in (0, 1):
            return [result["id"] for result in json.loads(stdout)["results"]] if stdout.strip() else []
    except (ValueError, KeyError, TypeError):
        pass
    sys.exit(f"refcli search failed (exit {returncode}): {stderr.strip() or stdout[:500]}")


def search_subprocess(args: list[str]) -> list[str]:
    done = subprocess.run([*refcli_command(), *args], capture_output=True, text=True)
    return parse_results(done.returncode, done.stdout, done.stderr)


def search_in_process(args: list[str]) -> list[str]:
    """The same command through refcli's click group in this process: stdout captured, the exit code kept."""
    stdout, stderr = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
        try:
            _command_line().main(args, prog_name="refcli", standalone_mode=True)
            code = 0
        except SystemExit as stop:
            code = stop.code if isinstance(stop.code, int) else (0 if stop.code is None else 2)
    return parse_results(code, stdout.getvalue(), stderr.getvalue())


@functools.cache
def _command_line():
    from refcli.cli.commands import command_line  # what `refcli` runs (refcli.cli.entry), without its early scan

    return command_line()


def run_searches(library: Path, cache: Path, queries: list[dict], fields: tuple[str, ...], in_process: bool,
                 jobs: int) -> dict[str, dict[str, list[str]]]:
    """{field: {qid: [doc_id, ...]}}: the first search alone (it fills the cache), then the others."""
    ids = json.loads((library / "ids.json").read_text(encoding="utf-8"))
    work = [(field, query["qid"], search_args(library, cache, query[field], "--limit", str(LIMIT), "--json"))
            for field in fields for query in queries]
    search = search_in_process if in_process else search_subprocess
    rankings = [search(work[0][2])]
    if in_process:
        rankings += [search(args) for _, _, args in work[1:]]
    else:
        with ThreadPoolExecutor(max_workers=jobs) as pool:
            rankings += list(pool.map(search_subprocess, [args for _, _, args in work[1:]]))
    runs: dict[str, dict[str, list[str]]] = {field: {} for field in fields}
    for (field, qid, _), ranking in zip(work, rankings, strict=True):
        runs[field][qid] = [ids[rid] for rid in ranking]
    return runs


# --- Reporting ------------------------------------------------------------------------------------

def format_row(label: str, metrics: dict[str, float | None]) -> str:
    return f"{label:<14}" + "".join(f"{metrics[name]:>13.3f}" if metrics[name] is not None else f"{'-':>13}"
                                    for name in METRICS)


def report(runs, queries, qrels, per_query: bool, show_unjudged: bool) -> None:
    header = f"{'':<14}" + "".join(f"{name:>13}" for name in METRICS)
    scored = {field: score_run(run, queries, qrels) for field, run in runs.items()}
    if per_query:
        for field, (per, _) in scored.items():
            print(f"{field}\n{header}")
            for qid, metrics in per.items():
                print(format_row(qid, metrics))
            print()
    print(header)
    for field, (_, means) in scored.items():
        print(format_row(field, means))
    if show_unjudged:
        corpus = {doc["doc_id"]: doc for doc in load_corpus()}
        for field, (per, _) in scored.items():
            for query in queries:
                qid = query["qid"]
                if per[qid]["unjudged@10"] <= 0.1:
                    continue
                own = set(query.get("self_doc_ids") or ())
                top = [doc_id for doc_id in runs[field].get(qid, []) if doc_id not in own][:10]
                print(f"\n{qid} ({field}), unjudged@10 {per[qid]['unjudged@10']:.1f}: unjudged documents of the top 10")
                for rank, doc_id in enumerate(top, start=1):
                    if doc_id not in qrels.get(qid, {}):
                        doc = corpus[doc_id]
                        print(f"  {rank:>2}. {doc['title']} — {doc['client']} [{doc_id}]")


# --- Ablation: what each part of the ranking brings ----------------------------------------------------

def _ablations() -> dict[str, dict]:
    """Each part of the ranking, and how to take it out: (module, name, value) replacements.

    The glossary's concepts, boilerplate and alternatives are taken out of the Glossary object; stems
    and repairs out of the index, which is then built again."""
    from refcli.search import index as index_module
    from refcli.search import query as query_module
    from refcli.search import rank, text

    uniform = dict.fromkeys(rank.FIELD_WEIGHTS, 1.0)
    return {
        "all of it": {},
        "without stemming": {"patch": [(module, "stem", lambda word: word) for module in (text, index_module,
                                                                                         query_module, rank)
                                       if hasattr(module, "stem")],  # the modules that import it
                             "reindex": True},
        "without the concepts": {"glossary": {"concepts": ()}},
        "without the boilerplate list and the noise rules": {
            "glossary": {"boilerplate": frozenset()}, "patch": [(query_module, "_noise", lambda word, g: not word)]},
        "without glossary alternatives": {"patch": [(query_module, "ALTERNATIVE_WEIGHT", 0.0)]},
        "without repairing broken accents": {"patch": [(index_module, "repair_words", lambda *a: {})],
                                             "reindex": True},
        "without typo correction": {"patch": [(rank, "_typo", lambda word, index: None)]},
        "without field weights nor length normalisation": {
            "patch": [(rank, "_WEIGHTS", tuple(uniform.values())), (rank, "_NORMS", (0.0,) * len(uniform))]},
        "without the works and supplies factor": {"patch": [(rank, "OTHER_FACTOR", 1.0)]},
        "without the sibling credit": {"patch": [(rank, "SIBLING_CREDIT", 0.0)]},
    }


def _forget_stems() -> None:
    """Forget the stems refcli keeps per process (words, and the glossary's concepts)."""
    from refcli.search import glossary, text

    text._STEMS.clear()
    glossary._LOADED.clear()


def ablate(library: Path, queries: list[dict], qrels: dict[str, dict[str, int]], fields: tuple[str, ...]) -> None:
    """nDCG@10 of each field with every part of the ranking, then without each part, through refcli's own
    functions in this process (the library read once, again where the index must be built again)."""
    import dataclasses

    from refcli.records.library import load_library_indexed
    from refcli.search.glossary import load_glossary
    from refcli.search.query import build_query
    from refcli.search.rank import rank_missions

    ids = json.loads((library / "ids.json").read_text(encoding="utf-8"))
    missions = library / "missions"
    loaded = load_library_indexed(missions)
    print(f"{'':52}" + "".join(f"{field:>12}" for field in fields))
    for name, change in _ablations().items():
        saved = [(module, attribute, getattr(module, attribute)) for module, attribute, _ in change.get("patch", ())]
        try:
            for module, attribute, value in change.get("patch", ()):
                setattr(module, attribute, value)
            if change.get("reindex"):
                _forget_stems()
                subject = load_library_indexed(missions)
            else:
                subject = loaded
            glossary = load_glossary(missions.parent)
            if change.get("glossary"):
                glossary = dataclasses.replace(glossary, **change["glossary"])
            row = []
            for field in fields:
                run = {}
                for query in queries:
                    built = build_query(subject[0].vocabulary, glossary, text=query[field], limit=LIMIT)
                    run[query["qid"]] = [ids[match.id] for match in rank_missions(*subject, built)]
                row.append(score_run(run, queries, qrels)[1]["nDCG@10"])
        finally:
            for module, attribute, value in saved:
                setattr(module, attribute, value)
            _forget_stems()
        print(f"{name:52}" + "".join(f"{value:12.3f}" for value in row), flush=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--library-dir", type=Path, default=DEFAULT_LIBRARY, help="the generated library's folder")
    parser.add_argument("--field", choices=FIELDS, action="append", help="search this field only (repeatable)")
    parser.add_argument("--per-query", action="store_true", help="print each query's figures")
    parser.add_argument("--json", type=Path, metavar="DIR", help="write the runs as DIR/run-<field>.json")
    parser.add_argument("--show-unjudged", action="store_true", help="list the unjudged top-10 documents "
                        "of the queries whose unjudged@10 is above 0.1")
    parser.add_argument("--explain", metavar="QID", help="print refcli's search --explain for one query and stop")
    parser.add_argument("--in-process", action="store_true", help="run the searches in this process")
    parser.add_argument("--check-in-process", action="store_true", help="run the searches both ways and "
                        "exit 1 unless the rankings are identical")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="parallel searches (subprocesses)")
    parser.add_argument("--rebuild", action="store_true", help="rebuild the library even if it is up to date")
    parser.add_argument("--ablate", action="store_true", help="nDCG@10 without each part of the ranking")
    options = parser.parse_args(argv)
    fields = tuple(options.field or FIELDS)
    library = options.library_dir.resolve()
    queries, qrels = load_queries(), load_qrels()

    started = time.perf_counter()
    if build_library(library, force=options.rebuild):
        print(f"built the library in {library} ({time.perf_counter() - started:.1f} s)", file=sys.stderr)
    sync_data_files(library)
    cache = prepare_cache(library)
    if options.ablate:
        ablate(library, queries, qrels, fields)
        return
    if options.explain:
        query = next((query for query in queries if query["qid"] == options.explain), None)
        if query is None:
            sys.exit(f"unknown query {options.explain!r}; the queries are {', '.join(q['qid'] for q in queries)}")
        ids = json.loads((library / "ids.json").read_text(encoding="utf-8"))
        judged, own = qrels.get(query["qid"], {}), set(query.get("self_doc_ids") or ())
        for field in fields:
            print(f"== {query['qid']} {field}: {query[field]}", flush=True)
            subprocess.run([*refcli_command(), *search_args(library, cache, query[field], "--explain")])
            print(f"== {query['qid']} {field}: the judgments of the top 10 (grade, or 'self', or 'unjudged')")
            for rank, rid in enumerate(search_subprocess(search_args(library, cache, query[field], "--json")), 1):
                doc_id = ids[rid]
                print(f"  {rank:>2}. {rid}  {'self' if doc_id in own else judged.get(doc_id, 'unjudged')}  {doc_id}")
        return

    searched = time.perf_counter()
    runs = run_searches(library, cache, queries, fields, options.in_process, max(1, options.jobs))
    took = time.perf_counter() - searched
    if options.check_in_process:
        other = run_searches(library, cache, queries, fields, not options.in_process, max(1, options.jobs))
        differ = [f"{qid} {field}" for field in fields for qid in runs[field] if runs[field][qid] != other[field][qid]]
        print(f"in process and subprocess rankings: {'differ on ' + ', '.join(differ) if differ else 'identical'}",
              file=sys.stderr)
        if differ:
            sys.exit(1)
    if options.json:
        options.json.mkdir(parents=True, exist_ok=True)
        for field, run in runs.items():
            (options.json / f"run-{field}.json").write_text(json.dumps(run, indent=1), encoding="utf-8")
    report(runs, queries, qrels, options.per_query, options.show_unjudged)
    print(f"\n{len(queries) * len(fields)} searches in {took:.1f} s, {time.perf_counter() - started:.1f} s in all "
          f"({'in process' if options.in_process else 'subprocesses'})", file=sys.stderr)


if __name__ == "__main__":
    main()
