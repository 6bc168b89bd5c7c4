"""Settings, namespaces and the configurable base IRI."""

from __future__ import annotations

from pathlib import Path

import pytest

from kg.build import validated
from kg.load import load
from kg.namespaces import SC, SC_NS, compact
from kg.settings import SETTINGS, Settings

ROOT = Path(__file__).resolve().parent.parent


def test_environment_overrides_defaults():
    """A KG_* environment variable overrides the default; an explicit option overrides both."""
    s = Settings.from_env({"KG_STORE_DIR": "/tmp/x"})
    assert s.store_dir == "/tmp/x" and s.data_dir == "data"
    assert Settings.from_env({"KG_STORE_DIR": "/tmp/x"}, store_dir="/tmp/y").store_dir == "/tmp/y"


def test_base_iri_must_end_with_a_separator():
    """A base IRI that does not end in / or # is refused with a message naming the setting."""
    with pytest.raises(ValueError, match="KG_BASE_IRI"):
        Settings.from_env({"KG_BASE_IRI": "https://example.org/kg"})


@pytest.mark.parametrize("value", ["", "  ", "inferred graphs"])
def test_default_graph_must_name_graphs(value):
    """KG_DEFAULT_GRAPH is 'union', 'asserted' or at least one absolute IRI: an empty value would make every
    query's default graph silently empty."""
    with pytest.raises(ValueError, match="KG_DEFAULT_GRAPH"):
        Settings.from_env({"KG_DEFAULT_GRAPH": value})


def test_every_setting_is_in_the_readme():
    """The README documents every setting by its environment variable."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for s in SETTINGS:
        assert f"KG_{s.name.upper()}" in readme


def test_closed_namespace_matches_the_ontology():
    """Python's list of sc: terms is exactly the set the ontology declares."""
    settings = Settings(ontology_dir=str(ROOT / "ontology"), data_dir=str(ROOT / "data"))
    declared = {t.subject.value[len(SC_NS):] for f in load(settings).files if f.graph.value.endswith("/ontology")
                for t in f.triples if t.subject.value.startswith(SC_NS)
                and t.predicate.value.endswith("#type")}
    assert {n.value[len(SC_NS):] for n in SC} == declared


def test_unknown_term_raises():
    """Asking the closed namespace for an undeclared term is an error, not a new IRI."""
    assert SC.SpaceAgency.value == SC_NS + "SpaceAgency"
    with pytest.raises(AttributeError):
        SC.SpaceAgencey


def test_compact_uses_the_project_prefixes():
    """IRIs print as prefixed names where a prefix is known."""
    assert compact(SC_NS + "SpaceAgency") == "sc:SpaceAgency"
    assert compact("https://w3id.org/spacecoord/body/nasa") == "body:nasa"
    assert compact("https://example.org/x") == "<https://example.org/x>"


def test_another_base_iri_rewrites_every_minted_iri():
    """With KG_BASE_IRI set, the graph is built under that base and no canonical IRI is left."""
    settings = Settings(base_iri="https://example.org/kg/", ontology_dir=str(ROOT / "ontology"),
                        data_dir=str(ROOT / "data"))
    _, store, _ = validated(settings)
    iris = {t.value for q in store.quads_for_pattern(None, None, None, None)
            for t in (q.subject, q.predicate, q.object, q.graph_name)
            if hasattr(t, "value") and type(t).__name__ == "NamedNode"}
    assert "https://example.org/kg/body/nasa" in iris
    assert "https://example.org/kg/graph/imewg-article" in iris
    assert not [i for i in iris if i.startswith("https://w3id.org/spacecoord/")]
