# Sourced by the benchmark scripts: the release binary and the generated tree they share.
#   in:  $1 = events (default 1000000); BENCH_DIR, RUNS, TRAILHUNT_BIN from the environment
#   out: events, dir, runs, bin
events=${1:-1000000}
dir=${BENCH_DIR:-/tmp/trailhunt-bench}/ct-$events
runs=${RUNS:-3}

# TRAILHUNT_BIN runs an already built binary (and skips the build).
if [ -z "${TRAILHUNT_BIN:-}" ]; then
  cargo build --release -q -p trailhunt-cli
fi
bin=${TRAILHUNT_BIN:-target/release/trailhunt}
if [ ! -f "$dir/.complete" ]; then
  rm -rf "$dir"
  "$bin" generate --events "$events" --out "$dir" --seed 42 --hours 72 >&2
  touch "$dir/.complete"
fi
