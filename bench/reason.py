"""Benchmark the build at scale: seconds and peak memory per stage, triples inferred.

    python bench/reason.py                          # 10k, 100k, 1M; fast, owlrl, reasonable
    python bench/reason.py --sizes 10000 --engines fast

For each size a synthetic ORG-style graph is generated (bench/synthetic.py)
with the project's ontology.  Each (engine, size) runs in a child process, so
its peak RSS is its own, and is stopped after --timeout seconds (owlrl is then
not tried on larger sizes).  Stages: parse (kg.load), reason, load (write the
on-disk store, default graph included), validate (the SHACL shapes as SPARQL,
then the SPARQL checks, both on the loaded store).  `reasonable` is measured where it is installed; its output goes
through the same noise filter.  This is a benchmark, run by hand: no test
depends on its figures.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def emit(**fields) -> None:
    print(json.dumps(fields), flush=True)


def run_reasonable(quads):
    """reasonable's closure, read from a file, minus the asserted triples and the noise."""
    import pyoxigraph as ox
    import reasonable

    from kg.reason import is_noise
    from kg.terms import to_oxigraph

    asserted = {q.triple for q in quads}
    with tempfile.NamedTemporaryFile(suffix=".ttl") as f:  # reasonable reads .ttl and .n3 only
        f.write(ox.serialize(asserted, format=ox.RdfFormat.N_TRIPLES))
        f.flush()
        reasoner = reasonable.PyReasoner()
        reasoner.load_file(f.name)
    out = set()
    for s, p, o in reasoner.reason():
        try:
            t = ox.Triple(to_oxigraph(s), to_oxigraph(p), to_oxigraph(o))
        except (AttributeError, TypeError):
            continue
        if t not in asserted and not is_noise(t.subject, t.predicate, t.object):
            out.add(t)
    return out


def child(engine: str, size: int, work: Path) -> None:
    """Run one build of a ``size`` graph with ``engine``, printing one JSON line per stage."""
    import pyoxigraph as ox
    import synthetic

    from kg import reason
    from kg.load import load
    from kg.settings import CANONICAL_BASE, Settings
    from kg.terms import graph_iri
    from kg.validate import check_problems, shape_problems

    data = synthetic.data_dir(size, work / "data")
    settings = Settings(ontology_dir=ROOT / "ontology", data_dir=data)

    def stage(name, fn, *args):
        started = time.perf_counter()
        result = fn(*args)
        emit(stage=name, seconds=round(time.perf_counter() - started, 2), peak_mb=round(peak_mb()))
        return result

    inputs = stage("parse", load, settings)
    dataset = inputs.dataset
    emit(asserted=sum(len(f.triples) for f in dataset.files if f.graph.value.endswith("/synthetic")),
         with_ontology=sum(len(f.triples) for f in dataset.files))

    def with_list(fn):
        def run():
            quads = list(dataset.quads())
            return reason.Closure.of(quads, fn(quads))
        return run

    engines = {"fast": lambda: reason.closure(dataset.quads()),  # as kg.build does
               "owlrl": with_list(reason.reference),
               "reasonable": with_list(run_reasonable)}
    closure = stage("reason", engines[engine])
    inferred = graph_iri(CANONICAL_BASE, "inferred").value
    emit(inferred=len(closure.inferred_ids), quads_stored=sum(closure.counts(inferred).values()))

    def load_store():
        """As kg.build does: write the N-Quads, free the closure, bulk-load."""
        nonlocal closure
        store = ox.Store(str(work / "store"))
        with open(work / "all.nq", "wb") as f:
            closure.nquads(inferred, f)
        closure = None
        store.bulk_load(path=str(work / "all.nq"), format=ox.RdfFormat.N_QUADS, lenient=True)
        store.flush()
        store.optimize()
        return store

    store = stage("load", load_store)
    problems = stage("validate: shapes", shape_problems, store, inputs)
    emit(shape_problems=len(problems))
    problems = stage("validate: checks", check_problems, store, inputs)
    emit(check_problems=len(problems))


def measure(engine: str, size: int, timeout: float) -> dict:
    with tempfile.TemporaryDirectory() as work:
        cmd = [sys.executable, __file__, "--child", engine, str(size), work]
        try:
            done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
            output = done.stdout
            status = "ok" if done.returncode == 0 else (
                f"failed (exit {done.returncode}"
                f"{', killed by a signal, e.g. out of memory' if done.returncode < 0 else ''})"
                f": {done.stderr.strip()[-300:]}")
        except subprocess.TimeoutExpired as e:
            output = (e.stdout or b"").decode() if isinstance(e.stdout, bytes) else (e.stdout or "")
            status = f"stopped after {timeout:.0f} s"
    result = {"engine": engine, "size": size, "status": status, "stages": {}}
    for line in output.splitlines():
        fields = json.loads(line)
        if "stage" in fields:
            result["stages"][fields["stage"]] = (fields["seconds"], fields["peak_mb"])
        else:
            result.update(fields)
    return result


def report(r: dict) -> None:
    stages = r["stages"]
    total = sum(s for s, _ in stages.values())
    peak = max((m for _, m in stages.values()), default=0)
    print(f"\n{r['engine']} at {r['size']:,}: asserted {r.get('asserted', '?')}, inferred "
          f"{r.get('inferred', '?')}, quads stored {r.get('quads_stored', '?')}: {r['status']}")
    for name, (seconds, mb) in stages.items():
        print(f"  {name:<18} {seconds:>8.2f} s   peak {mb:>6} MB")
    print(f"  {'total':<18} {total:>8.2f} s   peak {peak:>6} MB")
    if "check_problems" in r:
        print(f"  problems found: {r['check_problems']} by the checks, {r.get('shape_problems', '?')} by the shapes")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--engines", default="fast,owlrl,reasonable")
    parser.add_argument("--timeout", type=float, default=300)
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        engine, size, work = args.child
        child(engine, int(size), Path(work))
        return
    engines = args.engines.split(",")
    if "reasonable" in engines:
        if importlib.util.find_spec("reasonable") is None:
            print("reasonable is not installed: skipped")
            engines.remove("reasonable")
    gave_up = set()
    for size in (int(s) for s in args.sizes.split(",")):
        for engine in engines:
            if engine in gave_up:
                print(f"\n{engine} at {size:,}: skipped (stopped at a smaller size)")
                continue
            r = measure(engine, size, args.timeout)
            report(r)
            if r["status"].startswith("stopped"):
                gave_up.add(engine)


if __name__ == "__main__":
    main()
