"""The pipeline: load, check shapes, reason, run the checks, write the store.

The store keeps every fact in the named graph of its source, the ontology in
``graph/ontology`` and the entailments in ``graph/inferred``.  Its default graph
holds the union of all of them as a set: a fact stated by three sources is
there once, so a query without GRAPH counts it once.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import pyoxigraph as ox

from . import store as store_
from .load import Dataset, InputError, load
from .namespaces import compact, graph_iri
from .reason import UnsupportedSchema, infer, reference
from .settings import Settings
from .validate import ValidationFailed, check_shapes, run_checks


@dataclass
class Report:
    """What a build or validation did: triples per graph and seconds per stage."""

    triples: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    store_path: str | None = None

    def lines(self) -> list[str]:
        out = [f"{n:>8}  {compact(g) if '://' in g else g}" for g, n in sorted(self.triples.items())]
        out.append(f"{sum(self.triples.values()):>8}  quads in all")
        out.append("stages: " + ", ".join(f"{k} {v:.2f}s" for k, v in self.seconds.items()))
        if self.store_path:
            out.append(f"store: {self.store_path}")
        return out


class _Clock:
    def __init__(self, report: Report):
        self.report, self.last = report, time.perf_counter()

    def lap(self, stage: str) -> None:
        now = time.perf_counter()
        self.report.seconds[stage] = now - self.last
        self.last = now


def validated(settings: Settings) -> tuple[Dataset, list[ox.Quad], Report]:
    """Load, validate and reason; return the dataset and every quad to store.

    Raises InputError for unreadable input and ValidationFailed for data that
    does not conform to the shapes or fails a check.
    """
    report = Report()
    clock = _Clock(report)
    dataset = load(settings)
    clock.lap("load")
    problems = check_shapes(dataset)
    clock.lap("shapes")
    if problems:
        raise ValidationFailed(problems)
    inferred_graph = graph_iri(settings.base_iri, "inferred")
    quads = list(dataset.quads())
    closure = reference if settings.reasoner == "owlrl" else infer
    try:
        inferred = closure(quads)
    except UnsupportedSchema as e:
        raise InputError(f"{settings.ontology_dir}: {e}") from None
    quads += [ox.Quad(t.subject, t.predicate, t.object, inferred_graph) for t in inferred]
    clock.lap("reason")
    quads = with_default_graph(quads)
    memory = ox.Store()
    memory.bulk_extend(quads)
    problems = run_checks(memory, dataset)
    clock.lap("checks")
    if problems:
        raise ValidationFailed(problems)
    for q in quads:
        name = "(default graph: the union)" if q.graph_name == ox.DefaultGraph() else q.graph_name.value
        report.triples[name] = report.triples.get(name, 0) + 1
    return dataset, quads, report


def with_default_graph(quads: list[ox.Quad]) -> list[ox.Quad]:
    """``quads`` plus each distinct triple once more in the default graph."""
    seen: set[ox.Triple] = set()
    union = []
    for q in quads:
        triple = q.triple
        if triple not in seen:
            seen.add(triple)
            union.append(ox.Quad(triple.subject, triple.predicate, triple.object, ox.DefaultGraph()))
    return quads + union


def build(settings: Settings) -> Report:
    """Build the store; on any failure the previous store stays in place."""
    _, quads, report = validated(settings)
    started = time.perf_counter()
    report.store_path = str(store_.write(settings.store_dir, quads))
    report.seconds["write"] = time.perf_counter() - started
    return report
