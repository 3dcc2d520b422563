#!/usr/bin/env bash
# Runs every fuzz target (fuzz/fuzz_targets/) for a fixed number of
# executions and reports, per target, the executions done and the findings.
#
#   .ci/fuzz.sh [RUNS] [TARGET...]     RUNS default 20000; all targets by default
#
# `make test` runs ~20,000 executions per target; the recorded runs use
# 10,000,000 or more. Exits non-zero if any target finds a crash (the input
# is kept in fuzz/artifacts/TARGET/ and printed as a reproduction command).
#
# Needs cargo-fuzz (`cargo install cargo-fuzz --locked`) and the nightly
# toolchain the machine's rustup carries: libFuzzer's instrumentation flags
# are nightly-only, and cargo-fuzz is made for nightly. Only the fuzz
# targets build with it; the wallet and the issuer build on stable.
# No sanitizer: the code under test is safe Rust (no `unsafe`), so
# AddressSanitizer would find nothing that a panic does not already show,
# at several times the cost. Debug assertions and overflow checks stay on.
set -uo pipefail
cd "$(dirname "$0")/../fuzz"
export PATH="$HOME/.cargo/bin:$PATH"
fuzz_cargo=(cargo +nightly fuzz)

rustup run nightly rustc -V >/dev/null 2>&1 || {
    echo "fuzz: rustup has no nightly toolchain (rustup toolchain list); cargo-fuzz needs one" >&2
    exit 1
}

command -v cargo-fuzz >/dev/null || {
    echo "fuzz: cargo-fuzz is missing (cargo install cargo-fuzz --locked)" >&2
    exit 1
}

runs=${1:-20000}
shift || true
if [ $# -gt 0 ]; then
    targets=("$@")
else
    mapfile -t targets < <("${fuzz_cargo[@]}" list)
fi

# All targets in one build; a compile error stops here with its message.
if ! build_log=$("${fuzz_cargo[@]}" build --sanitizer none 2>&1); then
    echo "fuzz: the targets do not build:" >&2
    printf '%s\n' "$build_log" | tail -n 30 >&2
    exit 1
fi

passed=0
failed=0
for t in "${targets[@]}"; do
    mkdir -p "corpus/$t" "artifacts/$t"
    seeds=()
    [ -d "seeds/$t" ] && seeds=("seeds/$t")
    log=$(mktemp)
    start=$SECONDS
    # -runs counts executions of mutated inputs; the seeds run first.
    "${fuzz_cargo[@]}" run --sanitizer none "$t" "corpus/$t" "${seeds[@]}" -- \
        -runs="$runs" -max_len=4096 -timeout=30 -print_final_stats=1 \
        -artifact_prefix="artifacts/$t/" >"$log" 2>&1
    status=$?
    execs=$(awk '/stat::number_of_executed_units/ {print $NF}' "$log" | tail -n 1)
    crashes=$(grep -oE 'artifacts/[^ ]*/(crash|leak|timeout|oom)-[0-9a-f]+' "$log" | sort -u)
    findings=$(printf '%s' "$crashes" | grep -c . || true)
    if [ "$status" -ne 0 ] && [ "$findings" -eq 0 ]; then findings=1; fi
    printf 'fuzz %s: %s execs, %s findings (%ds)\n' "$t" "${execs:-0}" "$findings" $((SECONDS - start))
    if [ "$findings" -gt 0 ]; then
        failed=$((failed + 1))
        grep -E 'panicked at|^==[0-9]+==|SUMMARY' "$log" | head -n 5
        for c in $crashes; do echo "  reproduce: (cd fuzz && cargo +nightly fuzz run --sanitizer none $t $c)"; done
        [ -n "$crashes" ] || tail -n 20 "$log"
    else
        passed=$((passed + 1))
    fi
    rm -f "$log"
done
echo "fuzz: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
