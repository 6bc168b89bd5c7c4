"""The pipeline: load, check shapes, reason, run the checks, write the store.

The store keeps every fact in the named graph of its source, the ontology in
``graph/ontology`` and the entailments in ``graph/inferred``.  Its default graph
holds the union of all of them as a set: a fact stated by three sources is
there once, so a query without GRAPH counts it once.
"""

from __future__ import annotations

import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

from . import reason, store as store_, update as update_
from .load import Dataset, InputError, load
from .namespaces import compact, graph_iri
from .settings import Settings
from .validate import ValidationFailed, check_shapes_in_store, run_checks


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


def validated(settings: Settings, target: Path | None = None,
              dataset: Dataset | None = None) -> tuple[Dataset, ox.Store, Report]:
    """Load (the files and the journal of updates, unless ``dataset`` is given), reason, load a store,
    then check the shapes and run the checks on it.

    The store is written at ``target`` (a new store version) or kept in memory.
    Raises InputError for unreadable input, UpdateRefused for an unreadable
    journal and ValidationFailed for data that does not conform to the shapes
    or fails a check.
    """
    report = Report()
    clock = _Clock(report)
    if dataset is None:
        dataset = update_.replay(load(settings))
    clock.lap("load")
    try:
        if settings.reasoner == "owlrl":
            quads = list(dataset.quads())
            closure = reason.Closure.of(quads, reason.reference(quads))
            del quads
        else:
            closure = reason.closure(dataset.quads())
    except reason.UnsupportedSchema as e:
        raise InputError(f"{settings.ontology_dir}: {e}") from None
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
    problems = check_shapes_in_store(store, dataset)
    clock.lap("shapes")
    if problems:
        raise ValidationFailed(problems)
    problems = run_checks(store, dataset)
    clock.lap("checks")
    if problems:
        raise ValidationFailed(problems)
    return dataset, store, report


def build(settings: Settings) -> Report:
    """Build a new store version from the files and the journal and publish it; on any failure
    the previous store stays in place."""
    with update_.turn(settings):
        return _publish(settings, None)


def update(settings: Settings, text: str, refuse_load: bool = True) -> Report:
    """Apply the SPARQL Update ``text`` to the store, build from the result, publish it and journal the change.

    Raises kg.store.StoreError when no store is built, UpdateRefused or
    ValidationFailed when the update cannot be applied; then nothing changed.
    ``refuse_load``: as kg.update.change.
    """
    with update_.turn(settings):
        dataset, deleted, inserted = update_.change(settings, text, store_.open_read_only(settings.store_dir),
                                                    refuse_load)
        if not deleted and not inserted:
            return Report(changed=(0, 0))
        entry = update_.journal_entry(deleted, inserted)
        report = _publish(settings, dataset, lambda: update_.record(settings, entry))
        report.changed = (len(deleted), len(inserted))
        return report


def _publish(settings: Settings, dataset: Dataset | None, journal=None) -> Report:
    """Build a new version (from ``dataset``, or the files and the journal) and publish it.

    ``journal``, if given, records the change just before the store is
    published, and returns an undo that runs if publishing fails: the journal
    never lacks a change the store has.
    """
    version = store_.new_version(settings.store_dir)
    undo = None
    try:
        _, store, report = validated(settings, version, dataset)
        started = time.perf_counter()
        store.flush()
        store.optimize()
        del store
        undo = journal() if journal else None
        store_.publish(settings.store_dir, version)
        report.seconds["publish"] = time.perf_counter() - started
    except BaseException:
        store_.discard(version)
        if undo:
            undo()
        raise
    report.store_path = str(version)
    return report
