"""What a SPARQL text sent to the endpoint can make the engine reach, decided from the text alone and
failing closed: the SERVICE endpoints it may call, and whether it names its own dataset (FROM).

No release of pyoxigraph (0.4 to 0.5.13, nor its main branch in December 2026) lets
Python control SERVICE: Oxigraph's Rust API has a service handler
(``SparqlEvaluator::with_service_handler``, ``without_default_http_service_handler``)
that the Python bindings do not wrap, and they are always built with the HTTP
client.  So the endpoint decides from the text before pyoxigraph reads it.

pyoxigraph exposes no parse tree, and a tokenizer of our own that disagrees
with its parser by one corner case (a comment ended by a carriage return, a
keyword glued to a number, a ``<`` read as an IRI) lets a query past a check.
So these checks do not tokenize.  A keyword can reach the engine only as its
letters in the text (pyoxigraph expands no escapes in keywords), so:

- every occurrence of the letters ``service`` (in any case, anywhere, even in a
  string or a comment) is either a plain SERVICE call: ``SERVICE``, an optional
  ``SILENT``, and an ``<IRI>``, separated by whitespace only (not a prefixed
  name: a PREFIX line in a comment or a string, or pyoxigraph reading
  ``SILENT:x`` as a name, would make it mean another endpoint); or, in a
  query, not the keyword at all, which pyoxigraph itself decides (below).
  Anything else is refused (``Unclear``);
- a query with the letters ``from`` (anywhere: pyoxigraph reads ``ASKFROM``
  as ASK FROM) names its own dataset, unless pyoxigraph decides that none of
  them is the keyword.

pyoxigraph decides by reading a copy of the query in which each such
occurrence has its last letter changed (``servicx``, ``frox``: no keyword, and
no other token either, where the keyword stood) and each plain SERVICE call
has the letters of a GRAPH pattern: if that copy is still a query, none of
them was the keyword (the word was in a string, an IRI, a name, a comment).
Only letters change, so no string, IRI, comment or line of the copy begins or
ends elsewhere than in the query.  pyoxigraph reads a keyword glued to what
follows it (``FROMe:g`` is FROM and ``e:g`` when no prefix ``FROMe:`` is
declared), so a changed word followed by anything but a space or a mark that
ends a name is not decided: the copy's ``FROxe:g`` may be a name of its own.
The copy holds no letters "service", so no SERVICE, and reading it on an
empty store in memory reaches nothing outside the process.  Some queries are
evaluated as they are read (an ASK, an ORDER BY), and a cross product of VALUES
needs no data: the server counts the reading in the query's time limit.
"""

from __future__ import annotations

import functools
import re

import pyoxigraph as ox

from kg.errors import Refused
from kg.terms import PREFIXES

IRI = r'<([^<>"{}|^`\\\x00-\x20]*)>'
_SERVICE = re.compile(r"service", re.IGNORECASE)
_SERVICE_CALL = re.compile(r"service(?:[ \t\r\n]+(?P<silent>silent))?[ \t\r\n]*(?P<endpoint>" + IRI + ")",
                           re.IGNORECASE)
ENDS_A_WORD = set(" \t\r\n(){}[]<>,;\"'#^|/*+=!&")  # what may follow a changed word for the copy to decide
_FROM = re.compile(r"from", re.IGNORECASE)  # anywhere: pyoxigraph reads ASKFROM <g> as ASK FROM <g>
# How to write the word "service" that is no call, said when it is refused in a query and in an update
IN_A_QUERY = ("; pyoxigraph did not read it as a word in a string, an IRI, a name or a comment of a valid query "
              "(it is not asked about a word glued to what follows); write the word elsewhere escaped "
              "(\"\\u0073ervice\") or match it by a regex (\"[s]ervice\")")
IN_AN_UPDATE = '; in an update, write the word elsewhere escaped ("\\u0073ervice") or match it by a regex ("[s]ervice")'
PLAIN_LETTERS = "acdeflmnoprtv"  # letters re.IGNORECASE equates only with their capitals (not i, k, s: ı, İ, K, ſ)


def _may_contain(text: str, letters: str) -> bool:
    """False only if no case-insensitive regex match of a word holding ``letters`` (all PLAIN_LETTERS)
    can be in ``text``: such a match has them in either case, side by side, and lowered they are
    ``letters``.  A quick test before the regex, which takes about fifteen times as long on a query with
    its prefixes."""
    return letters in text.lower()


class Unclear(Refused):
    """The text mentions SERVICE in a way these checks cannot read; the message says where."""


def service_targets(text: str, predeclared: dict[str, str], query: bool = False) -> list[str]:
    """The endpoints the SERVICE calls of ``text`` can reach, as IRIs; ``query``: the text is a query, not
    an update, and pyoxigraph is asked which occurrences of "service" are the keyword.

    Raises Unclear if an occurrence of "service" is not a plain call to an <IRI> and, in a query,
    pyoxigraph does not show that it is no keyword.
    """
    if not _may_contain(text, "erv"):
        return []
    calls, others = _service_words(text)
    if others and not (query and _reads_as_query(text, predeclared)):
        raise Unclear(f"at character {others[0]}: 'service' is not a plain call; a federated query must "
                      f"write SERVICE <IRI> {{ ... }} (a variable or a prefixed name "
                      f"endpoint is not allowed){IN_A_QUERY if query else IN_AN_UPDATE}")
    targets = []
    for call in calls:
        if query and _reads_as_query(text, predeclared, unplain=call.start()):
            continue  # its letters are in a string or a name, such as "a service <http://e/>": no call
        targets.append(call.group(3))  # the IRI within the endpoint
    return targets


@functools.lru_cache(maxsize=4)  # service_targets and each copy it has read ask it of the same text
def _service_words(text: str) -> tuple[tuple[re.Match, ...], tuple[int, ...]]:
    """The plain SERVICE calls of ``text``, and where the other occurrences of "service" start."""
    calls, others = [], []
    for found in _SERVICE.finditer(text):
        call = _SERVICE_CALL.match(text, found.start())
        if call is None:
            others.append(found.start())
        else:
            calls.append(call)
    return tuple(calls), tuple(others)


def _reads_as_query(text: str, prefixes: dict[str, str], unplain: int | None = None,
                    words: re.Pattern | None = None) -> bool:
    """Whether pyoxigraph reads as a query a copy of ``text`` in which each occurrence of "service" that is
    not a plain call has its last letter made an x, and so have the plain call starting at ``unplain``, any
    call starting inside an earlier one's endpoint, and each match of ``words``; each other plain call has
    the letters of SERVICE made GRAPH and those of SILENT spaces.  Only letters change, so every string,
    IRI, comment and line of the text stays as it was: if the copy is a query, none of the occurrences
    changed to an x was a keyword.  A copy still holding the letters "service" is not read: with none,
    it holds no SERVICE, so reading it on an empty store in memory (an ASK is evaluated at once)
    reaches nothing outside the process."""
    calls, others = _service_words(text)
    chars = list(text)
    last = len("service") - 1
    changed = [start + last for start in others]
    inside = 0  # the end of the calls so far: a call starting before it is in an earlier call's endpoint
    for call in calls:
        start = call.start()
        if start == unplain or start < inside:
            changed.append(start + last)
        else:
            chars[start:start + len("service")] = "GRAPH  "
            if call.group("silent"):
                chars[call.start("silent"):call.end("silent")] = " " * len("silent")
        inside = max(inside, call.end())
    changed += [found.end() - 1 for found in words.finditer(text)] if words is not None else []
    for at in changed:
        if at + 1 < len(text) and text[at + 1] not in ENDS_A_WORD:
            return False  # glued to what follows: the copy may read it as part of a name (FROxe:g)
        chars[at] = "x"
    copy = "".join(chars)
    if _SERVICE.search(copy):
        return False
    try:
        ox.Store().query(copy, prefixes=prefixes)
    except Exception:  # noqa: BLE001 -- not read for sure: a syntax error, or anything else
        return False
    return True


def may_name_dataset(text: str, prefixes: dict[str, str] | None = None) -> bool:
    """Whether a query text may have FROM or FROM NAMED.  Given ``prefixes`` (those the query is read
    with), the letters "from" (?from, "from", <http://e/from>) do not count when pyoxigraph reads the
    query without them being the keyword."""
    if not (_may_contain(text, "from") and _FROM.search(text) is not None):
        return False
    return prefixes is None or not _reads_as_query(text, prefixes, words=_FROM)


def check_services(text: str, is_update: bool, allowed: tuple[str, ...]) -> bool:
    """Whether ``text`` calls any SERVICE; raises Refused (403) if it may call one not in ``allowed``, or
    one these checks cannot read.  Nothing outside this process is contacted."""
    try:
        endpoints = service_targets(text, PREFIXES, query=not is_update)
    except Unclear as e:
        raise Unclear(f"SERVICE refused: {e} (KG_SERVICE_ALLOW)") from None
    for endpoint in endpoints:
        if endpoint not in allowed:
            raise Refused(f"SERVICE {endpoint} is not allowed: federated queries may call only "
                          f"{', '.join(sorted(allowed)) or 'no endpoint'} (KG_SERVICE_ALLOW)")
    return bool(endpoints)
