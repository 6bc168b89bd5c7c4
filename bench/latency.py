"""What HTTP adds to one small query: kg serve (and Virtuoso) against pyoxigraph in-process, small results alone.

    python bench/latency.py                                  # project and 100k graphs
    python bench/latency.py --sizes 100000 --kinds "lookup by label,describe" --requests 300 --rounds 5

bench/endpoint.py measures latency in its one-client run inside the whole
analyst mix, where a label-regex or HAVING query (40-50 ms at 100 k) between
two small ones leaves the caches cold for the next.  This script sends only
the small-result kinds (by default lookup by label, successor chain,
DESCRIBE), one request at a time from one process: per kind and round, the
same requests in-process on the store opened read-only, then to kg serve, then
to Virtuoso, each in a block (the order rotated per round; alternating every
request instead leaves each one's caches cold for the next and adds about
0.1 ms to all three), so that the differences of the medians are what each
server adds to a small query.  A benchmark, run by hand.
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing
import shutil
import statistics
import sys
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from endpoint import build, post  # noqa: E402
from servers import VIRTUOSO_GRAPH, each_size, start_kg, start_virtuoso, stop  # noqa: E402
from workload import QUERIES, workload  # noqa: E402

SMALL = "lookup by label,successor chain,describe"


def bench_size(size: str, args, scratch: Path) -> None:
    import pyoxigraph as ox

    from kg.namespaces import PREFIXES

    work = scratch / size
    work.mkdir()
    builder = multiprocessing.get_context("spawn").Process(target=build, args=(size, work))
    builder.start()
    builder.join()
    if builder.exitcode:
        raise RuntimeError(f"building the {size} store failed (exit {builder.exitcode})")
    info = json.loads((work / "pools.json").read_text())
    kinds = args.kinds.split(",")
    requests = workload(info["pools"], args.seed, args.requests * len(QUERIES))
    store = ox.Store.read_only(str(work / "store"))

    def in_process(text: str) -> None:
        result = store.query(text, prefixes=PREFIXES)
        [tuple(s) for s in result] if isinstance(result, ox.QuerySolutions) else list(result)

    servers, targets = [], []
    try:
        kg, url = start_kg(work / "store", args.workers, work / "kg-serve.log")
        servers.append(kg)
        targets.append(("kg serve", url, {}))
        if args.virtuoso:
            virtuoso, url, _ = start_virtuoso(work / "virtuoso", work / "default.nt")
            servers.append(virtuoso)
            targets.append(("Virtuoso", url, {"default-graph-uri": VIRTUOSO_GRAPH}))
        conns = {name: http.client.HTTPConnection(urllib.parse.urlsplit(url).hostname,
                                                  urllib.parse.urlsplit(url).port, timeout=60)
                 for name, url, _ in targets}

        bodies = {}  # (server, query) -> the form, encoded before the clock starts, as bench/endpoint.py does

        def over_http(name: str, path: str, kind: str, text: str) -> None:
            status, data = post(conns[name], path, bodies[name, text], QUERIES[kind][0])
            if status != 200:
                raise RuntimeError(f"{name}: {kind}: {status} {data[:300]!r}")

        runs = [("in-process", lambda kind, text: in_process(text))]
        runs += [(name, lambda kind, text, t=(name, urllib.parse.urlsplit(url).path): over_http(*t, kind, text))
                 for name, url, _ in targets]
        print(f"\n=== {size}: {info['asserted']:,} asserted triples, {info['default']:,} in the default graph; "
              f"kg serve with {args.workers} worker(s); {args.requests} requests per kind, {args.rounds} rounds; "
              f"median ms", flush=True)
        print(f"{'':<20}" + "".join(f"| {name:>12} " for name, _ in runs) + "".join(
            f"| {name + ' - in-process':>24} " for name, _ in runs[1:]))
        for kind in kinds:
            texts = [text for k, text in requests if k == kind][:args.requests]
            bodies.update({(name, text): urllib.parse.urlencode({"query": text, **extra}).encode()
                           for name, _, extra in targets for text in texts})
            latencies: dict[str, list[float]] = {name: [] for name, _ in runs}
            for text in texts[:30]:  # warm up
                for _, run in runs:
                    run(kind, text)
            for r in range(args.rounds):
                for name, run in runs[r % len(runs):] + runs[:r % len(runs)]:
                    for text in texts:
                        started = time.perf_counter()
                        run(kind, text)
                        latencies[name].append(time.perf_counter() - started)
            medians = {name: 1000 * statistics.median(xs) for name, xs in latencies.items()}
            local = medians["in-process"]
            print(f"{kind:<20}" + "".join(f"| {medians[name]:>12.3f} " for name, _ in runs) + "".join(
                f"| {medians[name] - local:>+24.3f} " for name, _ in runs[1:]), flush=True)
    finally:
        for server in servers:
            stop(server)
    shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="project,100000", help="'project' and/or asserted triple counts")
    parser.add_argument("--kinds", default=SMALL, help="comma-separated kinds of bench/workload.py")
    parser.add_argument("--requests", type=int, default=200, help="distinct requests per kind")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--workers", type=int, default=2, help="KG_WORKERS of the server")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--no-virtuoso", dest="virtuoso", action="store_false", help="skip Virtuoso")
    args = parser.parse_args()
    unknown = set(args.kinds.split(",")) - set(QUERIES)
    if unknown:
        sys.exit(f"--kinds: unknown {', '.join(sorted(unknown))}; the kinds are: {', '.join(QUERIES)}")
    each_size(args, bench_size, "kg-latency-")


if __name__ == "__main__":
    main()
