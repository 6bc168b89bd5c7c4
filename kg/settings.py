"""The one table of settings: name, default, help.

Each setting can be overridden by an environment variable ``KG_<NAME>`` (upper
case) or, for the CLI, by an option.  Settings are read here and nowhere else.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, fields, replace

CANONICAL_BASE = "https://w3id.org/spacecoord/"
ABSOLUTE_IRI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:[^\s<>\"{}|^`\\]+$")  # a scheme, then no spaces or <>"{}|^`\


@dataclass(frozen=True)
class Setting:
    name: str
    default: str
    help: str


SETTINGS = (
    Setting("base_iri", CANONICAL_BASE,
            "Base of every IRI the graph mints. The files are written under "
            f"{CANONICAL_BASE}; another base rewrites those IRIs at load time."),
    Setting("ontology_dir", "ontology",
            "Folder with the ontology (*.ttl), the SHACL shapes (shapes.ttl) and checks/*.rq."),
    Setting("data_dir", "data",
            "Folder with the data: sources.ttl and one Turtle file per topic and source."),
    Setting("store_dir", "var/store",
            "Where the built pyoxigraph store lives; builds are swapped in atomically."),
    Setting("reasoner", "fast",
            "'fast': owlrl closes the schema, compiled rules close the data; "
            "'owlrl': plain owlrl over everything (the reference, slow past ~10k triples)."),
    Setting("host", "127.0.0.1",
            "Address 'kg serve' listens on; 0.0.0.0 exposes the server to the network."),
    Setting("port", "7878", "Port 'kg serve' listens on."),
    Setting("workers", "2",
            "Server processes; each opens the store read-only (pyoxigraph holds the GIL, "
            "so processes, not threads, serve requests in parallel)."),
    Setting("query_timeout", "30",
            "Seconds a SPARQL query may run before it is stopped (503)."),
    Setting("max_query_bytes", "100000", "Longest SPARQL query accepted, in bytes (413 beyond)."),
    Setting("max_rows", "100000", "Most solutions or triples a result may have (400 beyond)."),
    Setting("max_response_bytes", "100000000", "Largest query result, in bytes (400 beyond); /store downloads are not limited."),
    Setting("service_allow", "https://query.wikidata.org/sparql",
            "Space-separated endpoint IRIs a federated SERVICE may call; any other is refused "
            "before a connection is made."),
    Setting("default_graph", "union",
            "The default graph of queries that name none: 'union' (the stored union of every graph, "
            "a set), 'asserted' (every graph but graph/inferred: what the sources state), or "
            "space-separated graph IRIs; all but 'union' are merged as Oxigraph merges graphs, "
            "so a triple in two of them matches twice."),
    Setting("update_token", "",
            "Secret that enables SPARQL Update and Graph Store writes over HTTP (clients send "
            "'Authorization: Bearer <token>'); empty: the endpoint refuses them (403)."),
)


@dataclass(frozen=True)
class Settings:
    base_iri: str = CANONICAL_BASE
    ontology_dir: str = "ontology"
    data_dir: str = "data"
    store_dir: str = "var/store"
    reasoner: str = "fast"
    host: str = "127.0.0.1"
    port: str = "7878"
    workers: str = "2"
    query_timeout: str = "30"
    max_query_bytes: str = "100000"
    max_rows: str = "100000"
    max_response_bytes: str = "100000000"
    service_allow: str = "https://query.wikidata.org/sparql"
    default_graph: str = "union"
    update_token: str = ""

    @classmethod
    def from_env(cls, environ=None, **overrides) -> "Settings":
        """Defaults, then ``KG_*`` environment variables, then non-None overrides."""
        environ = os.environ if environ is None else environ
        values = {s.name: environ.get("KG_" + s.name.upper(), s.default) for s in SETTINGS}
        values.update({k: v for k, v in overrides.items() if v is not None})
        settings = cls(**values)
        if settings.reasoner not in ("fast", "owlrl"):
            raise ValueError(f"KG_REASONER must be 'fast' or 'owlrl': {settings.reasoner!r}")
        if not (settings.port.isdigit() and 0 < int(settings.port) < 65536):
            raise ValueError(f"KG_PORT must be a port number, 1 to 65535: {settings.port!r}")
        for name in ("workers", "max_query_bytes", "max_rows", "max_response_bytes"):
            value = getattr(settings, name)
            if not (value.isdigit() and int(value) >= 1):
                raise ValueError(f"KG_{name.upper()} must be a whole number, at least 1: {value!r}")
        try:
            if not float(settings.query_timeout) > 0:
                raise ValueError
        except ValueError:
            raise ValueError(f"KG_QUERY_TIMEOUT must be a number of seconds above 0: {settings.query_timeout!r}") from None
        iris = settings.default_graph.split()
        if settings.default_graph not in ("union", "asserted") and not (iris and all(map(ABSOLUTE_IRI.match, iris))):
            raise ValueError(f"KG_DEFAULT_GRAPH must be 'union', 'asserted' or absolute graph IRIs: "
                             f"{settings.default_graph!r}")
        if not settings.base_iri.endswith(("/", "#")):
            raise ValueError(f"KG_BASE_IRI must end with '/' or '#': {settings.base_iri!r}")
        return settings

    def environment(self) -> dict[str, str]:
        """These settings as ``KG_*`` environment variables, for a child process."""
        return {"KG_" + f.name.upper(): getattr(self, f.name) for f in fields(self)}

    def with_(self, **changes) -> "Settings":
        return replace(self, **changes)


assert {(s.name, s.default) for s in SETTINGS} == {(f.name, f.default) for f in fields(Settings)}
