"""What HTTP adds to one small query: kg serve (and Virtuoso) against pyoxigraph in-process, small results alone.

    python bench/latency.py                                  # project and 100k graphs
    python bench/latency.py --sizes 100000 --kinds "lookup by label,describe" --requests 300 --rounds 5
    git worktree add /tmp/old HEAD~3                         # then this checkout against an older one:
    python bench/latency.py --no-virtuoso --trees old=/tmp/old,new=. --repeat 2

bench/endpoint.py measures latency in its one-client run inside the whole
analyst mix, where a label-regex or HAVING query (40-50 ms at 100 k) between
two small ones leaves the caches cold for the next.  This script sends only
the small-result kinds (by default lookup by label, successor chain,
DESCRIBE), one request at a time from one process, to one server at a time
(kg serve, then Virtuoso: an idle Virtuoso still uses 2-4 % of a core, waking
often, which added 0.1-0.2 ms to the other server's figures): per kind and
round, the same requests in-process on the store opened read-only and to the
server, each in a block (the order alternated per round; alternating every
request instead leaves each one's caches cold for the next and adds about
0.1 ms to both), so that the difference of the medians is what the
server adds to a small query.  ``--trees`` serves the same store from several
source trees in one run (``--repeat`` times in turn, so that the machine's drift
falls on each), to compare a change with what came before.  A benchmark, run
by hand.
"""

from __future__ import annotations

import argparse
import http.client
import shutil
import statistics
import sys
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from endpoint import built, post, run_query
from servers import VIRTUOSO_GRAPH, each_size, start_kg, start_virtuoso, stop
from workload import QUERIES, workload

SMALL = "lookup by label,successor chain,describe"


def bench_size(size: str, args, scratch: Path) -> None:
    import pyoxigraph as ox

    work = scratch / size
    work.mkdir()
    info = built(size, work)
    kinds = args.kinds.split(",")
    requests = workload(info["pools"], args.seed, args.requests * len(QUERIES))
    store = ox.Store.read_only(str(work / "store"))

    def in_process(text: str) -> None:
        run_query(store, text)

    trees = [t.split("=", 1) for t in args.trees.split(",")] if args.trees else [("kg serve", str(ROOT))]
    starters = [(label, lambda tree=tree: start_kg(work / "store", args.workers, work / "kg-serve.log",
                                                   Path(tree).resolve()) + ({},))
                for label, tree in trees] * args.repeat
    if args.virtuoso:
        starters.append(("Virtuoso", lambda: start_virtuoso(work / "virtuoso", work / "default.nt")[:2]
                         + ({"default-graph-uri": VIRTUOSO_GRAPH},)))
    print(f"\n=== {size}: {info['asserted']:,} asserted triples, {info['default']:,} in the default graph; "
          f"kg serve with {args.workers} worker(s); {args.requests} requests per kind, {args.rounds} rounds; "
          f"median ms; each server alone on the machine", flush=True)
    print(f"{'':<30}| {'in-process':>10} | {'server':>10} | {'server - in-process':>20} | {'per round':>15}")
    for name, start in starters:  # one server at a time: an idle Virtuoso still uses 2-4 % of a core
        server, url, extra = start()
        try:
            measure(name, url, extra, kinds, requests, in_process, args)
        finally:
            stop(server)
    shutil.rmtree(work, ignore_errors=True)


def measure(name: str, url: str, extra: dict, kinds: list[str], requests: list, in_process, args) -> None:
    """Per kind: the same requests in-process and to the server at ``url``, in blocks whose order alternates
    per round; print the medians and their difference."""
    parts = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
    for kind in kinds:
        texts = [text for k, text in requests if k == kind][:args.requests]
        # encoded before the clock starts, as bench/endpoint.py does: that is the client's time, not the server's
        bodies = {text: urllib.parse.urlencode({"query": text, **extra}).encode() for text in texts}

        def over_http(text: str, bodies=bodies, kind=kind) -> None:
            status, data = post(conn, parts.path, bodies[text], QUERIES[kind][0])
            if status != 200:
                raise RuntimeError(f"{name}: {kind}: {status} {data[:300]!r}")

        runs = [("in-process", in_process), (name, over_http)]
        latencies: dict[str, list[float]] = {n: [] for n, _ in runs}
        for text in texts[:30]:  # warm up
            for _, run in runs:
                run(text)
        for r in range(args.rounds):
            for n, run in runs[r % 2:] + runs[:r % 2]:
                for text in texts:
                    started = time.perf_counter()
                    run(text)
                    latencies[n].append(time.perf_counter() - started)
        local, remote = (1000 * statistics.median(latencies[n]) for n, _ in runs)
        block = len(texts)  # the latencies of round r are the r-th block of each list
        per_round = [1000 * (statistics.median(latencies[name][r * block:(r + 1) * block]) - statistics.median(
            latencies["in-process"][r * block:(r + 1) * block])) for r in range(args.rounds)]
        print(f"{name + ', ' + kind:<30}| {local:>10.3f} | {remote:>10.3f} | {remote - local:>+20.3f} | "
              f"{min(per_round):>+6.3f} to {max(per_round):>+6.3f}", flush=True)
    conn.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="project,100000", help="'project' and/or asserted triple counts")
    parser.add_argument("--kinds", default=SMALL, help="comma-separated kinds of bench/workload.py")
    parser.add_argument("--requests", type=int, default=200, help="distinct requests per kind")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--workers", type=int, default=2, help="KG_WORKERS of the server")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--no-virtuoso", dest="virtuoso", action="store_false", help="skip Virtuoso")
    parser.add_argument("--trees", default="", help="label=path,...: serve from these source trees in turn "
                                                    "(default: this checkout)")
    parser.add_argument("--repeat", type=int, default=1, help="times each tree is measured, in turn")
    args = parser.parse_args()
    unknown = set(args.kinds.split(",")) - set(QUERIES)
    if unknown:
        sys.exit(f"--kinds: unknown {', '.join(sorted(unknown))}; the kinds are: {', '.join(QUERIES)}")
    each_size(args, bench_size, "kg-latency-")


if __name__ == "__main__":
    main()
