"""The three benchmark questions answered by DuckDB or polars, straight from the gzip files.

    benches/.venv/bin/python benches/compare.py TOOL QUESTION FILE_LIST

TOOL is `duckdb` or `polars`; QUESTION is `needle`, `text` or `groups`; FILE_LIST names a
file holding one `.json.gz` path per line (log files only: digests hold no events). Prints
one JSON line: `{"count": N}` for needle and text, `{"groups": G, "total": T}` for groups.
benches/query.sh times each run as a whole process (interpreter start and imports
included), as a user would meet it.

Each formulation is the fastest correct one found for the tool (docs/PERFORMANCE.md says
what else was tried). The files are `{"Records":[…]}` objects, which neither tool reads as
rows by itself: DuckDB reads each file as one row with a `Records` list and unnests it;
polars reads each decompressed file with `read_json` and explodes the list.
"""

import json
import os
import sys
import zlib
from concurrent.futures import ThreadPoolExecutor

NEEDLE_IP = "185.220.101.47"
TOKEN = "initech-payroll-exports"
THREADS = os.cpu_count() or 1


def duckdb_answer(question, files):
    import duckdb

    con = duckdb.connect()
    # read_json_objects hands each file over as one JSON value without inferring or
    # converting a schema; json_extract(…, '$.Records[*]') then yields one JSON value per
    # record. This is several times faster than read_json with declared columns
    # (`columns={Records: 'STRUCT(…)[]'}` or `'JSON[]'`) and than read_json's own schema
    # inference; see docs/PERFORMANCE.md.
    records = (
        "SELECT unnest(json_extract(json, '$.Records[*]')) AS r "
        "FROM read_json_objects($files, format='auto', compression='gzip')"
    )
    if question == "needle":
        sql = f"SELECT count(*) FROM ({records}) WHERE r->>'sourceIPAddress' = $ip"
        (n,) = con.execute(sql, {"files": files, "ip": NEEDLE_IP}).fetchone()
        return {"count": n}
    if question == "text":
        # The record's own JSON text, every depth, searched case-insensitively.
        sql = f"SELECT count(*) FROM ({records}) WHERE r::VARCHAR ILIKE $pattern"
        (n,) = con.execute(sql, {"files": files, "pattern": f"%{TOKEN}%"}).fetchone()
        return {"count": n}
    if question == "groups":
        sql = (
            "SELECT count(*), sum(n) FROM ("
            "SELECT r->>'eventSource' AS s, r->>'eventName' AS e, count(*) AS n "
            f"FROM ({records}) GROUP BY ALL)"
        )
        g, t = con.execute(sql, {"files": files}).fetchone()
        return {"groups": g, "total": int(t)}
    raise SystemExit(f"unknown question {question}")


def gunzip(path):
    with open(path, "rb") as f:
        # wbits 47 = 32 + 15: gzip or zlib header, auto-detected.
        return zlib.decompress(f.read(), 47)


def polars_answer(question, files):
    import io

    import polars as pl

    def frames(schema):
        # zlib and polars both release the GIL, so a thread per core decodes in parallel.
        def one(path):
            return pl.read_json(io.BytesIO(gunzip(path)), schema=schema)

        with ThreadPoolExecutor(THREADS) as pool:
            df = pl.concat(pool.map(one, files), rechunk=False)
        return df.explode("Records").unnest("Records")

    if question == "needle":
        schema = {"Records": pl.List(pl.Struct({"sourceIPAddress": pl.String}))}
        df = frames(schema)
        return {"count": df.filter(pl.col("sourceIPAddress") == NEEDLE_IP).height}
    if question == "text":
        # No fixed schema can hold every record, and polars will not read an object into a
        # string column, so each file is read with its own inferred schema and each record
        # re-encoded to JSON to be searched. Files whose text lacks the token cannot hold a
        # matching record, so only files that contain it are parsed.
        def hits(path):
            text = gunzip(path)
            if TOKEN.encode() not in text.lower():
                return 0
            df = pl.read_json(io.BytesIO(text), infer_schema_length=None).explode("Records")
            enc = df.select(pl.col("Records").struct.json_encode().str.to_lowercase())
            return int(enc.to_series().str.contains(TOKEN, literal=True).sum())

        with ThreadPoolExecutor(THREADS) as pool:
            return {"count": sum(pool.map(hits, files))}
    if question == "groups":
        schema = {
            "Records": pl.List(
                pl.Struct({"eventSource": pl.String, "eventName": pl.String})
            )
        }
        g = frames(schema).group_by("eventSource", "eventName").len()
        return {"groups": g.height, "total": int(g["len"].sum())}
    raise SystemExit(f"unknown question {question}")


def main():
    if len(sys.argv) != 4:
        raise SystemExit(__doc__)
    tool, question, listing = sys.argv[1:]
    with open(listing) as f:
        files = [line.strip() for line in f if line.strip()]
    answer = {"duckdb": duckdb_answer, "polars": polars_answer}[tool](question, files)
    print(json.dumps(answer))


if __name__ == "__main__":
    main()
