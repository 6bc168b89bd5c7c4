"""RDF terms: the vocabularies' IRIs and prefixes, our own terms through a closed namespace, terms
read as a user writes them (``body:nasa``, ``<iri>``, ``"1999"^^xsd:gYear``), and terms moved
between pyoxigraph and rdflib.

``SC.Foo`` raises ``AttributeError`` unless ``sc:Foo`` is declared in the ontology; a test keeps
this list and the ontology in step.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import pyoxigraph as ox
import rdflib
from pyoxigraph import NamedNode

from .errors import InvalidInput
from .settings import CANONICAL_BASE

# ---------------------------------------------------------------------------
# Vocabularies
# ---------------------------------------------------------------------------

RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
OWL = "http://www.w3.org/2002/07/owl#"
XSD = "http://www.w3.org/2001/XMLSchema#"
PROV = "http://www.w3.org/ns/prov#"
DCTERMS = "http://purl.org/dc/terms/"
SKOS = "http://www.w3.org/2004/02/skos/core#"
ORG = "http://www.w3.org/ns/org#"
TIME = "http://www.w3.org/2006/time#"
FOAF = "http://xmlns.com/foaf/0.1/"
SH = "http://www.w3.org/ns/shacl#"
SD = "http://www.w3.org/ns/sparql-service-description#"
VOID = "http://rdfs.org/ns/void#"
FORMATS = "http://www.w3.org/ns/formats/"

ONTOLOGY_IRI = CANONICAL_BASE + "ontology"
SC_NS = CANONICAL_BASE + "ontology#"

PREFIXES = {
    "dcterms": DCTERMS, "foaf": FOAF, "org": ORG, "owl": OWL,
    "prov": PROV, "rdf": RDF, "rdfs": RDFS, "sc": SC_NS, "skos": SKOS, "time": TIME,
    "xsd": XSD,
    "body": CANONICAL_BASE + "body/", "change": CANONICAL_BASE + "change/",
    "concept": CANONICAL_BASE + "concept/", "doc": CANONICAL_BASE + "document/",
    "event": CANONICAL_BASE + "event/", "graph": CANONICAL_BASE + "graph/",
    "instant": CANONICAL_BASE + "time/", "membership": CANONICAL_BASE + "membership/",
    "place": CANONICAL_BASE + "place/", "role": CANONICAL_BASE + "role/",
    "shape": CANONICAL_BASE + "shape/",
    "wd": "http://www.wikidata.org/entity/",
}

# The terms of RDF, RDFS, OWL and PROV that reasoning, explanations and provenance work with.
TYPE = NamedNode(RDF + "type")
FIRST, REST, NIL = NamedNode(RDF + "first"), NamedNode(RDF + "rest"), NamedNode(RDF + "nil")
SUB_CLASS, SUB_PROPERTY = NamedNode(RDFS + "subClassOf"), NamedNode(RDFS + "subPropertyOf")
DOMAIN, RANGE = NamedNode(RDFS + "domain"), NamedNode(RDFS + "range")
RESOURCE = NamedNode(RDFS + "Resource")
EQ_CLASS, EQ_PROPERTY = NamedNode(OWL + "equivalentClass"), NamedNode(OWL + "equivalentProperty")
INVERSE, SAME_AS = NamedNode(OWL + "inverseOf"), NamedNode(OWL + "sameAs")
CHAIN = NamedNode(OWL + "propertyChainAxiom")
THING, NOTHING = NamedNode(OWL + "Thing"), NamedNode(OWL + "Nothing")
SYMMETRIC, TRANSITIVE = NamedNode(OWL + "SymmetricProperty"), NamedNode(OWL + "TransitiveProperty")
FUNCTIONAL = NamedNode(OWL + "FunctionalProperty")
INVERSE_FUNCTIONAL = NamedNode(OWL + "InverseFunctionalProperty")
XSD_STRING = NamedNode(XSD + "string")
PRIMARY_SOURCE = NamedNode(PROV + "hadPrimarySource")

TERMS = frozenset("""
    Association ChairTerm Charter City Conference CoordinationGroup Country Deadline
    Establishment Event Finding FrameworkDocument GoverningDocument GovernmentOffice
    IntergovernmentalOrganisation Jurisdiction Meeting Merger MissionConcept Objective
    Place Plan Principle Product Project Recommendation Region Renaming Reorganisation
    Replacement RepresentationHandover ResearchOrganisation ScientificCommittee
    SourceDocument SourceGraph SpaceAgency Strategy Symposium Teleconference
    TermsOfReference Theme UnidentifiedOrganisation WorkingGroup
    absorbed adheresTo adoptedAt anniversaryYears chairRotation chairedBy charteredBy
    chartedObjective claim coHost deadline establishedInResponseTo establishesPrinciple
    followedByTerm followsTerm forJurisdiction forProduct governedBy governs
    handedOverBy handedRepresentationTo hasMember host inBody inCooperationWith
    inCountry includes jurisdiction localCopy mandate marksAnniversaryOf meetingFrequency
    meetingOf memberOf mergedInto mergedOrganisation nasaNctsNumber newRepresentative
    nextPhaseOf objective objectiveOf ordinal organiser planned position presentedAt
    previousRepresentative produced producedBy published renamedFrom renamedOrganisation
    renamedTo reorganisedAs reorganisedFrom reorganisedOrganisation replacedBy
    replacedOrganisation replaces represents scope statesFinding succeededBy succeeds
    takesEffectAt theme tookOverIn tookOverRepresentationFrom
""".split())


class ClosedNamespace:
    """Attribute access to the IRIs of a fixed set of terms."""

    def __init__(self, base: str, terms: frozenset[str]):
        self._base = base
        self._terms = terms

    def __getattr__(self, name: str) -> NamedNode:
        if name.startswith("_") or name not in self._terms:
            raise AttributeError(f"{name!r} is not a term of <{self._base}>")
        return NamedNode(self._base + name)

    def __iter__(self):
        return (NamedNode(self._base + t) for t in sorted(self._terms))


SC = ClosedNamespace(SC_NS, TERMS)


def graph_iri(base: str, name: str) -> NamedNode:
    """The IRI of the named graph ``name`` (a source slug, 'ontology', 'inferred', 'metadata')."""
    return NamedNode(f"{base}graph/{name}")


def turtle_prefixes() -> str:
    return "".join(f"@prefix {p}: <{iri}> .\n" for p, iri in sorted(PREFIXES.items()))


def sparql_prefixes() -> str:
    return "".join(f"PREFIX {p}: <{iri}>\n" for p, iri in sorted(PREFIXES.items()))


def compact(iri: str) -> str:
    """``sc:SpaceAgency`` for a known namespace, ``<iri>`` otherwise."""
    best = max((ns for ns in PREFIXES.values() if iri.startswith(ns)), key=len, default=None)
    if best is not None:
        local = iri[len(best):]
        if local and all(c.isalnum() or c in "-_." for c in local) and not local.endswith("."):
            prefix = next(p for p, ns in PREFIXES.items() if ns == best)
            return f"{prefix}:{local}"
    return f"<{iri}>"


def show(term) -> str:
    """A term for a reader: an IRI as a prefixed name where one is known, anything else as in N-Triples."""
    return compact(term.value) if isinstance(term, NamedNode) else str(term)


# ---------------------------------------------------------------------------
# Terms as a user writes them
# ---------------------------------------------------------------------------

_PARSER_PLACE = re.compile(r"^Parser error at [^:]*: | \(line \d+\)$")


def parse_term(text: str):
    """One RDF term written as in the ``kg`` command and the pages: an absolute IRI, a blank node
    ``_:b``, ``a``, or a Turtle term with the project's prefixes (``body:nasa``, ``<iri>``,
    ``"1999"^^xsd:gYear``).  Raises InvalidInput quoting the text."""
    text = text.strip()
    if text == "a":
        return TYPE
    try:
        if text.startswith("_:"):
            return ox.BlankNode(text[2:])
        if "://" in text and not text.startswith(("<", '"', "'")):
            return NamedNode(text)
    except ValueError as e:
        raise InvalidInput(f"{text!r}: {e}") from None
    try:
        quads = list(ox.parse((turtle_prefixes() + f"<urn:kg:s> <urn:kg:p> {text} .").encode("utf-8"),
                              format=ox.RdfFormat.TURTLE))
    except SyntaxError as e:
        raise InvalidInput(f"{text!r}: {_PARSER_PLACE.sub('', str(e))}") from None
    if len(quads) != 1 or isinstance(quads[0].object, ox.Triple):
        raise InvalidInput(f"{text!r}: expected one term")
    return quads[0].object


def parse_triple(text: str) -> ox.Triple:
    """A triple of Turtle terms with the project's prefixes ('body:nasa org:memberOf body:imewg');
    raises InvalidInput."""
    try:
        quads = list(ox.parse((turtle_prefixes() + text.strip().rstrip(".") + " .").encode("utf-8"),
                              format=ox.RdfFormat.TURTLE))
    except SyntaxError as e:
        raise InvalidInput(f"{text!r}: {_PARSER_PLACE.sub('', str(e))}") from None
    if len(quads) != 1:
        raise InvalidInput(f"{text!r}: expected one triple, got {len(quads)}")
    return quads[0].triple


# ---------------------------------------------------------------------------
# Terms moved between pyoxigraph and rdflib (owlrl and pySHACL read rdflib)
# ---------------------------------------------------------------------------

def to_rdflib(term):
    """The rdflib term equal to a pyoxigraph term (blank node ids kept)."""
    if isinstance(term, NamedNode):
        return rdflib.URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return rdflib.BNode(term.value)
    if term.language:
        return rdflib.Literal(term.value, lang=term.language)
    if term.datatype == XSD_STRING:
        return rdflib.Literal(term.value)
    return rdflib.Literal(term.value, datatype=rdflib.URIRef(term.datatype.value))


def to_oxigraph(term):
    """The pyoxigraph term equal to an rdflib term (blank node ids kept)."""
    if isinstance(term, rdflib.URIRef):
        return NamedNode(str(term))
    if isinstance(term, rdflib.BNode):
        return ox.BlankNode(str(term))
    if term.language:
        return ox.Literal(str(term), language=term.language)
    if term.datatype is None:
        return ox.Literal(str(term))
    return ox.Literal(str(term), datatype=NamedNode(str(term.datatype)))


def rdflib_graph(triples: Iterable[ox.Triple | ox.Quad]) -> rdflib.Graph:
    """An rdflib graph of ``triples`` (quads lose their graph)."""
    graph = rdflib.Graph()
    for t in triples:
        graph.add((to_rdflib(t.subject), to_rdflib(t.predicate), to_rdflib(t.object)))
    return graph
