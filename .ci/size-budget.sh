#!/usr/bin/env bash
# Prints the shipped size of the wasm bundle and fails above its budget.
#   .ci/size-budget.sh PKG_DIR
# What a phone downloads for the wallet's code: the optimised wasm plus its
# JS glue, each gzipped at level 9. The budget is 56 KB; `make
# build` only reports (SIZE_BUDGET_REPORT_ONLY=1), `make test` enforces.
set -euo pipefail
pkg=${1:-www/pkg}
budget=57344
wasm=$pkg/paycode_wallet_bg.wasm
glue=$pkg/paycode_wallet.js
for f in "$wasm" "$glue"; do
    [ -f "$f" ] || { echo "size: $f is missing (run 'make build')" >&2; exit 1; }
done
raw_wasm=$(wc -c <"$wasm")
raw_glue=$(wc -c <"$glue")
gz_wasm=$(gzip -9 -c "$wasm" | wc -c)
gz_glue=$(gzip -9 -c "$glue" | wc -c)
total=$((gz_wasm + gz_glue))
printf 'size: wasm %d bytes (%d gzipped), glue %d bytes (%d gzipped)\n' \
    "$raw_wasm" "$gz_wasm" "$raw_glue" "$gz_glue"
printf 'size: wasm + glue gzipped = %d bytes\n' "$total"
if [ "$total" -le "$budget" ]; then
    printf 'size: budget %d bytes: met, %d bytes to spare\n' "$budget" $((budget - total))
else
    printf 'size: budget %d bytes: NOT MET, over by %d bytes\n' "$budget" $((total - budget)) >&2
    [ -n "${SIZE_BUDGET_REPORT_ONLY:-}" ] || exit 1
fi
