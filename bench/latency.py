"""What HTTP adds to one small query: kg serve (and Virtuoso) against pyoxigraph in-process, small results alone.

    python bench/latency.py                                  # project and 100k graphs
    python bench/latency.py --sizes 100000 --kinds "lookup by label,describe" --requests 300 --rounds 5
    git worktree add /tmp/old HEAD~3                         # then this checkout against an older one:
    python bench/latency.py --no-virtuoso --trees old=/tmp/old,new=. --repeat 2

bench/endpoint.py measures latency in its one-client run inside the whole
analyst mix, where a label-regex or HAVING query (40-50 ms at 100 k) between
two small ones leaves the caches cold for the next.  This script sends only
the small-result kinds (by default lookup by label, successor chain,
DESCRIBE), one request at a time from one process, to kg serve, then to
Virtuoso alone (an idle Virtuoso still uses 2-4 % of a core, waking often,
which added 0.1-0.2 ms to the other server's figures): per kind and round, the
same requests in-process on the store opened read-only and to the server, each
in a block (the order turning with each round; alternating every request
instead leaves each one's caches cold for the next and adds about 0.1 ms to
both), so that the difference of the medians is what the server adds to a
small query.  ``--trees`` serves the same store from several source trees side
by side, their blocks taking turns within each round, to compare a change with
what came before; ``--repeat`` measures that many times.  A benchmark, run by
hand.
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
    print(f"\n=== {size}: {info['asserted']:,} asserted triples, {info['default']:,} in the default graph; "
          f"kg serve with {args.workers} worker(s); {args.requests} requests per kind, {args.rounds} rounds; "
          f"median ms", flush=True)
    print(f"{'':<30}| {'in-process':>10} | {'server':>10} | {'server - in-process':>20} | {'per round':>15}")
    # The trees' servers side by side (an idle kg serve sleeps), their blocks taking turns within each round, so
    # that the machine's drift falls on each alike; Virtuoso alone (idle, it still uses 2-4 % of a core).
    servers = [start_kg(work / "store", args.workers, work / f"kg-serve-{label}.log", Path(tree).resolve())
               for label, tree in trees]
    try:
        for _ in range(args.repeat):
            measure([(label, url, {}) for (label, _), (_, url) in zip(trees, servers, strict=True)],
                    kinds, requests, in_process, args)
    finally:
        for server, _ in servers:
            stop(server)
    if args.virtuoso:
        server, url = start_virtuoso(work / "virtuoso", work / "default.nt")[:2]
        try:
            measure([("Virtuoso", url, {"default-graph-uri": VIRTUOSO_GRAPH})], kinds, requests, in_process, args)
        finally:
            stop(server)
    shutil.rmtree(work, ignore_errors=True)


def measure(servers: list[tuple[str, str, dict]], kinds: list[str], requests: list, in_process, args) -> None:
    """Per kind: the same requests in-process and to each of ``servers`` (name, URL, extra parameters), in blocks
    whose order turns with each round; print the medians and their difference with in-process."""
    connections = {}
    for name, url, _ in servers:
        parts = urllib.parse.urlsplit(url)
        connections[name] = (http.client.HTTPConnection(parts.hostname, parts.port, timeout=60), parts.path)
    for kind in kinds:
        texts = [text for k, text in requests if k == kind][:args.requests]
        runs = [("in-process", in_process)] + [(name, _over_http(name, connections[name], texts, extra, kind))
                                                for name, _, extra in servers]
        latencies: dict[str, list[float]] = {n: [] for n, _ in runs}
        for text in texts[:30]:  # warm up
            for _, run in runs:
                run(text)
        for r in range(args.rounds):
            for n, run in runs[r % len(runs):] + runs[:r % len(runs)]:
                for text in texts:
                    started = time.perf_counter()
                    run(text)
                    latencies[n].append(time.perf_counter() - started)
        local = 1000 * statistics.median(latencies["in-process"])
        block = len(texts)  # the latencies of round r are the r-th block of each list
        for name, _, _ in servers:
            remote = 1000 * statistics.median(latencies[name])
            per_round = [1000 * (statistics.median(latencies[name][r * block:(r + 1) * block]) - statistics.median(
                latencies["in-process"][r * block:(r + 1) * block])) for r in range(args.rounds)]
            print(f"{name + ', ' + kind:<30}| {local:>10.3f} | {remote:>10.3f} | {remote - local:>+20.3f} | "
                  f"{min(per_round):>+6.3f} to {max(per_round):>+6.3f}", flush=True)
    for conn, _ in connections.values():
        conn.close()


def _over_http(name: str, connection: tuple, texts: list[str], extra: dict, kind: str):
    """A function that POSTs one of ``texts`` on ``connection`` (and its path), raising unless it is answered 200."""
    conn, path = connection
    # encoded before the clock starts, as bench/endpoint.py does: that is the client's time, not the server's
    bodies = {text: urllib.parse.urlencode({"query": text, **extra}).encode() for text in texts}

    def over_http(text: str) -> None:
        status, data = post(conn, path, bodies[text], QUERIES[kind][0])
        if status != 200:
            raise RuntimeError(f"{name}: {kind}: {status} {data[:300]!r}")
    return over_http


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="project,100000", help="'project' and/or asserted triple counts")
    parser.add_argument("--kinds", default=SMALL, help="comma-separated kinds of bench/workload.py")
    parser.add_argument("--requests", type=int, default=200, help="distinct requests per kind")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--workers", type=int, default=2, help="KG_WORKERS of the server")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--no-virtuoso", dest="virtuoso", action="store_false", help="skip Virtuoso")
    parser.add_argument("--trees", default="", help="label=path,...: serve from these source trees side by side "
                                                    "(default: this checkout)")
    parser.add_argument("--repeat", type=int, default=1, help="times the trees are measured")
    args = parser.parse_args()
    unknown = set(args.kinds.split(",")) - set(QUERIES)
    if unknown:
        sys.exit(f"--kinds: unknown {', '.join(sorted(unknown))}; the kinds are: {', '.join(QUERIES)}")
    each_size(args, bench_size, "kg-latency-")


if __name__ == "__main__":
    main()
