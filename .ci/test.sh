#!/usr/bin/env bash
# `make test`: every check, each reported by name, then one summary line.
# A section that fails does not stop the others, so one run shows everything;
# the exit status is non-zero if anything failed. A missing browser or driver
# is a failure, never a skip.
#   .ci/test.sh [native|fuzz|browsers|e2e]...   (default: all sections)
set -uo pipefail
cd "$(dirname "$0")/.."

passed=0
failed=0
failures=()
check() { # name command...
    local name=$1
    shift
    printf '\n=== %s\n' "$name"
    local start=$SECONDS
    if "$@"; then
        passed=$((passed + 1))
        printf '=== %s: passed (%ds)\n' "$name" $((SECONDS - start))
    else
        failed=$((failed + 1))
        failures+=("$name")
        printf '=== %s: FAILED (%ds)\n' "$name" $((SECONDS - start))
    fi
}

need() { # path-or-command: fail loudly when a browser or driver is missing
    command -v "$1" >/dev/null || { echo "missing: $1 (run 'make setup')" >&2; return 1; }
}

# The symbol tests decode DPR-3 canvases with rxing/rqrr compiled to wasm;
# on a busy 2-core machine one test can take longer than the runner's 20 s.
export WASM_BINDGEN_TEST_TIMEOUT=${WASM_BINDGEN_TEST_TIMEOUT:-300}

wasm_test() { # engine flags...: the whole wallet crate's wasm test suite in one engine
    .ci/wasm-env wasm-pack test --headless "$@" . -p paycode-wallet
}
chrome() { need chromium && wasm_test --chrome --chromedriver "$(command -v chromedriver)"; }
firefox() { need firefox && need geckodriver && wasm_test --firefox --geckodriver "$(command -v geckodriver)"; }
webkit() {
    # Canvas in CPU memory: under Xvfb WebKitGTK's GL canvas path runs on
    # Mesa's software GL, where its putImageData shader has been seen to
    # fail to compile and kill the web process. The CPU path is the one a
    # headless machine has anyway.
    need /usr/bin/WebKitWebDriver && need xvfb-run &&
        WEBKIT_SKIA_ENABLE_CPU_RENDERING=1 xvfb-run -a .ci/wasm-env wasm-pack test --headless --safari \
            --safaridriver /usr/bin/WebKitWebDriver . -p paycode-wallet
}

native() {
    check "rustfmt" cargo fmt --all --check
    check "clippy" cargo clippy --workspace --all-targets --quiet -- -D warnings
    check "native tests" cargo test --workspace --quiet
    check "card-channel vectors (independent Python)" \
        python3 .ci/gen_channel_vectors.py --check tests/vectors/channel.json
    check "forgery (release, 10^7 random codes per layout)" \
        cargo test --release --quiet -p paycode-issuer --test forgery
}
fuzz() {
    # A short run of every fuzz target; the recorded 10-million runs use
    # `.ci/fuzz.sh 10000000` (docs/SECURITY.md).
    check "fuzz smoke (cargo-fuzz, 20000 runs per target)" bash .ci/fuzz.sh 20000
}
browsers() {
    check "browser tests: Chrome (Chromium)" chrome
    check "browser tests: Firefox" firefox
    check "browser tests: WebKit (WebKitGTK)" webkit
}
element_e2e() { # engine: <paycode-view> from the npm package, in one engine (tests/e2e/lib/webdriver.mjs)
    E2E_ENGINE=$1 tests/e2e/run.sh tests/e2e/element/paycode-view.test.mjs
}
e2e() {
    check "release build" make --no-print-directory build
    check "size budget: wasm + glue ≤ 56 KB gzipped" bash .ci/size-budget.sh www/pkg
    check "issuer release build" cargo build --release --quiet --bin paycode
    check "end-to-end (Chromium, zxing-cpp)" tests/e2e/run.sh
    check "end-to-end <paycode-view>: Chromium" element_e2e chromium
    check "end-to-end <paycode-view>: Firefox" element_e2e firefox
    check "end-to-end <paycode-view>: WebKit (WebKitGTK)" element_e2e webkit
}

sections=("$@")
[ ${#sections[@]} -gt 0 ] || sections=(native fuzz browsers e2e)
for s in "${sections[@]}"; do "$s"; done

echo
for f in "${failures[@]}"; do echo "failed: $f"; done
echo "make test: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
