#!/usr/bin/env bash
# Query comparison: trailhunt, DuckDB and polars answering the same three questions over the
# same generated CloudTrail tree, each doing the whole job from the `.json.gz` files (load
# and query) in a fresh process. Best wall time of RUNS; checks that the answers agree.
# Prints a Markdown table for docs/PERFORMANCE.md.
#
#   benches/query.sh [EVENTS]       (default 1000000; the tree is shared with load.sh)
#
# Environment: BENCH_DIR (default /tmp/trailhunt-bench), RUNS (default 3).
# Exits non-zero when any tool fails or the answers disagree; a failing tool is reported
# in the table, never skipped.
set -euo pipefail
cd "$(dirname "$0")/.."

benches/setup.sh
py=benches/.venv/bin/python
# shellcheck source=benches/common.sh
source benches/common.sh "$@"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# Log files only (digests hold no events), absolute paths, for DuckDB and polars.
find "$(cd "$dir" && pwd)" -path '*CloudTrail-Digest*' -prune -o -name '*.json.gz' -print \
  | sort > "$work/files"

questions=(needle text groups)
declare -A th_query=(
  [needle]='sourceIPAddress=185.220.101.47 | count'
  [text]='initech-payroll-exports | count'
  [groups]='* | stats count() by eventSource, eventName'
)
declare -A label=(
  [needle]='(a) needle: `sourceIPAddress` = 185.220.101.47, count'
  [text]='(b) free text `initech-payroll-exports`, every column and depth, count'
  [groups]='(c) count by (eventSource, eventName), all groups'
)

# Answers are compared as canonical JSON (`jq -cS`).
# trailhunt prints NDJSON rows; reduce them to the same answer shape as benches/compare.py:
# {"count": N} from a single row's single number, or {"groups": rows, "total": sum of the
# numbers in each row (the count column)}.
th_answer() {
  local q=$1 out=$2
  if [ "$q" = groups ]; then
    jq -cs '{groups: length, total: (map([.[] | numbers] | add) | add)}' "$out"
  else
    jq -cs 'if length == 1 and ([.[0][] | numbers] | length) == 1
            then {count: ([.[0][] | numbers][0])}
            else error("expected one row with one number, got \(.)") end' "$out"
  fi
}

# run TOOL QUESTION: best wall time over $runs runs into $work/TOOL.QUESTION.{s,answer};
# "FAILED" and the error text when a run fails.
run() {
  local tool=$1 q=$2 best="" i
  for i in $(seq "$runs"); do
    local out="$work/out" err="$work/err"
    local cmd
    if [ "$tool" = trailhunt ]; then
      cmd=("$bin" query "${th_query[$q]}" "$dir" --format ndjson)
    else
      cmd=("$py" benches/compare.py "$tool" "$q" "$work/files")
    fi
    if ! /usr/bin/time -f '%e %M' -o "$work/time" "${cmd[@]}" > "$out" 2> "$err"; then
      echo "FAILED" > "$work/$tool.$q.s"
      { echo "$tool $q failed: ${cmd[*]}"; tail -5 "$err"; } >&2
      echo '{"error": true}' > "$work/$tool.$q.answer"
      return
    fi
    if [ "$tool" = trailhunt ]; then
      th_answer "$q" "$out" | jq -cS . > "$work/$tool.$q.answer" || {
        echo "FAILED" > "$work/$tool.$q.s"
        echo "trailhunt $q: unexpected output: $(head -c 300 "$out")" >&2
        return
      }
    else
      jq -cS . "$out" > "$work/$tool.$q.answer"
    fi
    read -r secs rss < "$work/time"
    echo "$tool $q run $i: ${secs}s, peak RSS $((rss / 1024)) MB, $(cat "$work/$tool.$q.answer")" >&2
    best=$(printf '%s\n%s\n' "${best:-999999}" "$secs" | sort -n | head -1)
  done
  echo "$best" > "$work/$tool.$q.s"
}

tools=(trailhunt duckdb polars)
for q in "${questions[@]}"; do
  for tool in "${tools[@]}"; do
    run "$tool" "$q"
  done
done

status=0
ratio() {
  if [[ $1 == FAILED || $2 == FAILED ]]; then echo "–"; else awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f×", a / b }'; fi
}
echo
echo "| question | answer | trailhunt (s) | DuckDB (s) | polars (s) | DuckDB / trailhunt | polars / trailhunt |"
echo "|---|---|---|---|---|---|---|"
for q in "${questions[@]}"; do
  t=$(cat "$work/trailhunt.$q.s"); d=$(cat "$work/duckdb.$q.s"); p=$(cat "$work/polars.$q.s")
  answers=$(cat "$work"/{trailhunt,duckdb,polars}."$q".answer | sort -u)
  if [ "$(echo "$answers" | wc -l)" -ne 1 ]; then
    echo "answers to $q disagree:" >&2
    for tool in "${tools[@]}"; do echo "  $tool: $(cat "$work/$tool.$q.answer")" >&2; done
    status=1
    shown="disagree"
  else
    shown=$(echo "$answers" | jq -r 'if .count != null then "\(.count)" else "\(.groups) groups, \(.total) events" end')
  fi
  [[ $t == FAILED || $d == FAILED || $p == FAILED ]] && status=1
  echo "| ${label[$q]} | $shown | $t | $d | $p | $(ratio "$d" "$t") | $(ratio "$p" "$t") |"
done
echo
echo "trailhunt $("$bin" --version 2>/dev/null | awk '{print $NF}'), $("$py" -c 'import duckdb, polars; print(f"DuckDB {duckdb.__version__}, polars {polars.__version__}")'), $(nproc) cores"
exit $status
