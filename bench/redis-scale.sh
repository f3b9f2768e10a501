#!/usr/bin/env bash
# The shared store at scale (issue 17): 2,000 and 20,000 files with ~11,000 history entries,
# five panels open, a sixth client changing files. For each size: change -> panel latency,
# the longest single command the server ran (its SLOWLOG) for listings and for changes, and
# the bytes it sent per change per panel. See bench/redis_scale.rs.
#
#   bench/redis-scale.sh [sizes...]      (default: 2000 20000)
#
# Targets: change -> panel <= 100 ms at 20,000 files; no command over 5 ms; bytes per change
# proportional to the change, not to the store. Needs redis-server; never touches the internet
# or a Redis the machine runs.
set -euo pipefail

sizes=("$@")
((${#sizes[@]})) || sizes=(2000 20000)
cd "$(dirname "$0")/.."
cargo build --release --quiet --example redis_scale
bin=$PWD/target/release/examples/redis_scale

source bench/lib/redis.sh
start_redis
trap stop_redis EXIT

for n in "${sizes[@]}"; do
    echo "== $n files"
    MEMDECK_LOG_FILE=/dev/null "$bin" "redis+unix://$work/redis.sock" "$n"
done
