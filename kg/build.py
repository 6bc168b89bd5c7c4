"""The pipeline: load, replay the journal, reason, write a store, check its shapes, run the checks,
publish.

The store keeps every fact in the named graph of its source, the ontology in
``graph/ontology`` and the entailments in ``graph/inferred``.  Its default graph
holds the union of all of them as a set: a fact stated by three sources is
there once, so a query without GRAPH counts it once.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

from . import reason
from .errors import InvalidInput
from .load import Inputs, display, load
from .query import where_and_why
from .settings import Settings
from .store import StoreLayout
from .terms import compact, graph_iri
from .validate import ValidationFailed, check_problems, shape_problems


@dataclass
class Report:
    """What a build or validation did: triples per graph and seconds per stage."""

    triples: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    store_path: str | None = None
    changed: tuple[int, int] | None = None  # an update's quads deleted and inserted

    def lines(self) -> list[str]:
        if self.changed == (0, 0):
            return ["the update changed nothing; the store is as it was"]
        if self.changed:
            out = [f"update: {self.changed[0]} quads deleted, {self.changed[1]} inserted, recorded in the journal; "
                   f"{sum(self.triples.values())} quads in all"]
        else:
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


def build(settings: Settings) -> Report:
    """Build a new store version from the files and the journal and publish it; on any failure
    the previous store stays in place."""
    layout = StoreLayout(settings.store_dir)
    with layout.turn():
        started = time.perf_counter()
        inputs = replayed(load(settings))
        return publish(settings, layout, inputs, loaded=time.perf_counter() - started)


def validated(settings: Settings) -> Report:
    """Everything a build does but write and publish: the store is kept in memory."""
    started = time.perf_counter()
    inputs = replayed(load(settings))
    _, report = derive(settings, inputs, loaded=time.perf_counter() - started)
    return report


def replayed(inputs: Inputs) -> Inputs:
    """``inputs`` with the journal of updates applied to its graphs, if there is a journal.
    Raises InvalidInput naming the journal's line and column if it cannot be applied."""
    if inputs.journal is None:
        return inputs
    work = ox.Store()
    work.bulk_extend(inputs.dataset.quads())
    try:
        work.update(inputs.journal.text)
    except SyntaxError as e:
        where, why = where_and_why(e)
        raise InvalidInput(f"{display(inputs.journal.path)}:{where}: {why}") from None
    return Inputs(inputs.dataset.regrouped(set(work), f"after {inputs.journal.path.name}"), inputs.rules)


def derive(settings: Settings, inputs: Inputs, target: Path | None = None,
           loaded: float = 0.0) -> tuple[ox.Store, Report]:
    """Reason over ``inputs``, load the result into a store (at ``target``, a new version, or in memory),
    then check the shapes and run the checks on it.

    Raises InvalidInput for a schema the reasoner does not follow, and ValidationFailed for data that
    does not conform to the shapes or fails a check.
    """
    report = Report(seconds={"load": loaded})
    clock = _Clock(report)
    try:
        if settings.reasoner == "owlrl":
            quads = list(inputs.dataset.quads())
            closure = reason.Closure.of(quads, reason.reference(quads))
            del quads
        else:
            closure = reason.closure(inputs.dataset.quads())
    except reason.UnsupportedSchema as e:
        raise InvalidInput(f"{settings.ontology_dir}: {e}") from None
    clock.lap("reason")
    inferred = graph_iri(settings.base_iri, "inferred").value
    report.triples = {(g or "(default graph: the union)"): n for g, n in closure.counts(inferred).items()}
    store = ox.Store(str(target)) if target else ox.Store()
    with tempfile.NamedTemporaryFile(suffix=".nq", dir=target.parent if target else None) as f:
        closure.nquads(inferred, f)
        f.flush()
        del closure  # freed before the loader allocates its buffers: the peak is the lower
        # lenient: the file was serialised from parsed terms, so their IRIs are valid already.
        store.bulk_load(path=f.name, format=ox.RdfFormat.N_QUADS, lenient=True)
    clock.lap("write")
    for stage, judge in (("shapes", shape_problems), ("checks", check_problems)):
        problems = judge(store, inputs)
        clock.lap(stage)
        if problems:
            raise ValidationFailed(problems)
    return store, report


def publish(settings: Settings, layout: StoreLayout, inputs: Inputs, record: Callable[[], Callable] | None = None,
            loaded: float = 0.0) -> Report:
    """Derive a new store version from ``inputs`` and make it the current one.

    ``record``, if given, records the change in the journal just before the store is published,
    and returns an undo that runs if publishing fails: the journal never lacks a change the store has.
    On any failure the new version is removed and the current one stays.
    """
    version = layout.new_version()
    undo = None
    try:
        store, report = derive(settings, inputs, version, loaded)
        started = time.perf_counter()
        store.flush()
        store.optimize()
        del store
        undo = record() if record else None
        layout.publish(version)
        report.seconds["publish"] = time.perf_counter() - started
    except BaseException:
        layout.discard(version)
        if undo:
            undo()
        raise
    report.store_path = str(version)
    return report
