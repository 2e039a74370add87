"""The printed map (PNG, SVG, PDF) drawn with matplotlib on the server, by part.

``figure`` composes the page from ``projection`` (the view's conic projection and the
data projected once), ``draw`` (basemap and features), ``legend``, ``decorations``
(scale bar and north arrow), ``labels``, ``attribution`` and ``text``; ``page`` is
the paper (size, resolution, title) and ``png`` joins a title strip onto a drawn map.
"""
