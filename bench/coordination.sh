#!/usr/bin/env bash
# Coordination costs (issue 19): claim latency, lease latency, how soon another client hears a
# release, and 8 claimers on 100 tasks, on the local store and on a private redis-server. See
# bench/coordination.rs.
#
#   bench/coordination.sh
#
# Needs redis-server for the Redis row (skipped without it); never touches a Redis the machine
# runs.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet --example coordination
bin=$PWD/target/release/examples/coordination
if ! command -v redis-server >/dev/null; then
    echo "redis-server not found: the local store only" >&2
    MEMDECK_LOG_FILE=/dev/null "$bin"
    exit 0
fi
source bench/lib/redis.sh
start_redis
trap stop_redis EXIT
MEMDECK_LOG_FILE=/dev/null "$bin" "redis+unix://$work/redis.sock"
