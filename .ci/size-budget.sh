#!/usr/bin/env bash
# Prints the shipped size of the wasm bundle and fails above the budget.
#   .ci/size-budget.sh PKG_DIR
# The budget covers what a phone downloads for the wallet's code: the
# optimised wasm plus its JS glue, each gzipped at level 9.
set -euo pipefail
pkg=${1:-www/pkg}
budget=${SIZE_BUDGET_BYTES:-30720}
wasm=$pkg/paycode_wallet_bg.wasm
glue=$pkg/paycode_wallet.js
for f in "$wasm" "$glue"; do
    [ -f "$f" ] || { echo "size budget: $f is missing (run 'make build')" >&2; exit 1; }
done
raw_wasm=$(wc -c <"$wasm")
raw_glue=$(wc -c <"$glue")
gz_wasm=$(gzip -9 -c "$wasm" | wc -c)
gz_glue=$(gzip -9 -c "$glue" | wc -c)
total=$((gz_wasm + gz_glue))
printf 'size: wasm %d bytes (%d gzipped), glue %d bytes (%d gzipped)\n' \
    "$raw_wasm" "$gz_wasm" "$raw_glue" "$gz_glue"
printf 'size: wasm + glue gzipped = %d bytes, budget %d bytes\n' "$total" "$budget"
if [ "$total" -gt "$budget" ]; then
    echo "size: OVER BUDGET by $((total - budget)) bytes" >&2
    # `make build` (and so `make run`) reports; `make test` enforces.
    [ -n "${SIZE_BUDGET_REPORT_ONLY:-}" ] || exit 1
fi
