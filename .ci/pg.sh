#!/usr/bin/env bash
# A throw-away PostgreSQL cluster around one command:
#   .ci/pg.sh COMMAND [ARG...]
# initdb into a temporary folder (as the `postgres` user when run as root:
# the server refuses to run as root), start it on a free loopback port with
# its socket in that folder, export its admin URL as PAYCODE_TEST_PG (and
# PAYCODE_TEST_PG_DATA, PAYCODE_TEST_PG_BIN for tests that restart it with
# `pg_ctl -D "$PAYCODE_TEST_PG_DATA" stop|start`, as the owner of that
# folder), run
# the command, then stop the cluster and delete the folder on every exit
# path, failed or not. The command's exit status is the script's.
# PAYCODE_PG_STANDBY=on adds a second cluster streaming from the first
# with synchronous commit (pg_basebackup -R), and exports its URL as
# PAYCODE_TEST_PG_STANDBY, its folder as PAYCODE_TEST_PG_STANDBY_DATA and
# a multi-host URL naming both, read-write first found, as
# PAYCODE_TEST_PG_PAIR (tests/pg_failover).
# PAYCODE_PG_FSYNC=on keeps fsync on (benchmarks); tests run with it off,
# which changes nothing a process crash can show.
# Every issuer node of one run shares one key-encryption key: a random
# PAYCODE_KEK, unless one is given.
set -euo pipefail

[ $# -ge 1 ] || { echo "usage: .ci/pg.sh COMMAND [ARG...]" >&2; exit 2; }

bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
if [ -z "$bin" ] || [ ! -x "$bin/initdb" ]; then
    echo "missing: PostgreSQL's initdb under /usr/lib/postgresql/*/bin (run 'make setup')" >&2
    exit 1
fi

as_pg() { # command...: as the postgres user when root, else as ourselves
    if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

dir=$(mktemp -d "${TMPDIR:-/tmp}/paycode-pg.XXXXXX")
[ "$(id -u)" = 0 ] && chown postgres "$dir"
stop() {
    for data in "$dir/standby" "$dir/data"; do
        [ -d "$data" ] && as_pg "$bin/pg_ctl" -D "$data" -m immediate stop >/dev/null 2>&1 || true
    done
    rm -rf "$dir"
}
trap stop EXIT
trap 'exit 130' INT TERM

as_pg "$bin/initdb" -D "$dir/data" -A trust -U postgres --no-sync >"$dir/initdb.log" 2>&1 || {
    cat "$dir/initdb.log" >&2
    exit 1
}
fsync=${PAYCODE_PG_FSYNC:-off}
standby=${PAYCODE_PG_STANDBY:-off}
start_cluster() { # data-folder extra-settings: on a free port; sets $port
    local data=$1 extra=$2
    for _ in 1 2 3 4 5 6 7 8 9 10; do
        port=$((20000 + RANDOM % 30000))
        # A port something answers on is taken; try another.
        if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then continue; fi
        # In the configuration file rather than on the command line, so that a
        # test may stop the cluster and start it again with plain pg_ctl.
        printf "port = %s\nunix_socket_directories = '%s'\nlisten_addresses = '127.0.0.1'\nmax_connections = 300\nfsync = %s\n%s" \
            "$port" "$dir" "$fsync" "$extra" | as_pg tee -a "$data/postgresql.conf" >/dev/null
        if as_pg "$bin/pg_ctl" -D "$data" -w -t 30 -l "$data.log" start >/dev/null; then
            return 0
        fi
    done
    echo "PostgreSQL did not start; its log:" >&2
    cat "$data.log" >&2 || true
    exit 1
}
# With a standby, every commit waits until the standby has flushed it: an
# acknowledged payment survives the loss of the primary.
primary_extra=
[ "$standby" = on ] && primary_extra="synchronous_standby_names = 'paycode_standby'
synchronous_commit = on
"
start_cluster "$dir/data" "$primary_extra"
primary_port=$port
if [ "$standby" = on ]; then
    # -R writes primary_conninfo and standby.signal; the standby names
    # itself by cluster_name, which synchronous_standby_names lists. Once
    # promoted it has no standby of its own, so it must not wait for one.
    as_pg "$bin/pg_basebackup" -D "$dir/standby" -R -X stream --no-sync \
        -h 127.0.0.1 -p "$primary_port" -U postgres >"$dir/basebackup.log" 2>&1 || {
        cat "$dir/basebackup.log" >&2
        exit 1
    }
    start_cluster "$dir/standby" "cluster_name = 'paycode_standby'
synchronous_standby_names = ''
"
    standby_port=$port
    # Ready when the primary counts it as its synchronous standby.
    for _ in $(seq 300); do
        state=$(as_pg "$bin/psql" -h 127.0.0.1 -p "$primary_port" -U postgres -XAtq \
            -c "SELECT sync_state FROM pg_stat_replication WHERE application_name = 'paycode_standby'" 2>/dev/null || true)
        [ "$state" = sync ] && break
        sleep 0.1
    done
    if [ "$state" != sync ]; then
        echo "the standby did not become synchronous (state '$state'); its log:" >&2
        cat "$dir/standby.log" >&2 || true
        exit 1
    fi
    export PAYCODE_TEST_PG_STANDBY="postgres://postgres@127.0.0.1:$standby_port/postgres"
    export PAYCODE_TEST_PG_STANDBY_DATA="$dir/standby"
    # What a node is given: both hosts, the one that takes writes wins.
    export PAYCODE_TEST_PG_PAIR="postgres://postgres@127.0.0.1:$primary_port,127.0.0.1:$standby_port/postgres?target_session_attrs=read-write"
fi
port=$primary_port
export PAYCODE_TEST_PG="postgres://postgres@127.0.0.1:$port/postgres"
export PAYCODE_TEST_PG_DATA="$dir/data"
export PAYCODE_TEST_PG_BIN="$bin"
if [ -z "${PAYCODE_KEK:-}" ]; then
    PAYCODE_KEK=$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')
    export PAYCODE_KEK
fi
echo "pg.sh: PostgreSQL $("$bin/postgres" --version | awk '{print $3}') at $PAYCODE_TEST_PG (fsync=$fsync)${PAYCODE_TEST_PG_STANDBY:+, synchronous standby at $PAYCODE_TEST_PG_STANDBY}"
"$@"
