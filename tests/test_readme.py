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


def test_readme_main_command_serves_and_its_sample_question_exists():
    """The README's first command serves the graph (building it first); the sample query it names exists."""
    assert commands()[0].endswith("kg serve")
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    query = re.search(r"kg query (tests/\S+\.rq)", text).group(1)
    assert (ROOT / query).is_file()
