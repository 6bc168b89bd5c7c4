"""The SPARQL endpoint: /sparql, by the SPARQL 1.1 Protocol.

Views read the request (protocol.py), negotiate the format, evaluate the query
under this process's watchdog (executor.py) and send back what it wrote.
"""

from __future__ import annotations

from contextlib import nullcontext

from flask import Blueprint, Response, abort, current_app, render_template, request, url_for
from werkzeug.exceptions import ServiceUnavailable

from kg.guard import may_name_dataset
from kg.namespaces import PREFIXES

from . import http, writes
from .description import service_description
from .examples import examples
from .executor import Request, evaluate
from .graph import graph
from .negotiate import is_browser, known, not_acceptable, pick
from .protocol import check_services, operation
from .results import DATASET_FORMATS, GRAPH_FORMATS, SOLUTION_FORMATS

bp = Blueprint("sparql", __name__)
RDF_OFFERS = GRAPH_FORMATS | DATASET_FORMATS
ALL_OFFERS = SOLUTION_FORMATS | RDF_OFFERS


def query_page():
    """The query editor, holding the example named by ``example`` (by default the first)."""
    shown = request.args.get("example")
    chosen = next((e for e in examples() if e.name == shown), None)
    if shown is not None and chosen is None:
        abort(404, f"parameter 'example': no example {shown!r}; the query page lists them")
    return render_template("query.html", examples=examples(), chosen=chosen or examples()[0],
                           union=graph().default_graphs() is None)


def respond(body: bytes, media_type: str) -> Response:
    return Response(body, 200, {"Content-Type": f"{media_type}; charset=utf-8", "Vary": "Accept, Accept-Encoding"})


@bp.route("/sparql", methods=["GET", "POST"])
def sparql():
    """A SPARQL query; without one, the service description (or the query page for a browser)."""
    kg = graph()
    settings = kg.settings
    op = operation(int(settings.max_query_bytes))
    if op is None:
        if is_browser() and "format" not in request.args:
            return query_page()
        fmt = pick(GRAPH_FORMATS, "turtle", request.values.get("format")) or not_acceptable(GRAPH_FORMATS)
        description = service_description(kg, request.base_url, url_for("graphstore.read", _external=True), fmt)
        return respond(description, GRAPH_FORMATS[fmt])
    allowed = set(settings.service_allow.split())
    if op.is_update:
        check_services(op, allowed)
        writes.authorize(settings)
        if op.default_graph is not None:
            abort(400, "using-graph-uri and using-named-graph-uri are not supported; write USING in the update")
        return writes.apply(settings, op.text)
    fmt = known(op.format, ALL_OFFERS)
    formats = {"solutions": pick(SOLUTION_FORMATS, "json", fmt), "graph": pick(RDF_OFFERS, "turtle", fmt)}
    with watched():  # the checks may have pyoxigraph read a copy of the query (kg.guard): that is timed too
        federated = check_services(op, allowed)
        default = op.default_graph
        if default is None and kg.default_graphs() is not None and not may_name_dataset(op.text, PREFIXES):
            default = kg.default_graphs()  # KG_DEFAULT_GRAPH, unless the query's FROM gives its own dataset
        answer = evaluate(kg.store, Request(op.text, formats, default, op.named_graphs,
                                            int(settings.max_rows), int(settings.max_response_bytes), federated))
    if answer.status == 406:
        not_acceptable(RDF_OFFERS if answer.kind == "graph" else SOLUTION_FORMATS)
    if answer.status != 200:
        abort(answer.status, answer.message)
    offers = RDF_OFFERS if answer.kind == "graph" else SOLUTION_FORMATS
    return respond(answer.body, offers[answer.fmt])


def watched():
    """The context a query runs in: under kg serve, watched for KG_QUERY_TIMEOUT; past it the client
    gets 503 and this server process ends (see executor.py).  The bare app (tests, `flask run`) has
    no watchdog: its queries run to the end."""
    app = current_app._get_current_object()
    watchdog = app.extensions.get("kg_watchdog")
    if watchdog is None:
        return nullcontext()
    late = http.answer_late(app, request.environ, lambda: ServiceUnavailable(
        f"the query ran longer than {watchdog.seconds:g} s and was stopped (KG_QUERY_TIMEOUT)"), counter="timeouts")
    return watchdog.watch(late)
