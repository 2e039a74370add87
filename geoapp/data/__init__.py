"""The data layer: schema, validation, the Query, the catalog and its providers.

Nothing here imports Flask, folium or matplotlib: every face (the web, the
exports, the command line) asks this package for data, never the files or the
database directly.
"""
