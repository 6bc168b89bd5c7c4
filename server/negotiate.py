"""Content negotiation: a ``format`` parameter overrides ``Accept``; no Accept or ``*/*`` gets the default."""

from __future__ import annotations

from flask import abort, request

PAGE_FORMATS = {"html": "text/html", "json": "application/json"}


def choose(offers: dict[str, str], default: str) -> str:
    """The name of the format to answer in, from ``offers`` (name -> media type).

    Aborts with 400 for an unknown ``format`` parameter and 406 when the
    Accept header allows none of the offers; both messages name what is offered.
    """
    name = request.args.get("format")
    if name is not None:
        if name not in offers:
            abort(400, f"parameter 'format': {name!r} is not one of: {', '.join(offers)}")
        return name
    accept = request.accept_mimetypes
    if not accept.provided:
        return default
    ordered = [offers[default]] + [t for t in offers.values() if t != offers[default]]
    best = accept.best_match(ordered)
    if best is None:
        abort(406, "acceptable media types: " + ", ".join(ordered)
              + "; or choose with the parameter format=" + "|".join(offers))
    return next(n for n, t in offers.items() if t == best)


def is_browser() -> bool:
    """Whether the client names HTML explicitly (browsers do; curl's */* does not), or asked format=html."""
    if request.args.get("format") in PAGE_FORMATS:
        return request.args["format"] == "html"
    return any(t in ("text/html", "application/xhtml+xml") and q > 0 for t, q in request.accept_mimetypes)


def prefers_json() -> bool:
    """Whether the client asked for JSON (by ``format`` or Accept) rather than a page."""
    if request.args.get("format") in PAGE_FORMATS:
        return request.args["format"] == "json"
    accept = request.accept_mimetypes
    return accept.provided and accept.best_match(["text/html", "application/json"]) == "application/json"
