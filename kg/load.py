"""Load stage: read everything a build starts from, into ``Inputs``: the asserted graphs, the shapes
and checks that judge them, and the journal of updates.

Graphs: every ``ontology/*.ttl`` but ``shapes.ttl`` goes to ``graph/ontology``;
``data/sources.ttl`` to ``graph/metadata``; any other ``data/**/NAME.ttl`` to
``graph/NAME``, which ``data/sources.ttl`` must describe as an
``sc:SourceGraph`` with its source document.  So every asserted fact sits in
the graph of the source it comes from.
"""

from __future__ import annotations

import os
import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

from .errors import InvalidInput
from .settings import CANONICAL_BASE, Settings
from .store import StoreLayout
from .terms import SC, TYPE, graph_iri


@dataclass
class ParsedFile:
    path: Path | str  # a file, or a label such as "graph <IRI> (as updated)"
    graph: ox.NamedNode
    triples: list[ox.Triple]


@dataclass
class Dataset:
    """The asserted graphs: parsed files, each in the named graph of its source."""

    base_iri: str
    files: list[ParsedFile] = field(default_factory=list)

    def quads(self):
        for f in self.files:
            for t in f.triples:
                yield ox.Quad(t.subject, t.predicate, t.object, f.graph)

    def graph_names(self) -> list[ox.NamedNode]:
        return sorted({f.graph for f in self.files}, key=lambda g: g.value)

    def triples_of(self, name: str) -> list[ox.Triple]:
        """The triples of ``graph/<name>`` ('ontology', 'metadata', a source)."""
        graph = graph_iri(self.base_iri, name)
        return [t for f in self.files if f.graph == graph for t in f.triples]

    def described_graphs(self) -> set[ox.NamedNode]:
        """The graphs that may hold facts: graph/ontology, graph/metadata, and each graph that
        graph/metadata describes as an sc:SourceGraph (with its source document)."""
        source_graph = rebase(SC.SourceGraph, self.base_iri)
        described = {t.subject for t in self.triples_of("metadata") if t.predicate == TYPE and t.object == source_graph}
        return described | {graph_iri(self.base_iri, "ontology"), graph_iri(self.base_iri, "metadata")}

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

    def regrouped(self, quads: set[ox.Quad], origin: str) -> Dataset:
        """This dataset with the graphs whose content differs from ``quads`` replaced by that content.

        Unchanged graphs keep their files (error messages name them); a changed or
        new graph becomes one entry labelled ``graph <IRI> (origin)``.
        """
        by_graph: dict = defaultdict(set)
        for q in quads:
            by_graph[q.graph_name].add(q.triple)
        kept = []
        for graph in {f.graph for f in self.files} | set(by_graph):
            files = [f for f in self.files if f.graph == graph]
            if {t for f in files for t in f.triples} == by_graph.get(graph, set()):
                kept += files
            elif by_graph.get(graph):
                kept.append(ParsedFile(f"graph <{graph.value}> ({origin})", graph, sorted(by_graph[graph], key=str)))
        return Dataset(self.base_iri, sorted(kept, key=lambda f: (f.graph.value, str(f.path))))


@dataclass(frozen=True)
class Check:
    """A SPARQL check: a SELECT that must return no rows, and why it exists (its opening comment)."""

    path: Path
    why: str
    query: str


@dataclass(frozen=True)
class Rules:
    """What judges the asserted graphs: the SHACL shapes and the SPARQL checks, with their files."""

    shapes_path: Path
    shapes: list[ox.Triple]
    checks: list[Check]


@dataclass(frozen=True)
class Journal:
    """The journal of updates: SPARQL Update text, replayed after the files."""

    path: Path
    text: str


@dataclass
class Inputs:
    """What a build reads."""

    dataset: Dataset
    rules: Rules
    journal: Journal | None = None


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

    Raises InvalidInput("path:line:column: message") on a syntax error.
    """
    try:
        data = path.read_bytes()
        triples = [q.triple for q in ox.parse(data, format=ox.RdfFormat.TURTLE,
                                              base_iri=CANONICAL_BASE)]
    except SyntaxError as e:
        message = _POSITION.sub("", e.msg)
        raise InvalidInput(f"{display(path)}:{e.lineno}:{e.offset}: {message}") from None
    except OSError as e:
        raise InvalidInput(f"{display(path)}: {e.strerror}") from None
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


def _folder(path: Path, setting: str) -> Path:
    if not path.is_dir():
        raise InvalidInput(f"{path}: no such folder (run from the project root or set {setting})")
    return path


def load(settings: Settings) -> Inputs:
    """The graphs of every ontology and data file, the rules and the journal of updates.

    Raises InvalidInput naming the file (and line and column) of the first problem.
    """
    return Inputs(load_graphs(settings), load_rules(settings), load_journal(settings))


def load_graphs(settings: Settings) -> Dataset:
    """Parse every ontology and data file into its named graph."""
    base = settings.base_iri
    dataset = Dataset(base)
    folder = _folder(settings.ontology_dir, "KG_ONTOLOGY_DIR")
    ontology = sorted(p for p in folder.glob("*.ttl") if p.name != "shapes.ttl")
    if not ontology:
        raise InvalidInput(f"{settings.ontology_dir}: no ontology (*.ttl) in this folder")
    for path in ontology:
        dataset.files.append(ParsedFile(path, graph_iri(base, "ontology"), parse_turtle(path, base)))

    data = _folder(settings.data_dir, "KG_DATA_DIR")
    manifest = data / "sources.ttl"
    if not manifest.is_file():
        raise InvalidInput(f"{display(manifest)}: missing; it describes the source of every data file")
    dataset.files.append(ParsedFile(manifest, graph_iri(base, "metadata"), parse_turtle(manifest, base)))
    described = dataset.described_graphs()
    for path in sorted(data.rglob("*.ttl")):
        if path == manifest:
            continue
        graph = graph_iri(base, path.stem)
        if graph not in described:
            raise InvalidInput(
                f"{display(path)}: its facts would go to graph <{graph.value}>, which "
                f"{display(manifest)} does not describe as an sc:SourceGraph; name the file "
                f"after its source")
        dataset.files.append(ParsedFile(path, graph, parse_turtle(path, base)))
    return dataset


def load_rules(settings: Settings) -> Rules:
    """The SHACL shapes (``shapes.ttl``) and every check (``checks/*.rq``) of the ontology folder."""
    folder = _folder(settings.ontology_dir, "KG_ONTOLOGY_DIR")
    shapes = folder / "shapes.ttl"
    if not shapes.is_file():
        raise InvalidInput(f"{display(shapes)}: missing; the SHACL shapes live here")
    checks = []
    for path in sorted((folder / "checks").glob("*.rq")):
        text = path.read_text(encoding="utf-8")
        why = " ".join(line.lstrip("# ").strip() for line in text.splitlines() if line.startswith("#")).strip()
        if not why:
            raise InvalidInput(f"{display(path)}:1:1: a check must open with a comment saying why it exists")
        checks.append(Check(path, why, rebase_text(text, settings.base_iri)))
    return Rules(shapes, parse_turtle(shapes, settings.base_iri), checks)


def load_journal(settings: Settings) -> Journal | None:
    """The journal of updates beside the store, if there is one."""
    path = StoreLayout(settings.store_dir).journal
    try:
        return Journal(path, path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as e:
        raise InvalidInput(f"{display(path)}: {e}") from None
