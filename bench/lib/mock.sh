# Shared by the streaming benchmarks (sourced): start bench/mock_anthropic.rs (built as
# $mock) streaming $tokens deltas $gap ms apart, its output in $work/mock.out. Sets $mock_pid
# and $port; done_count says how many answers it has finished.

start_mock() {
    "$mock" --tokens "$tokens" --gap-ms "$gap" >"$work/mock.out" &
    mock_pid=$!
    for _ in $(seq 100); do
        grep -q '^listening' "$work/mock.out" 2>/dev/null && break
        sleep 0.05
    done
    port=$(awk '/^listening/ {print $2}' "$work/mock.out")
}

done_count() { grep -c '^done' "$work/mock.out" || true; }
