"""The README is the map a newcomer reads: its two commands are the ones the project uses, its settings table
is the settings' declarations, and it names every command."""

from __future__ import annotations

import re

import pytest

from kg import errors
from kg.cli import cli
from kg.settings import markdown_table


@pytest.fixture(scope="module")
def readme(root) -> str:
    """The README's text."""
    return (root / "README.md").read_text(encoding="utf-8")


def commands(readme: str) -> list[str]:
    return re.findall(r"```sh\n(.+?)\n```", readme)


def test_ci_runs_exactly_the_readme_test_command(root, readme):
    """.ci/run runs the README's second command, character for character."""
    ci = (root / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    assert commands(readme)[1] in ci


def test_readme_main_command_serves_and_its_sample_question_exists(root, readme):
    """The README's first command serves the graph (building it first); the sample query it names exists."""
    assert commands(readme)[0].endswith("kg serve")
    assert (root / re.search(r"kg query (tests/\S+\.rq)", readme).group(1)).is_file()


def test_the_settings_table_is_the_declarations(readme):
    """The README's table of settings is the one kg.settings makes from the declarations, word for word."""
    table = re.search(r"<!-- settings: made by kg.settings.markdown_table\(\) -->\n(.*?)<!-- /settings -->",
                      readme, re.DOTALL)
    assert table, "the README has no marked table of settings"
    assert table.group(1) == markdown_table(), "paste kg.settings.markdown_table() between the markers"


def test_every_command_is_in_the_readme(readme):
    """Each command of kg, the server's included, has its row in the README's table of commands."""
    for name in cli.list_commands(None):
        assert f"| `kg {name}" in readme, name


def test_the_readme_stays_a_map(readme):
    """The README is a map, not a log: measurements with their dates go to bench/README.md."""
    assert len(readme.splitlines()) < 350


def test_the_table_of_errors_is_the_error_contract(readme):
    """Each row of the README's table of errors gives a kind's exit code and HTTP status as kg.errors declares."""
    rows = re.findall(r"^\| (\d) \| (\d{3}) \| ([a-z ]+) \|", readme, re.MULTILINE)
    kinds = {"invalid input": errors.InvalidInput, "refused": errors.Refused, "usage error": errors.UsageError,
             "unavailable": errors.Unavailable, "bug": errors.Bug}
    assert sorted(name for _, _, name in rows) == sorted(kinds)
    for code, status, name in rows:
        assert (kinds[name].exit_code, kinds[name].status) == (int(code), int(status)), name


def test_the_map_names_every_module(root, readme):
    """'Where things are' names each module of kg/ and server/, so the map has no blank rooms."""
    block = readme.split("## Where things are", 1)[1].split("```", 2)[1]
    for path in sorted((root / "kg").glob("*.py")) + sorted((root / "server").rglob("*.py")):
        if path.name != "__init__.py" or path.parent.name == "server":
            assert re.search(rf"(^|\s){re.escape(path.name)}(\s|$)", block), path.relative_to(root)
