"""The SPARQL endpoint: /sparql, by the SPARQL 1.1 Protocol.

Views read the request (protocol.py), negotiate the format, hand the query to
this process's query process (executor.py) and send back what it wrote.
"""

from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, render_template, request, url_for

from kg.guard import may_name_dataset

from . import writes
from .description import service_description
from .examples import examples
from .executor import Executor, QueryTimeout, Request
from .graph import graph
from .negotiate import is_browser, not_acceptable, pick
from .protocol import check_services, operation
from .results import DATASET_FORMATS, GRAPH_FORMATS, SOLUTION_FORMATS

bp = Blueprint("sparql", __name__)
RDF_OFFERS = GRAPH_FORMATS | DATASET_FORMATS


def executor(app=None) -> Executor:
    """The query process of this server process (of ``app``, or of the current app)."""
    ext = (app or current_app).extensions
    if "kg_executor" not in ext:
        ext["kg_executor"] = Executor(ext["kg"].settings.store_dir)
    return ext["kg_executor"]


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
    settings = graph().settings
    op = operation(int(settings.max_query_bytes))
    if op is None:
        if is_browser() and "format" not in request.args:
            return query_page()
        fmt = pick(GRAPH_FORMATS, "turtle", request.values.get("format")) or not_acceptable(GRAPH_FORMATS)
        description = service_description(graph(), request.base_url, url_for("graphstore.read", _external=True), fmt)
        return respond(description, GRAPH_FORMATS[fmt])
    federated = check_services(op.text, set(settings.service_allow.split()))
    if op.is_update:
        writes.authorize(settings)
        if op.default_graph is not None:
            abort(400, "using-graph-uri and using-named-graph-uri are not supported; write USING in the update")
        return writes.apply(settings, op.text)
    fmt = request.values.get("format")
    if fmt is not None and fmt not in SOLUTION_FORMATS and fmt not in RDF_OFFERS:
        abort(400, f"parameter 'format': {fmt!r} is not one of: {', '.join(SOLUTION_FORMATS | RDF_OFFERS)}")
    formats = {"solutions": pick(SOLUTION_FORMATS, "json", fmt), "graph": pick(RDF_OFFERS, "turtle", fmt)}
    try:
        default = op.default_graph
        if default is None and not may_name_dataset(op.text):  # a FROM is the query's own dataset
            default = graph().default_graphs()
        answer = executor().run(Request(op.text, formats, default, op.named_graphs,
                                        int(settings.max_rows), int(settings.max_response_bytes), federated),
                                float(settings.query_timeout))
    except QueryTimeout as e:
        current_app.extensions["kg_metrics"].count("timeouts")
        abort(503, str(e))
    if answer.kind == "died":
        current_app.extensions["kg_metrics"].count("query_process_deaths")
    if answer.status == 406:
        not_acceptable(RDF_OFFERS if answer.kind == "graph" else SOLUTION_FORMATS)
    if answer.status != 200:
        abort(answer.status, answer.message)
    offers = RDF_OFFERS if answer.kind == "graph" else SOLUTION_FORMATS
    return respond(answer.body, offers[answer.fmt])
