# Shared by the streaming benchmarks (sourced): start bench/mock_anthropic.rs (built as
# $mock) streaming $tokens deltas $gap ms apart, its output in $work/mock.out. Sets $mock_pid
# and $port; done_count says how many answers it has finished; cpu_ticks and cpu_ns read a
# process's CPU time.

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

# utime+stime of the whole process (dead threads included), in clock ticks.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
# Nanoseconds on CPU summed over the live threads (finer than the clock tick, blind to ended
# ones).
cpu_ns() { cat /proc/"$1"/task/*/schedstat | awk '{s += $1} END {printf "%d", s}'; }
