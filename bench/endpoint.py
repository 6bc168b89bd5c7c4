"""Benchmark the SPARQL endpoint: `kg serve` over HTTP, pyoxigraph in-process, and Virtuoso 7, side by side.

    python bench/endpoint.py                                    # project and 100k graphs, 4 clients, 20 s each
    python bench/endpoint.py --sizes project,100000,1000000 --clients 4 --seconds 20 --workers 2

For each size the script builds a store in a scratch folder (the project's own
data, or a synthetic ORG-style graph of about that many asserted triples from
bench/synthetic.py, reasoned as `kg build` does), dumps its default graph as
N-Triples, and runs one analyst workload (lookup by label, members of a body at
a date, successor chains by property path, GROUP BY counts, label regex,
HAVING, CONSTRUCT, DESCRIBE) with constants drawn from the graph by a fixed
seed, so no answer repeats from a cache:

  - over HTTP, by --clients client processes on keep-alive connections, for
    --seconds, against `kg serve` (KG_WORKERS=--workers) on a free loopback port;
  - in-process on pyoxigraph, one query at a time, on the same store opened
    read-only with the server's prefixes, for --seconds;
  - over HTTP, by the same clients, against Virtuoso 7 (Debian's
    virtuoso-opensource) started on free ports with the same triples loaded.

Every query is sent with its PREFIX declarations, to both servers.  It prints
queries per second, median and p99 latency per query kind, the ratio of HTTP
to in-process latency, the CPU the clients used (they must not be the
bottleneck) and the memory (RSS, PSS) of each server worker.
A sample of result counts is compared across the three; a mismatch is printed
as a warning.  This is a benchmark, run by hand: no test depends on its figures.
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing
import os
import shutil
import statistics
import sys
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import pyoxigraph as ox
from servers import VIRTUOSO_GRAPH, children, cpu_seconds, each_size, memory_mb, start_kg, start_virtuoso, stop
from workload import POOLS, QUERIES, SELECT, workload

from kg.terms import PREFIXES

SAMPLES_PER_KIND = 3     # requests per kind whose result counts are compared across engines
UNCOMPARED = {"describe": "DESCRIBE's answer is up to the engine (SPARQL 1.1, 16.4): Virtuoso adds the triples "
                          "with the resource as object, Oxigraph gives those with it as subject"}
REQUESTS_PER_CLIENT = 20_000  # more than a round sends on the project graph (about 4 300 with 1 client)
# --- the graphs -------------------------------------------------------------------------------

def build(size: str, work: Path) -> None:
    """Build the store of ``size`` ('project' or a triple count) at work/store, as `kg build` does
    (without the checks), dump its default graph to work/default.nt and its pools to work/pools.json."""
    import synthetic

    from kg.load import load_graphs
    from kg.reason import closure as reasoned
    from kg.settings import CANONICAL_BASE, Settings
    from kg.terms import graph_iri

    data = ROOT / "data" if size == "project" else synthetic.data_dir(int(size), work / "data")
    dataset = load_graphs(Settings(ontology_dir=ROOT / "ontology", data_dir=data))
    asserted = sum(len(f.triples) for f in dataset.files)
    closure = reasoned(dataset.quads())
    store = ox.Store(str(work / "store"))
    with open(work / "all.nq", "wb") as f:
        closure.nquads(graph_iri(CANONICAL_BASE, "inferred").value, f)
    del closure
    store.bulk_load(path=str(work / "all.nq"), format=ox.RdfFormat.N_QUADS, lenient=True)
    os.remove(work / "all.nq")
    store.flush()
    store.optimize()
    store.dump(str(work / "default.nt"), format=ox.RdfFormat.N_TRIPLES, from_graph=ox.DefaultGraph())
    pools = {name: sorted(str(row[0]) for row in store.query(q, prefixes=PREFIXES)) for name, q in POOLS.items()}
    with open(work / "default.nt", "rb") as f:
        default_triples = sum(1 for _ in f)
    (work / "pools.json").write_text(json.dumps({"pools": pools, "asserted": asserted, "default": default_triples}))


def built(size: str, work: Path) -> dict:
    """Build the store of ``size`` at work/store in a fresh process (see build); its pools.json."""
    builder = multiprocessing.get_context("spawn").Process(target=build, args=(size, work))
    builder.start()
    builder.join()
    if builder.exitcode:
        raise RuntimeError(f"building the {size} store failed (exit {builder.exitcode})")
    return json.loads((work / "pools.json").read_text())


def run_query(store, text: str) -> int:
    """Evaluate ``text`` on ``store`` in-process, reading its whole result; the number of results."""
    result = store.query(text, prefixes=PREFIXES)
    return len([tuple(s) for s in result] if isinstance(result, ox.QuerySolutions) else list(result))


# --- the measurements ---------------------------------------------------------------------------

def _client(url: str, extra: dict, requests: list, seconds: float, barrier, out) -> None:
    """One client: POST the requests in turn on one connection for ``seconds``; put latencies on ``out``."""
    parts = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=300)
    bodies = [(kind, urllib.parse.urlencode({"query": text, **extra}).encode()) for kind, text in requests]
    latencies: dict[str, list[float]] = {kind: [] for kind in QUERIES}
    errors = []
    barrier.wait()
    cpu, started = time.process_time(), time.perf_counter()
    n = 0
    while time.perf_counter() - started < seconds:
        kind, body = bodies[n % len(bodies)]
        n += 1
        t0 = time.perf_counter()
        try:
            status, data = post(conn, parts.path, body, QUERIES[kind][0])
        except OSError as e:
            status, data = "no answer", str(e).encode()
        if status == 200:
            latencies[kind].append(time.perf_counter() - t0)
        else:
            errors.append(f"{kind}: {status} {data[:200]!r}")
    out.put({"latencies": latencies, "errors": errors, "wall": time.perf_counter() - started,
             "cpu": time.process_time() - cpu})


def post(conn: http.client.HTTPConnection, path: str, body: bytes, accept: str) -> tuple[int, bytes]:
    """POST a form-encoded query; reconnects once when the server closed the connection."""
    headers = {"Content-Type": "application/x-www-form-urlencoded", "Accept": accept}
    for attempt in (1, 2):
        try:
            conn.request("POST", path, body, headers)
            response = conn.getresponse()
            return response.status, response.read()
        except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
            conn.close()
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def run_clients(url: str, extra: dict, workloads: list[list], seconds: float) -> dict:
    """Run one client process per workload against ``url``; their latencies merged, wall time and CPU."""
    context = multiprocessing.get_context("spawn")
    barrier, out = context.Barrier(len(workloads)), context.Queue()
    clients = [context.Process(target=_client, args=(url, extra, w, seconds, barrier, out)) for w in workloads]
    for c in clients:
        c.start()
    parts = [out.get() for _ in clients]
    for c in clients:
        c.join()
    merged = {kind: [x for p in parts for x in p["latencies"][kind]] for kind in QUERIES}
    return {"latencies": merged, "wall": max(p["wall"] for p in parts), "client_cpu": sum(p["cpu"] for p in parts),
            "errors": [e for p in parts for e in p["errors"]]}


def _in_process(store_dir: str, requests: list, seconds: float, samples: list, out) -> None:
    store = ox.Store.read_only(store_dir)
    counts = [run_query(store, text) for _, text in samples]
    latencies: dict[str, list[float]] = {kind: [] for kind in QUERIES}
    started = time.perf_counter()
    n = 0
    while time.perf_counter() - started < seconds:
        kind, text = requests[n % len(requests)]
        n += 1
        t0 = time.perf_counter()
        run_query(store, text)
        latencies[kind].append(time.perf_counter() - t0)
    out.put({"latencies": latencies, "wall": time.perf_counter() - started, "counts": counts})


def in_process(store_dir: str, requests: list, seconds: float, samples: list) -> dict:
    """The workload one query at a time in a fresh process on the store opened read-only; and the
    result counts of ``samples``."""
    context = multiprocessing.get_context("spawn")
    out = context.Queue()
    child = context.Process(target=_in_process, args=(store_dir, requests, seconds, samples, out))
    child.start()
    result = out.get()
    child.join()
    return result


def http_counts(url: str, extra: dict, samples: list) -> list[int | str]:
    """Result counts (solutions or triples) of ``samples`` over HTTP, or the error status and message."""
    parts = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=300)
    counts: list[int | str] = []
    for kind, text in samples:
        accept = QUERIES[kind][0]
        status, data = post(conn, parts.path, urllib.parse.urlencode({"query": text, **extra}).encode(), accept)
        if status != 200:
            counts.append(f"{status} {data[:300].decode(errors='replace')}")
        elif accept == SELECT:
            counts.append(len(json.loads(data)["results"]["bindings"]))
        else:
            counts.append(sum(1 for _ in ox.parse(data, format=ox.RdfFormat.TURTLE)))
    conn.close()
    return counts


def measure_server(url: str, extra: dict, pids: list[int], workloads: list, seconds: float) -> dict:
    before = cpu_seconds(pids)
    result = run_clients(url, extra, workloads, seconds)
    result["server_cpu"] = cpu_seconds(pids) - before
    return result


# --- the report ----------------------------------------------------------------------------------

def summary(latencies: list[float]) -> tuple[float, float]:
    """Median and p99 in milliseconds."""
    if not latencies:
        return float("nan"), float("nan")
    ordered = sorted(latencies)
    return statistics.median(ordered) * 1000, ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000


def report(title: str, runs: dict[str, dict], memory: list[tuple[str, int, float, float]]) -> None:
    print(f"\n{title}\n")
    names = list(runs)
    print(f"{'':<20}" + "".join(f"| {n:^21} " for n in names))
    print(f"{'queries/s':<20}" + "".join(
        f"| {sum(map(len, runs[n]['latencies'].values())) / runs[n]['wall']:>21.1f} " for n in names))
    print(f"{'ms per query kind':<20}" + "".join(f"| {'n':>5} {'median':>7} {'p99':>7} " for _ in names))
    medians = {n: {kind: summary(runs[n]["latencies"][kind])[0] for kind in QUERIES} for n in names}
    for kind in QUERIES:
        print(f"{kind:<20}" + "".join(f"| {len(runs[n]['latencies'][kind]):>5} "
                                      + "{:>7.2f} {:>7.2f} ".format(*summary(runs[n]["latencies"][kind]))
                                      for n in names))
    http = [n for n in names if n != "in-process"]
    print(f"\n{'median / in-process':<20}" + "".join(f"| {n:^21} " for n in http) + "| kg serve, 1 client - in-process")
    for kind in QUERIES:
        local = medians["in-process"][kind]
        print(f"{kind:<20}" + "".join(f"| {medians[n][kind] / local:>21.1f} " for n in http)
              + f"| {medians['kg serve, 1 client'][kind] - local:>+8.2f} ms")
    for n in http:
        print(f"CPU during the {n} run: clients {runs[n]['client_cpu']:.1f} s, server {runs[n]['server_cpu']:.1f} s,"
              f" of {os.cpu_count()} cores x {runs[n]['wall']:.1f} s = {os.cpu_count() * runs[n]['wall']:.0f} s")
        for error in runs[n]["errors"][:5]:
            print(f"  error from {n}: {error}")
    for role, pid, rss, pss in memory:
        print(f"memory of {role} {pid}: RSS {rss:.0f} MB, PSS {pss:.0f} MB")


def check_counts(samples: list, counts: dict[str, list]) -> None:
    """Print a warning for each sample whose result count differs between engines."""
    mismatches = 0
    for i, (kind, text) in enumerate(samples):
        row = {name: c[i] for name, c in counts.items()}
        if len(set(map(str, row.values()))) > 1 and kind not in UNCOMPARED:
            mismatches += 1
            query = "\n".join(line for line in text.splitlines() if not line.startswith("PREFIX"))
            print(f"WARNING: result counts differ for {kind}: {row}\n{query}")
    for kind, why in UNCOMPARED.items():
        print(f"not compared: {kind}: {why}")
    print(f"result counts compared on {len(samples)} sample queries: {mismatches} mismatch(es)"
          f" ({', '.join(f'{k}: {sum(c for c in v if isinstance(c, int))} results' for k, v in counts.items())})")


def merge(runs: dict, name: str, run: dict) -> None:
    """Add one round's ``run`` to ``runs[name]``: latencies joined, times and CPU added."""
    if name not in runs:
        runs[name] = run
        return
    total = runs[name]
    for kind in QUERIES:
        total["latencies"][kind] += run["latencies"][kind]
    for key in ("wall", "client_cpu", "server_cpu"):
        if key in run:
            total[key] += run[key]
    total["errors"] = total.get("errors", []) + run.get("errors", [])


def rotated(requests: list, round_: int, rounds: int) -> list:
    """``requests`` starting further on in each round, so that a round does not repeat the last one's."""
    start = len(requests) * round_ // rounds
    return requests[start:] + requests[:start]


def measure(plan: list, store_dir: str, samples: list, args) -> dict:
    """Run every (name, url, params, pids, workloads, seconds) of ``plan`` and the in-process run in turn,
    for ``args.rounds`` rounds, so that a change of load on the machine falls on all of them alike;
    the samples' result counts are taken in the first round."""
    runs: dict[str, dict] = {}
    for r in range(args.rounds):
        for name, url, extra, pids, workloads, seconds in plan:
            merge(runs, name, measure_server(url, extra, pids, [rotated(w, r, args.rounds) for w in workloads],
                                             seconds / args.rounds))
        merge(runs, "in-process", in_process(store_dir, rotated(plan[0][4][0], r, args.rounds),
                                             args.seconds / args.rounds, samples if r == 0 else []))
    return runs


def bench_size(size: str, args, scratch: Path) -> None:
    work = scratch / size
    work.mkdir()
    started = time.perf_counter()
    info = built(size, work)
    print(f"\n=== {size}: {info['asserted']:,} asserted triples with the ontology, {info['default']:,} in the "
          f"default graph; built in {time.perf_counter() - started:.0f} s", flush=True)
    workloads = [workload(info["pools"], args.seed + c, REQUESTS_PER_CLIENT) for c in range(args.clients)]
    samples = workload(info["pools"], args.seed - 1, SAMPLES_PER_KIND * len(QUERIES))
    servers = []
    try:
        kg, url = start_kg(work / "store", args.workers, work / "kg-serve.log")
        servers.append(kg)
        pids = children(kg.pid)  # the workers: each evaluates its own queries
        processes = [("worker", pid) for pid in pids]
        plan = [("kg serve", url, {}, pids, workloads, args.seconds),
                ("kg serve, 1 client", url, {}, pids, workloads[:1], args.latency_seconds)]
        counts = {"kg serve": http_counts(url, {}, samples)}
        if args.virtuoso:
            virtuoso, url, load_seconds = start_virtuoso(work / "virtuoso", work / "default.nt")
            servers.append(virtuoso)
            processes.append(("Virtuoso", virtuoso.pid))
            print(f"Virtuoso loaded the default graph in {load_seconds:.1f} s", flush=True)
            extra = {"default-graph-uri": VIRTUOSO_GRAPH}
            plan += [("Virtuoso", url, extra, [virtuoso.pid], workloads, args.seconds),
                     ("Virtuoso, 1 client", url, extra, [virtuoso.pid], workloads[:1], args.latency_seconds)]
            counts["Virtuoso"] = http_counts(url, extra, samples)
        runs = measure(plan, str(work / "store"), samples, args)
        memory = [(role, pid, *memory_mb(pid)) for role, pid in processes]
    finally:
        for server in servers:
            stop(server)
    counts["in-process"] = runs["in-process"]["counts"]
    check_counts(samples, counts)
    report(f"{size}: per server {args.clients} clients for {args.seconds:g} s and 1 client for "
           f"{args.latency_seconds:g} s, in-process one at a time for {args.seconds:g} s, in {args.rounds} "
           f"interleaved rounds; kg serve with {args.workers} worker(s)", runs, memory)
    shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="project,100000", help="'project' and/or asserted triple counts")
    parser.add_argument("--clients", type=int, default=4, help="concurrent HTTP client processes")
    parser.add_argument("--seconds", type=float, default=20, help="length of each timed run")
    parser.add_argument("--latency-seconds", type=float, default=5,
                        help="length of the one-client run that measures latency without queueing")
    parser.add_argument("--workers", type=int, default=2, help="KG_WORKERS of the server")
    parser.add_argument("--rounds", type=int, default=4, help="the runs take turns in this many rounds")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--no-virtuoso", dest="virtuoso", action="store_false", help="skip Virtuoso")
    args = parser.parse_args()
    each_size(args, bench_size, "kg-bench-")


if __name__ == "__main__":
    main()
