"""Exports: the file formats (``formats``: images, standalone HTML, GeoJSON, GeoPackage,
KML, CSV, written atomically) and the per-worker budget of image exports (``budget``)."""
