"""Validate stage: SHACL shapes on the asserted data, SPARQL checks on the closure.

A check is a file ``ontology/checks/NAME.rq`` holding a SELECT that must return
no rows; its opening comment says why the rule exists.  Both kinds of problem
come back as ``Problem`` values that name the offending resources and the data
files that describe them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox
import pyshacl
import rdflib

from .namespaces import compact, graph_iri
from .shapes import UnsupportedShape, compile_shapes, subclasses, violations
from .load import Dataset, InputError, display, parse_turtle, rebase_text, shapes_file
from .reason import rdflib_graph, to_oxigraph

SH = rdflib.Namespace("http://www.w3.org/ns/shacl#")


@dataclass(frozen=True)
class Problem:
    """One violation: where the rule lives, what it says, and the resources at fault."""

    rule: str
    why: str
    resources: tuple[str, ...]
    files: tuple[str, ...]
    detail: str = ""

    def __str__(self) -> str:
        where = ", ".join(self.files) if self.files else "(no data file describes it)"
        detail = f": {self.detail}" if self.detail else ""
        return f"{where}: {' '.join(self.resources)}{detail}"


def grouped(problems: list[Problem]) -> list[str]:
    """Report lines: each rule with its reason, then one line per violation."""
    lines, current = [], None
    for problem in sorted(problems, key=lambda p: (p.rule, str(p))):
        if problem.rule != current:
            current = problem.rule
            count = sum(1 for p in problems if p.rule == current)
            lines.append(f"{current}: {problem.why} ({count} violation{'s' if count > 1 else ''})")
        lines.append(f"  {problem}")
    return lines


class ValidationFailed(Exception):
    """The data does not conform; ``problems`` lists every violation."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__(f"{len(problems)} problem(s)")


def _files(dataset: Dataset, values) -> tuple[str, ...]:
    """The files at fault: those stating the row as a triple, else those describing its first resource."""
    if len(values) >= 3 and isinstance(values[1], ox.NamedNode):
        try:
            triple = ox.Triple(*values[:3])
        except TypeError:
            triple = None
        files = {display(f.path) for f in dataset.files if triple in f.triples}
        if files:
            return tuple(sorted(files))
    if values and isinstance(values[0], (ox.NamedNode, ox.BlankNode)):
        return tuple(dataset.files_describing(values[0]))
    return ()


def check_shapes(dataset: Dataset) -> list[Problem]:
    """Run ontology/shapes.ttl against the asserted triples (with the ontology's class tree)."""
    path = shapes_file(dataset.settings)
    if not path.is_file():
        raise InputError(f"{display(path)}: missing; the SHACL shapes live here")
    shapes = rdflib_graph(parse_turtle(path, dataset.settings.base_iri))
    data = rdflib_graph(dataset.quads())
    conforms, report, _ = pyshacl.validate(data, shacl_graph=shapes, inference="none",
                                           advanced=True, allow_warnings=True)
    if conforms:
        return []
    problems = []
    for result in report.subjects(rdflib.RDF.type, SH.ValidationResult):
        if report.value(result, SH.resultSeverity) != SH.Violation:
            continue
        focus = report.value(result, SH.focusNode)
        path_ = report.value(result, SH.resultPath)
        message = str(report.value(result, SH.resultMessage) or "violates a shape")
        value = report.value(result, SH.value)
        detail = f"{_n3(path_)}: {message}" if path_ is not None else message
        if value is not None and value != focus:
            detail += f" (value: {_n3(value)})"
        shape = report.value(result, SH.sourceShape)
        node_shape = next(shapes.subjects(SH.property, shape), shape)
        problems.append(Problem(rule=f"{display(path)} {_n3(node_shape)}",
                                why="the data does not fit this shape", detail=detail,
                                resources=(_n3(focus),),
                                files=_files(dataset, [to_oxigraph(focus)])))
    return sorted(problems, key=str)


def check_shapes_in_store(store: ox.Store, dataset: Dataset) -> list[Problem]:
    """ontology/shapes.ttl evaluated as SPARQL over the asserted graphs of ``store`` (kg.shapes)."""
    path = shapes_file(dataset.settings)
    if not path.is_file():
        raise InputError(f"{display(path)}: missing; the SHACL shapes live here")
    try:
        ontology_graph = graph_iri(dataset.settings.base_iri, "ontology")
        ontology = [t for f in dataset.files if f.graph == ontology_graph for t in f.triples]
        constraints = compile_shapes(parse_turtle(path, dataset.settings.base_iri), subclasses(ontology))
    except UnsupportedShape as e:
        raise InputError(f"{display(path)}: {e}") from None
    problems = []
    for c, focus, value in violations(store, constraints, dataset.graph_names()):
        detail = f"{c.path}: {c.message}" if c.path else c.message
        if value is not None and value != focus:
            detail += f" (value: {_term(value)})"
        problems.append(Problem(rule=f"{display(path)} {c.shape}", why="the data does not fit this shape",
                                detail=detail, resources=(_term(focus),),
                                files=_files(dataset, [focus])))
    return sorted(set(problems), key=str)


def _term(term) -> str:
    if isinstance(term, ox.NamedNode):
        return compact(term.value)
    if isinstance(term, ox.BlankNode):
        return "[]"
    return str(term)


def _n3(term) -> str:
    """A term as Turtle, with the project's prefixes."""
    if term is None:
        return "?"
    if isinstance(term, rdflib.BNode):
        return "[]"
    if isinstance(term, rdflib.URIRef):
        return compact(str(term))
    return term.n3()


@dataclass(frozen=True)
class Check:
    path: Path
    why: str
    query: str


def load_checks(settings) -> list[Check]:
    """Every ontology/checks/*.rq, with the opening comment as the reason."""
    folder = Path(settings.ontology_dir) / "checks"
    checks = []
    for path in sorted(folder.glob("*.rq")):
        text = path.read_text(encoding="utf-8")
        why = " ".join(line.lstrip("# ").strip() for line in text.splitlines()
                       if line.startswith("#")).strip()
        if not why:
            raise InputError(f"{display(path)}:1:1: a check must open with a comment saying why it exists")
        checks.append(Check(path, why, rebase_text(text, settings.base_iri)))
    return checks


def run_checks(store: ox.Store, dataset: Dataset) -> list[Problem]:
    """Run every check against ``store``, whose default graph is the union of all graphs."""
    problems = []
    for check in load_checks(dataset.settings):
        try:
            rows = store.query(check.query)
        except SyntaxError as e:
            raise InputError(f"{display(check.path)}: {e}") from None
        for row in rows:
            values = [row[v] for v in rows.variables if row[v] is not None]
            problems.append(Problem(
                rule=display(check.path), why=check.why,
                resources=tuple(compact(v.value) if isinstance(v, ox.NamedNode) else str(v)
                                for v in values),
                files=_files(dataset, values)))
    return problems
