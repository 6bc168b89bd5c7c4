"""The built store as the server sees it: opened once per process, on first use."""

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

    @property
    def store(self) -> ox.Store:
        """The read-only store; raises kg.store.StoreError while none is built."""
        if self._store is None:
            self._store = store_.open_read_only(self.settings.store_dir)
        return self._store


def graph() -> Graph:
    """The Graph of the current app."""
    return current_app.extensions["kg"]
