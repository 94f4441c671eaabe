#!/usr/bin/env python3
"""Decide whether a bid may go ahead from refcli's JSON, reading only codes, ids and numbers (never the messages).

    refcli check --tender examples/tender-amo-npru.toml --json | python examples/checklist.py
    refcli build-bid --tender T --json --out annexe.docx | python examples/checklist.py
    python examples/checklist.py check.json

For `check`: one line per item that fails, "BLOCK" when the firm's rules below refuse the bid, "WARN" when they
let it go. For `build-bid`: one line per reference outside the tender's window, and per reference whose fee
or client kind the annex cannot state. When refcli refused to write (its "refused" document): one BLOCK line.
Exit 0: the bid may go ahead; 1: it may not; 2: not a refcli document.
The shapes are refcli/cli/schemas/*.json; the codes, docs/checklists.md.
"""

from __future__ import annotations

import json
import sys

# The firm's rules: the check items that stop a bid. The others are worth a look but do not.
BLOCKING = {"window.count", "clients.kind", "competency.level", "reference.amount", "reference.client_kind",
            "reference.illustration", "reference.unconfirmed"}


def check_lines(document: dict) -> tuple[list[str], bool]:
    lines, blocked = [], False
    for item in document["items"]:
        if item["ok"]:
            continue
        about = item["mission"] or item["competency"] or ""
        numbers = f"{item['found']}/{item['required']}" if item["required"] is not None else ""
        level = "BLOCK" if item["code"] in BLOCKING else "WARN"
        blocked = blocked or level == "BLOCK"
        lines.append(" ".join(part for part in (level, item["code"], about, numbers) if part))
    return lines, blocked


def build_bid_lines(document: dict) -> tuple[list[str], bool]:
    lines = []
    for reference in document["references"]:
        if not reference["in_window"]:
            lines.append(f"BLOCK out-of-window {reference['id']} {reference['end']}")
        fee = reference["fee"]
        if fee is None or not fee["confirmed"]:
            lines.append(f"BLOCK no-fee {reference['id']}")
        if not reference["client_kind_confirmed"]:
            lines.append(f"BLOCK client-kind {reference['id']}")
    return lines, bool(lines)


def refused_lines(document: dict) -> tuple[list[str], bool]:
    """refcli refused to write (exit 1): the rule it applied, and the ids it names."""
    refused = document["refused"]
    numbers = f"{refused['found']}/{refused['required']}" if refused["required"] is not None else ""
    return [" ".join(part for part in ("BLOCK refused", refused["code"], *refused["missions"], numbers) if part)], True


def main(arguments: list[str]) -> int:
    try:
        if arguments:
            with open(arguments[0], encoding="utf-8") as handle:
                document = json.load(handle)
        else:
            document = json.load(sys.stdin)
        decide = {"check": check_lines, "build-bid": build_bid_lines}[document["command"]]
        lines, blocked = refused_lines(document) if "refused" in document else decide(document)
    except (OSError, ValueError, KeyError, TypeError) as error:
        print(f"checklist: not the JSON of refcli check or build-bid ({error})", file=sys.stderr)
        return 2
    for line in lines:
        print(line)
    return 1 if blocked else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
