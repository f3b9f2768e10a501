#!/usr/bin/env bash
# The PostgreSQL store at scale (issue 20), beside bench/redis-scale.sh: 2,000 and 20,000 files
# with ~11,000 history entries, five panels open, a sixth client changing files. For each size:
# the model's view of the root and of a folder, a panel's first tree, change -> panel latency,
# the slowest write while the history is pruned. See bench/pg_scale.rs.
#
#   bench/pg-scale.sh [sizes...]      (default: 2000 20000)
#
# Needs PostgreSQL's server programs (Debian: postgresql); starts a private server in a temp
# directory on a Unix socket (as the postgres user when run as root); never touches the
# internet or a PostgreSQL the machine runs.
set -euo pipefail

sizes=("$@")
((${#sizes[@]})) || sizes=(2000 20000)
cd "$(dirname "$0")/.."
cargo build --release --quiet --example pg_scale
bin=$PWD/target/release/examples/pg_scale

source bench/lib/postgres.sh
start_postgres
trap stop_postgres EXIT

for n in "${sizes[@]}"; do
    echo "== $n files"
    MEMDECK_LOG_FILE=/dev/null "$bin" "postgres://memdeck@/postgres?host=$pgdir" "$n"
done
