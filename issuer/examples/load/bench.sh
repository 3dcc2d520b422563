#!/usr/bin/env bash
# The issuer benchmark of docs/BENCHMARKS.md in one run: the same load
# (default 20,000 signed payments over 64 connections) against SQLite with
# one node, then PostgreSQL with one writer and with several writers per
# node, on 1 and 3 nodes. Run it beside
# a throw-away cluster with fsync and synchronous_commit on:
#
#   cargo build --release -p paycode-issuer --example load
#   PAYCODE_PG_FSYNC=on .ci/pg.sh bash issuer/examples/load/bench.sh
#
# The load prints the statements and round trips PostgreSQL was sent per
# payment. CPU per payment is the load process's (client and servers in one
# process) plus PostgreSQL's (the postmaster, its live children and the
# backends it reaped), over the whole run including provisioning.
set -euo pipefail
: "${PAYCODE_TEST_PG:?run this through .ci/pg.sh}"
charges=${CHARGES:-20000}
connections=${CONNECTIONS:-64}
root=$(cd "$(dirname "$0")/../../.." && pwd)
load="$root/target/release/examples/load"
psql="$PAYCODE_TEST_PG_BIN/psql"
postmaster=$(head -n 1 "$PAYCODE_TEST_PG_DATA/postmaster.pid")
ticks=$(getconf CLK_TCK)

# CPU ticks PostgreSQL has used so far.
pg_ticks() {
    local total pid
    total=$(awk '{print $14 + $15 + $16 + $17}' "/proc/$postmaster/stat")
    for pid in $(pgrep -P "$postmaster"); do
        total=$((total + $(awk '{print $14 + $15}' "/proc/$pid/stat" 2>/dev/null || echo 0)))
    done
    echo "$total"
}

"$psql" "$PAYCODE_TEST_PG" -qAtc "SHOW fsync" | sed 's/^/fsync: /'
"$psql" "$PAYCODE_TEST_PG" -qAtc "SHOW synchronous_commit" | sed 's/^/synchronous_commit: /'

n=0
bench() {
    local name=$1 before after out
    shift
    n=$((n + 1))
    echo "== $name: load --charges $charges --connections $connections $*"
    echo "load average before: $(cut -d ' ' -f 1-3 /proc/loadavg)"
    before=$(pg_ticks)
    out=$(mktemp)
    /usr/bin/time -f "load process cpu: %U user %S system s" \
        "$load" --charges "$charges" --connections "$connections" "$@" 2>"$out.err" >"$out" || {
        cat "$out" "$out.err"
        return 1
    }
    sleep 1 # the backends of the closed pool are reaped
    after=$(pg_ticks)
    cat "$out"
    grep -E "write jobs in|load process cpu" "$out.err" || true
    awk -v t="$((after - before))" -v hz="$ticks" '{print "postgres cpu: " t / hz " s"}' <<<"x"
    rm -f "$out" "$out.err"
}

pg_db() {
    local name="bench_$1_$$"
    "$psql" "$PAYCODE_TEST_PG" -qAtc "CREATE DATABASE $name" >/dev/null
    echo "${PAYCODE_TEST_PG%/*}/$name"
}

bench "SQLite, 1 node"
bench "PostgreSQL, 1 node, 1 writer" --db "$(pg_db one_writer)" --writers 1
bench "PostgreSQL, 1 node" --db "$(pg_db one)"
bench "PostgreSQL, 3 nodes" --db "$(pg_db three)" --nodes 3
