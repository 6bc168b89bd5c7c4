"""The SPARQL 1.1 Protocol's request side: where the query or update is, and which dataset it names.

Each function reads the Flask request and aborts with the status the protocol
names (400, 405, 413, 415) and a plain message when the request is malformed.
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass
from urllib.parse import unquote_to_bytes

from flask import Request, abort, request
from werkzeug.datastructures import MultiDict
from werkzeug.wsgi import get_content_length, get_input_stream

from kg.settings import ABSOLUTE_IRI

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
    format: str | None = None  # the 'format' parameter, from the URL or the form


def _one(values: list[str], name: str) -> str | None:
    if len(values) > 1:
        abort(400, f"parameter {name!r} is given {len(values)} times; give it once")
    return values[0] if values else None


def parameters(raw: bytes, where: str) -> MultiDict:
    """The name=value pairs of a URL query string or a form body, percent-decoded once and read as
    UTF-8 strictly: text that is not UTF-8 is refused (400, naming the byte), not stored with
    replacement characters."""
    params = MultiDict()
    for pair in raw.split(b"&"):
        if pair:
            name, _, value = pair.partition(b"=")
            try:
                params.add(unquote(name).decode("utf-8"), unquote(value).decode("utf-8"))
            except UnicodeDecodeError:
                _not_utf8(unquote(raw), where)
    return params


def unquote(data: bytes) -> bytes:
    """``data`` percent-decoded, with + for space, as urllib.parse.unquote_to_bytes does (a % not followed
    by two hex digits stays as it is), but in C: each %XX is made a \\xXX escape (after doubling every
    backslash, so none of the text's own can be read as one) for codecs.escape_decode.  A query
    carries hundreds of escapes: this takes about a ninth of urllib's time."""
    plain = data.replace(b"+", b" ")
    try:
        return codecs.escape_decode(plain.replace(b"\\", b"\\\\").replace(b"%", b"\\x"))[0]
    except ValueError:  # a % without two hex digits after it
        return unquote_to_bytes(plain)


def _not_utf8(data: bytes, where: str):
    """Abort 400, naming the first byte of ``data`` that is not UTF-8."""
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as e:
        abort(400, f"{where} is not UTF-8: byte {e.start} is {data[e.start:e.start + 1]!r}; "
                   f"send the text in UTF-8 (percent-encoded in a URL or a form)")
    raise AssertionError("_not_utf8 called on UTF-8")


def _body(req: Request, max_bytes: int) -> bytes:
    """The body of ``req``, read only as far as a query of ``max_bytes`` bytes can need (each byte
    percent-encoded, and room for the other parameters): a larger body is refused (413) unread."""
    limit = 3 * max_bytes + 65536
    length = get_content_length(req.environ)  # as req.content_length and req.stream, without their look-up
    if (length or 0) > limit:                 # of Flask's MAX_CONTENT_LENGTH, which is not set
        _too_large(length, limit, max_bytes)
    chunks, size, stream = [], 0, get_input_stream(req.environ)
    while size <= limit:  # a read may return less than asked (a chunked body, a slow client)
        chunk = stream.read(limit + 1 - size)
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    if size > limit:
        _too_large(None, limit, max_bytes)
    return b"".join(chunks)


def _too_large(length: int | None, limit: int, max_bytes: int):
    abort(413, f"the request body is {f'{length} bytes' if length else 'longer'}, more than the {limit} bytes "
               f"that a query of at most {max_bytes} bytes (KG_MAX_QUERY_BYTES) can need")


def operation(max_bytes: int) -> Operation | None:
    """The query or update of this request, or None when there is none (a GET for the service description)."""
    req = request._get_current_object()  # each use of a Flask proxy costs a look-up: one, not six
    ctype, method = (req.mimetype or "").lower(), req.method
    args = parameters(req.query_string, "the URL's query string")
    if method == "POST" and ctype == FORM:
        form = parameters(_body(req, max_bytes), "the form")
        query, update = _one(form.getlist("query"), "query"), _one(form.getlist("update"), "update")
        graphs = form
    elif method == "POST" and ctype in (QUERY_BODY, UPDATE_BODY):
        if "query" in args or "update" in args:
            abort(400, f"with Content-Type {ctype} the operation is the body, not a 'query' or 'update' parameter")
        body = _body(req, max_bytes)
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            _not_utf8(body, "the body")
        query, update = (text, None) if ctype == QUERY_BODY else (None, text)
        form, graphs = MultiDict(), args
    elif method == "POST":
        abort(415, f"Content-Type {ctype or '(none)'} is not one of {FORM}, {QUERY_BODY}, {UPDATE_BODY}")
    else:
        query, update = _one(args.getlist("query"), "query"), args.get("update")
        if update is not None:
            abort(400, "an update must be sent by POST")
        form, graphs = MultiDict(), args
    if query is not None and update is not None:
        abort(400, "a request carries a query or an update, not both")
    text = query if query is not None else update
    if text is None:
        if method == "POST":
            abort(400, "no 'query' or 'update' in the request")
        return None
    size = len(text.encode("utf-8"))
    if size > max_bytes:
        abort(413, f"the query is {size} bytes, more than the limit of {max_bytes} (KG_MAX_QUERY_BYTES)")
    default = graphs.getlist("default-graph-uri" if update is None else "using-graph-uri")
    named = graphs.getlist("named-graph-uri" if update is None else "using-named-graph-uri")
    for iri in default + named:
        if not ABSOLUTE_IRI.match(iri):
            abort(400, f"graph IRI {iri!r} is not an absolute IRI")
    fmt = args.get("format", form.get("format"))
    if default or named:
        return Operation(text, update is not None, default or [], named or [], fmt)
    return Operation(text, update is not None, None, None, fmt)
