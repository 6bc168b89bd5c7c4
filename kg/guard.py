"""What a SPARQL text can make the engine reach, decided from the text alone and failing closed.

pyoxigraph exposes no parse tree, and a tokenizer of our own that disagrees
with its parser by one corner case (a comment ended by a carriage return, a
keyword glued to a number, a ``<`` read as an IRI) lets a query past a check.
So these checks do not tokenize.  A keyword can reach the engine only as its
letters in the text (pyoxigraph expands no escapes in keywords), so:

- every occurrence of the letters ``service`` (in any case, anywhere, even in a
  string or a comment) must be a plain SERVICE call: ``SERVICE``, an optional
  ``SILENT``, and an absolute ``<IRI>`` or a plain prefixed name, separated by
  whitespace only; the prefixed name's prefix must be declared plainly, once,
  or be one of the predeclared ones.  Anything else is refused (``Unclear``),
  even where it would have been harmless, such as "service" in a label: write
  it ``"\\u0073ervice"`` or match it with a regex such as ``"[s]ervice"``;
- an update with the letters ``load`` not preceded by a letter or digit may
  LOAD, and is refused;
- a query with the letters ``from`` not preceded by a letter or digit may name
  its own dataset.
"""

from __future__ import annotations

import re

IRI = r'<([^<>"{}|^`\\\x00-\x20]*)>'
PNAME = r'([A-Za-z][A-Za-z0-9_-]*)?:([A-Za-z0-9_](?:[A-Za-z0-9_.-]*[A-Za-z0-9_-])?)?'
_SERVICE = re.compile(r"service", re.IGNORECASE)
_SERVICE_CALL = re.compile(r"service(?:[ \t\r\n]+silent)?[ \t\r\n]*(?:" + IRI + "|" + PNAME + r"(?=[ \t\r\n{]))",
                           re.IGNORECASE)
_PREFIX = re.compile(r"prefix", re.IGNORECASE)
_PREFIX_DECL = re.compile(r"prefix[ \t\r\n]+([A-Za-z][A-Za-z0-9_-]*)?:[ \t\r\n]*" + IRI, re.IGNORECASE)
_LOAD = re.compile(r"(?<![A-Za-z0-9_])load", re.IGNORECASE)
_FROM = re.compile(r"(?<![A-Za-z0-9_])from", re.IGNORECASE)
PLAIN_LETTERS = "acdeflmnoprtv"  # letters re.IGNORECASE equates only with their capitals (not i, k, s: ı, İ, K, ſ)


def _may_contain(text: str, letters: str) -> bool:
    """False only if no case-insensitive regex match of a word holding ``letters`` (all PLAIN_LETTERS)
    can be in ``text``: such a match has them in either case, side by side, and lowered they are
    ``letters``.  A quick test (1 us) before the regex (15 us on a query with its prefixes)."""
    return letters in text.lower()


class Unclear(Exception):
    """The text mentions SERVICE in a way these checks cannot read; the message says where."""


def service_targets(text: str, predeclared: dict[str, str]) -> list[str]:
    """The endpoints the SERVICE calls of ``text`` can reach, as IRIs.

    Raises Unclear if an occurrence of "service" is not a plain call, or its
    endpoint cannot be resolved without doubt.
    """
    targets = []
    if not _may_contain(text, "erv"):
        return targets
    for found in _SERVICE.finditer(text):
        call = _SERVICE_CALL.match(text, found.start())
        if call is None:
            raise Unclear(f"at character {found.start()}: 'service' is not followed by a plain endpoint IRI or "
                          f"prefixed name; a federated query must write SERVICE <IRI> {{ ... }} (a variable "
                          f"endpoint is not allowed), and the word elsewhere must be escaped (\"\\u0073ervice\") "
                          f"or matched by a regex (\"[s]ervice\")")
        iri, prefix, local = call.groups()
        targets.append(iri if iri is not None else _resolve(text, prefix or "", local or "", predeclared, found.start()))
    return targets


def _resolve(text: str, prefix: str, local: str, predeclared: dict[str, str], at: int) -> str:
    declared = set()
    for found in _PREFIX.finditer(text):
        decl = _PREFIX_DECL.match(text, found.start())
        if decl is None:
            raise Unclear(f"at character {found.start()}: 'prefix' is not a plain PREFIX declaration, so the "
                          f"SERVICE at character {at} cannot be resolved; write its endpoint as <IRI>")
        if (decl.group(1) or "") == prefix:
            declared.add(decl.group(2))
    if len(declared) > 1:
        raise Unclear(f"prefix '{prefix}:' is declared {len(declared)} ways; write the SERVICE endpoint as <IRI>")
    base = declared.pop() if declared else predeclared.get(prefix)
    if base is None:
        raise Unclear(f"at character {at}: the prefix '{prefix}:' of the SERVICE endpoint is not declared")
    return base + local


def may_load(text: str) -> bool:
    """Whether an update text may contain LOAD."""
    return _may_contain(text, "load") and _LOAD.search(text) is not None


def may_name_dataset(text: str) -> bool:
    """Whether a query text may have FROM or FROM NAMED."""
    return _may_contain(text, "from") and _FROM.search(text) is not None
