#!/usr/bin/env bash
# Do two checkouts of refcli give the same outputs? What a refactoring must leave unchanged:
# `search --json --explain` for the README's queries and a tender text, `check --json` for every example
# tender, `list` (as JSON and as tables), `show --json` and `validate`, on the shipped data and on 10,000 generated records.
#
#   bench/same_outputs.sh OLD_CHECKOUT NEW_CHECKOUT     (e.g. a `git worktree add` of main, and this one)
#
# Both run with this checkout's Python environment (.venv) and their own code (PYTHONPATH), each with a
# fresh cache; prints "same" or "DIFF" per output and exits 1 on any difference. Not a test: it needs two trees.
set -uo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
python=${PYTHON:-$here/.venv/bin/python}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$python" "$here/bench/generate.py" 10000 "$work/generated/missions" >/dev/null

run() {  # run CHECKOUT OUT
    local tree=$1 out=$2
    mkdir -p "$out"
    (
        cd "$tree" || exit 1
        export PYTHONPATH=$tree REFCLI_CACHE_DIR=$out/cache COLUMNS=100  # the tables at one width
        r() { local name=$1; shift; "$python" -m refcli "$@" >"$out/$name" 2>&1; echo "exit $?" >>"$out/$name"; }
        r search-1 search concertation "maison du projet" --json --explain
        r search-2 search "point d'étape" "plan stratégique local" --json --explain
        r search-3 search --tender-text examples/tender-object.txt --json --explain
        for tender in examples/tender-*.toml; do r "check-$(basename "$tender" .toml)" check --tender "$tender" --json; done
        r show show neuilly-sur-marne-amo-concertation --json
        r list list
        r list-filtered list --since 2017 -c concertation:2 --json
        r list-year list --year 2012
        r generated-search-1 search concertation "maison du projet" --json --explain --data "$work/generated/missions"
        r generated-search-2 search --tender-text examples/tender-object.txt --json --data "$work/generated/missions"
        r generated-check check --tender examples/tender-amo-npru.toml --json --data "$work/generated/missions"
        r generated-list list --json --data "$work/generated/missions"
        r generated-list-table list --data "$work/generated/missions"
        r generated-validate validate --data "$work/generated/missions"
    )
}

run "$(cd "$1" && pwd)" "$work/old"
run "$(cd "$2" && pwd)" "$work/new"
status=0
for file in "$work"/old/*; do
    name=$(basename "$file")
    [[ -d $file ]] && continue
    if cmp -s "$file" "$work/new/$name"; then echo "same  $name"; else echo "DIFF  $name"; status=1; fi
done
exit $status
