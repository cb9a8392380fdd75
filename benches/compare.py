"""The benchmark questions answered by chDB, DuckDB or polars, straight from the gzip files.

    benches/.venv/bin/python benches/compare.py TOOL QUESTION ROOT FILE_LIST VALUE

TOOL is `chdb`, `duckdb` or `polars` (reading the gzip files), or `duckdb-parquet` or
`chdb-parquet` (reading the Parquet copy named by the environment variable PARQUET_COPY,
made once by `compare.py copy FILE_LIST OUT.parquet`); QUESTION one of

    count   every event, counted
    arn     events holding the text VALUE (an ARN) anywhere in the record, counted
    ip      events whose `sourceIPAddress` equals VALUE, counted
    exfil   GetObject calls to S3: sum of `additionalEventData.bytesTransferredOut` and
            count by (`requestParameters.bucketName`, `userIdentity.userName`)
    groups  count by (`errorCode`, `eventSource`, `eventName`, `userIdentity.arn`)

ROOT is the tree (chDB reads it through a glob); FILE_LIST names a file holding one
`.json.gz` path per line (log and Insights files; digests hold no events) for DuckDB and
polars; VALUE is the ARN or the IP (ignored by the other questions). Prints one JSON line:
`{"count": N}`, or `{"rows": [[key…, sum, count] or [key…, count], …]}` in no particular
order (benches/query.sh sorts them). Missing values are `null`, as in trailhunt's output.
benches/query.sh times each run as a whole process (interpreter start and imports
included), as a user would meet it.

Each formulation is the fastest correct one found for the tool (docs/PERFORMANCE.md says
what else was tried). The files are `{"Records":[…]}` objects, which no tool reads as rows
by itself: chDB reads each file as one string and `arrayJoin`s its `Records`; DuckDB reads
each file as one JSON value and unnests `Records[*]`; polars reads each decompressed file
with `read_json` and a declared schema, and explodes the list.

For `arn` and `ip`, every tool first skips the files whose text does not contain VALUE (as
trailhunt's own pre-filter does): a record can only match if its file's text holds the
value verbatim (ARNs and IPs have no characters a JSON writer escapes).
"""

import json
import os
import sys
import zlib
from concurrent.futures import ThreadPoolExecutor

THREADS = os.cpu_count() or 1


def sql_str(s):
    """A ClickHouse string literal (chDB's query API takes no bound parameters)."""
    return "'" + s.replace("\\", "\\\\").replace("'", "\\'") + "'"


def chdb_answer(question, root, files, value):
    import chdb

    # One glob for log and Insights files (not digests): a `{a,b}` list of whole paths
    # matches nothing, a brace of whole names inside one path level works (`{,-Insight}`
    # matches nothing either).
    glob = os.path.join(os.path.abspath(root), "AWSLogs/*/{CloudTrail,CloudTrail-Insight}/**/*.json.gz")
    source = f"file({sql_str(glob)}, 'JSONAsString')"
    prefilter = f"WHERE position(json, {sql_str(value)}) > 0" if question in ("arn", "ip") else ""
    records = f"SELECT arrayJoin(JSONExtractArrayRaw(json, 'Records')) AS r FROM {source} {prefilter}"

    def s(*path):  # a string field, NULL when absent or null
        keys = ", ".join(sql_str(p) for p in path)
        return f"JSONExtract(r, {keys}, 'Nullable(String)')"

    if question == "count":
        sql = f"SELECT count() FROM ({records})"
    elif question == "arn":
        sql = f"SELECT count() FROM ({records}) WHERE position(r, {sql_str(value)}) > 0"
    elif question == "ip":
        sql = f"SELECT count() FROM ({records}) WHERE {s('sourceIPAddress')} = {sql_str(value)}"
    elif question == "exfil":
        sql = (
            f"SELECT {s('requestParameters', 'bucketName')} AS bucket, "
            f"{s('userIdentity', 'userName')} AS user, "
            "sum(JSONExtract(r, 'additionalEventData', 'bytesTransferredOut', 'Nullable(Float64)')), "
            f"count() FROM ({records}) "
            f"WHERE {s('eventSource')} = 's3.amazonaws.com' AND {s('eventName')} = 'GetObject' "
            "GROUP BY bucket, user"
        )
    elif question == "groups":
        sql = (
            f"SELECT {s('errorCode')} AS c, {s('eventSource')} AS s, {s('eventName')} AS e, "
            f"{s('userIdentity', 'arn')} AS a, count() FROM ({records}) GROUP BY c, s, e, a"
        )
    else:
        raise SystemExit(f"unknown question {question}")
    rows = [json.loads(line) for line in chdb.query(sql, "JSONCompactEachRow").bytes().splitlines()]
    if question in ("count", "arn", "ip"):
        return {"count": int(rows[0][0])}
    return {"rows": rows}


def duckdb_answer(question, files, value):
    import duckdb

    con = duckdb.connect()
    # read_json_objects hands each file over as one JSON value without inferring or
    # converting a schema; json_extract(…, '$.Records[*]') then yields one JSON value per
    # record. This is several times faster than read_json with declared columns
    # (`columns={Records: 'STRUCT(…)[]'}` or `'JSON[]'`) and than read_json's own schema
    # inference; see docs/PERFORMANCE.md. A file is one JSON value, so the largest file
    # must fit in maximum_object_size (default 16 MB, less than 20,000 records). It is raised
    # only as far as the largest file needs: a larger buffer costs every file (1,000 small
    # files: 0.59 s at the default, 1.41 s at 200 MB).
    largest = max((gzip_size(f) for f in files), default=0)
    max_object = max(16 << 20, largest + (1 << 20))
    prefilter = "WHERE contains(json::VARCHAR, $value)" if question in ("arn", "ip") else ""
    records = (
        "SELECT unnest(json_extract(json, '$.Records[*]')) AS r FROM read_json_objects("
        f"$files, format='auto', compression='gzip', maximum_object_size={max_object}) {prefilter}"
    )
    params = {"files": files}
    if question in ("arn", "ip"):
        params["value"] = value
    if question == "count":
        sql = f"SELECT count(*) FROM ({records})"
    elif question == "arn":
        # The record's own JSON text, every depth, case-sensitive.
        sql = f"SELECT count(*) FROM ({records}) WHERE contains(r::VARCHAR, $value)"
    elif question == "ip":
        sql = f"SELECT count(*) FROM ({records}) WHERE r->>'sourceIPAddress' = $value"
    elif question == "exfil":
        sql = (
            "SELECT r->'requestParameters'->>'bucketName' AS bucket, "
            "r->'userIdentity'->>'userName' AS user, "
            "sum((r->'additionalEventData'->>'bytesTransferredOut')::DOUBLE), count(*) "
            f"FROM ({records}) "
            "WHERE r->>'eventSource' = 's3.amazonaws.com' AND r->>'eventName' = 'GetObject' "
            "GROUP BY ALL"
        )
    elif question == "groups":
        sql = (
            "SELECT r->>'errorCode', r->>'eventSource', r->>'eventName', "
            f"r->'userIdentity'->>'arn', count(*) FROM ({records}) GROUP BY ALL"
        )
    else:
        raise SystemExit(f"unknown question {question}")
    rows = con.execute(sql, params).fetchall()
    if question in ("count", "arn", "ip"):
        return {"count": int(rows[0][0])}
    return {"rows": [list(r) for r in rows]}


# The Parquet copy an analyst makes once with DuckDB's own COPY … TO: the columns the
# questions read, and each record's JSON text (for text anywhere in the record), sorted by
# time, zstd-compressed.
COPY_COLUMNS = (
    "r->>'eventTime' AS eventTime, r->>'eventSource' AS eventSource, "
    "r->>'eventName' AS eventName, r->>'errorCode' AS errorCode, "
    "r->>'sourceIPAddress' AS sourceIPAddress, r->'userIdentity'->>'arn' AS arn, "
    "r->'userIdentity'->>'userName' AS userName, "
    "r->'requestParameters'->>'bucketName' AS bucketName, "
    "(r->'additionalEventData'->>'bytesTransferredOut')::DOUBLE AS bytesOut, "
    "r::VARCHAR AS record"
)


def parquet_copy(files, out):
    """Write the Parquet copy of `files` to `out` with DuckDB."""
    import duckdb

    con = duckdb.connect()
    largest = max((gzip_size(f) for f in files), default=0)
    max_object = max(16 << 20, largest + (1 << 20))
    records = (
        "SELECT unnest(json_extract(json, '$.Records[*]')) AS r FROM read_json_objects("
        f"$files, format='auto', compression='gzip', maximum_object_size={max_object})"
    )
    con.execute(
        f"COPY (SELECT {COPY_COLUMNS} FROM ({records}) ORDER BY eventTime) TO '{out}' "
        "(FORMAT parquet, COMPRESSION zstd)",
        {"files": files},
    )


def parquet_sql(question, table, value_param, contains):
    """The question over the copy: `table` is how the engine names the file."""
    if question == "count":
        return f"SELECT count(*) FROM {table}"
    if question == "arn":
        return f"SELECT count(*) FROM {table} WHERE {contains('record', value_param)}"
    if question == "ip":
        return f"SELECT count(*) FROM {table} WHERE sourceIPAddress = {value_param}"
    if question == "exfil":
        return (
            f"SELECT bucketName, userName, sum(bytesOut), count(*) FROM {table} "
            "WHERE eventSource = 's3.amazonaws.com' AND eventName = 'GetObject' "
            "GROUP BY bucketName, userName"
        )
    if question == "groups":
        return (
            f"SELECT errorCode, eventSource, eventName, arn, count(*) FROM {table} "
            "GROUP BY errorCode, eventSource, eventName, arn"
        )
    raise SystemExit(f"unknown question {question}")


def duckdb_parquet_answer(question, value):
    import duckdb

    path = os.environ["PARQUET_COPY"]
    sql = parquet_sql(question, f"read_parquet({sql_str(path)})", "$value", lambda c, v: f"contains({c}, {v})")
    params = {"value": value} if question in ("arn", "ip") else {}
    rows = duckdb.connect().execute(sql, params).fetchall()
    if question in ("count", "arn", "ip"):
        return {"count": int(rows[0][0])}
    return {"rows": [list(r) for r in rows]}


def chdb_parquet_answer(question, value):
    import chdb

    path = os.environ["PARQUET_COPY"]
    sql = parquet_sql(
        question,
        f"file({sql_str(path)}, 'Parquet')",
        sql_str(value),
        lambda c, v: f"position({c}, {v}) > 0",
    )
    rows = [json.loads(line) for line in chdb.query(sql, "JSONCompactEachRow").bytes().splitlines()]
    if question in ("count", "arn", "ip"):
        return {"count": int(rows[0][0])}
    return {"rows": rows}


def gzip_size(path):
    """The uncompressed size a gzip file states in its trailer (ISIZE, modulo 4 GiB)."""
    with open(path, "rb") as f:
        f.seek(-4, os.SEEK_END)
        return int.from_bytes(f.read(4), "little")


def gunzip(path):
    with open(path, "rb") as f:
        # wbits 47 = 32 + 15: gzip or zlib header, auto-detected.
        return zlib.decompress(f.read(), 47)


def polars_answer(question, files, value):
    import io

    import polars as pl

    S = pl.String

    def frame(schema, needle=None):
        # zlib and polars both release the GIL, so a thread per core decodes in parallel.
        def one(path):
            text = gunzip(path)
            if needle is not None and needle not in text:
                return None
            return pl.read_json(io.BytesIO(text), schema={"Records": pl.List(pl.Struct(schema))})

        with ThreadPoolExecutor(THREADS) as pool:
            parts = [df for df in pool.map(one, files) if df is not None]
        if not parts:
            return pl.DataFrame(schema=schema)
        return pl.concat(parts, rechunk=False).explode("Records").unnest("Records")

    if question == "count":
        # The list lengths suffice; one declared field keeps the parse small.
        def one(path):
            df = pl.read_json(
                io.BytesIO(gunzip(path)),
                schema={"Records": pl.List(pl.Struct({"eventID": S}))},
            )
            return int(df["Records"].list.len().sum())

        with ThreadPoolExecutor(THREADS) as pool:
            return {"count": sum(pool.map(one, files))}
    if question == "arn":
        # No fixed schema can hold every record, and polars will not read an object into a
        # string column, so each file holding the text is read with its own inferred schema
        # and each record re-encoded to JSON to be searched.
        needle = value.encode()

        def hits(path):
            text = gunzip(path)
            if needle not in text:
                return 0
            df = pl.read_json(io.BytesIO(text), infer_schema_length=None).explode("Records")
            enc = df.select(pl.col("Records").struct.json_encode())
            return int(enc.to_series().str.contains(value, literal=True).sum())

        with ThreadPoolExecutor(THREADS) as pool:
            return {"count": sum(pool.map(hits, files))}
    if question == "ip":
        df = frame({"sourceIPAddress": S}, needle=value.encode())
        return {"count": df.filter(pl.col("sourceIPAddress") == value).height}
    if question == "exfil":
        df = frame(
            {
                "eventSource": S,
                "eventName": S,
                "requestParameters": pl.Struct({"bucketName": S}),
                "userIdentity": pl.Struct({"userName": S}),
                "additionalEventData": pl.Struct({"bytesTransferredOut": pl.Float64}),
            }
        )
        b = pl.col("additionalEventData").struct.field("bytesTransferredOut")
        g = (
            df.filter((pl.col("eventSource") == "s3.amazonaws.com") & (pl.col("eventName") == "GetObject"))
            .group_by(
                pl.col("requestParameters").struct.field("bucketName").alias("bucket"),
                pl.col("userIdentity").struct.field("userName").alias("user"),
            )
            # polars sums no values to 0; SQL (and trailhunt) to null.
            .agg(pl.when(b.count() > 0).then(b.sum()).alias("total"), pl.len())
        )
        return {"rows": g.rows()}
    if question == "groups":
        df = frame(
            {"errorCode": S, "eventSource": S, "eventName": S, "userIdentity": pl.Struct({"arn": S})}
        )
        g = df.group_by(
            "errorCode",
            "eventSource",
            "eventName",
            pl.col("userIdentity").struct.field("arn").alias("arn"),
        ).len()
        return {"rows": g.rows()}
    raise SystemExit(f"unknown question {question}")


def main():
    if len(sys.argv) == 4 and sys.argv[1] == "copy":
        with open(sys.argv[2]) as f:
            parquet_copy([line.strip() for line in f if line.strip()], sys.argv[3])
        return
    if len(sys.argv) != 6:
        raise SystemExit(__doc__)
    tool, question, root, listing, value = sys.argv[1:]
    if tool == "duckdb-parquet":
        print(json.dumps(duckdb_parquet_answer(question, value)))
        return
    if tool == "chdb-parquet":
        print(json.dumps(chdb_parquet_answer(question, value)))
        return
    with open(listing) as f:
        files = [line.strip() for line in f if line.strip()]
    if tool == "chdb":
        answer = chdb_answer(question, root, files, value)
    elif tool == "duckdb":
        answer = duckdb_answer(question, files, value)
    elif tool == "polars":
        answer = polars_answer(question, files, value)
    else:
        raise SystemExit(f"unknown tool {tool}")
    print(json.dumps(answer))


if __name__ == "__main__":
    main()
