"""Content negotiation: a ``format`` parameter overrides ``Accept``; no Accept or ``*/*`` gets the default."""

from __future__ import annotations

from functools import lru_cache

from flask import abort, request
from werkzeug.datastructures import MIMEAccept
from werkzeug.http import parse_accept_header

PAGE_FORMATS = {"html": "text/html", "json": "application/json"}


def pick(offers: dict[str, str], default: str, name: str | None) -> str | None:
    """The name of the format to answer in, from ``offers`` (name -> media type): ``name``
    (the ``format`` parameter) if given, else the best for Accept; None if none fits."""
    if name is not None:
        return name if name in offers else None
    return _best(request.headers.get("Accept", ""), tuple(offers.items()), default)


@lru_cache(maxsize=512)  # a client sends the same Accept with every request: parse it once
def _best(header: str, offers: tuple[tuple[str, str], ...], default: str) -> str | None:
    accept = parse_accept_header(header, MIMEAccept)
    if not accept.provided:
        return default
    types = dict(offers)
    best = accept.best_match([types[default]] + [t for n, t in offers if n != default])
    return next((n for n, t in offers if t == best), None)


def choose(offers: dict[str, str], default: str) -> str:
    """The format of a page, as ``pick``; aborts with 400 for an unknown ``format``
    parameter and 406 when Accept allows none of the offers, both naming what is offered."""
    name = known(request.args.get("format"), offers)
    return pick(offers, default, name) or not_acceptable(offers)


def known(name: str | None, names) -> str | None:
    """``name``, the ``format`` parameter, if it is absent or one of ``names``; else abort 400 naming them."""
    if name is not None and name not in names:
        abort(400, f"parameter 'format': {name!r} is not one of: {', '.join(names)}")
    return name


def not_acceptable(offers: dict[str, str]):
    """Abort with 406, naming the acceptable media types and format names."""
    abort(406, "acceptable media types: " + ", ".join(offers.values())
          + "; or choose with the parameter format=" + "|".join(offers))


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
