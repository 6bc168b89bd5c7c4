"""Writes over HTTP: SPARQL Update (and the Graph Store Protocol's writes), enabled by a secret token.

With ``KG_UPDATE_TOKEN`` empty every write is refused (403).  With a token,
a client sends ``Authorization: Bearer <token>``; a missing or wrong one gets
401.  The update runs as ``kg update`` does (kg.update: apply to the named
graphs, derive, check, swap in, journal), in a process of its own, so a large
rebuild does not grow this server process's memory; every server process
opens the new store version at its next request, as after ``kg build``.
"""

from __future__ import annotations

import hmac
import multiprocessing
from concurrent.futures import ProcessPoolExecutor

import pyoxigraph as ox
from flask import abort, request
from werkzeug.datastructures import WWWAuthenticate
from werkzeug.exceptions import Unauthorized

from kg.errors import KgError
from kg.settings import Settings
from kg.update import update

from .context import Context


def authorize(settings: Settings) -> None:
    """Abort 403 when writes are disabled, 401 when the request does not carry the token."""
    if not settings.update_token:
        abort(403, "updates are not accepted: this endpoint is read-only (KG_UPDATE_TOKEN is not set)")
    scheme, _, given = (request.headers.get("Authorization") or "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(), settings.update_token.encode()):
        raise Unauthorized("updates need the header 'Authorization: Bearer <token>' with the server's KG_UPDATE_TOKEN",
                           www_authenticate=WWWAuthenticate("bearer", {"realm": "kg"}))


def body_triples() -> list[ox.Triple]:
    """The RDF graph in the request body, in the format its Content-Type names; 415 or 400 (line:column) if not."""
    ctype = (request.mimetype or "").lower()
    fmt = ox.RdfFormat.from_media_type(ctype) if ctype else None
    if fmt is None or fmt.supports_datasets:
        abort(415, f"Content-Type {ctype or '(none)'} is not an RDF graph format: send text/turtle, "
                   f"application/n-triples, application/rdf+xml or application/ld+json")
    try:
        return [q.triple for q in ox.parse(request.get_data(cache=False), format=fmt)]
    except SyntaxError as e:
        abort(400, f"body:{e.lineno}:{e.offset}: {e.msg}")


def _run(settings: Settings, text: str, refuse_load: bool) -> tuple[int, str]:
    """In the update's own process: (200, what changed), or the status and message of its error."""
    try:
        return 200, "\n".join(update(settings, text, refuse_load).lines()) + "\n"
    except KgError as e:
        return e.status, str(e) + ("; nothing was changed" if e.exit_code == 1 else "")


def apply(ctx: Context, text: str, refuse_load: bool = True):
    """Apply the update ``text``; the response says what changed, or the error says why nothing did.
    ``refuse_load``: as kg.update.change (off for text the server built from a request's data)."""
    with ctx.runtime.kept_alive(), ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        status, message = pool.submit(_run, ctx.settings, text, refuse_load).result()
    if status != 200:
        abort(status, message)
    return message, 200, {"Content-Type": "text/plain; charset=utf-8"}
