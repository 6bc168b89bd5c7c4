"""The SPARQL endpoint, /sparql, by the SPARQL 1.1 Protocol: queries, updates, and without either the
service description (or, for a browser, the query page).

A query is read from the request (protocol.py), its SERVICE and FROM checked (guard.py), then
evaluated and written (results.py) by the runtime within KG_QUERY_TIMEOUT; past it the client gets 503.
"""

from __future__ import annotations

from flask import Blueprint, Response, abort, render_template, request, url_for
from werkzeug.exceptions import ServiceUnavailable

from kg.terms import PREFIXES

from . import writes
from .context import Context, context
from .description import service_description
from .examples import examples
from .guard import check_services, may_name_dataset
from .metrics import Metrics
from .negotiate import is_browser, known, not_acceptable, pick
from .protocol import Operation, operation
from .results import GRAPH_FORMATS, RDF_OFFERS, SOLUTION_FORMATS, Request, answer

bp = Blueprint("sparql", __name__)
ALL_OFFERS = SOLUTION_FORMATS | RDF_OFFERS


@bp.route("/sparql", methods=["GET", "POST"])
def sparql():
    """A SPARQL query or update; without one, the service description (or the query page for a browser)."""
    ctx = context()
    op = operation(ctx.settings.max_query_bytes)
    if op is None:
        return description(ctx)
    if op.is_update:
        return update(ctx, op)
    return query(ctx, op)


def query(ctx: Context, op: Operation) -> Response:
    """The query's result, in the format negotiated for its kind."""
    settings = ctx.settings
    fmt = known(op.format, ALL_OFFERS)
    formats = {"solutions": pick(SOLUTION_FORMATS, "json", fmt), "graph": pick(RDF_OFFERS, "turtle", fmt)}

    def work():  # the checks may have pyoxigraph read a copy of the query (guard.py): they are timed too
        federated = check_services(op.text, False, settings.service_allow)
        store, union = ctx.store.open(), ctx.store.default_graphs()  # after the checks: they need no store
        default = op.default_graph
        if default is None and union is not None and not may_name_dataset(op.text, PREFIXES):
            default = union  # KG_DEFAULT_GRAPH, unless the query's FROM gives its own dataset
        return answer(store, Request(op.text, formats, default, op.named_graphs, settings.max_rows,
                                     settings.max_response_bytes, federated))
    result = ctx.runtime.within(settings.query_timeout, work, lambda: late(ctx.metrics, settings.query_timeout))
    return Response(result.body, 200, {"Content-Type": f"{result.media_type}; charset=utf-8",
                                       "Vary": "Accept, Accept-Encoding"})


def late(metrics: Metrics, seconds: float) -> ServiceUnavailable:
    """The answer to a query past its time limit, counted."""
    metrics.timeouts.inc()
    return ServiceUnavailable(f"the query ran longer than {seconds:g} s and was stopped (KG_QUERY_TIMEOUT)")


def update(ctx: Context, op: Operation):
    """An update, with the update token, applied as ``kg update`` applies it."""
    check_services(op.text, True, ctx.settings.service_allow)
    writes.authorize(ctx.settings)
    if op.default_graph is not None:
        abort(400, "using-graph-uri and using-named-graph-uri are not supported; write USING in the update")
    return writes.apply(ctx, op.text)


def description(ctx: Context):
    """The service description; for a browser, the query page."""
    if is_browser() and "format" not in request.args:
        return query_page(ctx)
    fmt = pick(GRAPH_FORMATS, "turtle", request.values.get("format")) or not_acceptable(GRAPH_FORMATS)
    body = service_description(ctx.settings, ctx.store, request.base_url, url_for("graphstore.read", _external=True),
                               fmt)
    return Response(body, 200, {"Content-Type": f"{GRAPH_FORMATS[fmt]}; charset=utf-8",
                                "Vary": "Accept, Accept-Encoding"})


def query_page(ctx: Context) -> str:
    """The query editor, holding the example named by ``example`` (by default the first)."""
    shown = request.args.get("example")
    chosen = next((e for e in examples() if e.name == shown), None)
    if shown is not None and chosen is None:
        abort(404, f"parameter 'example': no example {shown!r}; the query page lists them")
    return render_template("query.html", examples=examples(), chosen=chosen or examples()[0],
                           union=ctx.store.default_graphs() is None)
