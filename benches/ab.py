#!/usr/bin/env python3
"""Two trailhunt binaries on one question, run alternately (so load on the machine hits
both alike): best wall time and largest peak RSS of each (GNU time), and whether their
NDJSON answers are identical.

    benches/ab.py BEFORE_BIN AFTER_BIN QUERY TREE      (RUNS, default 5)
"""
import os
import subprocess
import sys


def main() -> int:
    if len(sys.argv) != 5:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    before, after, query, tree = sys.argv[1:]
    bins = {"before": before, "after": after}
    best = {k: float("inf") for k in bins}
    rss = {k: 0 for k in bins}
    answers = {}
    for _ in range(int(os.environ.get("RUNS", "5"))):
        for k, b in bins.items():
            r = subprocess.run(
                ["/usr/bin/time", "-f", "%e %M", b, "query", "--format", "ndjson", query, tree],
                capture_output=True,
                text=True,
            )
            if r.returncode != 0:
                print(f"{k} ({b}) failed:\n{r.stderr}", file=sys.stderr)
                return 1
            t, m = r.stderr.strip().splitlines()[-1].split()
            best[k] = min(best[k], float(t))
            rss[k] = max(rss[k], int(m))
            answers[k] = r.stdout
    same = answers["before"] == answers["after"]
    print(f"same answer: {same} ({len(answers['after'].splitlines())} rows)")
    for k in bins:
        print(f"{k}: {best[k]:.2f} s, {rss[k] // 1024} MB")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
