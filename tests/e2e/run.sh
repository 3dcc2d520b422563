#!/usr/bin/env bash
# End-to-end tests of the wallet page: headless Chromium (playwright-core),
# the built wasm module in www/pkg, the issuer CLI in target/release, and
# zxing-cpp in the project's venv. Prints "N passed, N failed" last; exits
# non-zero on any failure.
set -uo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
CALLER="$PWD"
ROOT="$(cd "$HERE/../.." && pwd)"
cd "$HERE"

missing=()
for built in paycode_wallet.js wallet.js; do
  [ -f "${E2E_PKG_DIR:-$ROOT/www/pkg}/$built" ] || missing+=("www/pkg/$built (run: make build)")
done
[ -x "${PAYCODE_BIN:-$ROOT/target/release/paycode}" ] || missing+=("target/release/paycode (run: cargo build --release --bin paycode)")
[ -d "$HERE/node_modules/playwright-core" ] || missing+=("tests/e2e/node_modules (run: npm ci --prefix tests/e2e)")
[ -x "${E2E_PYTHON:-$ROOT/.venv/bin/python}" ] || missing+=(".venv (run: python3 -m venv .venv && .venv/bin/pip install -r tests/e2e/requirements.txt)")
[ -x "${CHROMIUM:-/usr/bin/chromium}" ] || missing+=("/usr/bin/chromium")
if [ ${#missing[@]} -gt 0 ]; then
  printf 'e2e: missing %s\n' "${missing[@]}" >&2
  echo "0 passed, 1 failed"
  exit 1
fi

tap="$(mktemp)"
trap 'rm -f "$tap"' EXIT
start=$(date +%s)
# Arguments (node --test options and/or test files) replace the default: every *.test.mjs.
targets=()
for arg in "$@"; do
  if [ -f "$CALLER/$arg" ]; then targets+=("$CALLER/$arg"); else targets+=("$arg"); fi
done
[ ${#targets[@]} -eq 0 ] && targets=(./*.test.mjs)
# One file at a time: the machine has 2 cores and each file drives its own browser.
node --test --test-concurrency=1 \
  --test-reporter=spec --test-reporter-destination=stdout \
  --test-reporter=tap --test-reporter-destination="$tap" \
  "${targets[@]}"
status=$?
passed=$(grep -E '^# pass ' "$tap" | awk '{print $3}')
failed=$(grep -E '^# fail ' "$tap" | awk '{print $3}')
passed=${passed:-0}
failed=${failed:-0}
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then failed=1; fi
echo "e2e: $(( $(date +%s) - start )) s"
echo "${passed} passed, ${failed} failed"
[ "$status" -eq 0 ] && [ "$failed" -eq 0 ]
