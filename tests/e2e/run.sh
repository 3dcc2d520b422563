#!/usr/bin/env bash
# End-to-end tests of the wallet page: the built wasm module in www/pkg, the
# issuer CLI in target/release, and zxing-cpp in the project's venv.
#   tests/e2e/run.sh                       the Chromium-only tests (./*.test.mjs:
#                                          Playwright's clock, CDP, request log)
#   E2E_ENGINE=chromium|firefox|webkit tests/e2e/run.sh
#                                          the three-engine suite in one engine
#                                          (wallet/*.test.mjs, element/paycode-view.test.mjs)
# Arguments (node --test options and/or test files) replace the default files.
# Prints "N passed, N failed" last (and, if CHECK_REPORT names a file, "N
# passed" or "N passed, N failed" into it for .ci/test.sh); exits non-zero on
# any failure. A missing browser or driver is a failure.
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
need() { command -v "$1" >/dev/null || missing+=("$1 (run: make setup)"); }
case "${E2E_ENGINE:-chromium}" in
  chromium) [ -x "${CHROMIUM:-/usr/bin/chromium}" ] || missing+=("/usr/bin/chromium") ;;
  firefox) need firefox; need "${GECKODRIVER:-geckodriver}" ;;
  webkit) need "${WEBKIT_WEBDRIVER:-/usr/bin/WebKitWebDriver}"; need xvfb-run; need localedef ;;
  *) missing+=("E2E_ENGINE=$E2E_ENGINE: one of chromium, firefox, webkit") ;;
esac
if [ ${#missing[@]} -gt 0 ]; then
  printf 'e2e: missing %s\n' "${missing[@]}" >&2
  echo "0 passed, 1 failed"
  [ -n "${CHECK_REPORT:-}" ] && echo "0 passed, 1 failed" >"$CHECK_REPORT"
  exit 1
fi

tap="$(mktemp)"
trap 'rm -f "$tap"' EXIT
start=$(date +%s)
targets=()
for arg in "$@"; do
  if [ -f "$CALLER/$arg" ]; then targets+=("$CALLER/$arg"); else targets+=("$arg"); fi
done
if [ ${#targets[@]} -eq 0 ]; then
  if [ -n "${E2E_ENGINE:-}" ]; then targets=(./wallet/*.test.mjs ./element/paycode-view.test.mjs); else targets=(./*.test.mjs); fi
fi
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
if [ -n "${CHECK_REPORT:-}" ]; then
  if [ "$failed" -eq 0 ]; then echo "${passed} passed"; else echo "${passed} passed, ${failed} failed"; fi >"$CHECK_REPORT"
fi
[ "$status" -eq 0 ] && [ "$failed" -eq 0 ]
