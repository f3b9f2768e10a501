#!/usr/bin/env bash
# Rendering cost of the real app: CPU time the memdeck process spends while N tabs each stream
# a 2,000-token answer (one delta every 2 ms) from a loopback mock of the Messages API, in a
# 160x48 tmux terminal. Reads utime+stime from /proc/<pid>/stat just before the first Enter and
# just after the last stream has ended and the screen has settled.
#
#   bench/stream-cpu.sh [tabs=1] [runs=5]
#
# Targets (issue 4): one tab at most 50 ms of CPU, three tabs at most 150 ms.
# PERF=file.data records a profile of the measured part with `perf record -g` (use runs=1).
# Needs tmux, Linux /proc. Never touches the internet.
set -euo pipefail

tabs=${1:-1}
runs=${2:-5}
tokens=${TOKENS:-2000}
gap=${GAP_MS:-2}
cd "$(dirname "$0")/.."

cargo build --release --quiet --bin memdeck --example mock_anthropic
bin=target/release/memdeck
mock=target/release/examples/mock_anthropic
tick=$(getconf CLK_TCK)

work=$(mktemp -d)
socket="memdeck-bench-$$"
cleanup() {
    tmux -L "$socket" kill-server 2>/dev/null || true
    [[ -n ${mock_pid:-} ]] && kill "$mock_pid" 2>/dev/null || true
    [[ -n ${KEEP:-} ]] && echo "kept $work" || rm -rf "$work"
}
trap cleanup EXIT

# shellcheck source=bench/lib/mock.sh
. bench/lib/mock.sh
start_mock

results=()
for run in $(seq "$runs"); do
    mkdir -p "$work/memories-$run"
    tmux -L "$socket" -f /dev/null new-session -d -x 160 -y 48 \
        env TERM=xterm-256color ANTHROPIC_API_KEY=bench-key \
        ANTHROPIC_BASE_URL="http://127.0.0.1:$port" \
        MEMDECK_LOG_FILE="$work/memdeck.log" MEMDECK_LOG="${MEMDECK_LOG:-info}" \
        "$bin" --memory-dir "$work/memories-$run" --sessions-dir "$work/sessions-$run"
    pid=$(tmux -L "$socket" display -p '#{pane_pid}')
    # Wait for the first screen.
    for _ in $(seq 200); do
        tmux -L "$socket" capture-pane -p | grep -q 'Alice' && break
        sleep 0.05
    done
    # Type a question into each tab first (not measured), then send them all at once.
    for t in $(seq "$tabs"); do
        tmux -L "$socket" send-keys "M-$t"
        tmux -L "$socket" send-keys -l "Summarise the customer call, please."
    done
    sleep 0.5
    before_done=$(done_count)
    before=$(cpu_ticks "$pid")
    before_ns=$(cpu_ns "$pid")
    started=$(date +%s.%N)
    if [[ -n ${PERF:-} ]]; then
        perf ${PERF_CMD:-record -g} -o "$PERF" -p "$pid" 2>/dev/null &
        perf_pid=$!
        sleep 0.3
    fi
    for t in $(seq "$tabs"); do
        tmux -L "$socket" send-keys "M-$t" Enter
    done
    # Wait for every stream to end, then let the last frame go out.
    until (($(done_count) >= before_done + tabs)); do sleep 0.05; done
    sleep 0.3
    after=$(cpu_ticks "$pid")
    after_ns=$(cpu_ns "$pid")
    if [[ -n ${THREADS:-} ]]; then
        for t in /proc/"$pid"/task/*; do
            echo "  thread $(cat "$t/comm"): $(awk '{printf "%d", $1 / 1000000}' "$t/schedstat") ms on CPU since start, $(grep -h ctxt "$t/status" | tr -s "\t\n" " ")"
        done
    fi
    if [[ -n ${perf_pid:-} ]]; then kill -INT "$perf_pid"; wait "$perf_pid" || true; fi
    ended=$(date +%s.%N)
    ms=$(((after_ns - before_ns) / 1000000))
    tick_ms=$(((after - before) * 1000 / tick))
    wall=$(awk -v a="$started" -v b="$ended" 'BEGIN {printf "%.2f", b - a}')
    echo "run $run: $ms ms CPU (utime+stime: $tick_ms ms) over ${wall} s wall ($tabs tab(s), $tokens tokens each)"
    results+=("$ms")
    tmux -L "$socket" kill-server 2>/dev/null || true
    sleep 0.2
done

sorted=$(printf '%s\n' "${results[@]}" | sort -n)
median=$(echo "$sorted" | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}')
echo "median: $median ms CPU for $tabs tab(s)"
