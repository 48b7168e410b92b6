"""The catalogue on the web: a Datasette plugin (search by concern, cocktail pages, metadata).

Needs the ``web`` extra (``pip install 'meso-formulary[web]'``). ``meso serve`` starts
Datasette with it (:mod:`meso_formulary.web.server`); any other Datasette that has the package
installed loads it through the ``datasette`` entry point.
"""
