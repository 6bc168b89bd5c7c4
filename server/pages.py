"""The pages of the graph: /resource (what the graph says about a resource, statement by statement,
with where each comes from) and /explain (why a triple holds), in HTML or JSON.

Terms in parameters are written as in Turtle with the project's prefixes
(``body:nasa``, ``<https://...>``, ``"1999"^^xsd:gYear``), as absolute IRIs, or
as blank nodes ``_:id``; the pages link with N-Triples terms.
"""

from __future__ import annotations

import pyoxigraph as ox
from flask import Blueprint, abort, jsonify, render_template, request, url_for
from markupsafe import Markup, escape

from kg.describe import Statement, describe
from kg.errors import InvalidInput
from kg.explain import RULES, Explainer
from kg.terms import XSD_STRING, compact, parse_term, show

from .context import context
from .negotiate import PAGE_FORMATS, choose

bp = Blueprint("pages", __name__)
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
        term = parse_term(values[0])
    except InvalidInput as e:
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
    store = context().store
    explainer = Explainer(store.open(), store.inferred)
    explanation = explainer.explain(triple)
    if fmt == "json":
        return jsonify(explanation.as_json())
    return render_template("explain.html", triple=triple, derivation=explanation, rules=RULES,
                           spec=RULES_SPEC, show=explainer.show)


@bp.get("/resource")
def resource():
    """The statements about a resource and pointing at it, each with its graphs or its explanation."""
    fmt = choose(PAGE_FORMATS, "html")
    node = term_arg("iri", RESOURCE_KINDS)
    store = context().store
    found = describe(store.open(), node, store.inferred, LIMIT)
    if found.empty:
        abort(404, f"{node} is in no statement of the graph")
    if fmt == "json":
        return jsonify(resource=str(node), limit=LIMIT,
                       statements=[_statement_json(st) for st in found.about], statements_truncated=found.more_about,
                       incoming=[_statement_json(st) for st in found.pointing], incoming_truncated=found.more_pointing)
    return render_template("resource.html", node=node, title=show(node), found=found, limit=LIMIT)


def explain_url(t: ox.Triple, **params) -> str:
    return url_for("pages.explain", s=str(t.subject), p=str(t.predicate), o=str(t.object), **params)


def _statement_json(st: Statement) -> dict:
    t = st.triple
    out = {"subject": str(t.subject), "predicate": str(t.predicate), "object": str(t.object),
           "status": "inferred" if st.inferred else "asserted",
           "explanation": explain_url(t, format="json")}
    if not st.inferred:
        out["asserted_in"] = [{"graph": g, "source": d} for g, d in st.asserted_in]
    return out


@bp.app_template_global()
def term_html(term, show=show) -> Markup:
    """A term for a page: resources link to their page, literals show their language or datatype."""
    if isinstance(term, ox.Literal):
        text = f'"{escape(term.value)}"'
        if term.language:
            text += f"@{escape(term.language)}"
        elif term.datatype != XSD_STRING:
            text += f"^^{escape(compact(term.datatype.value))}"
        return Markup(f'<span class="literal">{text}</span>')
    href = url_for("pages.resource", iri=str(term))
    title = f' title="{escape(term.value)}"' if isinstance(term, ox.NamedNode) else ""
    return Markup(f'<a href="{escape(href)}"{title}>{escape(show(term))}</a>')


bp.app_template_global()(explain_url)
bp.app_template_filter("iri")(ox.NamedNode)
