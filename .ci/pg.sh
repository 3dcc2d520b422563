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
# PAYCODE_PG_FSYNC=on keeps fsync on (benchmarks); tests run with it off,
# which changes nothing a process crash can show.
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
    as_pg "$bin/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true
    rm -rf "$dir"
}
trap stop EXIT
trap 'exit 130' INT TERM

as_pg "$bin/initdb" -D "$dir/data" -A trust -U postgres --no-sync >"$dir/initdb.log" 2>&1 || {
    cat "$dir/initdb.log" >&2
    exit 1
}
fsync=${PAYCODE_PG_FSYNC:-off}
started=
for _ in 1 2 3 4 5 6 7 8 9 10; do
    port=$((20000 + RANDOM % 30000))
    # A port something answers on is taken; try another.
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then continue; fi
    # In the configuration file rather than on the command line, so that a
    # test may stop the cluster and start it again with plain pg_ctl.
    printf "port = %s\nunix_socket_directories = '%s'\nlisten_addresses = '127.0.0.1'\nmax_connections = 300\nfsync = %s\n" \
        "$port" "$dir" "$fsync" | as_pg tee -a "$dir/data/postgresql.conf" >/dev/null
    if as_pg "$bin/pg_ctl" -D "$dir/data" -w -t 30 -l "$dir/log" start >/dev/null; then
        started=yes
        break
    fi
done
if [ -z "$started" ]; then
    echo "PostgreSQL did not start; its log:" >&2
    cat "$dir/log" >&2 || true
    exit 1
fi
export PAYCODE_TEST_PG="postgres://postgres@127.0.0.1:$port/postgres"
export PAYCODE_TEST_PG_DATA="$dir/data"
export PAYCODE_TEST_PG_BIN="$bin"
echo "pg.sh: PostgreSQL $("$bin/postgres" --version | awk '{print $3}') at $PAYCODE_TEST_PG (fsync=$fsync)"
"$@"
