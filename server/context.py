"""What the views of one app share: its settings, the current store, the runtime serving it and its
metrics; ``create_app`` makes the ``Context``, ``context()`` finds it for a view.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyoxigraph as ox
from flask import current_app

from kg.settings import Settings
from kg.store import StoreLayout
from kg.terms import graph_iri

from .metrics import Metrics
from .runtime import Runtime


class CurrentStore:
    """The store version ``kg build`` published last, as one server process sees it: opened on first
    use, and opened anew once a build or an update has published another."""

    def __init__(self, settings: Settings):
        self.setting = settings.default_graph
        self.layout = StoreLayout(settings.store_dir)
        self.inferred = graph_iri(settings.base_iri, "inferred")
        self._store: ox.Store | None = None
        self._version = ""
        self._default: list[str] | None = None
        self._sizes: tuple[int, dict[str, int]] | None = None

    def open(self) -> ox.Store:
        """The current version, read-only; raises kg.errors.Unavailable while none is built."""
        version = self.layout.current()  # per request: one readlink
        if self._store is None or version != self._version:
            self._store = self.layout.open()
            self._version = version
            self._default = self._sizes = None
        return self._store

    def default_graphs(self) -> list[str] | None:
        """The graphs merged into the default graph of a query that names none (KG_DEFAULT_GRAPH);
        None for the stored union."""
        if self.setting == "union":
            return None
        store = self.open()
        if self._default is None:
            self._default = (sorted(g.value for g in store.named_graphs() if g != self.inferred)
                             if self.setting == "asserted" else list(self.setting))
        return self._default

    def sizes(self) -> tuple[int, dict[str, int]]:
        """Triples in the default graph and in each named graph, counted once per store version."""
        store = self.open()
        if self._sizes is None:
            default = int(next(store.query("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"))["n"].value)
            named = {row["g"].value: int(row["n"].value) for row in
                     store.query("SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g")}
            self._sizes = (default, named)
        return self._sizes


@dataclass(frozen=True)
class Context:
    settings: Settings
    store: CurrentStore
    runtime: Runtime
    metrics: Metrics


def context() -> Context:
    """The Context of the current app."""
    return current_app.extensions["kg"]
