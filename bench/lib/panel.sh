# Shared by the panel-latency benchmarks (sourced): reading the app's screen in tmux server
# "$socket", opening the first file in the memory panel, and the latency summary.

screen() { tmux -L "$socket" capture-pane -p; }

# Wait until the screen shows $1 (polled every 5 ms, for at most about 5 s).
wait_for() {
    for _ in $(seq 1000); do
        screen | grep -qF -- "$1" && return 0
        sleep 0.005
    done
    echo "never shown: $1" >&2
    exit 1
}

now_ns() { date +%s%N; }

# Focus the panel and open /memories/a-open.md, once the tree shows it.
open_first_file() {
    wait_for 'a-open.md'
    tmux -L "$socket" send-keys Tab Tab
    wait_for 'Enter open  ^N new'
    tmux -L "$socket" send-keys Down Enter
    wait_for '─ /memories/a-open.md'
}

# min / median / max of the latencies given as arguments (ms).
summary() {
    printf '%s\n' "$@" | sort -n | awk '
        { v[NR] = $1 }
        END { printf "shown after: min %d ms, median %d ms, max %d ms (target 500 ms)\n",
              v[1], v[int((NR + 1) / 2)], v[NR] }'
}
