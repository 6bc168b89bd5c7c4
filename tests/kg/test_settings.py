"""Settings: declared once, read once into typed values, refused with the name of the setting."""

from __future__ import annotations

from pathlib import Path

import pytest

from kg.errors import UsageError
from kg.settings import SETTINGS, Settings, env, markdown_table, option


def test_environment_overrides_defaults():
    """A KG_* environment variable overrides the default."""
    s = Settings.from_env({"KG_STORE_DIR": "/tmp/x"})
    assert s.store_dir == Path("/tmp/x")
    assert s.data_dir == Path("data")


def test_an_option_overrides_the_environment():
    """An option given to the command overrides the environment; one not given (None) does not."""
    assert Settings.from_env({"KG_STORE_DIR": "/tmp/x"}, store_dir="/tmp/y").store_dir == Path("/tmp/y")
    assert Settings.from_env({"KG_STORE_DIR": "/tmp/x"}, store_dir=None).store_dir == Path("/tmp/x")


def test_values_are_typed():
    """Each setting is read once into the type the code uses: numbers, paths, tuples of IRIs."""
    s = Settings.from_env({"KG_PORT": "8080", "KG_QUERY_TIMEOUT": "2.5", "KG_SERVICE_ALLOW": "http://a/ http://b/",
                           "KG_DEFAULT_GRAPH": "http://g/1 http://g/2", "KG_WORKERS": "3"})
    assert (s.port, s.query_timeout, s.workers) == (8080, 2.5, 3)
    assert s.service_allow == ("http://a/", "http://b/")
    assert s.default_graph == ("http://g/1", "http://g/2")


def test_defaults_are_the_declared_texts_read():
    """A setting left alone has the value its declared default text reads as."""
    s = Settings.from_env({})
    assert s == Settings()
    assert s.query_timeout == 30.0
    assert s.service_allow == ("https://query.wikidata.org/sparql",)


@pytest.mark.parametrize("variable, value, says", [
    ("KG_BASE_IRI", "https://example.org/kg", "ending with '/' or '#'"),
    ("KG_BASE_IRI", "not an iri/", "absolute IRI"),
    ("KG_PORT", "80000", "port number"),
    ("KG_PORT", "http", "port number"),
    ("KG_WORKERS", "0", "at least 1"),
    ("KG_MAX_ROWS", "-5", "at least 1"),
    ("KG_QUERY_TIMEOUT", "0", "above 0"),
    ("KG_QUERY_TIMEOUT", "soon", "above 0"),
    ("KG_QUERY_TIMEOUT", "inf", "above 0"),
    ("KG_REASONER", "magic", "'fast' or 'owlrl'"),
    ("KG_DEFAULT_GRAPH", "", "'union', 'asserted' or absolute graph IRIs"),
    ("KG_DEFAULT_GRAPH", "  ", "'union', 'asserted' or absolute graph IRIs"),
    ("KG_DEFAULT_GRAPH", "inferred graphs", "'union', 'asserted' or absolute graph IRIs"),
    ("KG_SERVICE_ALLOW", "wikidata", "absolute IRIs"),
    ("KG_STORE_DIR", "", "must name a folder"),
])
def test_a_bad_value_is_refused_naming_the_variable(variable, value, says):
    """A value a setting cannot take is a usage error naming the variable, what it must be, and the value."""
    with pytest.raises(UsageError) as refused:
        Settings.from_env({variable: value})
    assert str(refused.value).startswith(f"{variable} must ")
    assert says in str(refused.value)
    assert repr(value) in str(refused.value)


def test_a_bad_option_is_refused_naming_the_option():
    """A bad value given as an option names the option, not the environment variable."""
    with pytest.raises(UsageError, match=r"^--port must be a port number"):
        Settings.from_env({}, port="x")


def test_settings_pass_to_a_child_process_unchanged():
    """The settings written as KG_* variables read back as the same settings."""
    for timeout in ("0.5", "1234567", "0.1234567"):
        s = Settings.from_env({"KG_PORT": "1234", "KG_QUERY_TIMEOUT": timeout, "KG_SERVICE_ALLOW": "http://a/ http://b/",
                               "KG_DEFAULT_GRAPH": "asserted", "KG_UPDATE_TOKEN": "secret"})
        assert Settings.from_env(s.environment()) == s


def test_the_update_token_is_not_shown():
    """The update token, a secret, does not appear when settings are printed or logged."""
    assert "hunter2" not in repr(Settings(update_token="hunter2"))


def test_every_setting_has_a_name_default_and_help():
    """Each declaration gives the variable, the option, the default text and the help that documents it."""
    assert len(SETTINGS) == 15
    for f in SETTINGS:
        assert env(f) == "KG_" + f.name.upper()
        assert option(f) == "--" + f.name.replace("_", "-")
        assert f.metadata["help"].endswith(".")
        assert f.default == f.metadata["read"](f.metadata["text"])


def test_the_table_of_settings_has_a_row_per_setting():
    """The README's table, made from the declarations, has one row per setting with its variable."""
    rows = markdown_table().splitlines()[2:]
    assert [row.split(" | ")[1] for row in rows] == [f"`{env(f)}`" for f in SETTINGS]
