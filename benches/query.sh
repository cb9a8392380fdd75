#!/usr/bin/env bash
# Query comparison: trailhunt, chDB, DuckDB and polars answering the same five questions over
# the same generated CloudTrail tree, each as a fresh process doing the whole job from the
# `.json.gz` files (load and query), against zcat of the same files on one core. Best wall
# time of RUNS and the largest peak RSS (GNU time); checks that every tool gives the same
# answer. Prints a Markdown table for docs/PERFORMANCE.md (also kept in benches/out/).
#
#   benches/query.sh [EVENTS [LAYOUT]]   (defaults 1000000 small; trees shared with load.sh)
#
# LAYOUT: `small` (the generator's many small files, as a trail writes them) or `big` (the
# same records in files of at most 20,000, made by benches/repack.py).
# Environment: BENCH_DIR (default /tmp/trailhunt-bench), RUNS (default 3), TRAILHUNT_BIN
# (a built binary; default: build target/release/trailhunt), TRAILHUNT_ARGS (more flags for
# trailhunt, e.g. `--cache DIR`: see benches/cache.sh), TOOLS and QUESTIONS (subsets,
# space-separated), ARN and IP (the values questions arn and ip look for).
# Exits non-zero when any tool fails or the answers disagree; a failing tool is reported in
# the table, never skipped.
set -euo pipefail
cd "$(dirname "$0")/.."

benches/setup.sh
py=benches/.venv/bin/python
# shellcheck source=benches/common.sh
source benches/common.sh "$@"

# Values planted by the generator's stories (the same in every tree made with --seed 42):
# an ARN that occurs in a few events (41 of the 1M; the jenkins session of one of the stories), and the IP of the
# Tor exit the stories call from.
arn=${ARN:-arn:aws:sts::798029671665:assumed-role/jenkins-build/jenkins-agent-7}
ip=${IP:-185.220.101.47}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# Log and Insights files (digests hold no events), absolute paths, for the peers and zcat.
find "$(cd "$dir" && pwd)" -path '*CloudTrail-Digest*' -prune -o -name '*.json.gz' -print \
  | sort > "$work/files"
nfiles=$(wc -l < "$work/files")
gz_mb=$(xargs -a "$work/files" cat | wc -c | awk '{printf "%.0f", $1 / 1e6}')

all_questions=(count arn ip exfil groups)
read -r -a questions <<< "${QUESTIONS:-${all_questions[*]}}"
read -r -a tools <<< "${TOOLS:-trailhunt chdb duckdb polars}"
declare -A th_query=(
  [count]='* | count'
  [arn]="\"$arn\" | count"
  [ip]="sourceIPAddress=$ip | count"
  [exfil]='eventSource=s3.amazonaws.com eventName=GetObject
    | rename additionalEventData.bytesTransferredOut as bytes, requestParameters.bucketName as bucket
    | stats sum(bytes) as total by bucket, userIdentity.userName'
  [groups]='* | groupbycount errorCode, eventSource, eventName, userIdentity.arn'
)
# trailhunt prints NDJSON rows; reduce them to the answer shape of benches/compare.py.
declare -A th_shape=(
  [count]='{count: .[0]["@q.count"]}'
  [arn]='{count: .[0]["@q.count"]}'
  [ip]='{count: .[0]["@q.count"]}'
  [exfil]='{rows: map([.bucket, .["userIdentity.userName"], .total, .["@q.count"]])}'
  [groups]='{rows: map([.errorCode, .eventSource, .eventName, .["userIdentity.arn"], .["@q.count"]])}'
)
declare -A label=(
  [count]='count: `* | count`'
  [arn]="ARN anywhere: \`\"$arn\" | count\`"
  [ip]="typed IP: \`sourceIPAddress=$ip | count\`"
  [exfil]='S3 exfiltration: `eventSource=s3.amazonaws.com eventName=GetObject | rename … | stats sum(bytes) as total by bucket, userIdentity.userName`'
  [groups]='`* | groupbycount errorCode, eventSource, eventName, userIdentity.arn`'
)
declare -A tool_name=([trailhunt]=trailhunt [chdb]=chDB [duckdb]=DuckDB [polars]=polars
  [duckdb-parquet]='DuckDB (Parquet copy)' [chdb-parquet]='chDB (Parquet copy)')

# Answers are compared as canonical JSON: rows sorted, numbers normalised (`* 1`), keys
# sorted (`jq -cS`). A count answer is checked to be one number.
canonical() {
  jq -cS 'if has("rows") then .rows |= (map(map(if type == "number" then . * 1 else . end)) | sort)
          elif (.count | type) == "number" then . else error("no count in \(.)") end'
}

# Seconds and peak RSS (kB) from GNU time -v's report.
wall_of() {
  grep 'Elapsed (wall clock)' "$1" | awk '{print $NF}' \
    | awk -F: '{ if (NF==3) print $1*3600+$2*60+$3; else print $1*60+$2 }'
}
rss_of() { grep 'Maximum resident set size' "$1" | awk '{print $NF}'; }

# zcat on one core: decompress every file to /dev/null, pinned to CPU 0 so nothing else of
# the pipeline (xargs) runs beside it.
zcat_s=999999
for i in $(seq "$runs"); do
  /usr/bin/time -v -o "$work/ztime" taskset -c 0 sh -c "xargs -a '$work/files' zcat > /dev/null"
  s=$(wall_of "$work/ztime")
  echo "zcat run $i: ${s}s" >&2
  zcat_s=$(printf '%s\n%s\n' "$zcat_s" "$s" | sort -n | head -1)
done

# run TOOL QUESTION: best wall time and largest peak RSS over $runs runs into
# $work/TOOL.QUESTION.{s,rss,answer}; "FAILED" and the error text when a run fails.
run() {
  local tool=$1 q=$2 best=999999 rss_max=0 i
  local out="$work/out" err="$work/err" cmd
  if [ "$tool" = trailhunt ]; then
    # shellcheck disable=SC2206 # TRAILHUNT_ARGS is split into flags on purpose
    cmd=("$bin" query "${th_query[$q]}" "$dir" --format ndjson ${TRAILHUNT_ARGS:-})
  else
    cmd=("$py" benches/compare.py "$tool" "$q" "$dir" "$work/files" "$([ "$q" = ip ] && echo "$ip" || echo "$arn")")
  fi
  for i in $(seq "$runs"); do
    if ! /usr/bin/time -v -o "$work/time" "${cmd[@]}" > "$out" 2> "$err"; then
      echo FAILED > "$work/$tool.$q.s"; echo "–" > "$work/$tool.$q.rss"
      { echo "$tool $q FAILED: ${cmd[*]}"; tail -5 "$err"; } >&2
      echo '{"failed": true}' > "$work/$tool.$q.answer"
      return
    fi
    if [ "$tool" = trailhunt ]; then
      jq -cs "${th_shape[$q]}" "$out" | canonical > "$work/$tool.$q.answer"
    else
      canonical < "$out" > "$work/$tool.$q.answer"
    fi || {
      echo FAILED > "$work/$tool.$q.s"; echo "–" > "$work/$tool.$q.rss"
      echo "$tool $q: unexpected output: $(head -c 300 "$out")" >&2
      echo '{"failed": true}' > "$work/$tool.$q.answer"
      return
    }
    local s rss
    s=$(wall_of "$work/time"); rss=$(rss_of "$work/time")
    echo "$tool $q run $i: ${s}s, peak RSS $((rss / 1024)) MB, $(head -c 120 "$work/$tool.$q.answer")" >&2
    best=$(printf '%s\n%s\n' "$best" "$s" | sort -n | head -1)
    rss_max=$(( rss > rss_max ? rss : rss_max ))
  done
  echo "$best" > "$work/$tool.$q.s"
  echo $((rss_max / 1024)) > "$work/$tool.$q.rss"
}

for q in "${questions[@]}"; do
  for tool in "${tools[@]}"; do
    run "$tool" "$q"
  done
done

status=0
# div A B: A / B to two places, "–" when either is missing or failed.
div() {
  if [[ -z $1 || -z $2 || $1 == FAILED || $2 == FAILED ]]; then echo "–"
  else awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; fi
}
has_tool() { [[ " ${tools[*]} " == *" $1 "* ]]; }
out_md=benches/out/query-$events-$layout.md
mkdir -p benches/out
{
  echo "$events events, layout \`$layout\`: $nfiles files, $gz_mb MB gzip (\`$dir\`); zcat on one core: **${zcat_s} s** (best of $runs)"
  echo
  header="| question | answer |"; rule="|---|---|"
  for tool in "${tools[@]}"; do
    header+=" ${tool_name[$tool]} (s) | ${tool_name[$tool]} RSS (MB) |"; rule+="---|---|"
  done
  has_tool trailhunt && { header+=" trailhunt / zcat |"; rule+="---|"; }
  has_tool trailhunt && has_tool chdb && { header+=" chDB / trailhunt |"; rule+="---|"; }
  echo "$header"; echo "$rule"
  for q in "${questions[@]}"; do
    answers=$(for tool in "${tools[@]}"; do cat "$work/$tool.$q.answer"; done | sort -u)
    if grep -q '"failed"' <<< "$answers"; then
      shown="failed"; status=1
    elif [ "$(wc -l <<< "$answers")" -ne 1 ]; then
      echo "ANSWERS TO $q DISAGREE:" >&2
      for tool in "${tools[@]}"; do echo "  $tool: $(head -c 2000 "$work/$tool.$q.answer")" >&2; done
      shown="**disagree**"; status=1
    else
      shown=$(jq -r 'if has("count") then "\(.count)"
                     else "\(.rows | length) groups, \(.rows | map(.[-1]) | add) events" end' <<< "$answers")
    fi
    row="| ${label[$q]//|/\\|} | $shown |"
    for tool in "${tools[@]}"; do
      row+=" $(cat "$work/$tool.$q.s") | $(cat "$work/$tool.$q.rss") |"
    done
    if has_tool trailhunt; then
      t=$(cat "$work/trailhunt.$q.s")
      row+=" $(div "$t" "$zcat_s") |"
      has_tool chdb && row+=" $(div "$(cat "$work/chdb.$q.s")" "$t") |"
    fi
    echo "$row"
  done
  echo
  echo "trailhunt $("$bin" --version 2>/dev/null | awk '{print $NF}'), $("$py" -c 'import chdb, duckdb, polars; print(f"chDB {chdb.__version__}, DuckDB {duckdb.__version__}, polars {polars.__version__}")'), $(nproc) cores, RUNS=$runs, $(date -u +%FT%RZ)"
} > "$out_md"
cat "$out_md"
if [ $status -ne 0 ]; then
  echo "benches/query.sh: FAILED: a tool failed or the answers disagree (see above)" >&2
fi
exit $status
