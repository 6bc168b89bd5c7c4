"""A synthetic ORG-style graph in the project's ontology, of any size, for benchmarks and tests.

Per agency: a type, labels, a country, an n-ary org:Membership with a role and
a dated period, half of them an owl:sameAs link to a Wikidata-style IRI, and
succession events linking agencies into chains of five (renamings, mergers,
replacements, reorganisations in turn).  Groups form a forest by
sc:charteredBy.  Deterministic for a given size and seed.

    python bench/synthetic.py 100000 out.ttl    # about 100 thousand triples
"""

from __future__ import annotations

import random
import sys
from pathlib import Path

PREFIXES = """@prefix body: <https://w3id.org/spacecoord/body/> .
@prefix change: <https://w3id.org/spacecoord/change/> .
@prefix instant: <https://w3id.org/spacecoord/time/> .
@prefix membership: <https://w3id.org/spacecoord/membership/> .
@prefix org: <http://www.w3.org/ns/org#> .
@prefix owl: <http://www.w3.org/2002/07/owl#> .
@prefix place: <https://w3id.org/spacecoord/place/> .
@prefix role: <https://w3id.org/spacecoord/role/> .
@prefix sc: <https://w3id.org/spacecoord/ontology#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix time: <http://www.w3.org/2006/time#> .
@prefix wd: <http://www.wikidata.org/entity/> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
"""
TRIPLES_PER_AGENCY = 16.3
CHANGES = (("sc:Renaming", "sc:renamedOrganisation"), ("sc:Merger", "sc:mergedOrganisation"),
           ("sc:Replacement", "sc:replacedOrganisation"), ("sc:Reorganisation", "sc:reorganisedOrganisation"))


def generate(triples: int, seed: int = 1) -> str:
    """Turtle for a graph of about ``triples`` asserted triples."""
    rng = random.Random(seed)
    agencies = max(10, int(triples / TRIPLES_PER_AGENCY))
    groups = max(2, agencies // 25)
    out = [PREFIXES]
    for y in range(1950, 2030):
        out.append(f'instant:y{y} a time:Instant ; time:inXSDgYear "{y}"^^xsd:gYear .\n')
    for c in range(50):
        out.append(f'place:c{c} a sc:Country ; skos:prefLabel "Country {c}"@en .\n')
    for g in range(groups):
        kind = "sc:CoordinationGroup" if g < max(1, groups // 4) else "sc:WorkingGroup"
        out.append(f'body:g{g} a {kind} ; skos:prefLabel "Group {g}"@en')
        if kind == "sc:WorkingGroup":
            out.append(f" ; sc:charteredBy body:g{rng.randrange(g)}")
        out.append(" .\n")
    for i in range(agencies):
        out.append(f'body:a{i} a sc:SpaceAgency ; skos:prefLabel "Agency {i}"@en ; skos:altLabel "AG{i:06d}" ;'
                   f' sc:jurisdiction place:c{i % 50} .\n')
        if i % 2 == 0:
            out.append(f"body:a{i} owl:sameAs wd:Q{5_000_000 + i} .\n")
        out.append(f"membership:m{i} a org:Membership ; skos:prefLabel \"Membership {i}\"@en ; "
                   f"org:member body:a{i} ; org:organization body:g{rng.randrange(groups)} ; "
                   f"org:role role:country-representative ; org:memberDuring membership:m{i}-p .\n"
                   f"membership:m{i}-p a time:ProperInterval ; skos:prefLabel \"Period {i}\"@en ; "
                   f"time:hasBeginning instant:y{1950 + i % 80} .\n")
        if i % 5:
            kind, original = CHANGES[i % 4]
            out.append(f'change:c{i} a {kind} ; skos:prefLabel "Change {i}"@en ; {original} body:a{i - 1} ; '
                       f"org:resultingOrganization body:a{i} ; time:hasTime instant:y{1950 + i % 80} .\n")
    return "".join(out)


if __name__ == "__main__":
    size, path = int(sys.argv[1]), Path(sys.argv[2])
    path.write_text(generate(size), encoding="utf-8")


SOURCES = """@prefix graph: <https://w3id.org/spacecoord/graph/> .
@prefix prov: <http://www.w3.org/ns/prov#> .
@prefix dcterms: <http://purl.org/dc/terms/> .
@prefix sc: <https://w3id.org/spacecoord/ontology#> .
graph:synthetic a sc:SourceGraph ; prov:hadPrimarySource <urn:bench:synthetic> ; dcterms:source <urn:bench:synthetic> .
<urn:bench:synthetic> a sc:SourceDocument ; dcterms:title "synthetic benchmark graph"@en .
"""


def data_dir(triples: int, folder: Path) -> Path:
    """``folder`` made a data folder for `kg build`: a graph of about ``triples`` triples (generate) and the
    description of its source graph; returns it."""
    (folder / "synthetic").mkdir(parents=True)
    (folder / "sources.ttl").write_text(SOURCES)
    (folder / "synthetic" / "synthetic.ttl").write_text(generate(triples))
    return folder
