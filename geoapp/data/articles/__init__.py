"""Articles: ingest a user's document, split it into passages, link them to the map.

The text of an article is the user's: it lives only in the instance database
(:mod:`geoapp.data.articles.store`), never in the repository. Modules by role:
``parse`` (text, Markdown, HTML -> blocks), ``passages`` (blocks -> the article's
normalised text with spans), ``dates``, ``mentions`` (catalog features), ``gazetteer``
(other places, GeoNames), ``store`` (SQLite + FTS5) and ``ingest`` (one transaction
that ties them together).
"""
