#!/usr/bin/env bash
# FAIR Data Point harvest benchmark: a generated FDP (benches/fdp_server.py:
# one catalogue of DATASETS datasets, each dataset and distribution its own
# document) served over loopback HTTP, harvested by `katalog harvest` into a
# fresh store. Reports wall time, datasets/s and peak RSS (/usr/bin/time -v).
#
#   benches/harvest_fdp.sh [DATASETS]      (default 20000)
#
# Environment: KATALOG (the binary; default $CARGO_TARGET_DIR/debug/katalog),
# WORK (scratch dir, default /tmp/katalog-bench-fdp; the store is deleted after),
# PORT (default 38751).
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
datasets="${1:-20000}"
port="${PORT:-38751}"
work="${WORK:-/tmp/katalog-bench-fdp}"
katalog="${KATALOG:-${CARGO_TARGET_DIR:-$here/target}/debug/katalog}"
[ -x "$katalog" ] || { echo "no katalog binary at $katalog (cargo build, or set KATALOG)" >&2; exit 2; }
mkdir -p "$work"
python3 "$here/benches/fdp_server.py" "$port" "$datasets" &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
for _ in $(seq 50); do
    curl -sf -o /dev/null "http://127.0.0.1:$port/" && break
    sleep 0.2
done
config="$work/katalog.toml"
cat >"$config" <<TOML
[harvest]
run_timeout_secs = 86400

[[source]]
name = "fdp"
country = "NL"
kind = "fdp"
url = "http://127.0.0.1:$port/"
allow_private_network = true
max_pages = 1000000
TOML
store="$work/data"
rm -rf "$store"
start=$(date +%s.%N)
/usr/bin/time -v "$katalog" --data-dir "$store" harvest --config "$config" >"$work/harvest.out" 2>"$work/harvest.err"
end=$(date +%s.%N)
cat "$work/harvest.out"
rss=$(grep "Maximum resident set size" "$work/harvest.err" | awk '{print $NF}')
seconds=$(echo "$end - $start" | bc)
echo "fdp $datasets datasets: ${seconds}s, $(echo "$datasets / $seconds" | bc) datasets/s, peak RSS $((rss / 1024)) MiB (load: $(cut -d' ' -f1-3 /proc/loadavg))"
rm -rf "$store"
