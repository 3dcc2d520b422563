#!/usr/bin/env bash
# `make test`: every check, each reported by name, then one summary line.
# A section that fails does not stop the others, so one run shows everything;
# the exit status is non-zero if anything failed. A missing browser or driver
# is a failure, never a skip.
#   .ci/test.sh [native|postgres|fuzz|browsers|e2e]...   (default: all sections)
set -uo pipefail
cd "$(dirname "$0")/.."

passed=0
failed=0
failures=()
check() { # name command...: a command may write its own count ("14 passed") to $CHECK_REPORT
    local name=$1
    shift
    printf '\n=== %s\n' "$name"
    local start=$SECONDS
    local report
    report=$(mktemp)
    if CHECK_REPORT=$report "$@"; then
        passed=$((passed + 1))
        printf '=== %s: %s (%ds)\n' "$name" "$(cat "$report" 2>/dev/null | grep . || echo passed)" $((SECONDS - start))
    else
        failed=$((failed + 1))
        failures+=("$name")
        printf '=== %s: FAILED%s (%ds)\n' "$name" "$(sed 's/^/, /' "$report")" $((SECONDS - start))
    fi
    rm -f "$report"
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
webkit() { # in the environment of .ci/webkit.env, which says why
    need /usr/bin/WebKitWebDriver && need xvfb-run &&
        .ci/webkit-run .ci/wasm-env wasm-pack test --headless --safari \
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
postgres() {
    # A throw-away cluster (.ci/pg.sh) around the suites that need one: the
    # store contract, payments, verifier and ledger suites on PostgreSQL,
    # several `paycode serve` nodes on one database, wallet events across
    # them (LISTEN/NOTIFY), then a failover.
    # Built with the postgres-tests feature, where a missing server is a
    # failure.
    check "PostgreSQL: store contract, payments, verifier, ledger, three nodes, a restart, events across nodes" \
        .ci/pg.sh cargo test -p paycode-issuer --features postgres-tests --quiet \
        --lib --test payments --test verifier --test ledger --test pg_nodes --test pg_restart --test pg_events
    # A primary and its synchronous standby of their own: the test kills
    # the primary and promotes the standby.
    check "PostgreSQL: the primary killed under load, its synchronous standby promoted" \
        env PAYCODE_PG_STANDBY=on .ci/pg.sh cargo test -p paycode-issuer --features postgres-tests --quiet \
        --test pg_failover
    check "PostgreSQL: wallet events across a failover" \
        env PAYCODE_PG_STANDBY=on .ci/pg.sh cargo test -p paycode-issuer --features postgres-tests --quiet \
        --test pg_events_failover
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
    check "WebKit: the web process survives JavaScriptCore's errno-clobbering signals" tests/webkit/errno-window.sh
}
engine_e2e() { # engine: the three-engine suite (wallet page, cashier page, <paycode-view>) in one engine
    E2E_ENGINE=$1 tests/e2e/run.sh
}
e2e() {
    check "release build" make --no-print-directory build
    check "size budget: wasm + glue ≤ 56 KB gzipped" bash .ci/size-budget.sh www/pkg
    check "issuer release build" cargo build --release --quiet --bin paycode
    check "end-to-end, Chromium only (Playwright's clock, CDP, request log)" tests/e2e/run.sh
    check "end-to-end (Chromium)" engine_e2e chromium
    check "end-to-end (Firefox)" engine_e2e firefox
    check "end-to-end (WebKit (WebKitGTK))" engine_e2e webkit
}

sections=("$@")
[ ${#sections[@]} -gt 0 ] || sections=(native postgres fuzz browsers e2e)
for s in "${sections[@]}"; do "$s"; done

echo
for f in "${failures[@]}"; do echo "failed: $f"; done
echo "make test: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
