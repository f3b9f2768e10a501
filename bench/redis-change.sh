#!/usr/bin/env bash
# How soon a change made on another machine shows in the memory panel when the team shares a
# Redis store: a private redis-server on a Unix socket, the release binary in a 160x40 tmux
# terminal on it, and "another machine" (`memdeck memory exec`, a separate process with its own
# connection) alternately editing the open file and creating files; the screen is polled every
# few milliseconds until the change is on it. The time includes starting that process.
#
#   bench/redis-change.sh [changes=20]
#
# Target (issue 7): within half a second. Prints each latency, then min / median / max.
# Needs tmux and redis-server. Never touches the internet or a Redis the machine runs.
set -euo pipefail

changes=${1:-20}
cd "$(dirname "$0")/.."
cargo build --release --quiet --bin memdeck
bin=$PWD/target/release/memdeck

socket="memdeck-bench-$$"
source bench/lib/redis.sh
start_redis
cleanup() {
    tmux -L "$socket" kill-server 2>/dev/null || true
    stop_redis
}
trap cleanup EXIT
url="redis+unix://$work/redis.sock"
other() {
    "$bin" --memory-backend redis --redis-url "$url" --namespace bench --log-file "$work/other.log" \
        memory exec --actor John "$1" >/dev/null
}
other '{"command":"create","path":"/memories/a-open.md","file_text":"# Open file\n"}'

tmux -L "$socket" -f /dev/null new-session -d -x 160 -y 40 \
    env -u ANTHROPIC_API_KEY TERM=xterm-256color MEMDECK_LOG_FILE="$work/memdeck.log" \
    "$bin" --provider demo --memory-backend redis --redis-url "$url" --namespace bench \
    --sessions-dir "$work/sessions"
. bench/lib/panel.sh
open_first_file

latencies=()
for i in $(seq "$changes"); do
    if ((i % 2)); then
        # An edit of the file open in the panel: its new line must appear.
        marker="version $i of the open file"
        began=$(now_ns)
        other "{\"command\":\"insert\",\"path\":\"/memories/a-open.md\",\"insert_line\":1,\"insert_text\":\"$marker\"}"
    else
        marker="new-file-$i.md"
        began=$(now_ns)
        other "{\"command\":\"create\",\"path\":\"/memories/$marker\",\"file_text\":\"from John\"}"
    fi
    wait_for "$marker"
    ms=$(( ($(now_ns) - began) / 1000000 ))
    latencies+=("$ms")
    echo "change $i: ${ms} ms"
    sleep 0.2
done

summary "${latencies[@]}"
