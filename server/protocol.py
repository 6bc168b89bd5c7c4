"""The SPARQL 1.1 Protocol's request side: where the query is, which dataset, which SERVICEs.

Each function reads the Flask request and aborts with the status the protocol
names (400, 405, 413, 415) and a plain message when the request is malformed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from flask import abort, request

from kg.namespaces import PREFIXES

FORM = "application/x-www-form-urlencoded"
QUERY_BODY = "application/sparql-query"
UPDATE_BODY = "application/sparql-update"


@dataclass(frozen=True)
class Operation:
    """A query or an update, and the dataset the request names (None: the store's own)."""

    text: str
    is_update: bool
    default_graph: list[str] | None
    named_graphs: list[str] | None


def _one(values: list[str], name: str) -> str | None:
    if len(values) > 1:
        abort(400, f"parameter {name!r} is given {len(values)} times; give it once")
    return values[0] if values else None


def operation(max_bytes: int) -> Operation | None:
    """The query or update of this request, or None when there is none (a GET for the service description)."""
    ctype = (request.mimetype or "").lower()
    if request.method == "POST" and ctype == FORM:
        query, update = _one(request.form.getlist("query"), "query"), _one(request.form.getlist("update"), "update")
        graphs = request.form
    elif request.method == "POST" and ctype in (QUERY_BODY, UPDATE_BODY):
        if "query" in request.args or "update" in request.args:
            abort(400, f"with Content-Type {ctype} the operation is the body, not a 'query' or 'update' parameter")
        text = request.get_data(cache=False).decode("utf-8", errors="replace")
        query, update = (text, None) if ctype == QUERY_BODY else (None, text)
        graphs = request.args
    elif request.method == "POST":
        abort(415, f"Content-Type {ctype or '(none)'} is not one of {FORM}, {QUERY_BODY}, {UPDATE_BODY}")
    else:
        query, update = _one(request.args.getlist("query"), "query"), request.args.get("update")
        if update is not None:
            abort(400, "an update must be sent by POST")
        graphs = request.args
    if query is not None and update is not None:
        abort(400, "a request carries a query or an update, not both")
    text = query if query is not None else update
    if text is None:
        if request.method == "POST":
            abort(400, "no 'query' or 'update' in the request")
        return None
    if len(text.encode("utf-8")) > max_bytes:
        abort(413, f"the query is {len(text.encode('utf-8'))} bytes, more than the limit of {max_bytes} (KG_MAX_QUERY_BYTES)")
    default = graphs.getlist("default-graph-uri" if update is None else "using-graph-uri")
    named = graphs.getlist("named-graph-uri" if update is None else "using-named-graph-uri")
    for iri in default + named:
        if not re.match(r"^[A-Za-z][A-Za-z0-9+.-]*:[^\s<>\"{}|^`\\]*$", iri):
            abort(400, f"graph IRI {iri!r} is not an absolute IRI")
    if default or named:
        return Operation(text, update is not None, default or [], named or [])
    return Operation(text, update is not None, None, None)


_TOKEN = re.compile(r'"""[\s\S]*?"""|\'\'\'[\s\S]*?\'\'\'|"(?:[^"\\\n]|\\.)*"|\'(?:[^\'\\\n]|\\.)*\''
                    r'|<[^<>"{}|^`\\\s]*>|#[^\n]*|[^\s"\'<#{}()]+|\S')


def tokens(text: str) -> list[str]:
    """The tokens of a query or update, without its strings and comments."""
    return [t for t in _TOKEN.findall(text) if not t.startswith(("#", '"', "'"))]


def services(query: str) -> list[str]:
    """The endpoint of each SERVICE in ``query``, as an IRI, '?var' for a variable, or the raw token
    when it cannot be resolved; strings and comments are skipped."""
    tokens_ = tokens(query)
    prefixes = dict(PREFIXES)
    out = []
    for i, token in enumerate(tokens_):
        upper = token.upper()
        if upper == "PREFIX" and i + 2 < len(tokens_) and tokens_[i + 2].startswith("<"):
            prefixes[tokens_[i + 1].rstrip(":")] = tokens_[i + 2][1:-1]
        if upper != "SERVICE" or i + 1 >= len(tokens_):
            continue
        target = tokens_[i + 2] if tokens_[i + 1].upper() == "SILENT" and i + 2 < len(tokens_) else tokens_[i + 1]
        if target.startswith("<"):
            out.append(target[1:-1])
        elif ":" in target and target.split(":", 1)[0] in prefixes:
            pfx, local = target.split(":", 1)
            out.append(prefixes[pfx] + local)
        else:
            out.append(target)
    return out


def check_services(query: str, allowed: set[str]) -> bool:
    """Abort 403 if ``query`` calls a SERVICE not on the allow-list; nothing is contacted.

    Returns whether it calls any SERVICE.
    """
    endpoints = services(query)
    for endpoint in endpoints:
        if endpoint not in allowed:
            abort(403, f"SERVICE {endpoint} is not allowed: federated queries may call only "
                       f"{', '.join(sorted(allowed)) or 'no endpoint'} (KG_SERVICE_ALLOW)")
    return bool(endpoints)
