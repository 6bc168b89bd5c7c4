"""IRIs the pipeline uses, with our own terms through a closed namespace.

``SC.Foo`` raises ``AttributeError`` unless ``sc:Foo`` is declared in the
ontology; a test keeps this list and the ontology in step.
"""

from __future__ import annotations

from pyoxigraph import NamedNode

from .settings import CANONICAL_BASE

RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
OWL = "http://www.w3.org/2002/07/owl#"
XSD = "http://www.w3.org/2001/XMLSchema#"
PROV = "http://www.w3.org/ns/prov#"
DCTERMS = "http://purl.org/dc/terms/"
SKOS = "http://www.w3.org/2004/02/skos/core#"
ORG = "http://www.w3.org/ns/org#"
TIME = "http://www.w3.org/2006/time#"
SH = "http://www.w3.org/ns/shacl#"

ONTOLOGY_IRI = CANONICAL_BASE + "ontology"
SC_NS = CANONICAL_BASE + "ontology#"

PREFIXES = {
    "dcterms": DCTERMS, "foaf": "http://xmlns.com/foaf/0.1/", "org": ORG, "owl": OWL,
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
