"""The built store as the server sees it: opened by each process on first use, and
opened anew when ``kg build`` has swapped in another version."""

from __future__ import annotations

import pyoxigraph as ox
from flask import current_app

from kg import store as store_
from kg.namespaces import graph_iri
from kg.settings import Settings


class Graph:
    """The store of one server process and the IRIs the views need."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.inferred = graph_iri(settings.base_iri, "inferred")
        self._store: ox.Store | None = None
        self._version = ""
        self._default: list[str] | None = None
        self._sizes: tuple[int, dict[str, int]] | None = None

    @property
    def store(self) -> ox.Store:
        """The current version of the store, read-only; raises kg.store.StoreError while none is built."""
        version = store_.current_version(self.settings.store_dir)  # per request: one readlink
        if self._store is None or version != self._version:
            self._store = store_.open_read_only(self.settings.store_dir)
            self._version = version
            self._default = self._sizes = None
        return self._store

    def default_graphs(self) -> list[str] | None:
        """The graphs merged into the default graph of a query that names none (KG_DEFAULT_GRAPH);
        None for the stored union."""
        setting = self.settings.default_graph
        if setting == "union":
            return None
        store = self.store
        if self._default is None:
            self._default = (sorted(g.value for g in store.named_graphs() if g != self.inferred)
                             if setting == "asserted" else setting.split())
        return self._default

    def sizes(self) -> tuple[int, dict[str, int]]:
        """Triples in the default graph and in each named graph, counted once per store version."""
        store = self.store
        if self._sizes is None:
            default = int(next(store.query("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"))["n"].value)
            named = {row["g"].value: int(row["n"].value) for row in
                     store.query("SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g")}
            self._sizes = (default, named)
        return self._sizes


def graph() -> Graph:
    """The Graph of the current app."""
    return current_app.extensions["kg"]
