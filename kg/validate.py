"""Validate stage: judge a built store by the rules of its inputs: the SHACL shapes on the asserted
graphs, the SPARQL checks on the whole closure.

A check is a file ``ontology/checks/NAME.rq`` holding a SELECT that must return
no rows; its opening comment says why the rule exists.  Both kinds of problem
come back as ``Problem`` values that name the offending resources and the data
files that describe them.  pySHACL, the reference for the shapes, is run by
``pyshacl_problems`` (the tests hold the two to the same answers).
"""

from __future__ import annotations

from dataclasses import dataclass

import pyoxigraph as ox
import pyshacl
import rdflib
from rdflib.namespace import SH

from .errors import InvalidInput
from .load import Dataset, Inputs, display
from .shapes import UnsupportedShape, compile_shapes, subclasses, violations
from .terms import compact, rdflib_graph, show, to_oxigraph


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


class ValidationFailed(InvalidInput):
    """The data does not conform; ``problems`` lists every violation."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(grouped(problems) + [f"the data does not conform: {len(problems)} problem(s)"]))


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


def shape_problems(store: ox.Store, inputs: Inputs) -> list[Problem]:
    """The shapes evaluated as SPARQL over the asserted graphs of ``store`` (kg.shapes)."""
    rules, dataset = inputs.rules, inputs.dataset
    try:
        constraints = compile_shapes(rules.shapes, subclasses(dataset.triples_of("ontology")))
    except UnsupportedShape as e:
        raise InvalidInput(f"{display(rules.shapes_path)}: {e}") from None
    problems = []
    for c, focus, value in violations(store, constraints, dataset.graph_names()):
        detail = f"{c.path}: {c.message}" if c.path else c.message
        if value is not None and value != focus:
            detail += f" (value: {_term(value)})"
        problems.append(Problem(rule=f"{display(rules.shapes_path)} {c.shape}", why="the data does not fit this shape",
                                detail=detail, resources=(_term(focus),), files=_files(dataset, [focus])))
    return sorted(set(problems), key=str)


def pyshacl_problems(inputs: Inputs) -> list[Problem]:
    """The shapes run by pySHACL, the reference, on the asserted triples (with the ontology's class tree)."""
    rules, dataset = inputs.rules, inputs.dataset
    shapes = rdflib_graph(rules.shapes)
    conforms, report, _ = pyshacl.validate(rdflib_graph(dataset.quads()), shacl_graph=shapes, inference="none",
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
        problems.append(Problem(rule=f"{display(rules.shapes_path)} {_n3(node_shape)}",
                                why="the data does not fit this shape", detail=detail,
                                resources=(_n3(focus),), files=_files(dataset, [to_oxigraph(focus)])))
    return sorted(problems, key=str)


def _term(term) -> str:
    return "[]" if isinstance(term, ox.BlankNode) else show(term)


def _n3(term) -> str:
    """An rdflib term as Turtle, with the project's prefixes."""
    if term is None:
        return "?"
    if isinstance(term, rdflib.BNode):
        return "[]"
    if isinstance(term, rdflib.URIRef):
        return compact(str(term))
    return term.n3()


def check_problems(store: ox.Store, inputs: Inputs) -> list[Problem]:
    """Every check run against ``store``, whose default graph is the union of all graphs."""
    problems = []
    for check in inputs.rules.checks:
        try:
            rows = store.query(check.query)
        except SyntaxError as e:
            raise InvalidInput(f"{display(check.path)}: {e}") from None
        for row in rows:
            values = [row[v] for v in rows.variables if row[v] is not None]
            problems.append(Problem(rule=display(check.path), why=check.why,
                                    resources=tuple(show(v) for v in values), files=_files(inputs.dataset, values)))
    return problems
