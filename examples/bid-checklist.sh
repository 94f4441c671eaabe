#!/bin/sh
# Build a bid's references annex only if the library meets the tender:
#     examples/bid-checklist.sh examples/tender-amo-npru.toml annexe.docx
# Exit 0: checked and written; 1: the check failed (the checklist says what to fix), nothing written;
# 2: bad usage or input (the error names it). REFCLI overrides the command, e.g. REFCLI="python -m refcli".
set -eu

if [ "$#" -ne 2 ]; then
    echo "usage: $0 TENDER.toml ANNEX.docx" >&2
    exit 2
fi
tender=$1
annex=$2
refcli=${REFCLI:-refcli}

status=0
# Word splitting of $refcli is wanted: REFCLI may be "python -m refcli".
$refcli check --tender "$tender" --quiet || status=$?
case $status in
    0) ;;
    1) echo "$0: the check failed: $annex not built; fix the items marked ✗ above" >&2
       exit 1 ;;
    *) exit "$status" ;;
esac
$refcli build-bid --tender "$tender" --cover --out "$annex"
