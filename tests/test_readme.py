"""The README's two commands are the ones the project really uses."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def commands() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    return re.findall(r"```sh\n(.+?)\n```", text)


def test_ci_runs_exactly_the_readme_test_command():
    """.ci/run runs the README's second command, character for character."""
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    assert commands()[1] in ci


def test_readme_main_command_builds_and_queries_an_existing_file():
    """The README's first command builds the store and runs a competency question that exists."""
    main = commands()[0]
    assert "kg build" in main
    query = re.search(r"kg query (\S+)", main).group(1)
    assert (ROOT / query).is_file()
