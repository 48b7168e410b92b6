"""The SQLite catalogue: schema, connections, imports, the dictionary, exports, comparisons.

:class:`~meso_formulary.catalogue.store.catalogue_store.Catalogue` is its entry point,
re-exported by :mod:`meso_formulary.catalogue`.
"""
