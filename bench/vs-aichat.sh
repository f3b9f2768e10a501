#!/usr/bin/env bash
# A paired comparison with a peer: the CPU time memdeck and aichat 0.30 each spend showing the
# same streamed answer (2,000 deltas, one every 2 ms, from bench/mock_anthropic.rs on loopback)
# in the same 160x48 tmux terminal. Both are measured the same way: the question is typed
# first, then utime+stime of the process (all its threads, ended ones included) is read from
# /proc just before Enter and again once the mock has sent the last delta and the screen has
# settled. Runs alternate (memdeck, aichat, memdeck, ...), so both see the same machine.
#
#   bench/vs-aichat.sh [runs=4]
#
# aichat: $AICHAT, else `aichat` on the PATH if it is 0.30, else built once with
# `cargo install aichat --version 0.30.0 --locked` into target/peers (crates.io, ~5 minutes on
# two cores). Target (issue 21): memdeck at most 0.3x aichat's CPU. Never touches the internet
# beyond that one crates.io download.
set -euo pipefail

runs=${1:-4}
tokens=${TOKENS:-2000}
gap=${GAP_MS:-2}
cd "$(dirname "$0")/.."

cargo build --release --quiet --bin memdeck --example mock_anthropic
bin=$PWD/target/release/memdeck
mock=$PWD/target/release/examples/mock_anthropic

aichat=${AICHAT:-}
if [[ -z $aichat ]] && command -v aichat >/dev/null && aichat --version | grep -q ' 0\.30\.'; then
    aichat=$(command -v aichat)
fi
if [[ -z $aichat ]]; then
    aichat=$PWD/target/peers/bin/aichat
    if [[ ! -x $aichat ]]; then
        echo "building aichat 0.30.0 into target/peers (once)..." >&2
        cargo install aichat --version 0.30.0 --locked --root target/peers --quiet
    fi
fi

tick=$(getconf CLK_TCK)
work=$(mktemp -d)
socket="memdeck-vs-$$"
cleanup() {
    tmux -L "$socket" kill-server 2>/dev/null || true
    [[ -n ${mock_pid:-} ]] && kill "$mock_pid" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

# shellcheck source=bench/lib/mock.sh
. bench/lib/mock.sh
start_mock

mkdir -p "$work/aichat"
cat >"$work/aichat/config.yaml" <<EOF
model: claude:claude-bench
stream: true
save: false
save_session: false
clients:
  - type: claude
    api_base: http://127.0.0.1:$port/v1
    api_key: bench-key
    models:
      - name: claude-bench
        max_input_tokens: 200000
EOF

# measure NAME READY-TEXT COMMAND...: the CPU milliseconds one answer costs.
measure() {
    local name=$1 ready=$2
    shift 2
    tmux -L "$socket" -f /dev/null new-session -d -x 160 -y 48 "$@"
    local pid
    pid=$(tmux -L "$socket" display -p '#{pane_pid}')
    for _ in $(seq 200); do
        tmux -L "$socket" capture-pane -p | grep -q -- "$ready" && break
        sleep 0.05
    done
    tmux -L "$socket" send-keys -l "Summarise the customer call, please."
    sleep 0.5
    local before_done before after before_ns after_ns
    before_done=$(done_count)
    before=$(cpu_ticks "$pid")
    before_ns=$(cpu_ns "$pid")
    tmux -L "$socket" send-keys Enter
    until (($(done_count) > before_done)); do sleep 0.05; done
    sleep 0.5
    after=$(cpu_ticks "$pid")
    after_ns=$(cpu_ns "$pid")
    tmux -L "$socket" kill-server 2>/dev/null || true
    sleep 0.3
    # The live threads' time, unless threads that ended took more than a tick's worth.
    local fine=$(((after_ns - before_ns) / 1000000)) coarse=$(((after - before) * 1000 / tick))
    if ((coarse > fine + 10)); then echo "$coarse"; else echo "$fine"; fi
}

m_all=()
a_all=()
for run in $(seq "$runs"); do
    mkdir -p "$work/memories-$run"
    m=$(measure memdeck 'Alice' env TERM=xterm-256color ANTHROPIC_API_KEY=bench-key \
        ANTHROPIC_BASE_URL="http://127.0.0.1:$port" MEMDECK_LOG_FILE="$work/memdeck.log" \
        "$bin" --memory-dir "$work/memories-$run" --sessions-dir "$work/sessions-$run")
    a=$(measure aichat '>' env TERM=xterm-256color AICHAT_CONFIG_DIR="$work/aichat" "$aichat")
    ratio=$(awk -v m="$m" -v a="$a" 'BEGIN {if (a > 0) printf "%.2f", m / a; else print "-"}')
    echo "run $run: memdeck $m ms, aichat $a ms CPU: ratio $ratio"
    m_all+=("$m")
    a_all+=("$a")
done
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}'; }
mm=$(median "${m_all[@]}")
am=$(median "${a_all[@]}")
echo "median: memdeck $mm ms, aichat $am ms: ratio $(awk -v m="$mm" -v a="$am" 'BEGIN {printf "%.2f", m / a}')"
