"""bench/relevance.py's own parts, fast: its scoring on a hand-made example, its converter on a few corpus lines.

The benchmark itself (8,943 records, 26 searches) is not run here: `python bench/relevance.py`.
"""

from __future__ import annotations

import importlib.util
import json
import math
import sys

import pytest

from refcli.records.library import load_library
from refcli.search.text import tokens
from tests.conftest import ROOT

SCRIPT = ROOT / "bench" / "relevance.py"


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("relevance_bench", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    yield module
    del sys.modules[spec.name]


def test_the_metrics_of_a_hand_made_ranking(bench):
    judged = {"a": 2, "b": 1, "c": 0, "d": 2}
    metrics = bench.score_query(["c", "a", "x", "b"], judged)  # grades 0, 2, unjudged (0), 1
    # DCG = 2/log2(3) + 1/log2(5) = 1.26186 + 0.43068 = 1.69254;
    # ideal (2, 2, 1, 0) = 2/1 + 2/log2(3) + 1/log2(4) = 2 + 1.26186 + 0.5 = 3.76186; nDCG = 0.44992
    assert metrics["nDCG@10"] == pytest.approx(0.44992, abs=1e-5)
    assert metrics["nDCG@10"] == pytest.approx((2 / math.log2(3) + 1 / math.log2(5)) / (2.5 + 2 / math.log2(3)))
    assert metrics["P@5"] == pytest.approx(2 / 5)  # a ranking shorter than 5 still divides by 5
    assert metrics["R@20"] == pytest.approx(2 / 3)  # a and b of a, b, d
    assert metrics["MRR"] == pytest.approx(1 / 2)  # the first grade 2 is at rank 2
    assert metrics["unjudged@10"] == pytest.approx(1 / 10)  # x
    assert bench.score_query(["d", "a", "b", "c"], judged)["nDCG@10"] == pytest.approx(1.0)
    assert bench.score_query(["b"], {"b": 1})["MRR"] is None  # nothing of grade 2 to find
    assert bench.score_query(["b"], {"b": 0})["nDCG@10"] is None  # nothing relevant at all


def test_a_run_drops_each_query_s_own_record_and_averages_only_what_a_query_has(bench):
    queries = [{"qid": "Q1", "self_doc_ids": ["own"]}, {"qid": "Q2"}, {"qid": "Q3"}]
    qrels = {"Q1": {"a": 2, "own": 2}, "Q2": {"b": 1}, "Q3": {"c": 0}}
    per, means = bench.score_run({"Q1": ["own", "a"], "Q2": ["z", "b"]}, queries, qrels)
    assert per["Q1"]["MRR"] == 1.0 and per["Q1"]["P@5"] == pytest.approx(1 / 5)
    assert per["Q3"]["unjudged@10"] == 0.0 and per["Q3"]["nDCG@10"] is None  # missing from the run: empty
    assert means["MRR"] == 1.0  # only Q1 has a grade-2 document
    # The own record's judgment stays in the query's judged set (the ideal, the relevant count), as in the
    # collection's scorer: Q1 finds a of a and own (1/2), Q2 finds b (1); Q3 has nothing relevant.
    assert means["R@20"] == pytest.approx(0.75)
    assert means["unjudged@10"] == pytest.approx((0 + 0.1 + 0) / 3)  # every query counts


def test_the_converter_writes_records_refcli_validates_that_add_no_words(bench, tmp_path):
    lines = (ROOT / "bench" / "relevance" / "corpus.jsonl").read_text(encoding="utf-8").splitlines()
    docs = [json.loads(line) for line in lines]
    wanted = [lambda d: d["year"] is None, lambda d: d["year"] is not None, lambda d: len(d["contractors"]) > 1,
              lambda d: not d["contractors"], lambda d: isinstance(d["amount_eur"], float),
              lambda d: "\ufffd" in d["title"]]
    picked = sorted({next(number for number, doc in enumerate(docs) if test(doc)) for test in wanted})
    corpus = tmp_path / "corpus.jsonl"
    corpus.write_text("".join(lines[number] + "\n" for number in picked), encoding="utf-8")

    library = tmp_path / "library"
    assert bench.build_library(library, corpus)  # runs `refcli validate` and stops if a record is invalid
    assert not bench.build_library(library, corpus)  # up to date: not rebuilt
    assert (library / "glossary.toml").is_file() and (library / "components.toml").is_file()
    ids = json.loads((library / "ids.json").read_text(encoding="utf-8"))
    assert list(ids.values()) == [docs[number]["doc_id"] for number in picked]

    loaded = load_library(library / "missions")
    assert loaded.problems == () and len(loaded.missions) == len(picked)
    assert tokens(bench.NO_WORDS) == [] == tokens(bench.NO_WORDS, keep_replacement=True)
    for mission in loaded.missions:
        doc = docs[picked[list(ids).index(mission.id)]]
        assert mission.title == doc["title"] and mission.client.name == doc["client"]
        assert mission.client.kind == "public" and mission.period.start == (doc["year"] or 2019)
        assert list(mission.team.members) == doc["contractors"]
        assert mission.fee.value == doc["amount_eur"]
        assert not tokens(" ".join([mission.mission_type, mission.stakes, *mission.content]))
