"""The ``kg`` command: one sub-command per pipeline stage, and the commands other packages register
through the ``kg.commands`` entry points (``kg serve``, from the server).

Its exit codes are a contract (the README's table): 0 for success, else the exit code of the error's
kind (kg.errors), and 3 with the trace for any other exception, a bug.
"""

from __future__ import annotations

import functools
import json
import sys
import traceback
from importlib.metadata import entry_points

import click

from .build import build as run_build
from .build import validated
from .errors import Bug, KgError, UsageError
from .explain import Explainer
from .query import FORMATS, STATS_CLASSES, STATS_DEFAULT, STATS_GRAPHS, read_query, render, run
from .settings import SETTINGS, Settings, env, option
from .store import StoreLayout
from .terms import graph_iri, parse_triple
from .update import update as run_update

EXIT_INTERNAL = Bug.exit_code  # also for any exception that is no KgError
# What a failure of a command that writes means for the store, said after its error.
UNCHANGED = {"build": "kg: build failed; the previous store is untouched",
             "update": "kg: update refused; nothing was changed"}


class Kg(click.Group):
    """The ``kg`` group: its one handler turns every KgError into its message and its exit code, and the
    commands of other packages are loaded from their entry points only when asked for."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *_registered()})

    def get_command(self, ctx: click.Context, name: str):
        command = super().get_command(ctx, name)
        if command is None and name in _registered():
            command = _registered()[name].load()
        return command

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except KgError as e:
            lines = e.lines()
            if e.exit_code != 1:  # kind 1 names its place (file:line:column) first, as compilers do
                lines[0] = f"kg: {lines[0]}"
            if e.exit_code == 1 and ctx.invoked_subcommand in UNCHANGED:
                lines.append(UNCHANGED[ctx.invoked_subcommand])
            if e.exit_code == EXIT_INTERNAL:
                lines.append("kg: this is a bug; please report it")
            for line in lines:
                click.echo(line, err=True)
            ctx.exit(e.exit_code)


def settings_options(f):
    """The options of every setting, for a command that reads them with ``settings(options)``."""
    for s in reversed(SETTINGS):
        default = s.metadata["text"] or "(empty)"
        f = click.option(option(s), s.name, default=None, metavar="TEXT",
                         help=f"{s.metadata['help']} [env {env(s)}; default {default}]")(f)
    return f


def settings(options: dict) -> Settings:
    """A command's settings: the options given, over the environment, over the defaults."""
    return Settings.from_env(**options)


@click.group(cls=Kg)
@click.version_option(package_name="spacecoord-kg")
def cli():
    """Build, check and query the space-exploration coordination knowledge graph."""


@cli.command()
@settings_options
def build(**options):
    """Load, validate, reason and write the store (swapped in only if all succeeds)."""
    _print(run_build(settings(options)).lines())


@cli.command()
@settings_options
def validate(**options):
    """Check the data against the SHACL shapes and the SPARQL checks; write nothing."""
    report = validated(settings(options))
    click.echo(f"conforms: {sum(report.triples.values())} quads, "
               f"{len(report.triples)} graphs, all shapes and checks pass")


def _text(query_or_file: str) -> str:
    """A query or update given as text, a file, or - for stdin."""
    try:
        return sys.stdin.read() if query_or_file == "-" else read_query(query_or_file)
    except OSError as e:
        raise UsageError(f"{query_or_file}: {e.strerror}") from None


@cli.command()
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="table",
              help="How to print SELECT results (graphs always print as Turtle).")
@click.argument("query_or_file")
@settings_options
def query(fmt, query_or_file, **options):
    """Run a SPARQL query (text, a .rq file, or - for stdin) over all graphs.

    The project's prefixes (sc:, org:, skos:, body:, place:, ...) are predeclared.
    """
    s = settings(options)
    text = _text(query_or_file)
    click.echo(render(run(StoreLayout(s.store_dir).open(), text), fmt), nl=False)


@cli.command()
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              help="A readable tree, or JSON.")
@click.argument("subject")
@click.argument("predicate")
@click.argument("object_", metavar="OBJECT")
@settings_options
def explain(fmt, subject, predicate, object_, **options):
    """Say where a triple is asserted, or derive it by OWL 2 RL rules down to asserted triples.

    Terms are written as in Turtle, with the project's prefixes:
    kg explain body:nasa org:memberOf body:imewg
    """
    s = settings(options)
    triple = parse_triple(f"{subject} {predicate} {object_}")
    explainer = Explainer(StoreLayout(s.store_dir).open(), graph_iri(s.base_iri, "inferred"))
    explanation = explainer.explain(triple)
    if fmt == "json":
        click.echo(json.dumps(explanation.as_json(), indent=2))
    else:
        _print(explanation.lines(explainer.show))


@cli.command()
@click.argument("update_or_file")
@settings_options
def update(update_or_file, **options):
    """Apply a SPARQL Update (text, a file, or - for stdin) to the named graphs of the store.

    The default graph and graph/inferred are then derived again, the shapes and
    checks run, and the new store is swapped in only if all succeeds; the change
    is recorded in the journal <store_dir>.updates.ru, which 'kg build' replays.
    """
    s = settings(options)
    _print(run_update(s, _text(update_or_file)).lines())


@cli.command()
@settings_options
def stats(**options):
    """Triples per named graph and entities per class."""
    store = StoreLayout(settings(options).store_dir).open()
    for text in (STATS_DEFAULT, STATS_GRAPHS, STATS_CLASSES):
        click.echo(render(run(store, text)))


def _print(lines: list[str]) -> None:
    for line in lines:
        click.echo(line)


@functools.cache
def _registered() -> dict:
    """The commands other packages register (the server's ``serve``), by name, not yet loaded."""
    return {e.name: e for e in entry_points(group="kg.commands")}


def main() -> None:
    try:
        cli()
    except Exception:  # noqa: BLE001 -- the last resort that keeps exit code 3 meaning "bug"
        traceback.print_exc()
        click.echo("kg: internal error (a bug); please report it with the trace above", err=True)
        sys.exit(EXIT_INTERNAL)
