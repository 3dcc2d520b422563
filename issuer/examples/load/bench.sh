#!/usr/bin/env bash
# The issuer benchmark of docs/BENCHMARKS.md in one run: the same load
# (default 20,000 signed payments over 64 connections) against SQLite with
# one node, PostgreSQL with one node and PostgreSQL with three nodes. Every
# node is a `paycode serve` process of its own (default writers, request
# log to a file); the load process only sends requests, its connections
# spread over the nodes. Run it beside a throw-away cluster with fsync and
# synchronous_commit on:
#
#   PAYCODE_PG_FSYNC=on .ci/pg.sh bash issuer/examples/load/bench.sh
#
# (it first brings the release `load` and `paycode` up to date, so that no
# stale node binary is measured).
#
# CPU per payment is the load process's, plus the nodes' (read from /proc
# just before each is stopped), plus PostgreSQL's (the postmaster, its live
# children and the backends it reaped), over the whole run including
# provisioning. A last, shorter run with the node inside the load process
# counts the statements and round trips PostgreSQL is sent per payment.
set -euo pipefail
: "${PAYCODE_TEST_PG:?run this through .ci/pg.sh}"
charges=${CHARGES:-20000}
connections=${CONNECTIONS:-64}
count_charges=${COUNT_CHARGES:-5000}
root=$(cd "$(dirname "$0")/../../.." && pwd)
(cd "$root" && cargo build --quiet --release -p paycode-issuer --example load --bin paycode)
load="$root/target/release/examples/load"
paycode="$root/target/release/paycode"
psql="$PAYCODE_TEST_PG_BIN/psql"
postmaster=$(head -n 1 "$PAYCODE_TEST_PG_DATA/postmaster.pid")
ticks=$(getconf CLK_TCK)
work=$(mktemp -d)
nodes=()
stop_nodes() {
    local pid
    for pid in "${nodes[@]}"; do
        if kill "$pid" 2>/dev/null; then
            wait "$pid" 2>/dev/null || true
        fi
    done
    nodes=()
}
trap 'stop_nodes; rm -rf "$work"' EXIT

# CPU ticks PostgreSQL has used so far.
pg_ticks() {
    local total pid
    total=$(awk '{print $14 + $15 + $16 + $17}' "/proc/$postmaster/stat")
    for pid in $(pgrep -P "$postmaster"); do
        total=$((total + $(awk '{print $14 + $15}' "/proc/$pid/stat" 2>/dev/null || echo 0)))
    done
    echo "$total"
}

# PostgreSQL's live processes by kind, with their CPU seconds so far: the
# backends (one line for all of them) and each helper process.
pg_kinds() {
    local pid title
    for pid in $(pgrep -P "$postmaster"); do
        title=$(tr '\0' ' ' 2>/dev/null <"/proc/$pid/cmdline") || continue
        case $title in
        *"127.0.0.1("*) title=backends ;;
        *) title=${title#postgres: } ;;
        esac
        echo "$title	$(awk '{print $14 + $15}' "/proc/$pid/stat" 2>/dev/null || echo 0)"
    done | awk -F '\t' -v hz="$ticks" '{t[$1] += $2} END {
        for (k in t) printf "  %s: %.2f s\n", k, t[k] / hz }' | sort
}

seconds() { # ticks
    awk -v t="$1" -v hz="$ticks" 'BEGIN {print t / hz}'
}

"$psql" "$PAYCODE_TEST_PG" -qAtc "SHOW fsync" | sed 's/^/fsync: /'
"$psql" "$PAYCODE_TEST_PG" -qAtc "SHOW synchronous_commit" | sed 's/^/synchronous_commit: /'

# Starts `paycode serve` on a free port against $1; appends its pid to
# `nodes` and its address to `addrs`.
addrs=()
start_node() {
    local db=$1 i=${#nodes[@]} addr=""
    # Made here: the node's shell may not have opened them when they are read.
    : >"$work/node$i.out"
    : >"$work/node$i.err"
    "$paycode" serve --addr 127.0.0.1:0 --db "$db" --www "$root/www" --demo \
        --merchant-rate 0 --client-rate 0 >"$work/node$i.out" 2>"$work/node$i.err" &
    nodes+=("$!")
    for _ in $(seq 100); do
        addr=$(sed -n 's|^paycode serve: listening on http://\(.*\)/$|\1|p' "$work/node$i.out")
        [ -n "$addr" ] && break
        kill -0 "${nodes[$i]}" 2>/dev/null || break
        sleep 0.1
    done
    if [ -z "$addr" ]; then
        echo "node $i did not start:" >&2
        cat "$work/node$i.out" "$work/node$i.err" >&2
        return 1
    fi
    addrs+=("$addr")
}

# The nodes' CPU ticks so far (they are still running).
node_ticks() {
    local total=0 pid
    for pid in "${nodes[@]}"; do
        total=$((total + $(awk '{print $14 + $15}' "/proc/$pid/stat")))
    done
    echo "$total"
}

run_load() { # name, then the load's own arguments
    local name=$1 pg_before node_cpu=0 out kinds
    shift
    echo "== $name: load --connections $connections $*"
    echo "load average before: $(cut -d ' ' -f 1-3 /proc/loadavg)"
    pg_before=$(pg_ticks)
    out="$work/load"
    /usr/bin/time -f "load process cpu: %U user %S system s" \
        "$load" --connections "$connections" "$@" 2>"$out.err" >"$out" || {
        cat "$out" "$out.err"
        return 1
    }
    kinds=$(pg_kinds)
    if [ ${#nodes[@]} -gt 0 ]; then
        node_cpu=$(node_ticks)
        stop_nodes
        grep -h "write jobs in" "$work"/node*.err || true
        rm -f "$work"/node*
    fi
    sleep 1 # the backends of the closed pools are reaped
    cat "$out"
    grep -E "write jobs in|load process cpu" "$out.err" || true
    echo "nodes cpu: $(seconds "$node_cpu") s"
    echo "postgres processes at the end (backends: this run's; helpers: since the cluster started):"
    echo "$kinds"
    echo "postgres cpu: $(seconds $(($(pg_ticks) - pg_before))) s"
}

bench() { # name, database, nodes
    local name=$1 db=$2 n=$3 list
    addrs=()
    for _ in $(seq "$n"); do start_node "$db"; done
    list=$(
        IFS=,
        echo "${addrs[*]}"
    )
    run_load "$name" --charges "$charges" --addr "$list"
}

pg_db() {
    local name="bench_$1_$$"
    "$psql" "$PAYCODE_TEST_PG" -qAtc "CREATE DATABASE $name" >/dev/null
    echo "${PAYCODE_TEST_PG%/*}/$name"
}

bench "SQLite, 1 node" "$work/bench.db" 1
bench "PostgreSQL, 1 node" "$(pg_db one)" 1
bench "PostgreSQL, 3 nodes" "$(pg_db three)" 3
run_load "PostgreSQL, 1 node inside the load process (statement counts)" \
    --charges "$count_charges" --db "$(pg_db counts)"
