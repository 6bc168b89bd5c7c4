"""The project's own house rules: every package the code imports is declared, and every module opens by
saying what it is."""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from importlib.metadata import packages_distributions

import pytest


def modules(root, *folders: str) -> list:
    return sorted(p for folder in folders for p in (root / folder).rglob("*.py"))


def imported(path) -> set[str]:
    """The top-level names of the absolute imports of a module."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def declared(requirements: list[str]) -> set[str]:
    return {re.split(r"[<>=!~ \[;]", r, maxsplit=1)[0].lower().replace("_", "-") for r in requirements}


@pytest.fixture(scope="module")
def pyproject(root) -> dict:
    """pyproject.toml, read."""
    return tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))


@pytest.mark.parametrize("folders, extra", [(("kg", "server"), None), (("tests",), "test")])
def test_every_imported_package_is_declared(root, pyproject, folders, extra):
    """Each package that kg/ and server/ import is a dependency in pyproject.toml, and each the tests import is
    one of theirs too: nothing works only because something else happened to install it."""
    wanted = declared(pyproject["project"]["dependencies"])
    if extra:
        wanted |= declared(pyproject["project"]["optional-dependencies"][extra])
    distributions = packages_distributions()
    ours = {"kg", "server", "conftest"}
    for path in modules(root, *folders):
        for name in imported(path) - ours - set(sys.stdlib_module_names):
            provided = {d.lower().replace("_", "-") for d in distributions.get(name, [name])}
            assert provided & wanted, f"{path.relative_to(root)} imports {name}, which pyproject.toml does not declare"


def test_every_module_opens_by_saying_what_it_is(root):
    """Every module of kg/ and server/ opens with a docstring whose first sentence says what it owns."""
    for path in modules(root, "kg", "server"):
        doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8")))
        assert doc, f"{path.relative_to(root)} has no opening docstring"
        assert "." in doc.split("\n\n")[0], f"{path.relative_to(root)}: the first paragraph is no sentence"


def test_kg_never_imports_the_server(root):
    """The pipeline does not depend on the server: the server's command is registered by an entry point."""
    for path in modules(root, "kg"):
        assert "server" not in imported(path), path.relative_to(root)
