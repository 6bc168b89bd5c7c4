"""The build pipeline of the space-exploration coordination knowledge graph, a module per stage.

``load`` reads the inputs (graphs, shapes and checks, the journal of updates),
``reason`` computes the OWL 2 RL closure, ``store`` owns the store on disk,
``validate`` judges a store by the shapes (``shapes``) and the checks,
``build`` chains them and ``update`` applies a SPARQL Update; ``query``,
``explain`` and ``describe`` read a built store.  ``settings``, ``errors`` and
``terms`` are what every stage shares; ``cli`` is the ``kg`` command.
"""

__version__ = "0.1.0"
