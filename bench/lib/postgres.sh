# A private PostgreSQL server for the benches: initdb into a temp directory, the server on a
# Unix socket there only. As root it runs as the `postgres` user (initdb refuses root).
# Sets $pgdir; start_postgres, stop_postgres.

pg_bin() {
    if command -v initdb >/dev/null 2>&1; then
        dirname "$(command -v initdb)"
        return
    fi
    local found
    found=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
    if [ -z "$found" ]; then
        echo "PostgreSQL's server programs were not found; install the Debian package postgresql" >&2
        exit 1
    fi
    echo "$found"
}

as_pg() {
    if [ "$(id -u)" = 0 ]; then
        setpriv --reuid=postgres --regid=postgres --init-groups -- "$@"
    else
        "$@"
    fi
}

start_postgres() {
    local bin
    bin=$(pg_bin)
    pgdir=$(mktemp -d /tmp/memdeck-pg-bench.XXXXXX)
    [ "$(id -u)" = 0 ] && chown postgres "$pgdir"
    as_pg "$bin/initdb" -D "$pgdir/data" -A trust -U memdeck -E UTF8 --locale=C --no-sync >/dev/null
    as_pg "$bin/pg_ctl" -D "$pgdir/data" -l "$pgdir/log" -w \
        -o "-k $pgdir -c listen_addresses= -c max_connections=40" start >/dev/null
    pg_ctl_bin="$bin/pg_ctl"
}

stop_postgres() {
    as_pg "$pg_ctl_bin" -D "$pgdir/data" -m immediate stop >/dev/null 2>&1 || true
    rm -rf "$pgdir"
}
