# Sourced by the benchmark scripts: the release binary and the generated tree they share.
#   in:  $1 = events (default 1000000), $2 = layout (default small);
#        BENCH_DIR, RUNS, TRAILHUNT_BIN from the environment
#   out: events, layout, dir, runs, bin
#
# Layouts: `small` is the generator's own tree (one file per account, region and five
# minutes, at most 500 records each, as a trail writes them), under BENCH_DIR/ct-EVENTS;
# `big` is the same records re-packed by benches/repack.py into files of at most 20,000
# records (no digest files), under BENCH_DIR/ct-EVENTS-big.
events=${1:-1000000}
layout=${2:-small}
base=${BENCH_DIR:-/tmp/trailhunt-bench}
case $layout in
  small) dir=$base/ct-$events ;;
  big) dir=$base/ct-$events-big ;;
  *) echo "unknown layout '$layout': use small or big" >&2; exit 2 ;;
esac
runs=${RUNS:-3}

# TRAILHUNT_BIN runs an already built binary (and skips the build).
if [ -z "${TRAILHUNT_BIN:-}" ]; then
  cargo build --release -q --workspace --bins
fi
bin=${TRAILHUNT_BIN:-target/release/trailhunt}
if [ ! -f "$base/ct-$events/.complete" ]; then
  rm -rf "$base/ct-$events"
  "$bin" generate --events "$events" --out "$base/ct-$events" --seed 42 --hours 72 >&2
  touch "$base/ct-$events/.complete"
fi
if [ "$layout" = big ] && [ ! -f "$dir/.complete" ]; then
  rm -rf "$dir"
  python3 benches/repack.py "$base/ct-$events" "$dir" 20000
  touch "$dir/.complete"
fi
