#!/usr/bin/env bash
# Installs the tools benches/query.sh compares trailhunt with (chDB, DuckDB and polars, from
# PyPI) into benches/.venv. Idempotent: when the pinned versions are already there it returns
# at once without touching the network.
#
#   benches/setup.sh
set -euo pipefail
cd "$(dirname "$0")"

CHDB_VERSION=4.4.0
DUCKDB_VERSION=2.0.0
POLARS_VERSION=2.1.0
venv=.venv
stamp="$venv/.installed-chdb-$CHDB_VERSION-duckdb-$DUCKDB_VERSION-polars-$POLARS_VERSION"

if [ -f "$stamp" ] && "$venv/bin/python" -c 'import chdb, duckdb, polars' 2>/dev/null; then
  exit 0
fi
# GNU time (`/usr/bin/time -v`, for peak RSS) is a Debian package, not a Python one.
if ! /usr/bin/time -f '' true 2>/dev/null; then
  echo "benches need GNU time at /usr/bin/time (Debian: apt-get install time)" >&2
  exit 2
fi
python3 -m venv "$venv"
"$venv/bin/python" -m pip install -q --disable-pip-version-check \
  "chdb==$CHDB_VERSION" "duckdb==$DUCKDB_VERSION" "polars==$POLARS_VERSION"
"$venv/bin/python" -c 'import chdb, duckdb, polars; print("chdb", chdb.__version__, "duckdb", duckdb.__version__, "polars", polars.__version__)'
rm -f "$venv"/.installed-*
touch "$stamp"
