"""Re-packs a CloudTrail tree into few big log files, for the "big files" benchmark layout.

    python3 benches/repack.py SRC_DIR OUT_DIR [RECORDS_PER_FILE]

`trailhunt generate` writes what a trail writes: one small file per account, region and
five minutes (at most 500 records each). This merges, per `AWSLogs/…/CloudTrail/REGION/
YYYY/MM/DD/` folder, consecutive files (in name order, i.e. delivery time) into files of at
most RECORDS_PER_FILE records (default 20,000), whole files at a time, under the same
folder and a valid CloudTrail file name (`ACCOUNT_CloudTrail_REGION_YYYYMMDDTHHMMZ_
UNIQUE.json.gz`, stamped with the last merged file's delivery time). Each record's JSON
text is kept byte for byte, so every question has the same answer on both layouts.

Insights files (`CloudTrail-Insight/`) are copied as they are; digest files
(`CloudTrail-Digest/`) are left out: they name and hash the original files, which no longer
exist in the new tree. Uses only the standard library; one process per core.
"""

import gzip
import hashlib
import json
import os
import re
import shutil
import sys
import zlib
from multiprocessing import Pool

PREFIX = b'{"Records":['
NAME = re.compile(r"^(\d{12})_CloudTrail_([a-z0-9-]+)_(\d{8}T\d{4}Z)_[A-Za-z0-9]+\.json\.gz$")


def records_text(path):
    """The records of one log file as JSON text without the surrounding `[…]`, and how many."""
    with open(path, "rb") as f:
        raw = zlib.decompress(f.read(), 47)  # 47: gzip or zlib header, auto-detected
    doc = json.loads(raw)
    if not isinstance(doc, dict) or not isinstance(doc.get("Records"), list):
        raise SystemExit(f"{path}: not a CloudTrail log file (no `Records` list)")
    n = len(doc["Records"])
    body = raw.strip()
    if len(doc) == 1 and body.startswith(PREFIX) and body.endswith(b"]}"):
        inner = body[len(PREFIX) : -2].strip()
    else:  # another writer's spacing or extra keys: re-encode the records
        inner = ",".join(json.dumps(r, separators=(",", ":")) for r in doc["Records"]).encode()
    return inner, n


def pack_folder(job):
    """Merges the log files of one folder; returns (files written, records)."""
    src_dir, out_dir, names, per_file = job
    os.makedirs(out_dir, exist_ok=True)
    written = total = 0
    chunk, chunk_names, count, last = [], [], 0, None

    def flush():
        nonlocal written, chunk, count
        if not chunk:
            return
        account, region, stamp = last
        unique = hashlib.sha1("\n".join(chunk_names).encode()).hexdigest()[:16].upper()
        name = f"{account}_CloudTrail_{region}_{stamp}_{unique}.json.gz"
        body = PREFIX + b",".join(part for part in chunk if part) + b"]}"
        with open(os.path.join(out_dir, name), "wb") as f:
            f.write(gzip.compress(body, compresslevel=6, mtime=0))
        written += 1
        chunk, count = [], 0
        chunk_names.clear()

    for name in names:
        m = NAME.match(name)
        if not m:
            raise SystemExit(f"{os.path.join(src_dir, name)}: not a CloudTrail log file name")
        inner, n = records_text(os.path.join(src_dir, name))
        if chunk and count + n > per_file:
            flush()
        chunk.append(inner)
        chunk_names.append(name)
        count += n
        total += n
        last = m.groups()
    flush()
    return written, total


def main():
    if len(sys.argv) not in (3, 4):
        raise SystemExit(__doc__)
    src, out = sys.argv[1], sys.argv[2]
    per_file = int(sys.argv[3]) if len(sys.argv) == 4 else 20_000
    if os.path.exists(out):
        raise SystemExit(f"{out} already exists: remove it first")
    jobs, copied = [], 0
    for root, dirs, files in os.walk(src):
        dirs.sort()
        rel = os.path.relpath(root, src)
        parts = rel.split(os.sep)
        logs = sorted(f for f in files if f.endswith(".json.gz"))
        if not logs:
            continue
        if "CloudTrail-Digest" in parts:
            continue
        if "CloudTrail-Insight" in parts:
            os.makedirs(os.path.join(out, rel), exist_ok=True)
            for f in logs:
                shutil.copy2(os.path.join(root, f), os.path.join(out, rel, f))
                copied += 1
            continue
        if "CloudTrail" not in parts:
            raise SystemExit(f"{root}: .json.gz files outside AWSLogs/…/CloudTrail*/")
        jobs.append((root, os.path.join(out, rel), logs, per_file))
    files = records = 0
    with Pool(os.cpu_count() or 1) as pool:
        for w, n in pool.imap_unordered(pack_folder, jobs):
            files += w
            records += n
    print(
        f"wrote {records} records in {files} log files (+{copied} Insights files copied) under {out}",
        file=sys.stderr,
    )


if __name__ == "__main__":
    main()
