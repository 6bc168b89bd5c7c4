"""The example queries of the query page: ``server/examples/NN-name.rq``.

Each file opens with two comment lines, a title and a note, then the query;
the project's prefixes are predeclared, so the examples declare none.
tests/server/test_sparql.py runs every example and expects an answer.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

FOLDER = Path(__file__).parent / "examples"


@dataclass(frozen=True)
class Example:
    name: str    # the file's stem, used as ?example=NAME
    title: str
    note: str
    text: str    # the whole file, comments included


@cache
def examples() -> tuple[Example, ...]:
    """Every example, in file order."""
    out = []
    for path in sorted(FOLDER.glob("*.rq")):
        text = path.read_text(encoding="utf-8")
        title, note = (line.removeprefix("#").strip() for line in text.splitlines()[:2])
        out.append(Example(path.stem, title, note, text))
    return tuple(out)
