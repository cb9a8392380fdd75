#!/usr/bin/env bash
# The columnar cache: `trailhunt index` of a generated tree (time and peak RSS, against a
# one-shot `trailhunt load` of the same tree), the cache's size against the gzip files,
# a second (incremental, nothing to do) index run, then the five questions of
# benches/query.sh answered from the cache (best of RUNS), checked against chDB's answers
# from the JSON.
#
#   benches/cache.sh [EVENTS [LAYOUT]]   (defaults 1000000 small; trees shared with query.sh)
#
# Environment: as benches/query.sh (BENCH_DIR, RUNS, TRAILHUNT_BIN, QUESTIONS).
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=benches/common.sh
source benches/common.sh "$@"
cache="$base/cache-$events-$layout"
rm -rf "$cache"
gz=$(find "$dir" -name '*.json.gz' -print0 | du -cb --files0-from=- | tail -1 | cut -f1)
timed() { /usr/bin/time -f "%e s, %M KB" "$@"; }
echo "## $events events, $layout files: $dir ($((gz / 1000000)) MB of gzip)"
echo "- load (one-shot, windows cut):"
timed "$bin" load "$dir" > /dev/null
echo "- index (first run):"
timed "$bin" index "$dir" --cache "$cache"
echo "- index (again, nothing changed):"
timed "$bin" index "$dir" --cache "$cache"
echo "- cache: $(( $(du -cb "$cache"/*.parquet | tail -1 | cut -f1) / 1000000 )) MB of chunks, manifest $(( $(stat -c %s "$cache/manifest.json") / 1000 )) KB"
echo "- cache: $(( $(du -cb "$cache"/*.tokens | tail -1 | cut -f1) / 1000000 )) MB of token indexes"
# The Parquet copy a DuckDB or chDB user makes once (their own COPY … TO), for the same
# questions from a columnar file.
copy="$base/copy-$events-$layout.parquet"
find "$(cd "$dir" && pwd)" -path '*CloudTrail-Digest*' -prune -o -name '*.json.gz' -print \
  | sort > "$base/copy-files"
echo "- DuckDB COPY … TO parquet:"
timed benches/.venv/bin/python benches/compare.py copy "$base/copy-files" "$copy"
echo "- the copy: $(( $(stat -c %s "$copy") / 1000000 )) MB"
PARQUET_COPY=$copy TOOLS="${TOOLS:-trailhunt chdb duckdb-parquet chdb-parquet}" TRAILHUNT_ARGS="--cache $cache" benches/query.sh "$events" "$layout"
