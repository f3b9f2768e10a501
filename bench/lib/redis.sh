# Shared by the Redis benchmarks (sourced): a private redis-server on a Unix socket in a new
# temp dir "$work" (its pid in "$redis_pid"), ready when this returns. The caller's cleanup
# stops it (stop_redis) and removes "$work".

start_redis() {
    work=$(mktemp -d)
    redis-server --port 0 --unixsocket "$work/redis.sock" --unixsocketperm 700 --save '' \
        --appendonly no --dir "$work" --daemonize no --loglevel warning >/dev/null &
    redis_pid=$!
    for _ in $(seq 500); do [[ -S $work/redis.sock ]] && break; sleep 0.01; done
}

stop_redis() {
    kill "$redis_pid" 2>/dev/null || true
    rm -rf "$work"
}
