"""The ``kg`` command's contract: each kind of error has its exit code and a message on stderr, never a trace;
its options and help are the settings' declarations; commands of other packages are found by entry point."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from kg import cli as kg_cli
from kg.errors import Bug, InvalidInput, KgError, Refused, Unavailable, UsageError
from kg.settings import SETTINGS, env, option


@pytest.fixture
def invoke(monkeypatch, tmp_path):
    """A function: run ``kg ARGS`` in process, in an empty folder without KG_* variables; the click result."""
    monkeypatch.chdir(tmp_path)
    for name in list(os.environ):
        if name.startswith("KG_"):
            monkeypatch.delenv(name)

    def run(*args: str):
        return CliRunner().invoke(kg_cli.cli, list(args))
    return run


@pytest.mark.parametrize("kind, code, status", [
    (InvalidInput, 1, 400), (Refused, 1, 403), (UsageError, 2, 400), (Unavailable, 2, 503), (Bug, 3, 500)])
def test_each_kind_of_error_has_its_exit_code_and_status(kind, code, status):
    """The kinds of error carry the command's exit code and the server's status, as the README's tables say."""
    assert issubclass(kind, KgError)
    assert (kind.exit_code, kind.status) == (code, status)


def test_without_a_store_a_query_exits_2_saying_what_to_do(invoke):
    """Querying before any build is 'nothing to work on': exit 2, and the message says to run kg build."""
    result = invoke("query", "ASK {}")
    assert result.exit_code == 2
    assert result.stderr == "kg: var/store: no store here; run 'kg build' first\n"


def test_a_bad_option_exits_2_naming_it(invoke):
    """An unusable setting given as an option is a usage error naming the option."""
    result = invoke("validate", "--port", "http")
    assert result.exit_code == 2
    assert result.stderr.startswith("kg: --port must be a port number")


def test_a_bad_environment_variable_exits_2_naming_it(invoke, monkeypatch):
    """An unusable setting in the environment is a usage error naming the variable."""
    monkeypatch.setenv("KG_REASONER", "magic")
    result = invoke("validate")
    assert result.exit_code == 2
    assert result.stderr == "kg: KG_REASONER must be 'fast' or 'owlrl': 'magic'\n"


def test_a_missing_query_file_exits_2_naming_it(invoke):
    """A .rq argument naming no file is a usage error (exit 2) that names the file."""
    result = invoke("query", "missing.rq")
    assert result.exit_code == 2
    assert result.stderr == "kg: missing.rq: No such file or directory\n"


def test_invalid_input_exits_1_with_the_place_first(invoke, root):
    """Invalid input exits 1 with the message naming its place first (file:line:column), as compilers do;
    a build adds that the previous store is untouched."""
    Path("ontology").mkdir()
    Path("ontology/bad.ttl").write_text("@prefix x: <urn:x> .\nx:a x:b .\n")
    result = invoke("build", "--data-dir", str(root / "data"))
    assert result.exit_code == 1
    assert result.stderr.splitlines() == ["ontology/bad.ttl:2:9: . is not a valid RDF object",
                                          "kg: build failed; the previous store is untouched"]


def test_a_bug_exits_3_asking_for_a_report(invoke, monkeypatch):
    """A Bug exits 3 and asks to be reported."""
    def broken(*args, **kwargs):
        raise Bug("the search found no derivation")
    monkeypatch.setattr(kg_cli, "validated", broken)
    result = invoke("validate")
    assert result.exit_code == 3
    assert result.stderr.splitlines() == ["kg: the search found no derivation", "kg: this is a bug; please report it"]


def test_an_unexpected_exception_exits_3_with_its_trace(monkeypatch, capsys):
    """Anything else that escapes a command is a bug: its trace, then exit 3."""
    def broken(*args, **kwargs):
        raise ZeroDivisionError("oops")
    monkeypatch.setattr(kg_cli, "cli", broken)
    with pytest.raises(SystemExit) as ended:
        kg_cli.main()
    assert ended.value.code == 3
    assert "ZeroDivisionError: oops" in capsys.readouterr().err


def test_an_unknown_option_is_a_usage_error(invoke):
    """An unknown option exits 2, as a usage error."""
    assert invoke("build", "--no-such-option").exit_code == 2


def normalised(text: str) -> str:
    """``text`` without white space: help is wrapped to the terminal, at spaces and after hyphens."""
    return re.sub(r"\s+", "", text)


def test_every_command_offers_every_setting_with_its_help(invoke):
    """Each setting is an option of the commands, and --help gives its declared help, variable and default."""
    for command in ("build", "query", "serve"):
        shown = normalised(invoke(command, "--help").output)
        for s in SETTINGS:
            assert option(s) in shown, (command, s.name)
            assert normalised(f"{s.metadata['help']} [env {env(s)}; default {s.metadata['text'] or '(empty)'}]") \
                in shown, (command, s.name)


def test_the_server_command_is_found_by_its_entry_point(invoke):
    """``kg serve`` comes from the server package through the kg.commands entry point, listed with the rest."""
    listed = invoke("--help").output
    for command in ("build", "validate", "query", "explain", "update", "stats", "serve"):
        assert re.search(rf"^  {command} ", listed, re.MULTILINE), command
    assert kg_cli.cli.get_command(None, "serve").callback.__module__ == "server.cli"


def test_the_owlrl_reasoner_validates_as_many_quads(built_project, run_kg):
    """KG_REASONER=owlrl validates the same number of quads in as many graphs as the fast path, without log
    noise (tests/kg/test_reason.py shows the triples are the same)."""
    fast = run_kg("validate", cwd=built_project)
    reference = run_kg("validate", cwd=built_project, env={"KG_REASONER": "owlrl"})
    assert fast.returncode == reference.returncode == 0
    assert fast.stdout == reference.stdout
    assert reference.stderr == ""
