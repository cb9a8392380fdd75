#!/usr/bin/env bash
# Load throughput: trailhunt loading a generated CloudTrail tree into Arrow, against zcat of
# the same files to /dev/null on one core. Prints a Markdown table row for
# docs/PERFORMANCE.md.
#
#   benches/load.sh [EVENTS [LAYOUT]]  (defaults 1000000 small; the tree is generated once and kept;
#                                      LAYOUT small or big, see benches/common.sh)
#
# Environment: BENCH_DIR (default /tmp/trailhunt-bench), RUNS (default 3).
#
# The target (on 2 cores): trailhunt's whole process, from start to exit, takes no longer
# than zcat takes on one core. Times are best of RUNS; peak RSS is the largest seen.
set -euo pipefail
cd "$(dirname "$0")/.."

# shellcheck source=benches/common.sh
source benches/common.sh "$@"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# Only log files (digests hold no events; trailhunt reads and classifies them too, which
# the comparison leaves in trailhunt's time).
list=$work/list
find "$dir" -path '*CloudTrail-Digest*' -prune -o -name '*.json.gz' -print | sort > "$list"
files=$(wc -l < "$list")
gz_bytes=$(xargs -a "$list" cat | wc -c)

best() { sort -n | head -1; }
# Seconds from GNU time's "Elapsed (wall clock)" ([h:]m:ss.ss).
wall_of() {
  grep 'Elapsed (wall clock)' "$1" | awk '{print $NF}' \
    | awk -F: '{ if (NF==3) print $1*3600+$2*60+$3; else print $1*60+$2 }'
}

# zcat on one core: decompress every file to /dev/null, pinned to CPU 0 so nothing else of
# the pipeline (xargs) runs beside it.
zcat_s=$(for _ in $(seq "$runs"); do
  /usr/bin/time -f '%e' -o "$work/ztime" taskset -c 0 sh -c "xargs -a '$list' zcat > /dev/null"
  cat "$work/ztime"
done | best)

# trailhunt: load into Arrow (all cores), windows included. Peak memory from time -v.
th_s=""; th_rss=0; th_json=0; th_records=0; th_load_s=""
for i in $(seq "$runs"); do
  /usr/bin/time -v -o "$work/time" "$bin" load "$dir" --format json > "$work/out"
  wall=$(wall_of "$work/time")
  rss=$(grep 'Maximum resident set size' "$work/time" | awk '{print $NF}')
  load_s=$(jq .seconds "$work/out")
  echo "trailhunt load run $i: ${wall}s wall, ${load_s}s in load(), peak RSS $((rss / 1024)) MB" >&2
  th_s=$(printf '%s\n%s\n' "${th_s:-999999}" "$wall" | best)
  th_load_s=$(printf '%s\n%s\n' "${th_load_s:-999999}" "$load_s" | best)
  th_rss=$(( rss > th_rss ? rss : th_rss ))
  # JSON of the log files only, to compare with what zcat decompresses.
  th_json=$(jq '[.files[] | select(.shape != "digest") | .json_bytes] | add' "$work/out")
  th_records=$(jq .records "$work/out")
done

awk -v ev="$th_records" -v files="$files" -v gz="$gz_bytes" -v json="$th_json" \
    -v z="$zcat_s" -v t="$th_s" -v l="$th_load_s" -v rss="$th_rss" -v cores="$(nproc)" 'BEGIN {
  printf "| events | files | gzip MB | JSON MB | zcat, 1 core (s) | trailhunt load, %d cores (s) | in-process load (s) | MB/s JSON | events/s | trailhunt / zcat | peak RSS (MB) |\n", cores
  printf "|---|---|---|---|---|---|---|---|---|---|---|\n"
  printf "| %d | %d | %.0f | %.0f | %.2f | %.2f | %.2f | %.0f | %.0f | %.2f | %.0f |\n",
    ev, files, gz/1e6, json/1e6, z, t, l, json/1e6/t, ev/t, t/z, rss/1024
}'
echo "MB/s and events/s are over trailhunt's whole process (wall clock)."
