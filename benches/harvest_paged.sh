#!/usr/bin/env bash
# Paged-harvest benchmark: generated catalogues served as Hydra pages over
# loopback HTTP (python3 -m http.server over the generator's page files),
# harvested by `katalog harvest` into a fresh store, then harvested again
# unchanged. Reports wall time, datasets/s and peak RSS (/usr/bin/time -v)
# of each run.
#
#   benches/harvest_paged.sh [CATALOGUES] [DATASETS_PER_CATALOGUE] [PAGE_SIZE]
#
#   CATALOGUES              how many of the generated catalogues are sources (default 1)
#   DATASETS_PER_CATALOGUE  default 100000
#   PAGE_SIZE               datasets per Hydra page (default 1000)
#
# Environment: KATALOG (the binary; default $CARGO_TARGET_DIR/debug/katalog),
# WORK (scratch dir, default /tmp/katalog-bench-paged; the generated data
# is kept there for the next run and is several GB for 10 x 100k: delete it
# after), PORT (default 38741), GENERATOR (default ../shared/bench/gen_catalogue.py).
# The 1M-dataset figure: `benches/harvest_paged.sh 10 100000 1000`.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
catalogues="${1:-1}"
per_catalogue="${2:-100000}"
page_size="${3:-1000}"
port="${PORT:-38741}"
work="${WORK:-/tmp/katalog-bench-paged}"
generator="${GENERATOR:-${KATALOG_SHARED:-$here/../shared}/bench/gen_catalogue.py}"
katalog="${KATALOG:-${CARGO_TARGET_DIR:-$here/target}/debug/katalog}"
data="$work/data-$per_catalogue-$page_size"

[ -x "$katalog" ] || { echo "no katalog binary at $katalog (cargo build, or set KATALOG)" >&2; exit 2; }
mkdir -p "$work"
if [ ! -f "$data/manifest.json" ]; then
    # Always 10 catalogues, so that a 1-source run harvests the first of the same data.
    python3 "$generator" --catalogues 10 --datasets-per-catalogue "$per_catalogue" \
        --paged "$page_size" --page-base-url "http://127.0.0.1:$port" --out "$data" --quiet
    # The whole-catalogue files are not served: only the pages.
    rm -f "$data"/*/catalogue.ttl
fi
echo "generated data: $(du -shL "$data" | cut -f1) in $data"

python3 -m http.server "$port" --bind 127.0.0.1 --directory "$data" >"$work/http.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
for _ in $(seq 50); do
    curl -sf -o /dev/null "http://127.0.0.1:$port/manifest.json" && break
    sleep 0.2
done

config="$work/katalog-$catalogues.toml"
: >"$config"
for cc in $(ls "$data" | grep -E '^[A-Z]+[0-9]*$' | head -n "$catalogues"); do
    cat >>"$config" <<EOF
[[source]]
name = "$(echo "$cc" | tr 'A-Z' 'a-z')"
country = "${cc:0:2}"
url = "http://127.0.0.1:$port/$cc/pages/page-000001.ttl"
allow_private_network = true
max_pages = 100000

EOF
done
datasets=$((catalogues * per_catalogue))
store="$work/store-$catalogues"
rm -rf "$store"
echo "load: $(uptime)"
for run in first unchanged; do
    /usr/bin/time -v "$katalog" --data-dir "$store" harvest --config "$config" \
        >"$work/$run.out" 2>"$work/$run.err" || true
    wall=$(grep 'Elapsed (wall clock)' "$work/$run.err" | awk '{print $NF}')
    rss=$(grep 'Maximum resident' "$work/$run.err" | awk '{print $NF}')
    seconds=$(echo "$wall" | awk -F: '{ if (NF == 3) print $1*3600+$2*60+$3; else print $1*60+$2 }')
    rate=$(awk -v n="$datasets" -v s="$seconds" 'BEGIN { printf "%.0f", n / s }')
    echo "$run: $datasets datasets in $seconds s ($rate datasets/s), peak RSS $((rss / 1024)) MiB"
    cat "$work/$run.out"
done
echo "store: $(du -sh "$store" | cut -f1)"
