"""Build pipeline for the space-exploration coordination knowledge graph.

The stages are modules: ``load`` parses Turtle, ``validate`` runs the SHACL
shapes and the SPARQL checks, ``reason`` computes the OWL 2 RL closure,
``store`` writes and opens the pyoxigraph store, ``build`` chains them, and
``cli`` is the ``kg`` command.
"""

__version__ = "0.1.0"
