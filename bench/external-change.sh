#!/usr/bin/env bash
# How soon a change made by another program shows in the memory panel: the release binary in a
# 160x40 tmux terminal, its panel showing an open file; this script alternately rewrites that
# file (new text each time, saved by rename as editors do) and creates a new file, and polls
# the screen every few milliseconds until the change is on it.
#
#   bench/external-change.sh [changes=20]
#
# Target (issue 4): within half a second. Prints each latency, then min / median / max.
# Needs tmux, Linux. Never touches the internet.
set -euo pipefail

changes=${1:-20}
cd "$(dirname "$0")/.."
cargo build --release --quiet --bin memdeck
bin=target/release/memdeck

work=$(mktemp -d)
socket="memdeck-bench-$$"
cleanup() {
    tmux -L "$socket" kill-server 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

mem="$work/memories"
mkdir -p "$mem"
printf '# Open file\n' >"$mem/a-open.md"
tmux -L "$socket" -f /dev/null new-session -d -x 160 -y 40 \
    env -u ANTHROPIC_API_KEY TERM=xterm-256color MEMDECK_LOG_FILE="$work/memdeck.log" \
    "$bin" --provider demo --memory-dir "$mem" --sessions-dir "$work/sessions"
. bench/lib/panel.sh
open_first_file

latencies=()
for i in $(seq "$changes"); do
    if ((i % 2)); then
        marker="version $i of the open file"
        printf '# Open file\n\n%s\n' "$marker" >"$work/next"
        began=$(now_ns)
        mv "$work/next" "$mem/a-open.md"
    else
        marker="new-file-$i.md"
        began=$(now_ns)
        printf 'made outside\n' >"$mem/$marker"
    fi
    wait_for "$marker"
    ms=$(( ($(now_ns) - began) / 1000000 ))
    latencies+=("$ms")
    echo "change $i: ${ms} ms"
    sleep 0.2
done

summary "${latencies[@]}"
