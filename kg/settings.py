"""The one table of settings: each is declared once, as a field of ``Settings``, with its default,
its type (by the function that reads it) and its help; ``KG_<NAME>`` and ``--<name>`` override it.

The ``kg`` command's options, its ``--help`` and the README's table of settings are all made from
these declarations (a test holds the README to them).  Values are read and checked once, here, into
typed values: the rest of the code never parses a setting again.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import Field, dataclass, field, fields, replace
from pathlib import Path

from .errors import UsageError

CANONICAL_BASE = "https://w3id.org/spacecoord/"
ABSOLUTE_IRI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:[^\s<>\"{}|^`\\]+$")  # a scheme, then no spaces or <>"{}|^`\


# Each reader takes the text of a setting and returns its value, or raises ValueError saying what it must be.

def _text(text: str) -> str:
    return text


def _folder(text: str) -> Path:
    if not text.strip():
        raise ValueError("must name a folder")
    return Path(text)


def _base_iri(text: str) -> str:
    if not (ABSOLUTE_IRI.match(text) and text.endswith(("/", "#"))):
        raise ValueError("must be an absolute IRI ending with '/' or '#'")
    return text


def _reasoner(text: str) -> str:
    if text not in ("fast", "owlrl"):
        raise ValueError("must be 'fast' or 'owlrl'")
    return text


def _port(text: str) -> int:
    if not (text.isdigit() and 0 < int(text) < 65536):
        raise ValueError("must be a port number, 1 to 65535")
    return int(text)


def _count(text: str) -> int:
    if not (text.isdigit() and int(text) >= 1):
        raise ValueError("must be a whole number, at least 1")
    return int(text)


def _seconds(text: str) -> float:
    try:
        seconds = float(text)
    except ValueError:
        seconds = 0.0
    if not 0 < seconds < float("inf"):
        raise ValueError("must be a number of seconds above 0")
    return seconds


def _iris(text: str) -> tuple[str, ...]:
    iris = tuple(text.split())
    if not all(map(ABSOLUTE_IRI.match, iris)):
        raise ValueError("must be absolute IRIs separated by spaces")
    return iris


def _default_graph(text: str) -> str | tuple[str, ...]:
    if text in ("union", "asserted"):
        return text
    iris = text.split()
    if not (iris and all(map(ABSOLUTE_IRI.match, iris))):
        raise ValueError("must be 'union', 'asserted' or absolute graph IRIs")
    return tuple(iris)


def setting(default: str, read: Callable[[str], object], about: str, secret: bool = False):
    """The declaration of one setting: ``default`` as written in the environment, the function that
    reads such a text into the setting's value, and what it is, for ``kg --help`` and the README."""
    return field(default=read(default), repr=not secret,
                 metadata={"text": default, "read": read, "help": about})


@dataclass(frozen=True)
class Settings:
    """Every setting, as a typed value."""

    base_iri: str = setting(
        CANONICAL_BASE, _base_iri,
        f"Base of every IRI the graph mints; the files are written under {CANONICAL_BASE}, and another base "
        "rewrites those IRIs at load time.")
    ontology_dir: Path = setting(
        "ontology", _folder,
        "Folder of the ontology (its .ttl files), the SHACL shapes (shapes.ttl) and the checks (checks/, .rq files).")
    data_dir: Path = setting(
        "data", _folder, "Folder of the data: sources.ttl and one Turtle file per topic and source.")
    store_dir: Path = setting(
        "var/store", _folder, "The built store: a link to its current version, swapped by each build in one rename.")
    reasoner: str = setting(
        "fast", _reasoner,
        "'fast': owlrl closes the schema, compiled rules close the data; 'owlrl': plain owlrl over everything, "
        "the reference (slow past about 10 thousand triples).")
    host: str = setting(
        "127.0.0.1", _text, "Address 'kg serve' listens on; 0.0.0.0 exposes it to the network.")
    port: int = setting("7878", _port, "Port 'kg serve' listens on.")
    workers: int = setting(
        "2", _count,
        "Server processes, each with the store open read-only and serving one request at a time (processes, not "
        "threads: a query past its time limit is stopped by ending its process).")
    query_timeout: float = setting(
        "30", _seconds, "Seconds a SPARQL query may run; it is then stopped and answered 503.")
    max_query_bytes: int = setting(
        "100000", _count,
        "Longest query accepted, in bytes (413 beyond; a request body longer than 3 times this plus 64 KB is "
        "refused unread).")
    max_rows: int = setting("100000", _count, "Most solutions or triples in a query result (400 beyond).")
    max_response_bytes: int = setting(
        "100000000", _count, "Largest query result, in bytes (400 beyond); /store downloads are not limited.")
    service_allow: tuple[str, ...] = setting(
        "https://query.wikidata.org/sparql", _iris,
        "Endpoints a federated SERVICE may call, space-separated; any other (or a variable) is refused with 403 "
        "before any connection, and an allowed endpoint's redirects are not followed.")
    default_graph: str | tuple[str, ...] = setting(
        "union", _default_graph,
        "The default graph of queries that name none (and of /store?default): 'union', the stored union of every "
        "graph as a set; 'asserted', every graph but graph/inferred; or space-separated graph IRIs.  All but "
        "'union' are merged as Oxigraph merges graphs: a triple in two of them matches twice.")
    update_token: str = setting(
        "", _text,
        "Secret that enables writes over HTTP (SPARQL Update, /store PUT, POST, DELETE), sent as "
        "'Authorization: Bearer <token>'; empty, writes are refused (403).", secret=True)

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None, **options: str | None) -> Settings:
        """Defaults, then ``KG_*`` variables of ``environ`` (default: the process's), then the ``options``
        given (None: not given), each read into its value.  Raises UsageError naming the setting."""
        environ = os.environ if environ is None else environ
        values = {}
        for f in fields(cls):
            given = options.get(f.name)
            where = option(f) if given is not None else env(f)
            text = given if given is not None else environ.get(env(f))
            if text is None:
                continue
            try:
                values[f.name] = f.metadata["read"](text)
            except ValueError as e:
                raise UsageError(f"{where} {e}: {text!r}") from None
        return cls(**values)

    def environment(self) -> dict[str, str]:
        """These settings as ``KG_*`` environment variables, for a child process."""
        return {env(f): as_text(getattr(self, f.name)) for f in fields(self)}

    def with_(self, **changes) -> Settings:
        return replace(self, **changes)


def env(f: Field) -> str:
    return "KG_" + f.name.upper()


def option(f: Field) -> str:
    return "--" + f.name.replace("_", "-")


def as_text(value) -> str:
    """A setting's value written as in the environment."""
    if isinstance(value, tuple):
        return " ".join(value)
    if isinstance(value, float):
        return repr(value)
    return str(value)


SETTINGS: tuple[Field, ...] = tuple(fields(Settings))


def markdown_table() -> str:
    """The README's table of settings."""
    rows = ["| setting | environment | default | meaning |", "|---|---|---|---|"]
    for f in SETTINGS:
        default = f"`{f.metadata['text']}`" if f.metadata["text"] else "(empty)"
        rows.append(f"| `{option(f)}` | `{env(f)}` | {default} | {f.metadata['help']} |")
    return "\n".join(rows) + "\n"
