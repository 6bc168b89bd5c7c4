"""Explanations over HTTP: why a triple holds, and what the graph says about a resource.

Terms in parameters are written as in Turtle with the project's prefixes
(``body:nasa``, ``<https://...>``, ``"1999"^^xsd:gYear``), as absolute IRIs, or
as blank nodes ``_:id``; the pages link with N-Triples terms.
"""

from __future__ import annotations

import pyoxigraph as ox
from flask import Blueprint, abort, jsonify, render_template, request, url_for
from markupsafe import Markup, escape

from kg.explain import RULES, Explainer, SearchExhausted, Statement, parse_term
from kg.namespaces import compact, turtle_prefixes

from .graph import graph
from .negotiate import PAGE_FORMATS, choose

bp = Blueprint("explain", __name__)
LIMIT = 500  # statements per direction on a resource page
RULES_SPEC = "https://www.w3.org/TR/owl2-profiles/#Reasoning_in_OWL_2_RL_and_RDF_Graphs_using_Rules"
RESOURCE_KINDS = (ox.NamedNode, ox.BlankNode)
KIND = {ox.NamedNode: "an IRI", ox.BlankNode: "a blank node", ox.Literal: "a literal"}


def term_arg(name: str, kinds: tuple = (ox.NamedNode, ox.BlankNode, ox.Literal)):
    """The RDF term in the query parameter ``name``; aborts 400 naming the parameter."""
    values = request.args.getlist(name)
    if len(values) != 1 or not values[0].strip():
        abort(400, f"parameter {name!r} must be given once, as a term such as body:nasa or <https://...>"
              + (f"; it was given {len(values)} times" if len(values) > 1 else ""))
    try:
        term = parse_term(values[0], turtle_prefixes())
    except ValueError as e:
        abort(400, f"parameter {name!r}: {e}")
    if not isinstance(term, kinds):
        abort(400, f"parameter {name!r}: {values[0]!r} is {KIND[type(term)]}; "
              f"expected {' or '.join(KIND[k] for k in kinds)}")
    return term


@bp.get("/explain")
def explain():
    """One derivation of the triple (s, p, o) by OWL 2 RL rules, down to asserted triples."""
    fmt = choose(PAGE_FORMATS, "html")
    triple = ox.Triple(term_arg("s", RESOURCE_KINDS), term_arg("p", (ox.NamedNode,)), term_arg("o"))
    explainer = Explainer(graph().store, graph().inferred)
    try:
        derivation = explainer.explain(triple)
    except SearchExhausted as e:
        abort(500, str(e))
    if fmt == "json":
        if derivation is None:
            return jsonify(subject=str(triple.subject), predicate=str(triple.predicate), object=str(triple.object),
                           status="not entailed", message="neither asserted nor inferred")
        return jsonify(derivation.as_json())
    return render_template("explain.html", triple=triple, derivation=derivation, rules=RULES,
                           spec=RULES_SPEC, show=explainer.show)


@bp.get("/resource")
def resource():
    """The statements about a resource and pointing at it, each with its graphs or its explanation."""
    fmt = choose(PAGE_FORMATS, "html")
    node = term_arg("iri", RESOURCE_KINDS)
    explainer = Explainer(graph().store, graph().inferred)
    about, more_about = explainer.statements(node, limit=LIMIT)
    pointing, more_pointing = explainer.statements(node, incoming=True, limit=LIMIT)
    if not about and not pointing:
        abort(404, f"{node} is in no statement of the graph")
    about.sort(key=lambda st: (st.triple.predicate.value, str(st.triple.object)))
    pointing.sort(key=lambda st: (st.triple.predicate.value, str(st.triple.subject)))
    if fmt == "json":
        return jsonify(resource=str(node), limit=LIMIT,
                       statements=[_statement_json(st) for st in about], statements_truncated=more_about,
                       incoming=[_statement_json(st) for st in pointing], incoming_truncated=more_pointing)
    title = compact(node.value) if isinstance(node, ox.NamedNode) else str(node)
    return render_template("resource.html", node=node, title=title, about=about, pointing=pointing, limit=LIMIT,
                           more_about=more_about, more_pointing=more_pointing)


def explain_url(t: ox.Triple, **params) -> str:
    return url_for("explain.explain", s=str(t.subject), p=str(t.predicate), o=str(t.object), **params)


def _statement_json(st: Statement) -> dict:
    t = st.triple
    out = {"subject": str(t.subject), "predicate": str(t.predicate), "object": str(t.object),
           "status": "inferred" if st.inferred else "asserted",
           "explanation": explain_url(t, format="json")}
    if not st.inferred:
        out["asserted_in"] = [{"graph": g, "source": d} for g, d in st.asserted_in]
    return out


@bp.app_template_global()
def term_html(term, show=None) -> Markup:
    """A term for a page: resources link to their page, literals show their language or datatype."""
    if isinstance(term, ox.Literal):
        text = f'"{escape(term.value)}"'
        if term.language:
            text += f"@{escape(term.language)}"
        elif term.datatype.value != "http://www.w3.org/2001/XMLSchema#string":
            text += f"^^{escape(compact(term.datatype.value))}"
        return Markup(f'<span class="literal">{text}</span>')
    label = show(term) if show else (compact(term.value) if isinstance(term, ox.NamedNode) else str(term))
    href = url_for("explain.resource", iri=str(term))
    title = f' title="{escape(term.value)}"' if isinstance(term, ox.NamedNode) else ""
    return Markup(f'<a href="{escape(href)}"{title}>{escape(label)}</a>')


bp.app_template_global()(explain_url)
bp.app_template_filter("iri")(ox.NamedNode)
