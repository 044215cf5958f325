#!/usr/bin/env bash
# Load test of GET /api/search over loopback with wrk, and the start-up time
# of `katalog serve`, on the store and index `cargo bench --bench search`
# leaves behind (WORK/katalog-SIZE.toml and WORK/serve-SIZE).
#
#   benches/search_load.sh [KATALOG_BINARY] [WORK] [SIZE]
#
# Defaults: $CARGO_TARGET_DIR/debug/katalog (the dev profile is optimised),
# /tmp/katalog-search-bench, 100000. Environment: PORT (8088), DURATION
# (20s), CONNECTIONS (16), THREADS (2).
#
# Prints, for each query shape, wrk's summary with the latency distribution
# and the count of non-2xx/3xx answers and socket errors (both must be 0 for
# the figure to count).
set -euo pipefail

binary=${1:-${CARGO_TARGET_DIR:-target}/debug/katalog}
work=${2:-/tmp/katalog-search-bench}
size=${3:-100000}
port=${PORT:-8088}
duration=${DURATION:-20s}
connections=${CONNECTIONS:-16}
threads=${THREADS:-2}
base="http://127.0.0.1:${port}"

# User + system CPU time of a process, in clock ticks.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

command -v wrk >/dev/null || { echo "wrk is not installed (apt-get install wrk)" >&2; exit 2; }
[ -x "$binary" ] || { echo "no katalog binary at $binary" >&2; exit 2; }

echo "katalog search load test: $size datasets, $(cut -d' ' -f1-3 /proc/loadavg) load on $(nproc) cores"
started=$(date +%s.%N)
"$binary" serve --config "$work/katalog-$size.toml" --data-dir "$work/serve-$size" \
    --bind "127.0.0.1:$port" >"$work/load-serve.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true; wait $server 2>/dev/null || true' EXIT
until curl -sf -o /dev/null "$base/api/search?q=x&size=0"; do
    kill -0 $server 2>/dev/null || { echo "katalog serve exited:" >&2; cat "$work/load-serve.log" >&2; exit 1; }
    sleep 0.1
done
ready=$(date +%s.%N)
echo "start-up: first search answered $(echo "$ready - $started" | bc) s after launch"

# The answer cache's hits and misses so far (from GET /metrics).
cache_lookups() {
    curl -s "$base/metrics" | awk '/^katalog_search_answer_cache_lookups_total\{result="hit"\}/ {h=$2}
        /^katalog_search_answer_cache_lookups_total\{result="miss"\}/ {m=$2} END {print h+0, m+0}'
}

# (a) a plain text query; (b) text + 3 filters (country, age overlap,
# individuals); every answer carries all facets. Each is run from the
# answer cache (the same request again and again) and searched afresh
# (Cache-Control: no-cache); (c) a mixed workload of ~280,000 distinct
# requests (benches/search_mixed.lua), where the cache helps only with the
# repeats. Entries: label|path|extra wrk arguments, separated by ';'.
here=$(dirname "$0")
queries=(
    "plain text, cached|/api/search?q=diabetes|"
    "plain text, searched afresh|/api/search?q=diabetes|-H;Cache-Control: no-cache"
    "text + 3 filters + all facets, cached|/api/search?q=diabetes&country=NO&age_from=0&age_to=17&min_individuals=100|"
    "text + 3 filters + all facets, searched afresh|/api/search?q=diabetes&country=NO&age_from=0&age_to=17&min_individuals=100|-H;Cache-Control: no-cache"
    "mixed workload (random queries, filters, pages, languages)|/|-s;$here/search_mixed.lua"
)
for entry in "${queries[@]}"; do
    IFS='|' read -r label path extra <<<"$entry"
    IFS=';' read -ra extra_args <<<"$extra"
    [ "$path" = / ] || curl -sf -o /dev/null "$base$path"  # warm up
    echo
    echo "== $label: wrk -t$threads -c$connections -d$duration --latency ${extra_args[*]} '$base$path'"
    read -r hits_before misses_before < <(cache_lookups)
    cpu_before=$(cpu_ticks $server)
    wrk -t"$threads" -c"$connections" -d"$duration" --latency "${extra_args[@]}" "$base$path" | tee "$work/load-wrk.out"
    cpu_after=$(cpu_ticks $server)
    read -r hits_after misses_after < <(cache_lookups)
    requests=$(awk '/requests in/ {print $1}' "$work/load-wrk.out")
    # CPU time the server spent per request: comparable across runs on a
    # loaded machine, where requests/s also measure the other processes.
    echo "server CPU per request: $(echo "scale=3; ($cpu_after - $cpu_before) * 1000 / $(getconf CLK_TCK) / $requests" | bc) ms ($requests requests)"
    echo "answer cache: $((hits_after - hits_before)) hits, $((misses_after - misses_before)) misses (no-cache requests are neither)"
    if grep -q "Non-2xx or 3xx responses\|Socket errors" "$work/load-wrk.out"; then
        echo "!! errors in this run: the figure does not count"
    else
        echo "errors: 0 (no non-2xx/3xx responses, no socket errors)"
    fi
    [ "$path" = / ] || echo "response size: $(curl -s "$base$path" | wc -c) bytes"
done
echo "($(cut -d' ' -f1-3 /proc/loadavg) load after the run)"
