"""Update stage: apply a SPARQL Update to the built store, then derive, check and publish anew.

The default graph (the union) and ``graph/inferred`` are derived from the other
graphs, so an update may change those others only: the source graphs,
``graph/ontology`` and ``graph/metadata``.  Its WHERE clauses see what queries
see.  After the update the store is rebuilt from its asserted graphs as
``kg build`` builds it (reasoning, shapes, checks) and swapped in only if all of
that succeeds; a failing update changes nothing.  Updates and builds take turns
(a lock file beside the store).

Each accepted update is recorded in the journal ``<store_dir>.updates.ru`` as the
``DELETE DATA`` / ``INSERT DATA`` it amounted to, and ``kg build`` replays the
journal after loading the files, so an update survives a rebuild as well as a
restart.  Fold the journal into ``data/`` and delete it to make the files the
whole truth again.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import time
from collections import defaultdict
from pathlib import Path

import pyoxigraph as ox

from .guard import may_load
from .load import Dataset, ParsedFile
from .namespaces import PREFIXES, RDF, SC_NS, graph_iri
from .settings import Settings


class UpdateRefused(Exception):
    """The update cannot be applied (syntax, a derived graph, an undescribed graph); nothing was changed."""


class LoadRefused(UpdateRefused):
    """The update would LOAD a document (refused whatever it names)."""


def _beside_store(settings: Settings, suffix: str) -> Path:
    link = Path(settings.store_dir)
    return link.with_name(link.name + suffix)


def journal_path(settings: Settings) -> Path:
    """The journal of updates: ``<store_dir>.updates.ru``."""
    return _beside_store(settings, ".updates.ru")


@contextlib.contextmanager
def turn(settings: Settings):
    """Wait for any other update or build of this store to finish; hold the store until the block ends."""
    lock = _beside_store(settings, ".lock")
    lock.parent.mkdir(parents=True, exist_ok=True)
    with open(lock, "w") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        yield


def derived_graphs(settings: Settings) -> list:
    """The graphs a build derives from the others: the default graph (their union) and graph/inferred."""
    return [ox.DefaultGraph(), graph_iri(settings.base_iri, "inferred")]


def asserted(store: ox.Store, settings: Settings) -> set[ox.Quad]:
    """The quads of every graph but the derived ones."""
    derived = derived_graphs(settings)
    return {q for q in store if q.graph_name not in derived}


def regroup(dataset: Dataset, quads: set[ox.Quad], origin: str) -> Dataset:
    """``dataset`` with the graphs whose content differs from ``quads`` replaced by that content.

    Unchanged graphs keep their files (error messages name them); a changed or
    new graph becomes one entry labelled ``graph <IRI> (origin)``.
    """
    by_graph: dict = defaultdict(set)
    for q in quads:
        by_graph[q.graph_name].add(q.triple)
    kept = []
    for graph in {f.graph for f in dataset.files} | set(by_graph):
        files = [f for f in dataset.files if f.graph == graph]
        if {t for f in files for t in f.triples} == by_graph.get(graph, set()):
            kept += files
        elif by_graph.get(graph):
            kept.append(ParsedFile(f"graph <{graph.value}> ({origin})", graph, sorted(by_graph[graph], key=str)))
    return Dataset(dataset.settings, sorted(kept, key=lambda f: (f.graph.value, str(f.path))))


def undescribed_graphs(dataset: Dataset) -> list[str]:
    """Graphs holding facts that ``graph/metadata`` does not describe as an sc:SourceGraph."""
    settings = dataset.settings
    own = {graph_iri(settings.base_iri, name) for name in ("ontology", "metadata")}
    meta = [t for f in dataset.files if f.graph == graph_iri(settings.base_iri, "metadata") for t in f.triples]
    source_graph = ox.NamedNode(SC_NS + "SourceGraph")
    declared = {t.subject for t in meta if t.predicate == ox.NamedNode(RDF + "type") and t.object == source_graph}
    return sorted(g.value for g in dataset.graph_names() if g not in own | declared)


def replay(dataset: Dataset) -> Dataset:
    """``dataset`` with the journal of updates applied, if there is one."""
    journal = journal_path(dataset.settings)
    if not journal.exists():
        return dataset
    work = ox.Store()
    work.bulk_extend(dataset.quads())
    try:
        work.update(journal.read_text(encoding="utf-8"))
    except SyntaxError as e:
        raise UpdateRefused(f"{journal}:{e.lineno}:{e.offset}: {e.msg}") from None
    return regroup(dataset, set(work), f"after {journal.name}")


def _differs(work: ox.Store, current: ox.Store, graph) -> bool:
    """Whether ``graph`` holds other quads in ``work`` than in ``current``: one that is new, or fewer;
    read as a stream, not gathered."""
    now = 0
    for q in work.quads_for_pattern(None, None, None, graph):
        if q not in current:
            return True
        now += 1
    return now != sum(1 for _ in current.quads_for_pattern(None, None, None, graph))


def change(settings: Settings, text: str, current: ox.Store, refuse_load: bool = True) -> tuple[Dataset, set, set]:
    """The asserted graphs after ``text`` is applied to a copy of ``current``, the quads it deleted and inserted.

    Raises UpdateRefused for a syntax error, a change to a derived graph, a
    deleted blank node, or a graph with no description of its source; and
    LoadRefused if ``text`` may LOAD, unless ``refuse_load`` is off (text built
    from data, such as INSERT DATA of parsed triples: a 'load' in it is data).
    """
    if refuse_load and may_load(text):
        raise LoadRefused("LOAD is refused: nothing is fetched on an update's behalf; send the data in "
                          "INSERT DATA (the word 'load' in a literal must be escaped: \"\\u006coad\")")
    work = ox.Store()
    work.bulk_extend(current)
    try:
        work.update(text, prefixes=PREFIXES)
    except SyntaxError as e:
        raise UpdateRefused(f"update: {e}") from None
    for graph in derived_graphs(settings):
        if _differs(work, current, graph):
            name = "the default graph" if graph == ox.DefaultGraph() else f"<{graph.value}>"
            raise UpdateRefused(f"the update changes {name}, which is derived (the union of all graphs, or "
                                f"the entailments); write to a source graph with GRAPH <...> instead")
    before, after = asserted(current, settings), asserted(work, settings)
    deleted, inserted = before - after, after - before
    if any(isinstance(t, ox.BlankNode) for q in deleted | inserted for t in (q.subject, q.object)):
        raise UpdateRefused("the update changes statements with blank nodes, which the journal cannot name "
                            "again when kg build replays it; give those resources IRIs")
    dataset = regroup(regroup(Dataset(settings), before, "in the store"), after, "as updated")
    undescribed = undescribed_graphs(dataset)
    if undescribed:
        raise UpdateRefused(f"graph <{undescribed[0]}> is not described in graph/metadata as an sc:SourceGraph "
                            f"with its source document; insert that description in the same update")
    return dataset, deleted, inserted


def data_operation(verb: str, quads) -> str:
    """``verb`` (INSERT DATA or DELETE DATA) over ``quads``, one GRAPH block per graph, in N-Triples
    syntax (every IRI whole, every literal escaped); empty if there are no quads."""
    by_graph: dict = defaultdict(list)
    for q in sorted(quads, key=str):
        by_graph[q.graph_name].append(f"    {q.subject} {q.predicate} {q.object} .")
    if not by_graph:
        return ""
    body = "\n".join(f"  GRAPH {g} {{\n" + "\n".join(lines) + "\n  }" for g, lines in by_graph.items())
    return f"{verb} {{\n{body}\n}} ;\n"


def journal_entry(deleted: set, inserted: set) -> str:
    """The change as a dated SPARQL Update of DELETE DATA and INSERT DATA."""
    return (f"# applied {time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())}\n"
            + data_operation("DELETE DATA", deleted) + data_operation("INSERT DATA", inserted))


def record(settings: Settings, entry: str):
    """Append ``entry`` to the journal in one write, flushed to disk; return a function that takes it back."""
    path = journal_path(settings)
    with open(path, "a", encoding="utf-8") as f:
        size = f.tell()
        f.write(entry)
        f.flush()
        os.fsync(f.fileno())

    def undo() -> None:
        with open(path, "r+b") as f:
            f.truncate(size)
    return undo
