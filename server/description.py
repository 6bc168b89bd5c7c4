"""The SPARQL Service Description of the endpoint, with the VoID description of its dataset.

The Service Description has no term for a Graph Store Protocol endpoint, so
/store is advertised as VoID's ``void:dataDump`` of the dataset, with its
formats (TriG, N-Quads) as ``void:feature``s.
"""

from __future__ import annotations

import pyoxigraph as ox

from kg.settings import Settings
from kg.terms import DCTERMS, FORMATS, PREFIXES, SD, TYPE, VOID, XSD

from .context import CurrentStore
from .results import RDF_FORMATS

RESULT_FORMATS = ["SPARQL_Results_JSON", "SPARQL_Results_XML", "SPARQL_Results_CSV", "SPARQL_Results_TSV",
                  "Turtle", "N-Triples", "RDF_XML", "JSON-LD", "TriG", "N-Quads"]
VOCABULARIES = ["org", "time", "skos", "dcterms", "prov", "foaf", "sc"]
LICENSE = "https://creativecommons.org/licenses/by-sa/4.0/"
_XSD_INTEGER = XSD + "integer"


def service_description(settings: Settings, store: CurrentStore, endpoint_url: str, dump_url: str,
                        fmt: str) -> bytes:
    """The description in ``fmt`` (a key of results.RDF_FORMATS); ``dump_url`` is where the
    whole dataset is downloaded (the graph store)."""
    def n(iri):
        return ox.NamedNode(iri)

    endpoint, dataset = n(endpoint_url), n(settings.base_iri + "dataset")
    default_size, named_sizes = store.sizes()
    default_graphs = store.default_graphs()
    out = [ox.Triple(endpoint, TYPE, n(SD + "Service")),
           ox.Triple(endpoint, n(SD + "endpoint"), endpoint),
           ox.Triple(endpoint, n(SD + "supportedLanguage"), n(SD + "SPARQL11Query")),
           *([ox.Triple(endpoint, n(SD + "feature"), n(SD + "UnionDefaultGraph"))]
             if default_graphs is None else []),
           ox.Triple(endpoint, n(SD + "feature"), n(SD + "BasicFederatedQuery")),
           ox.Triple(endpoint, n(SD + "defaultDataset"), dataset),
           ox.Triple(dataset, TYPE, n(SD + "Dataset")),
           ox.Triple(dataset, TYPE, n(VOID + "Dataset")),
           *([ox.Triple(endpoint, n(SD + "supportedLanguage"), n(SD + "SPARQL11Update"))]
             if settings.update_token else []),
           ox.Triple(dataset, n(DCTERMS + "title"),
                     ox.Literal("Space Exploration Coordination Knowledge Graph", language="en")),
           ox.Triple(dataset, n(DCTERMS + "license"), n(LICENSE)),
           ox.Triple(dataset, n(VOID + "sparqlEndpoint"), endpoint),
           ox.Triple(dataset, n(VOID + "uriSpace"), ox.Literal(settings.base_iri)),
           ox.Triple(dataset, n(VOID + "dataDump"), n(dump_url)),
           ox.Triple(dataset, n(VOID + "feature"), n(FORMATS + "TriG")),
           ox.Triple(dataset, n(VOID + "feature"), n(FORMATS + "N-Quads")),
           ox.Triple(dataset, n(VOID + "triples"), ox.Literal(str(default_size), datatype=n(_XSD_INTEGER)))]
    out += [ox.Triple(endpoint, n(SD + "resultFormat"), n(FORMATS + f)) for f in RESULT_FORMATS]
    out += [ox.Triple(dataset, n(VOID + "vocabulary"), n(PREFIXES[v])) for v in VOCABULARIES]
    default_graph = ox.BlankNode("defaultGraph")
    if default_graphs is not None:  # a merge of some graphs, as queries see it
        default_size = sum(named_sizes.get(iri, 0) for iri in default_graphs)
    out += [ox.Triple(dataset, n(SD + "defaultGraph"), default_graph),
            ox.Triple(default_graph, TYPE, n(SD + "Graph")),
            ox.Triple(default_graph, n(VOID + "triples"), ox.Literal(str(default_size), datatype=n(_XSD_INTEGER)))]
    for i, (name, size) in enumerate(sorted(named_sizes.items())):
        named, graph_ = ox.BlankNode(f"named{i}"), ox.BlankNode(f"graph{i}")
        out += [ox.Triple(dataset, n(SD + "namedGraph"), named),
                ox.Triple(named, TYPE, n(SD + "NamedGraph")),
                ox.Triple(named, n(SD + "name"), n(name)),
                ox.Triple(named, n(SD + "graph"), graph_),
                ox.Triple(graph_, TYPE, n(SD + "Graph")),
                ox.Triple(graph_, n(VOID + "triples"), ox.Literal(str(size), datatype=n(_XSD_INTEGER)))]
    prefixes = {"sd": SD, "void": VOID, "formats": FORMATS, "dcterms": DCTERMS}
    kwargs = {"prefixes": prefixes} if fmt in ("turtle", "trig") else {}
    return ox.serialize(out, format=RDF_FORMATS[fmt], **kwargs)
