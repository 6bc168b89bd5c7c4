"""Update stage: apply a SPARQL Update to the built store, then derive, check and publish anew.

The default graph (the union) and ``graph/inferred`` are derived from the other
graphs, so an update may change those others only: the source graphs,
``graph/ontology`` and ``graph/metadata``.  Its WHERE clauses see the stored
union of all graphs, whatever the server's KG_DEFAULT_GRAPH.  After the update
the store is built again from its asserted graphs as ``kg build`` builds it
(reasoning, shapes, checks) and swapped in only if all of that succeeds; a
failing update changes nothing.  Updates and builds take turns
(the store's lock, kg.store).

Each accepted update is recorded in the journal ``<store_dir>.updates.ru`` as the
``DELETE DATA`` / ``INSERT DATA`` it amounted to, and ``kg build`` replays the
journal after loading the files, so an update survives a rebuild as well as a
restart.  Fold the journal into ``data/`` and delete it to make the files the
whole truth again.
"""

from __future__ import annotations

import re
import time
from collections import defaultdict

import pyoxigraph as ox

from . import build
from .errors import InvalidInput, Refused
from .load import Dataset, Inputs, load_rules
from .settings import Settings
from .store import StoreLayout
from .terms import PREFIXES, graph_iri

_LOAD = re.compile(r"(?<![A-Za-z0-9_])load", re.IGNORECASE)


def may_load(text: str) -> bool:
    """Whether an update text may contain LOAD: any 'load' not preceded by a letter or a digit counts
    (pyoxigraph expands no escapes in keywords, so the keyword can reach it only as these letters)."""
    return "load" in text.lower() and _LOAD.search(text) is not None


def update(settings: Settings, text: str, refuse_load: bool = True) -> build.Report:
    """Apply the SPARQL Update ``text`` to the store, build from the result, publish it and journal the change.

    Raises Unavailable when no store is built, Refused for a LOAD, InvalidInput (ValidationFailed among
    them) when the update cannot be applied; then nothing changed.  ``refuse_load``: as ``change``.
    """
    layout = StoreLayout(settings.store_dir)
    with layout.turn():
        dataset, deleted, inserted = change(settings, text, layout.open(), refuse_load)
        if not deleted and not inserted:
            return build.Report(changed=(0, 0))
        entry = journal_entry(deleted, inserted)
        report = build.publish(settings, layout, Inputs(dataset, load_rules(settings)), lambda: layout.record(entry))
        report.changed = (len(deleted), len(inserted))
        return report


def derived_graphs(settings: Settings) -> list:
    """The graphs a build derives from the others: the default graph (their union) and graph/inferred."""
    return [ox.DefaultGraph(), graph_iri(settings.base_iri, "inferred")]


def asserted(store: ox.Store, settings: Settings) -> set[ox.Quad]:
    """The quads of every graph but the derived ones."""
    derived = derived_graphs(settings)
    return {q for q in store if q.graph_name not in derived}


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

    Raises InvalidInput for a syntax error, a change to a derived graph, a
    deleted blank node, or a graph with no description of its source; and
    Refused if ``text`` may LOAD, unless ``refuse_load`` is off (text built
    from data, such as INSERT DATA of parsed triples: a 'load' in it is data).
    """
    if refuse_load and may_load(text):
        raise Refused("LOAD is refused: nothing is fetched on an update's behalf; send the data in INSERT DATA, "
                      "or PUT or POST it to the server's /store (the word 'load' in a literal must be escaped: "
                      "\"\\u006coad\")")
    work = ox.Store()
    work.bulk_extend(current)
    try:
        work.update(text, prefixes=PREFIXES)
    except SyntaxError as e:
        raise InvalidInput(f"update: {e}") from None
    for graph in derived_graphs(settings):
        if _differs(work, current, graph):
            name = "the default graph" if graph == ox.DefaultGraph() else f"<{graph.value}>"
            raise InvalidInput(f"the update changes {name}, which is derived (the union of all graphs, or "
                               f"the entailments); write to a source graph with GRAPH <...> instead")
    before, after = asserted(current, settings), asserted(work, settings)
    deleted, inserted = before - after, after - before
    if any(isinstance(t, ox.BlankNode) for q in deleted | inserted for t in (q.subject, q.object)):
        raise InvalidInput("the update changes statements with blank nodes, which the journal cannot name "
                           "again when kg build replays it; give those resources IRIs")
    dataset = Dataset(settings.base_iri).regrouped(before, "in the store").regrouped(after, "as updated")
    described = dataset.described_graphs()
    undescribed = [g.value for g in dataset.graph_names() if g not in described]
    if undescribed:
        raise InvalidInput(f"graph <{undescribed[0]}> is not described in graph/metadata as an sc:SourceGraph "
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
