"""The one error contract: every error the project raises on purpose is a ``KgError`` of one kind,
and the kind carries the ``kg`` command's exit code and the server's HTTP status.

  kind            exit  HTTP  meaning
  InvalidInput       1   400  a data or ontology file, a shape, a check, a query, an update, a term
  Refused            1   403  well formed, but not done here: LOAD, a SERVICE off the allow-list
  UsageError         2   400  a setting or an argument the command cannot use
  Unavailable        2   503  nothing to work on: no store built yet, or its path taken by something else
  Bug                3   500  the code failed its own promise; please report it

The message names the place (``data/x.ttl:4:7: ...``, ``parameter 'p': ...``); an error whose
kind is 1 changed nothing.  The CLI has one handler (kg.cli), the server one (server.errors).
"""

from __future__ import annotations


class KgError(Exception):
    """An error with a message for the user; its class says what it means."""

    exit_code = 3
    status = 500

    def lines(self) -> list[str]:
        """The message as lines, for a terminal."""
        return str(self).splitlines() or [type(self).__name__]


class InvalidInput(KgError):
    """The input is malformed or does not conform; the message names the place."""

    exit_code, status = 1, 400


class Refused(KgError):
    """The input is understood, but what it asks is not done here."""

    exit_code, status = 1, 403


class UsageError(KgError):
    """A setting or an argument that cannot be used; the message names it."""

    exit_code, status = 2, 400


class Unavailable(KgError):
    """Nothing to work on: no store is built yet, or its path is taken by something else."""

    exit_code, status = 2, 503


class Bug(KgError):
    """The code broke a promise of its own (a derivation not found for a triple the store holds)."""

    exit_code, status = 3, 500
