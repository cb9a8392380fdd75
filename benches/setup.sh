#!/usr/bin/env bash
# Installs the tools benches/query.sh compares trailhunt with (DuckDB and polars, from PyPI)
# into benches/.venv. Idempotent: when the pinned versions are already there it returns at
# once without touching the network.
#
#   benches/setup.sh
set -euo pipefail
cd "$(dirname "$0")"

DUCKDB_VERSION=2.0.0
POLARS_VERSION=2.1.0
venv=.venv
stamp="$venv/.installed-duckdb-$DUCKDB_VERSION-polars-$POLARS_VERSION"

if [ -f "$stamp" ] && "$venv/bin/python" -c 'import duckdb, polars' 2>/dev/null; then
  exit 0
fi
python3 -m venv "$venv"
"$venv/bin/python" -m pip install -q --disable-pip-version-check \
  "duckdb==$DUCKDB_VERSION" "polars==$POLARS_VERSION"
"$venv/bin/python" -c 'import duckdb, polars; print("duckdb", duckdb.__version__, "polars", polars.__version__)'
rm -f "$venv"/.installed-*
touch "$stamp"
