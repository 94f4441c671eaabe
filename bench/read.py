"""The cold read's cost per record, in-process and serially: what bounds `search --no-cache` and the first run.

    python bench/read.py LIBRARY/missions [--records 2000] [--repeat 7]

prints, in µs a record (best and median of the runs), reading each file into its row as a worker does
(`library._read_rows_chunk`: read, parse, check, build the Mission, file its keys, pack the postings), then
its two parts apart: reading into a Mission (`library.read_file`) and filing and packing the keys
(`index.Indexer`). Run it with `PYTHONPATH=OTHER_CHECKOUT` to measure another version of refcli on the
same files, and interleave the runs: this machine's speed swings by a third within the hour.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path, help="a library's missions folder (bench/generate.py writes one)")
    parser.add_argument("--records", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=7)
    arguments = parser.parse_args()

    import refcli
    from refcli.records import library
    from refcli.records.scan import scan_record_files
    from refcli.records.vocabulary import load_vocabulary
    from refcli.search.glossary import load_glossary
    from refcli.search.index import Indexer

    folder = arguments.folder
    vocabulary = load_vocabulary(folder)
    concepts = tuple(load_glossary(folder).concepts)
    relatives = list(scan_record_files(folder, stat=False))[:arguments.records]
    files = [(relative, 0, 0, slot) for slot, relative in enumerate(relatives)]
    missions = [library.read_file(folder, vocabulary, folder / relative).result for relative in relatives]

    def rows() -> None:
        library._read_rows_chunk((folder, vocabulary, concepts, False), files)

    def read() -> None:
        for relative in relatives:
            library.read_file(folder, vocabulary, folder / relative)

    def index() -> None:
        indexer = Indexer(vocabulary, concepts)
        for slot, mission in enumerate(missions):
            indexer.add(slot, mission)
        indexer.packed()

    print(f"refcli from {Path(refcli.__file__).parent}, {len(relatives):,} records of {folder}")
    for name, work in (("read into rows (a worker's chunk)", rows), ("read into Missions", read),
                       ("file and pack the keys", index)):
        times = []
        for _ in range(arguments.repeat):
            start = time.perf_counter()
            work()
            times.append((time.perf_counter() - start) / len(relatives) * 1e6)
        print(f"{name}: {min(times):.0f} µs a record (median {statistics.median(times):.0f})")


if __name__ == "__main__":
    main()
