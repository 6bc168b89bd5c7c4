"""Load stage: parse the ontology and data Turtle files into named graphs.

Graphs: every ``ontology/*.ttl`` but ``shapes.ttl`` goes to ``graph/ontology``;
``data/sources.ttl`` to ``graph/metadata``; any other ``data/**/NAME.ttl`` to
``graph/NAME``, which ``data/sources.ttl`` must describe as an
``sc:SourceGraph`` with its source document.  So every asserted fact sits in
the graph of the source it comes from.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

from .namespaces import RDF, SC_NS, graph_iri
from .settings import CANONICAL_BASE, Settings


class InputError(Exception):
    """Bad input.  The message names the place (file:line:column where known)."""


@dataclass
class ParsedFile:
    path: Path | str  # a file, or a label such as "graph <IRI> (as updated)"
    graph: ox.NamedNode
    triples: list[ox.Triple]


@dataclass
class Dataset:
    """The asserted input: parsed files, grouped into named graphs."""

    settings: Settings
    files: list[ParsedFile] = field(default_factory=list)

    def quads(self):
        for f in self.files:
            for t in f.triples:
                yield ox.Quad(t.subject, t.predicate, t.object, f.graph)

    def graph_names(self) -> list[ox.NamedNode]:
        return sorted({f.graph for f in self.files}, key=lambda g: g.value)

    def files_describing(self, term: ox.NamedNode | ox.BlankNode) -> list[str]:
        """Display paths of the files that describe ``term``.

        The files where it is a subject; failing that, where it is used as a
        predicate or object; failing that, the files of the graph it names.
        """
        for found in (lambda t: t.subject == term,
                      lambda t: t.predicate == term or t.object == term):
            files = {display(f.path) for f in self.files if any(found(t) for t in f.triples)}
            if files:
                return sorted(files)
        return sorted({display(f.path) for f in self.files if f.graph == term})


def display(path: Path | str) -> str:
    """A path relative to the working directory when it is inside it; a label as it is."""
    if not isinstance(path, Path):
        return path
    try:
        return os.path.relpath(path)
    except ValueError:
        return str(path)


_POSITION = re.compile(r"^Parser error at line \d+ (?:between columns \d+ and \d+|column \d+): ")


def parse_turtle(path: Path, base_iri: str = CANONICAL_BASE) -> list[ox.Triple]:
    """Parse one Turtle file, rewriting the canonical base to ``base_iri``.

    Raises InputError("path:line:column: message") on a syntax error.
    """
    try:
        data = path.read_bytes()
        triples = [q.triple for q in ox.parse(data, format=ox.RdfFormat.TURTLE,
                                              base_iri=CANONICAL_BASE)]
    except SyntaxError as e:
        message = _POSITION.sub("", e.msg)
        raise InputError(f"{display(path)}:{e.lineno}:{e.offset}: {message}") from None
    except OSError as e:
        raise InputError(f"{display(path)}: {e.strerror}") from None
    if base_iri != CANONICAL_BASE:
        triples = [rebase_triple(t, base_iri) for t in triples]
    return triples


def rebase(term, base_iri: str):
    if isinstance(term, ox.NamedNode) and term.value.startswith(CANONICAL_BASE):
        return ox.NamedNode(base_iri + term.value[len(CANONICAL_BASE):])
    return term


def rebase_triple(t: ox.Triple, base_iri: str) -> ox.Triple:
    return ox.Triple(rebase(t.subject, base_iri), rebase(t.predicate, base_iri),
                     rebase(t.object, base_iri))


def rebase_text(text: str, base_iri: str) -> str:
    """Rewrite the canonical base inside a query text."""
    return text.replace(CANONICAL_BASE, base_iri)


def _folder(path: str, setting: str) -> Path:
    folder = Path(path)
    if not folder.is_dir():
        raise InputError(f"{path}: no such folder (run from the project root or set "
                         f"KG_{setting.upper()})")
    return folder


def ontology_files(settings: Settings) -> list[Path]:
    folder = _folder(settings.ontology_dir, "ontology_dir")
    files = sorted(p for p in folder.glob("*.ttl") if p.name != "shapes.ttl")
    if not files:
        raise InputError(f"{settings.ontology_dir}: no ontology (*.ttl) in this folder")
    return files


def shapes_file(settings: Settings) -> Path:
    return _folder(settings.ontology_dir, "ontology_dir") / "shapes.ttl"


def load(settings: Settings) -> Dataset:
    """Parse every ontology and data file into its named graph.

    Raises InputError naming the file (and line and column) of the first problem.
    """
    base = settings.base_iri
    dataset = Dataset(settings)
    for path in ontology_files(settings):
        dataset.files.append(ParsedFile(path, graph_iri(base, "ontology"),
                                        parse_turtle(path, base)))

    data = _folder(settings.data_dir, "data_dir")
    manifest = data / "sources.ttl"
    if not manifest.is_file():
        raise InputError(f"{display(manifest)}: missing; it describes the source of every data file")
    meta = parse_turtle(manifest, base)
    dataset.files.append(ParsedFile(manifest, graph_iri(base, "metadata"), meta))
    rdf_type = ox.NamedNode(RDF + "type")
    source_graph = rebase(ox.NamedNode(SC_NS + "SourceGraph"), base)
    declared = {t.subject for t in meta if t.predicate == rdf_type and t.object == source_graph}

    for path in sorted(data.rglob("*.ttl")):
        if path == manifest:
            continue
        graph = graph_iri(base, path.stem)
        if graph not in declared:
            raise InputError(
                f"{display(path)}: its facts would go to graph <{graph.value}>, which "
                f"{display(manifest)} does not describe as an sc:SourceGraph; name the file "
                f"after its source")
        dataset.files.append(ParsedFile(path, graph, parse_turtle(path, base)))
    return dataset
